package io.pgsync.cli;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

import io.pgsync.common.catalog.SchemaReader;
import io.pgsync.common.pg.TableRef;

/** What the pgsync command reads from a database's catalog. */
final class Catalog {

    private static final String USER_TABLES_SQL = """
            SELECT n.nspname, c.relname
              FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind = 'r' AND c.relpersistence = 'p'
               AND\s""" + SchemaReader.USER_SCHEMA + " ORDER BY 1, 2";

    private Catalog() {
    }

    /** The logged ordinary tables outside the system schemas and pgsync's, in name order. */
    static List<TableRef> userTables(Connection connection) throws SQLException {
        List<TableRef> tables = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement(USER_TABLES_SQL); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                tables.add(new TableRef(rs.getString(1), rs.getString(2)));
            }
        }
        return tables;
    }

    static boolean exists(Connection connection, TableRef table) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT pg_catalog.to_regclass(?) IS NOT NULL")) {
            ps.setString(1, table.quoted());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    static long count(Connection connection, TableRef table) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT count(*) FROM " + table.quoted());
                ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
