package io.pgsync.sink.apply;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Properties;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.pgsync.common.pg.SessionSettings;
import io.pgsync.sink.PgSyncSinkConfig;
import io.pgsync.sink.offset.OffsetStore;
import io.pgsync.sink.offset.StatusStore;

/**
 * The one place where the sink opens its destination connections: it logs in, makes the session write as a replica,
 * turns autocommit off and creates pgsync's own tables. Everything a destination session needs before its first
 * statement belongs in {@link #open()}. It keeps the one connection the writes go through, and opens short-lived ones
 * for claims, which must commit on their own ({@link #claim}).
 */
final class DestinationSession implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DestinationSession.class);
    private static final String CLAIM_LOCK_TIMEOUT = "10s";

    private final String url;
    private final Properties properties;
    private final SessionSettings settings;
    private final OffsetStore offsets;
    private final StatusStore status;
    private Connection connection;
    private StatementCache statements;

    DestinationSession(PgSyncSinkConfig config, OffsetStore offsets, StatusStore status) {
        this.url = config.connectionUrl();
        this.properties = config.connectionProperties();
        this.settings = config.sessionSettings();
        this.offsets = offsets;
        this.status = status;
    }

    /** Returns the session's connection, opening it first when there is none; the caller owns its transaction. */
    Connection connection() throws SQLException {
        if (connection == null) {
            Connection conn = open();
            statements = new StatementCache(conn);
            connection = conn;
        }
        return connection;
    }

    /**
     * Runs work in a transaction of its own on a connection of its own, committed durably
     * ({@code synchronous_commit = on}) before it returns, and waiting at most {@value #CLAIM_LOCK_TIMEOUT} for a
     * lock: a claim must not touch the open transaction of the writes, and must not wait for ever for a task that was
     * cut off in the middle of its commit.
     */
    <T> T claim(Work<T> work) throws SQLException {
        try (Connection conn = open()) {
            try (var statement = conn.createStatement()) {
                statement.execute("SET LOCAL synchronous_commit = on");
                statement.execute("SET LOCAL lock_timeout = '" + CLAIM_LOCK_TIMEOUT + "'");
            }
            T result = work.run(conn);
            conn.commit();
            return result;
        }
    }

    /** Work on a connection. */
    @FunctionalInterface
    interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    private Connection open() throws SQLException {
        Connection conn = settings.open(url, properties);
        try {
            setReplicaRole(conn);
            conn.setAutoCommit(false);
            offsets.ensureTable(conn);
            status.ensureTable(conn);
            conn.commit();
        } catch (SQLException e) {
            conn.close();
            throw e;
        }
        return conn;
    }

    /** Whether a connection is open. */
    boolean isOpen() {
        return connection != null;
    }

    /** The prepared statements of the open connection. */
    StatementCache statements() {
        return statements;
    }

    /** Rolls back the open transaction; a connection that cannot even do that is closed. */
    void rollback() {
        if (connection != null) {
            try {
                connection.rollback();
            } catch (SQLException e) {
                discard();
            }
        }
    }

    /** Closes the connection, if any; the next {@link #connection()} opens a new one. */
    void discard() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException e) {
                log.debug("Closing the destination connection failed: {}", e.getMessage());
            }
            connection = null;
            statements = null;
        }
    }

    /**
     * Runs writes as a replica, as PostgreSQL's own logical replication does: destination triggers and foreign keys
     * do not fire for rows the source already checked. Needs superuser or {@code GRANT SET ON PARAMETER
     * session_replication_role}; without it the sink still works, but triggers fire and foreign keys are checked.
     */
    private static void setReplicaRole(Connection conn) {
        try (var statement = conn.createStatement()) {
            statement.execute("SET session_replication_role = replica");
        } catch (SQLException e) {
            log.warn("Cannot SET session_replication_role = replica ({}): destination triggers will fire and "
                    + "foreign keys will be checked for every applied row, so rows may be rejected or changed by "
                    + "the destination. Grant it with: GRANT SET ON PARAMETER session_replication_role TO <sink "
                    + "user> (PostgreSQL 15+), or connect as a superuser.", e.getMessage());
        }
    }

    @Override
    public void close() {
        if (connection != null) {
            try {
                connection.rollback();
            } catch (SQLException e) {
                log.debug("Rollback on close failed: {}", e.getMessage());
            }
        }
        discard();
    }
}
