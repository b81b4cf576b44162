package io.pgsync.it;

import java.util.Map;

/**
 * The type matrix with the changelog in Debezium's envelope ({@code changelog.format=debezium}) and Connect's JSON
 * converter (schemas enabled): the sink converts Debezium's values itself, as it does for plain Debezium topics.
 * Kafka's JSON converter reads NaN, the infinities and -0 of real and double precision back as 0, so the table of
 * those values is skipped, and so are the values only pgsync's format carries exactly (arrays, {@code time},
 * {@code bit varying} and {@code polygon} in their source text).
 */
class DebeziumEnvelopeTypeMatrixIT extends AbstractTypeMatrixIT {

    @Override
    Map<String, String> converters() {
        return Pipeline.jsonConverters();
    }

    @Override
    Map<String, String> sourceSettings() {
        return Map.of("changelog.format", "debezium");
    }

    @Override
    boolean carriesNonFiniteFloats() {
        return false;
    }

    @Override
    boolean carriesSourceText() {
        return false;
    }
}
