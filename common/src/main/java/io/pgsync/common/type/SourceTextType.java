package io.pgsync.common.type;

import org.apache.kafka.connect.data.Schema;

/**
 * Values that already are PostgreSQL's text form of the source column ({@value PgText#SOURCE_TEXT} strings, which the
 * source puts in place of Debezium's mapping for arrays, {@code time}, {@code bit varying} and {@code polygon}):
 * written as they are, e.g. {@code {{1,2},{3,4}}}, {@code [0:2]={7,8,9}} or {@code 24:00:00}.
 */
final class SourceTextType implements ValueType {

    @Override
    public boolean handles(Schema schema, String sourceType) {
        return schema.type() == Schema.Type.STRING && PgText.SOURCE_TEXT.equals(schema.name());
    }

    @Override
    public String text(Schema schema, String sourceType, Object value) {
        return (String) value;
    }
}
