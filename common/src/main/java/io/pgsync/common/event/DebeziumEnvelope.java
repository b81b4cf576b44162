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
        private static final Field[] NONE = new Field[0];

        private final Map<Schema, Field[]> envelopes = new IdentityHashMap<>();
        private final Map<Schema, Field[]> sources = new IdentityHashMap<>();

        /** The table of a row-change record, or empty for any other record. */
        public Optional<TableRef> tableOf(Schema valueSchema, Object value) {
            if (!(value instanceof Struct struct) || valueSchema == null || valueSchema.type() != Schema.Type.STRUCT) {
                return Optional.empty();
            }
            Field[] envelope = fields(envelopes, struct.schema(), FIELD_SOURCE, FIELD_OP);
            if (envelope == NONE || !(struct.get(envelope[0]) instanceof Struct source)) {
                return Optional.empty();
            }
            Field[] names = fields(sources, source.schema(), "schema", "table");
            if (names == NONE || !(source.get(names[0]) instanceof String schema)
                    || !(source.get(names[1]) instanceof String table)) {
                return Optional.empty();
            }
            return Optional.of(new TableRef(schema, table));
        }

        /** The named fields of the schema, cached, or {@code NONE} when it lacks one of them. */
        private static Field[] fields(Map<Schema, Field[]> cache, Schema schema, String first, String second) {
            Field[] found = cache.get(schema);
            if (found == null) {
                if (cache.size() >= MAX_CACHED_SCHEMAS) {
                    cache.clear();
                }
                Field a = schema.type() == Schema.Type.STRUCT ? schema.field(first) : null;
                Field b = schema.type() == Schema.Type.STRUCT ? schema.field(second) : null;
                found = a == null || b == null ? NONE : new Field[] {a, b};
                cache.put(schema, found);
            }
            return found;
        }
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
