package io.pgsync.it;

import java.util.Map;

/**
 * The type matrix with Connect's JSON converter (schemas enabled) and pgsync's changelog format, whose values travel
 * as text: NaN, the infinities and -0 of real and double precision arrive too, and every column keeps its own type.
 */
class JsonTypeMatrixIT extends AbstractTypeMatrixIT {

    @Override
    Map<String, String> converters() {
        return Pipeline.jsonConverters();
    }
}
