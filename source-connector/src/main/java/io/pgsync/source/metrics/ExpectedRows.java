package io.pgsync.source.metrics;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.pgsync.common.pg.TableRef;

/**
 * How many rows the full sync expects per table, for its progress metrics: the catalog's estimate
 * ({@code pg_class.reltuples}), or a count for a table never vacuumed or analyzed, which has none.
 */
public final class ExpectedRows {

    private static final Logger log = LoggerFactory.getLogger(ExpectedRows.class);

    private ExpectedRows() {
    }

    /** The expected rows of each table; a table that cannot be read expects 0 (logged), the sync goes on. */
    public static Map<TableRef, Long> read(Connection connection, List<TableRef> tables) {
        Map<TableRef, Long> expected = new LinkedHashMap<>();
        for (TableRef table : tables) {
            try {
                long estimate = estimate(connection, table);
                expected.put(table, estimate >= 0 ? estimate : count(connection, table));
            } catch (SQLException e) {
                log.warn("Cannot estimate the rows of {} for the full sync's progress metrics: {}", table,
                        e.getMessage());
                expected.put(table, 0L);
            }
        }
        return expected;
    }

    private static long estimate(Connection connection, TableRef table) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT reltuples::bigint FROM pg_catalog.pg_class "
                + "WHERE oid = pg_catalog.to_regclass(?)")) {
            ps.setString(1, table.quoted());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : 0;
            }
        }
    }

    private static long count(Connection connection, TableRef table) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT count(*) FROM " + table.quoted());
                ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
