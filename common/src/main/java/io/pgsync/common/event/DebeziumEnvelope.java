package io.pgsync.common.event;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;

import io.pgsync.common.pg.TableRef;

/** Reads the parts of a Debezium PostgreSQL change-event value that both connectors rely on. */
public final class DebeziumEnvelope {

    public static final String FIELD_OP = "op";
    public static final String FIELD_BEFORE = "before";
    public static final String FIELD_AFTER = "after";
    public static final String FIELD_SOURCE = "source";

    private DebeziumEnvelope() {
    }

    /**
     * Returns the source table of a row-change record (snapshot read, insert, update, delete, truncate), or empty
     * for any other record (transaction BEGIN/END markers, heartbeats, tombstones).
     */
    public static Optional<TableRef> tableOf(Schema valueSchema, Object value) {
        if (!(value instanceof Struct struct) || valueSchema == null || valueSchema.type() != Schema.Type.STRUCT) {
            return Optional.empty();
        }
        Field sourceField = valueSchema.field(FIELD_SOURCE);
        if (sourceField == null || valueSchema.field(FIELD_OP) == null) {
            return Optional.empty();
        }
        Struct source = struct.getStruct(FIELD_SOURCE);
        if (source == null || source.schema().field("schema") == null || source.schema().field("table") == null) {
            return Optional.empty();
        }
        String schema = source.getString("schema");
        String table = source.getString("table");
        if (schema == null || table == null) {
            return Optional.empty();
        }
        return Optional.of(new TableRef(schema, table));
    }

    /**
     * Tells whether a field value is Debezium's placeholder for an unchanged TOASTed value
     * ({@code unavailable.value.placeholder}): as a string, as its UTF-8 bytes, or as a one-element array.
     */
    public static boolean isUnavailable(Object value, String placeholder) {
        if (value instanceof String s) {
            return s.equals(placeholder);
        }
        if (value instanceof byte[] bytes) {
            return Arrays.equals(bytes, placeholder.getBytes(StandardCharsets.UTF_8));
        }
        if (value instanceof ByteBuffer buffer) {
            return buffer.equals(ByteBuffer.wrap(placeholder.getBytes(StandardCharsets.UTF_8)));
        }
        if (value instanceof List<?> list && list.size() == 1) {
            return isUnavailable(list.get(0), placeholder);
        }
        return false;
    }
}
