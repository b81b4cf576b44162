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
 * One object of the schema sync: the DDL that creates it at the destination, generated from the source catalog in
 * the full sync's snapshot. Objects travel in dependency order, those the rows need (schemas, types, functions,
 * sequences, tables, views) before the rows and the rest (indexes, foreign keys, triggers, rules, sequence positions,
 * comments) after them. Every statement can be applied again: it creates nothing twice, or fails only with an
 * "already exists" error that the sink treats as done.
 *
 * <p>Example: kind {@code table}, identity {@code public.film}, phase {@code pre}, statements
 * {@code [CREATE TABLE IF NOT EXISTS public.film (film_id integer NOT NULL, ...)]}, table {@code public.film},
 * columns {@code [film_id, ...]}, types {@code [integer not null, ...]}.
 *
 * @param kind what the object is: {@code schema}, {@code table}, {@code index}, ... (for messages)
 * @param identity the object's qualified name, as PostgreSQL identifies it
 * @param phase {@link #PRE_DATA} or {@link #POST_DATA}
 * @param statements the DDL, run in order
 * @param table for a table: its name; else null
 * @param columns for a table: its columns in order; else empty
 * @param types for a table: per column its type, listed as {@link TypedColumns} says; else empty
 */
public record SchemaObject(String kind, String identity, String phase, List<String> statements, TableRef table,
        List<String> columns, List<String> types) implements ChangelogEvent {

    public static final String SCHEMA_NAME = "io.pgsync.changelog.SchemaObject";
    public static final String PRE_DATA = "pre";
    public static final String POST_DATA = "post";

    private static final Schema TEXTS = SchemaBuilder.array(Schema.STRING_SCHEMA).build();

    /** The value schema of every schema-object record. */
    public static final Schema SCHEMA = SchemaBuilder.struct().name(SCHEMA_NAME).version(1)
            .field("kind", Schema.STRING_SCHEMA)
            .field("identity", Schema.STRING_SCHEMA)
            .field("phase", Schema.STRING_SCHEMA)
            .field("statements", TEXTS)
            .field("schema", Schema.OPTIONAL_STRING_SCHEMA)
            .field("table", Schema.OPTIONAL_STRING_SCHEMA)
            .field("columns", TEXTS)
            .field("types", TEXTS)
            .build();

    public SchemaObject {
        statements = List.copyOf(statements);
        columns = List.copyOf(columns);
        types = List.copyOf(types);
    }

    /** An object that is not a table. */
    public static SchemaObject of(String kind, String identity, String phase, List<String> statements) {
        return new SchemaObject(kind, identity, phase, statements, null, List.of(), List.of());
    }

    public Struct toStruct() {
        return new Struct(SCHEMA)
                .put("kind", kind)
                .put("identity", identity)
                .put("phase", phase)
                .put("statements", statements)
                .put("schema", table == null ? null : table.schema())
                .put("table", table == null ? null : table.table())
                .put("columns", columns)
                .put("types", types);
    }

    /**
     * Returns the object a record value carries, or empty when the value is not one: a struct of {@link #SCHEMA}, or
     * the same fields as a map (JSON with {@code schemas.enable=false}).
     *
     * @throws DataException when the value claims to be a schema object but lacks a field or has one of the wrong
     *     type
     */
    public static Optional<SchemaObject> of(Schema schema, Object value) {
        if (schema == null && value instanceof Map<?, ?> map && map.containsKey("statements")
                && map.containsKey("phase")) {
            return Optional.of(read(map::get));
        }
        if (schema == null || !SCHEMA_NAME.equals(schema.name()) || !(value instanceof Struct struct)) {
            return Optional.empty();
        }
        return Optional.of(read(struct::get));
    }

    private static SchemaObject read(Function<String, Object> fields) {
        try {
            String tableName = (String) fields.apply("table");
            TableRef table = tableName == null ? null : new TableRef(required(fields, "schema"), tableName);
            return new SchemaObject(required(fields, "kind"), required(fields, "identity"), required(fields, "phase"),
                    required(fields, "statements"), table, required(fields, "columns"), required(fields, "types"));
        } catch (DataException | ClassCastException e) {
            throw new DataException("Malformed " + SCHEMA_NAME + " record: " + e.getMessage(), e);
        }
    }
}
