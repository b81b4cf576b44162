package io.pgsync.sink.apply;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.util.HashMap;
import java.util.Map;

import io.pgsync.sink.sql.Statement;

/** Prepared statements of one destination connection, by SQL text, so each is parsed and planned once. */
final class StatementCache {

    private final Connection connection;
    private final Map<String, PreparedStatement> statements = new HashMap<>();

    StatementCache(Connection connection) {
        this.connection = connection;
    }

    Connection connection() {
        return connection;
    }

    PreparedStatement get(Statement statement) throws SQLException {
        PreparedStatement ps = statements.get(statement.sql());
        if (ps == null) {
            ps = connection.prepareStatement(statement.sql());
            statements.put(statement.sql(), ps);
        }
        return ps;
    }

    /** Binds a text value as an untyped parameter, so the statement's cast decides the type. */
    static void bindText(PreparedStatement ps, int index, String text) throws SQLException {
        if (text == null) {
            ps.setNull(index, Types.OTHER);
        } else {
            ps.setObject(index, text, Types.OTHER);
        }
    }
}
