package io.pgsync.sink.sql;

import java.util.List;

/**
 * SQL text with its ordered parameter slots.
 *
 * @param sql the statement text, every identifier quoted, every value a {@code ?} placeholder
 * @param parameters the column bound to each placeholder, in placeholder order
 */
public record Statement(String sql, List<String> parameters) {

    public Statement {
        parameters = List.copyOf(parameters);
    }

    @Override
    public String toString() {
        return sql;
    }
}
