package io.pgsync.common.type;

import org.apache.kafka.connect.data.Schema;

/**
 * Integers, booleans and strings whose Java text is already PostgreSQL's input form: int2/int4/int8, bool, and every
 * type Debezium sends as its own text (text, varchar, char, uuid, json, jsonb, xml, inet, cidr, macaddr, tsvector,
 * ranges, enums, ltree, citext, ISO-8601 intervals and zoned timestamps).
 */
final class PlainType implements ValueType {

    @Override
    public boolean handles(Schema schema, String sourceType) {
        return switch (schema.type()) {
            case INT8, INT16, INT32, INT64, BOOLEAN, STRING -> true;
            default -> false;
        };
    }

    @Override
    public String text(Schema schema, String sourceType, Object value) {
        return value.toString();
    }
}
