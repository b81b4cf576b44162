package io.pgsync.cli;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.pgsync.common.pg.Identifiers;

/**
 * Stops the listed roles from writing to the source database, reversibly, and lifts that fence again: the roles'
 * settings before the fence are kept, so lifting restores exactly them.
 *
 * <ul>
 * <li>{@link Mode#READ_ONLY}: {@code ALTER ROLE r IN DATABASE db SET default_transaction_read_only = on}, then the
 * roles' sessions in the database are ended, so that they reconnect read-only (a client can still turn read-only off
 * for its own session: a fence for applications, not against an attacker);</li>
 * <li>{@link Mode#NOLOGIN}: {@code ALTER ROLE r NOLOGIN} (for every database of the server), then the sessions are
 * ended.</li>
 * </ul>
 * Lifting ends the sessions once more, so that sessions opened while fenced come back with the old settings. Needs
 * {@code CREATEROLE} (or a superuser) and the right to signal the roles' backends ({@code pg_signal_backend}).
 */
final class WriteFence {

    /** How the roles are kept from writing. */
    enum Mode {
        READ_ONLY, NOLOGIN;

        static Mode parse(String text) {
            return switch (text.toLowerCase(Locale.ROOT)) {
                case "read-only" -> READ_ONLY;
                case "nologin" -> NOLOGIN;
                default -> throw new IllegalArgumentException("--fence-mode is read-only or nologin, not " + text);
            };
        }

        @Override
        public String toString() {
            return this == READ_ONLY ? "read-only" : "nologin";
        }
    }

    /** A role's state before the fence: its {@code default_transaction_read_only} in the database, or its LOGIN. */
    private record Before(String role, String readOnlySetting, boolean canLogin) {
    }

    private final PostgresUrl source;
    private final Mode mode;
    private final List<String> roles;
    private final List<Before> before = new ArrayList<>();
    private boolean fenced;
    private int sessionsEnded;

    WriteFence(PostgresUrl source, Mode mode, List<String> roles) {
        this.source = source;
        this.mode = mode;
        this.roles = List.copyOf(roles);
    }

    Mode mode() {
        return mode;
    }

    List<String> roles() {
        return roles;
    }

    /** Sessions of the fenced roles ended when fencing. */
    int sessionsEnded() {
        return sessionsEnded;
    }

    /**
     * Records each role's settings, fences it and ends its sessions in the database.
     *
     * @throws SQLException naming the role and the missing right; roles fenced before the failure stay fenced until
     *     {@link #lift()}
     */
    synchronized void apply() throws SQLException {
        try (Connection connection = source.connect()) {
            connection.setAutoCommit(true);
            for (String role : roles) {
                Before state = state(connection, role);
                before.add(state);
                fenced = true;
                execute(connection, role, mode == Mode.READ_ONLY
                        ? "ALTER ROLE " + Identifiers.quote(role) + " IN DATABASE " + Identifiers.quote(source.database())
                                + " SET default_transaction_read_only = on"
                        : "ALTER ROLE " + Identifiers.quote(role) + " NOLOGIN");
            }
            sessionsEnded = endSessions(connection);
            // a session that was logging in while the settings changed may have read the old ones: end it too
            Thread.sleep(100);
            sessionsEnded += endSessions(connection);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLException("Interrupted while fencing writes", e);
        }
    }

    /** Restores every fenced role's settings and ends the sessions opened under the fence; idempotent. */
    synchronized void lift() throws SQLException {
        if (!fenced) {
            return;
        }
        try (Connection connection = source.connect()) {
            connection.setAutoCommit(true);
            for (String sql : liftStatements()) {
                try (Statement statement = connection.createStatement()) {
                    statement.execute(sql);
                }
            }
            endSessions(connection);
        }
        fenced = false;
    }

    /** The SQL that lifts the fence by hand, for the report (and for an operator when this process dies). */
    synchronized List<String> liftStatements() {
        List<String> statements = new ArrayList<>();
        for (Before state : before) {
            String role = Identifiers.quote(state.role());
            if (mode == Mode.NOLOGIN) {
                if (state.canLogin()) {
                    statements.add("ALTER ROLE " + role + " LOGIN");
                }
            } else if (state.readOnlySetting() == null) {
                statements.add("ALTER ROLE " + role + " IN DATABASE " + Identifiers.quote(source.database())
                        + " RESET default_transaction_read_only");
            } else {
                statements.add("ALTER ROLE " + role + " IN DATABASE " + Identifiers.quote(source.database())
                        + " SET default_transaction_read_only = '" + state.readOnlySetting().replace("'", "''") + "'");
            }
        }
        return statements;
    }

    private Before state(Connection connection, String role) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("""
                SELECT r.rolcanlogin, s.setconfig
                  FROM pg_catalog.pg_roles r
                  LEFT JOIN pg_catalog.pg_db_role_setting s ON s.setrole = r.oid
                   AND s.setdatabase = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
                 WHERE r.rolname = ?""")) {
            ps.setString(1, role);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new SQLException("Cannot fence role " + role + ": no such role on " + source);
                }
                String setting = null;
                Array config = rs.getArray(2);
                if (config != null) {
                    for (Object entry : (Object[]) config.getArray()) {
                        String text = String.valueOf(entry);
                        if (text.startsWith("default_transaction_read_only=")) {
                            setting = text.substring(text.indexOf('=') + 1);
                        }
                    }
                }
                return new Before(role, setting, rs.getBoolean(1));
            }
        }
    }

    private void execute(Connection connection, String role, String sql) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute(sql);
        } catch (SQLException e) {
            throw new SQLException("Cannot fence role " + role + " (" + sql + "): " + e.getMessage() + "; the user "
                    + source.user() + " needs CREATEROLE, or connect as a superuser", e.getSQLState(), e);
        }
    }

    /** Ends the fenced roles' sessions in the database; returns how many. */
    private int endSessions(Connection connection) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("""
                SELECT count(*) FILTER (WHERE pg_catalog.pg_terminate_backend(pid))
                  FROM pg_catalog.pg_stat_activity
                 WHERE usename = ANY (?) AND datname = current_database() AND pid <> pg_catalog.pg_backend_pid()""")) {
            ps.setArray(1, connection.createArrayOf("text", roles.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        } catch (SQLException e) {
            throw new SQLException("Cannot end the sessions of " + roles + ": " + e.getMessage() + "; grant the user "
                    + source.user() + " pg_signal_backend, or connect as a superuser", e.getSQLState(), e);
        }
    }

    /** The fence as the report shows it, e.g. {@code read-only for [app, batch]}. */
    Map<String, Object> describe() {
        Map<String, Object> description = new LinkedHashMap<>();
        description.put("mode", mode.toString());
        description.put("roles", roles);
        description.put("sessionsEnded", sessionsEnded);
        description.put("liftSql", liftStatements());
        return description;
    }
}
