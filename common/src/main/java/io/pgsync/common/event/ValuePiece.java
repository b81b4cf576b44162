package io.pgsync.common.event;

import static io.pgsync.common.event.TypedColumns.required;

import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.DataException;

import io.pgsync.common.pg.TableRef;

/**
 * One piece of a column value too large for one changelog record. A row whose record would exceed Kafka's limits
 * travels as the pieces of its largest values, in order, then its {@link RowChange}, which names those columns in
 * {@link RowChange#pieced} and carries null in their place; all of them in the same partition, one after the other.
 * The sink puts the pieces together in the destination and writes the row when its change arrives, in the same
 * destination transaction, so a row is applied whole or not at all.
 *
 * <p>Example: a row of {@code public.docs} with a 2 MB {@code body}, at Kafka's default 1 MB limit: pieces
 * {@code (body, 0 of 3, first)}, {@code (body, 1 of 3)}, {@code (body, 2 of 3)}, then the change with
 * {@code pieced [body]} and {@code body} null.
 *
 * @param table the source table
 * @param column the column whose value this is a piece of
 * @param part the piece's number within the value, from 0
 * @param parts the number of pieces of the value
 * @param first whether this is the first piece of the row (pieces of an earlier, unfinished row are to be dropped)
 * @param text the piece of the value's text form
 */
public record ValuePiece(TableRef table, String column, int part, int parts, boolean first, String text)
        implements ChangelogEvent {

    public static final String SCHEMA_NAME = "io.pgsync.changelog.ValuePiece";

    /** The value schema of every piece record. */
    public static final Schema SCHEMA = SchemaBuilder.struct().name(SCHEMA_NAME).version(1)
            .field("schema", Schema.STRING_SCHEMA)
            .field("table", Schema.STRING_SCHEMA)
            .field("column", Schema.STRING_SCHEMA)
            .field("part", Schema.INT32_SCHEMA)
            .field("parts", Schema.INT32_SCHEMA)
            .field("first", Schema.BOOLEAN_SCHEMA)
            .field("piece", Schema.STRING_SCHEMA)
            .build();

    public Struct toStruct() {
        return new Struct(SCHEMA)
                .put("schema", table.schema())
                .put("table", table.table())
                .put("column", column)
                .put("part", part)
                .put("parts", parts)
                .put("first", first)
                .put("piece", text);
    }

    /** Whether this is the last piece of its value. */
    public boolean last() {
        return part == parts - 1;
    }

    /**
     * Returns the piece a record value carries, or empty when the value is not one: a struct of {@link #SCHEMA}, or
     * the same fields as a map (JSON with {@code schemas.enable=false}).
     *
     * @throws DataException when the value claims to be a piece but lacks a field or has one of the wrong type
     */
    public static Optional<ValuePiece> of(Schema schema, Object value) {
        if (schema == null && value instanceof Map<?, ?> map && map.containsKey("piece") && map.containsKey("parts")) {
            return Optional.of(read(map::get));
        }
        if (schema == null || !SCHEMA_NAME.equals(schema.name()) || !(value instanceof Struct struct)) {
            return Optional.empty();
        }
        return Optional.of(read(struct::get));
    }

    private static ValuePiece read(Function<String, Object> fields) {
        try {
            Number part = required(fields, "part");
            Number parts = required(fields, "parts");
            return new ValuePiece(new TableRef(required(fields, "schema"), required(fields, "table")),
                    required(fields, "column"), part.intValue(), parts.intValue(),
                    Boolean.TRUE.equals(fields.apply("first")), required(fields, "piece"));
        } catch (DataException | ClassCastException e) {
            throw new DataException("Malformed " + SCHEMA_NAME + " record: " + e.getMessage(), e);
        }
    }
}
