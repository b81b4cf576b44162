package io.pgsync.common.event;

import static io.pgsync.common.event.TypedColumns.required;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.DataException;

import io.pgsync.common.pg.TableRef;

/**
 * A row change in pgsync's own changelog format: the values already in PostgreSQL's text form, the column names and
 * types as plain lists. One fixed, small schema for every table, so converters (JSON with schemas, Avro) handle a few
 * fields per record instead of Debezium's envelope with a schema per table, and the sink writes the text unchanged.
 *
 * <p>Example, an UPDATE of {@code public.accounts}: op {@code u}, columns {@code [aid, bid, abalance, filler]},
 * types {@code [integer not null, integer, integer, char(84)]}, key {@code [aid]}, after
 * {@code ["7", "1", "-25", "   …"]}, no before (the table has a key), no unchanged columns.
 *
 * @param op {@code r} (snapshot read), {@code c}, {@code u}, {@code d} or {@code t} (truncate)
 * @param table the source table
 * @param columns the column names of the row images, in source column order; empty for a truncate
 * @param types per column, its type to create it with ({@code numeric(12,2)}, {@code text[]}), listed as
 *     {@link TypedColumns} says; null for a type pgsync cannot create
 * @param key the primary-key (replica identity) column names; empty for a table without key
 * @param after the new row's values in text form (null for SQL NULL), for r, c and u; else null
 * @param before the old row's values for d (at least the key columns), and for u on a table without key; else null
 * @param unchanged the columns of {@code after} whose TOASTed value did not change and was not sent
 * @param position where the change sits in the source's commit order; null for snapshot reads
 * @param sourceTimeMs the source commit time, -1 when unknown
 * @param movedTo for the {@code d} half of a primary-key change (Debezium sends it as a delete of the old key and a
 *     create of the new one): the new key's values, in {@code key} order; else null. The sink then moves the row to
 *     the new key instead of deleting it, so the create that follows keeps the TOASTed values it did not send.
 * @param pieced the columns of {@code after} whose values are too large for one record: they came in the
 *     {@link ValuePiece} records just before this one, and {@code after} holds null in their place; else empty
 */
public record RowChange(String op, TableRef table, List<String> columns, List<String> types, List<String> key,
        List<String> after, List<String> before, List<String> unchanged, SourcePosition position,
        long sourceTimeMs, List<String> movedTo, List<String> pieced) implements ChangelogEvent {

    public static final String SCHEMA_NAME = "io.pgsync.changelog.RowChange";

    private static final Schema TEXTS = SchemaBuilder.array(Schema.OPTIONAL_STRING_SCHEMA).build();
    private static final Schema OPTIONAL_TEXTS = SchemaBuilder.array(Schema.OPTIONAL_STRING_SCHEMA).optional().build();
    private static final Schema NAMES = SchemaBuilder.array(Schema.STRING_SCHEMA).build();

    /** The value schema of every row-change record. */
    public static final Schema SCHEMA = SchemaBuilder.struct().name(SCHEMA_NAME).version(3)
            .field("op", Schema.STRING_SCHEMA)
            .field("schema", Schema.STRING_SCHEMA)
            .field("table", Schema.STRING_SCHEMA)
            .field("columns", NAMES)
            .field("types", TEXTS)
            .field("key", NAMES)
            .field("after", OPTIONAL_TEXTS)
            .field("before", OPTIONAL_TEXTS)
            .field("unchanged", SchemaBuilder.array(Schema.STRING_SCHEMA).optional().build())
            .field("commit_lsn", Schema.OPTIONAL_INT64_SCHEMA)
            .field("lsn", Schema.OPTIONAL_INT64_SCHEMA)
            .field("order", Schema.OPTIONAL_INT64_SCHEMA)
            .field("ts_ms", Schema.OPTIONAL_INT64_SCHEMA)
            .field("moved_to", OPTIONAL_TEXTS)
            .field("pieced", SchemaBuilder.array(Schema.STRING_SCHEMA).optional().build())
            .build();

    /** A change whose values all travel in its own record. */
    public RowChange(String op, TableRef table, List<String> columns, List<String> types, List<String> key,
            List<String> after, List<String> before, List<String> unchanged, SourcePosition position,
            long sourceTimeMs, List<String> movedTo) {
        this(op, table, columns, types, key, after, before, unchanged, position, sourceTimeMs, movedTo, List.of());
    }

    /** A change that is not the delete half of a primary-key change. */
    public RowChange(String op, TableRef table, List<String> columns, List<String> types, List<String> key,
            List<String> after, List<String> before, List<String> unchanged, SourcePosition position,
            long sourceTimeMs) {
        this(op, table, columns, types, key, after, before, unchanged, position, sourceTimeMs, null, List.of());
    }

    /** This change with the new row's values {@code after}, where the {@code pieced} columns travel as pieces. */
    public RowChange withPieced(List<String> newAfter, List<String> newPieced) {
        return new RowChange(op, table, columns, types, key, newAfter, before, unchanged, position, sourceTimeMs,
                movedTo, List.copyOf(newPieced));
    }

    public Struct toStruct() {
        Struct struct = new Struct(SCHEMA)
                .put("op", op)
                .put("schema", table.schema())
                .put("table", table.table())
                .put("columns", columns)
                .put("types", types)
                .put("key", key)
                .put("after", after)
                .put("before", before)
                .put("unchanged", unchanged.isEmpty() ? null : unchanged);
        if (position != null) {
            struct.put("commit_lsn", position.commitLsn() < 0 ? null : position.commitLsn())
                    .put("lsn", position.lsn())
                    .put("order", position.order());
        }
        return struct.put("ts_ms", sourceTimeMs < 0 ? null : sourceTimeMs).put("moved_to", movedTo)
                .put("pieced", pieced.isEmpty() ? null : pieced);
    }

    /**
     * Returns the row change a record value carries, or empty when the value is not in this format: a struct of
     * {@link #SCHEMA} (JSON with schemas, Avro), or the same fields as a map (JSON with {@code schemas.enable=false}).
     *
     * @throws DataException when the value claims to be a row change but lacks a field or has one of the wrong type
     */
    public static Optional<RowChange> of(Schema schema, Object value) {
        if (schema == null && value instanceof Map<?, ?> map && isRowChange(map)) {
            return Optional.of(read(map::get));
        }
        if (schema == null || !SCHEMA_NAME.equals(schema.name()) || !(value instanceof Struct struct)) {
            return Optional.empty();
        }
        return Optional.of(read(struct::get));
    }

    /** Whether a schemaless value has the fields of a row change. */
    private static boolean isRowChange(Map<?, ?> map) {
        return map.containsKey("op") && map.containsKey("columns") && map.containsKey("types")
                && map.containsKey("table");
    }

    @SuppressWarnings("unchecked")
    private static RowChange read(Function<String, Object> fields) {
        try {
            Long lsn = number(fields.apply("lsn"));
            Long commitLsn = number(fields.apply("commit_lsn"));
            Long order = number(fields.apply("order"));
            Long ts = number(fields.apply("ts_ms"));
            List<String> unchanged = (List<String>) fields.apply("unchanged");
            List<String> pieced = (List<String>) optional(fields, "pieced");
            return new RowChange(required(fields, "op"),
                    new TableRef(required(fields, "schema"), required(fields, "table")),
                    required(fields, "columns"), required(fields, "types"), required(fields, "key"),
                    (List<String>) fields.apply("after"), (List<String>) fields.apply("before"),
                    unchanged == null ? List.of() : unchanged,
                    lsn == null ? null : new SourcePosition(commitLsn == null ? -1 : commitLsn, lsn,
                            order == null ? 0 : order),
                    ts == null ? -1 : ts, (List<String>) optional(fields, "moved_to"),
                    pieced == null ? List.of() : pieced);
        } catch (DataException | ClassCastException | NullPointerException e) {
            throw new DataException("Malformed " + SCHEMA_NAME + " record: " + e.getMessage(), e);
        }
    }

    /** A field that older records lack: null when the struct's schema has no such field. */
    private static Object optional(Function<String, Object> fields, String name) {
        try {
            return fields.apply(name);
        } catch (DataException e) {
            return null;
        }
    }

    private static Long number(Object value) {
        return value == null ? null : ((Number) value).longValue();
    }
}
