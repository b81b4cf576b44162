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
 * The position of a source sequence, read periodically so that the destination's sequences are ready when it takes
 * over writes. The sink moves its sequence to this position, never backwards.
 *
 * <p>Example: sequence {@code public.orders_id_seq}, last value {@code 1042}, called {@code true}: the next
 * {@code nextval} at the destination returns 1043 (or more).
 *
 * @param sequence the sequence's schema and name
 * @param lastValue the sequence's {@code last_value}
 * @param called its {@code is_called}: whether {@code lastValue} was handed out
 */
public record SequencePosition(TableRef sequence, long lastValue, boolean called) implements ChangelogEvent {

    public static final String SCHEMA_NAME = "io.pgsync.changelog.Sequence";

    /** The value schema of every sequence record. */
    public static final Schema SCHEMA = SchemaBuilder.struct().name(SCHEMA_NAME).version(1)
            .field("schema", Schema.STRING_SCHEMA)
            .field("sequence", Schema.STRING_SCHEMA)
            .field("last_value", Schema.INT64_SCHEMA)
            .field("is_called", Schema.BOOLEAN_SCHEMA)
            .build();

    public Struct toStruct() {
        return new Struct(SCHEMA)
                .put("schema", sequence.schema())
                .put("sequence", sequence.table())
                .put("last_value", lastValue)
                .put("is_called", called);
    }

    /**
     * Returns the position a record value carries, or empty when the value is not one: a struct of {@link #SCHEMA},
     * or the same fields as a map (JSON with {@code schemas.enable=false}).
     *
     * @throws DataException when the value claims to be a sequence position but lacks a field
     */
    public static Optional<SequencePosition> of(Schema schema, Object value) {
        if (schema == null && value instanceof Map<?, ?> map && map.containsKey("sequence")
                && map.containsKey("last_value")) {
            return Optional.of(read(map::get));
        }
        if (schema == null || !SCHEMA_NAME.equals(schema.name()) || !(value instanceof Struct struct)) {
            return Optional.empty();
        }
        return Optional.of(read(struct::get));
    }

    private static SequencePosition read(Function<String, Object> fields) {
        try {
            Number lastValue = required(fields, "last_value");
            return new SequencePosition(new TableRef(required(fields, "schema"), required(fields, "sequence")),
                    lastValue.longValue(), Boolean.TRUE.equals(required(fields, "is_called")));
        } catch (DataException | ClassCastException e) {
            throw new DataException("Malformed " + SCHEMA_NAME + " record: " + e.getMessage(), e);
        }
    }
}
