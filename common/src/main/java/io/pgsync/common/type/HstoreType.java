package io.pgsync.common.type;

import java.util.Map;
import java.util.StringJoiner;

import org.apache.kafka.connect.data.Schema;

/** hstore from Debezium's map ({@code hstore.handling.mode=map}): every key and value quoted, NULL values kept. */
final class HstoreType implements ValueType {

    @Override
    public boolean handles(Schema schema, String sourceType) {
        return schema.type() == Schema.Type.MAP;
    }

    @Override
    public String text(Schema schema, String sourceType, Object value) {
        StringJoiner pairs = new StringJoiner(", ");
        for (Map.Entry<?, ?> entry : ((Map<?, ?>) value).entrySet()) {
            pairs.add(quoted(entry.getKey()) + "=>" + (entry.getValue() == null ? "NULL" : quoted(entry.getValue())));
        }
        return pairs.toString();
    }

    private static String quoted(Object text) {
        return '"' + text.toString().replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }
}
