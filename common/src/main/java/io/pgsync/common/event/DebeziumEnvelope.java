package io.pgsync.common.event;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
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
     * for any other record (transaction BEGIN/END markers, heartbeats, tombstones). A logical message's table has
     * empty names: Debezium's source block names none.
     */
    public static Optional<TableRef> tableOf(Schema valueSchema, Object value) {
        return tableOf(valueSchema, value, DebeziumEnvelope::lookUp);
    }

    /** Where an envelope schema holds {@code source} and {@code op}, or a source block's schema the two names. */
    @FunctionalInterface
    private interface Fields {
        /** The two fields, or {@link #NONE} when the schema lacks one. */
        Field[] of(Schema schema, boolean envelope);
    }

    private static final Field[] NONE = new Field[0];

    private static Optional<TableRef> tableOf(Schema valueSchema, Object value, Fields fields) {
        if (!(value instanceof Struct struct) || valueSchema == null || valueSchema.type() != Schema.Type.STRUCT) {
            return Optional.empty();
        }
        Field[] envelope = fields.of(struct.schema(), true);
        if (envelope == NONE || !(struct.get(envelope[0]) instanceof Struct source)) {
            return Optional.empty();
        }
        Field[] names = fields.of(source.schema(), false);
        if (names == NONE || !(source.get(names[0]) instanceof String schema)
                || !(source.get(names[1]) instanceof String table)) {
            return Optional.empty();
        }
        return Optional.of(new TableRef(schema, table));
    }

    private static Field[] lookUp(Schema schema, boolean envelope) {
        if (schema.type() != Schema.Type.STRUCT) {
            return NONE;
        }
        Field first = schema.field(envelope ? FIELD_SOURCE : "schema");
        Field second = schema.field(envelope ? FIELD_OP : "table");
        return first == null || second == null ? NONE : new Field[] {first, second};
    }

    /**
     * Finds the source table of change events as {@link #tableOf} does, with the fields of each struct schema looked
     * up once: the source task asks for every record, and looking fields up by name per record was a tenth of its
     * time. Not thread-safe; one per task.
     *
     * <p>Example: the first change of {@code public.accounts} records where {@code source} and {@code op} sit in its
     * envelope schema and where {@code schema} and {@code table} sit in the source block's schema; every later change
     * with the same schema objects reads the two names by position.
     */
    public static final class TableReader {

        private static final int MAX_CACHED_SCHEMAS = 10_000;

        private final Map<Schema, Field[]> envelopes = new IdentityHashMap<>();
        private final Map<Schema, Field[]> sources = new IdentityHashMap<>();
        private final Fields cachedFields = this::cached;

        /** The table of a row-change record, or empty for any other record. */
        public Optional<TableRef> tableOf(Schema valueSchema, Object value) {
            return DebeziumEnvelope.tableOf(valueSchema, value, cachedFields);
        }

        private Field[] cached(Schema schema, boolean envelope) {
            Map<Schema, Field[]> cache = envelope ? envelopes : sources;
            Field[] found = cache.get(schema);
            if (found == null) {
                if (cache.size() >= MAX_CACHED_SCHEMAS) {
                    cache.clear();
                }
                found = lookUp(schema, envelope);
                cache.put(schema, found);
            }
            return found;
        }
    }

    /**
     * The field's value as the row holds it: SQL NULL stays null. Connect's {@link Struct#get(Field)} returns the
     * schema's default instead, and Debezium gives a column's field its DEFAULT, so {@code INSERT ... (v) VALUES
     * (NULL)} into {@code v int DEFAULT 5} would read as 5.
     */
    public static Object value(Struct row, Field field) {
        return field.schema().defaultValue() == null ? row.get(field) : row.getWithoutDefault(field.name());
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
