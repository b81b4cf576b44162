package io.pgsync.it;

import java.util.Map;

/** The sync suite with Connect's JSON converter (schemas enabled). */
class JsonSyncIT extends AbstractSyncIT {

    @Override
    Map<String, String> converters() {
        return Pipeline.jsonConverters();
    }
}
