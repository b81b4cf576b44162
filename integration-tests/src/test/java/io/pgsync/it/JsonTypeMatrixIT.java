package io.pgsync.it;

import java.util.Map;

/**
 * The type matrix with Connect's JSON converter (schemas enabled), which reads NaN, the infinities and -0 of real and
 * double precision back as 0 and so skips the table of those values.
 */
class JsonTypeMatrixIT extends AbstractTypeMatrixIT {

    @Override
    Map<String, String> converters() {
        return Pipeline.jsonConverters();
    }

    @Override
    boolean keepsParametersOfEveryColumn() {
        return true;
    }

    @Override
    boolean carriesNonFiniteFloats() {
        return false;
    }
}
