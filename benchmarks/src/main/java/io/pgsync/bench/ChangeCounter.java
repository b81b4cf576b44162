package io.pgsync.bench;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Counts the row changes a table has had, from the source's statistics (inserted + updated + deleted tuples), so that
 * a statement that changed no row does not count. Backends report their counts when they exit, a moment after the
 * client left, so {@link #settled} waits for the number to stop moving.
 */
final class ChangeCounter {

    private static final long SETTLE_MILLIS = 250;
    private static final int MAX_ROUNDS = 40;

    private final Connection source;
    private final TableSpec table;

    ChangeCounter(Connection source, TableSpec table) {
        this.source = source;
        this.table = table;
    }

    /** The count once two reads {@value #SETTLE_MILLIS} ms apart agree (at most about 10 s). */
    long settled() throws SQLException, InterruptedException {
        long previous = read();
        for (int round = 0; round < MAX_ROUNDS; round++) {
            Thread.sleep(SETTLE_MILLIS);
            long current = read();
            if (current == previous) {
                return current;
            }
            previous = current;
        }
        return previous;
    }

    /** Reads in a transaction of its own (the connection is in auto-commit), so the statistics are current. */
    private long read() throws SQLException {
        try (Statement statement = source.createStatement();
                ResultSet rs = statement.executeQuery("SELECT n_tup_ins + n_tup_upd + n_tup_del"
                        + " FROM pg_stat_user_tables WHERE relid = '" + table.qualifiedName() + "'::regclass")) {
            return rs.next() ? rs.getLong(1) : 0;
        }
    }
}
