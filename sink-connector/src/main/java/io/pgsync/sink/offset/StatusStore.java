package io.pgsync.sink.offset;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;

/**
 * What a sink task reports about itself in the destination, for operators and {@code pgsync status}: table
 * {@code pgsync.status}, one row per connector and task with the phase of what it applied last ({@code schema},
 * {@code full} or {@code incremental}), the end-to-end lag of its last commit, the rows and source transactions it
 * has applied, and its last error. The counts are written with the data they count, in the same transaction.
 */
public final class StatusStore {

    private static final String CREATE = """
            CREATE SCHEMA IF NOT EXISTS pgsync;
            CREATE TABLE IF NOT EXISTS pgsync.status (
              connector text NOT NULL,
              task int NOT NULL,
              phase text,
              lag_ms bigint,
              rows_applied bigint NOT NULL DEFAULT 0,
              transactions_applied bigint NOT NULL DEFAULT 0,
              last_commit_at timestamptz,
              last_error text,
              last_error_at timestamptz,
              PRIMARY KEY (connector, task)
            )""";

    private static final String COMMITTED = """
            INSERT INTO pgsync.status AS s (connector, task, phase, lag_ms, rows_applied, transactions_applied,
                                            last_commit_at)
            VALUES (?, ?, ?, ?, ?, ?, now())
            ON CONFLICT (connector, task) DO UPDATE
               SET phase = EXCLUDED.phase, lag_ms = coalesce(EXCLUDED.lag_ms, s.lag_ms),
                   rows_applied = s.rows_applied + EXCLUDED.rows_applied,
                   transactions_applied = s.transactions_applied + EXCLUDED.transactions_applied,
                   last_commit_at = EXCLUDED.last_commit_at""";

    private static final String FAILED = """
            INSERT INTO pgsync.status AS s (connector, task, last_error, last_error_at)
            VALUES (?, ?, ?, now())
            ON CONFLICT (connector, task) DO UPDATE
               SET last_error = EXCLUDED.last_error, last_error_at = EXCLUDED.last_error_at""";

    private final String connector;
    private final int task;

    public StatusStore(String connector, int task) {
        this.connector = connector;
        this.task = task;
    }

    /** Creates the schema and table if missing; runs in the caller's transaction. */
    public void ensureTable(Connection connection) throws SQLException {
        try (var statement = connection.createStatement()) {
            statement.execute(CREATE);
        }
    }

    /**
     * Adds a commit's counts; runs in the caller's transaction, which holds the data.
     *
     * @param lagMs the end-to-end lag of the commit, or -1 when it carried no change with a source time
     */
    public void committed(Connection connection, String phase, long lagMs, long rows, long transactions)
            throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(COMMITTED)) {
            ps.setString(1, connector);
            ps.setInt(2, task);
            ps.setString(3, phase);
            if (lagMs < 0) {
                ps.setNull(4, Types.BIGINT);
            } else {
                ps.setLong(4, lagMs);
            }
            ps.setLong(5, rows);
            ps.setLong(6, transactions);
            ps.executeUpdate();
        }
    }

    /** Records the error in a transaction of its own (the caller's was rolled back). */
    public void failed(Connection connection, String error) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(FAILED)) {
            ps.setString(1, connector);
            ps.setInt(2, task);
            ps.setString(3, error);
            ps.executeUpdate();
        }
        connection.commit();
    }
}
