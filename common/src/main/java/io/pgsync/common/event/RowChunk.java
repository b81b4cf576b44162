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
 * Existing rows of one table from the full sync, many per record, in PostgreSQL's COPY text format: one line per
 * row, columns separated by tabs, {@code \N} for NULL, backslash escapes. The source reads them with
 * {@code COPY ... TO STDOUT} inside the replication slot's exported snapshot; the sink writes them with
 * {@code COPY ... FROM STDIN}, so values keep their exact text form in both directions.
 *
 * <p>Example: columns {@code [aid, bid, filler]}, rows 2, copy {@code "1\t1\tx\n2\t1\t\\N\n"}.
 *
 * @param table the source table
 * @param columns the copied columns (every column except generated ones), in source column order
 * @param types per column, its type as the source catalog names it ({@code format_type}), listed as
 *     {@link TypedColumns} says
 * @param key the primary-key (or replica identity index) columns; empty for a table without key
 * @param rows the number of rows in {@code copy}
 * @param copy the rows in COPY text format, each line ending with a newline
 * @param reset whether the destination table is to be emptied before these rows: the first chunk of each table when
 *     a full sync starts again after one that did not finish, so rows deleted in between do not stay behind
 */
public record RowChunk(TableRef table, List<String> columns, List<String> types, List<String> key, int rows,
        String copy, boolean reset) implements ChangelogEvent {

    public static final String SCHEMA_NAME = "io.pgsync.changelog.RowChunk";

    private static final Schema NAMES = SchemaBuilder.array(Schema.STRING_SCHEMA).build();

    /** The value schema of every row-chunk record. */
    public static final Schema SCHEMA = SchemaBuilder.struct().name(SCHEMA_NAME).version(1)
            .field("schema", Schema.STRING_SCHEMA)
            .field("table", Schema.STRING_SCHEMA)
            .field("columns", NAMES)
            .field("types", NAMES)
            .field("key", NAMES)
            .field("rows", Schema.INT32_SCHEMA)
            .field("copy", Schema.STRING_SCHEMA)
            .field("reset", Schema.OPTIONAL_BOOLEAN_SCHEMA)
            .build();

    public Struct toStruct() {
        return new Struct(SCHEMA)
                .put("schema", table.schema())
                .put("table", table.table())
                .put("columns", columns)
                .put("types", types)
                .put("key", key)
                .put("rows", rows)
                .put("copy", copy)
                .put("reset", reset ? Boolean.TRUE : null);
    }

    /**
     * Returns the chunk a record value carries, or empty when the value is not one: a struct of {@link #SCHEMA}, or
     * the same fields as a map (JSON with {@code schemas.enable=false}).
     *
     * @throws DataException when the value claims to be a chunk but lacks a field or has one of the wrong type
     */
    public static Optional<RowChunk> of(Schema schema, Object value) {
        if (schema == null && value instanceof Map<?, ?> map && map.containsKey("copy") && map.containsKey("columns")) {
            return Optional.of(read(map::get));
        }
        if (schema == null || !SCHEMA_NAME.equals(schema.name()) || !(value instanceof Struct struct)) {
            return Optional.empty();
        }
        return Optional.of(read(struct::get));
    }

    private static RowChunk read(Function<String, Object> fields) {
        try {
            Number rows = required(fields, "rows");
            return new RowChunk(new TableRef(required(fields, "schema"), required(fields, "table")),
                    required(fields, "columns"), required(fields, "types"), required(fields, "key"), rows.intValue(),
                    required(fields, "copy"), Boolean.TRUE.equals(fields.apply("reset")));
        } catch (DataException | ClassCastException e) {
            throw new DataException("Malformed " + SCHEMA_NAME + " record: " + e.getMessage(), e);
        }
    }
}
