package io.pgsync.bench;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * A table's content in two numbers: its row count and the sum of a hash of every row's text form. Equal fingerprints
 * on both sides mean equal tables (up to hash collisions), including every column's text form.
 */
record Fingerprint(long rows, long hash) {

    static Fingerprint of(Connection connection, TableSpec table) throws SQLException {
        try (Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery("SELECT count(*), coalesce(sum(hashtext(t::text)::bigint), 0)"
                        + " FROM " + table.qualifiedName() + " t")) {
            rs.next();
            return new Fingerprint(rs.getLong(1), rs.getLong(2));
        }
    }
}
