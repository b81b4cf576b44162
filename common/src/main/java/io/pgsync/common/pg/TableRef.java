package io.pgsync.common.pg;

import java.util.Objects;

/**
 * A schema-qualified PostgreSQL table name, as the catalog stores it (unquoted, case preserved).
 *
 * @param schema the schema name, never null
 * @param table the table name, never null
 */
public record TableRef(String schema, String table) {

    public TableRef {
        Objects.requireNonNull(schema, "schema");
        Objects.requireNonNull(table, "table");
    }

    /** Returns {@code "schema"."table"}, safe to put into SQL text. */
    public String quoted() {
        return Identifiers.quote(schema) + '.' + Identifiers.quote(table);
    }

    /** Returns {@code schema.table}, the notation of Debezium's include lists and of log messages. */
    @Override
    public String toString() {
        return schema + '.' + table;
    }
}
