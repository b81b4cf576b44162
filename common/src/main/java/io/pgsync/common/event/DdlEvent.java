package io.pgsync.common.event;

import static io.pgsync.common.event.TypedColumns.required;

import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.DataException;

/**
 * A DDL command run on the source while streaming, captured by pgsync's event triggers (a row of
 * {@code pgsync.ddl_log} that only they may write) and placed in the changelog between the changes committed before
 * and after it. The commands are the JSON the event trigger wrote, reduced to
 * the selected objects: per table its definition before and after the command (columns with their numbers, so the
 * sink tells a rename from a drop and add), per other object the DDL generated from the source catalog.
 *
 * <p>Example: tag {@code ALTER TABLE}, query {@code ALTER TABLE app.orders RENAME COLUMN note TO remark}, commands
 * {@code [{"kind":"table","before":{"schema":"app","name":"orders","columns":[...,{"num":3,"name":"note",...}]},
 * "after":{...,{"num":3,"name":"remark",...}}}]}.
 *
 * @param tag the command tag, e.g. {@code ALTER TABLE}
 * @param query the text of the statement that ran the command, when the capture is certain of it (the query string
 *     held exactly that statement, which carries no credentials); else empty, and each command's {@code origin}
 *     says why
 * @param commands the JSON array of commands
 * @param position where the command sits in the source's commit order; null when unknown
 * @param sourceTimeMs when the source committed it, or -1
 */
public record DdlEvent(String tag, String query, String commands, SourcePosition position, long sourceTimeMs)
        implements ChangelogEvent {

    public static final String SCHEMA_NAME = "io.pgsync.changelog.Ddl";

    /** The value schema of every DDL record. */
    public static final Schema SCHEMA = SchemaBuilder.struct().name(SCHEMA_NAME).version(1)
            .field("tag", Schema.STRING_SCHEMA)
            .field("query", Schema.STRING_SCHEMA)
            .field("commands", Schema.STRING_SCHEMA)
            .field("commit_lsn", Schema.OPTIONAL_INT64_SCHEMA)
            .field("lsn", Schema.OPTIONAL_INT64_SCHEMA)
            .field("order", Schema.OPTIONAL_INT64_SCHEMA)
            .field("source_ts_ms", Schema.INT64_SCHEMA)
            .build();

    public Struct toStruct() {
        return new Struct(SCHEMA)
                .put("tag", tag)
                .put("query", query)
                .put("commands", commands)
                .put("commit_lsn", position == null ? null : position.commitLsn())
                .put("lsn", position == null ? null : position.lsn())
                .put("order", position == null ? null : position.order())
                .put("source_ts_ms", sourceTimeMs);
    }

    /**
     * Returns the event a record value carries, or empty when the value is not one: a struct of {@link #SCHEMA}, or
     * the same fields as a map (JSON with {@code schemas.enable=false}).
     *
     * @throws DataException when the value claims to be a DDL event but lacks a field
     */
    public static Optional<DdlEvent> of(Schema schema, Object value) {
        if (schema == null && value instanceof Map<?, ?> map && map.containsKey("commands")
                && map.containsKey("tag")) {
            return Optional.of(read(map::get));
        }
        if (schema == null || !SCHEMA_NAME.equals(schema.name()) || !(value instanceof Struct struct)) {
            return Optional.empty();
        }
        return Optional.of(read(struct::get));
    }

    private static DdlEvent read(Function<String, Object> fields) {
        try {
            Number lsn = (Number) fields.apply("lsn");
            Number commitLsn = (Number) fields.apply("commit_lsn");
            Number order = (Number) fields.apply("order");
            SourcePosition position = lsn == null ? null : new SourcePosition(
                    commitLsn == null ? -1 : commitLsn.longValue(), lsn.longValue(),
                    order == null ? 0 : order.longValue());
            Number sourceTimeMs = required(fields, "source_ts_ms");
            return new DdlEvent(required(fields, "tag"), required(fields, "query"), required(fields, "commands"),
                    position, sourceTimeMs.longValue());
        } catch (DataException | ClassCastException e) {
            throw new DataException("Malformed " + SCHEMA_NAME + " record: " + e.getMessage(), e);
        }
    }
}
