package io.pgsync.sink.apply;

import java.sql.SQLException;
import java.util.Set;

/** Decides, by SQLState, whether a destination error is worth retrying, and of which kind. */
final class Failures {

    /** How a destination error is handled. */
    enum Kind {
        /** The destination is unreachable or restarting: retry for retry.connection.timeout.ms. */
        CONNECTION,
        /** A transient conflict or overload: retry for retry.other.timeout.ms. */
        TRANSIENT,
        /**
         * The destination refuses every write of a table, not one record: a privilege revoked, a table or column
         * dropped or a column retyped there, a read-only server, a rejected login. Fails the task, and never sends records to the
         * dead-letter queue, which would lose them; once fixed, a task restart resumes from the applied offsets.
         */
        DESTINATION,
        /** The data or the schema is wrong: retrying cannot help. */
        PERMANENT
    }

    private static final Set<String> CONNECTION_STATES = Set.of("57P01", "57P02", "57P03", "53100", "58030");
    private static final Set<String> TRANSIENT_STATES = Set.of("40001", "40P01", "55P03", "57014", "53300",
            "53200", "55006");
    private static final Set<String> DESTINATION_STATES = Set.of("42501", "42703", "42P01", "42804", "25006");

    private Failures() {
    }

    static Kind classify(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && sql.getSQLState() != null) {
                String state = sql.getSQLState();
                if (state.startsWith("08") || CONNECTION_STATES.contains(state)) {
                    return Kind.CONNECTION;
                }
                if (TRANSIENT_STATES.contains(state)) {
                    return Kind.TRANSIENT;
                }
                if (state.startsWith("28") || DESTINATION_STATES.contains(state)) {
                    return Kind.DESTINATION;
                }
                return Kind.PERMANENT;
            }
        }
        return Kind.CONNECTION;
    }

    /** The most specific message of an error: the batch's next exception when there is one. */
    static String message(SQLException e) {
        return text(e) + " (SQLState " + (e.getSQLState() == null ? "none" : e.getSQLState()) + ")";
    }

    private static String text(SQLException e) {
        SQLException next = e.getNextException();
        return next != null && next.getMessage() != null ? next.getMessage() : e.getMessage();
    }

    /**
     * Returns the error with the tables being written and, for errors the user must fix at the destination, the fix
     * in its message; same SQLState, the original as its cause.
     *
     * @param tables the destination tables the failed write touched, e.g. {@code public.orders}
     * @param fix what to do about it, or null when the SQLState calls for nothing but waiting
     */
    static SQLException writing(SQLException e, String tables, String fix) {
        return new SQLException("Writing " + tables + ": " + text(e) + (fix == null ? "" : "; " + fix),
                e.getSQLState(), e);
    }

    /**
     * What the user can do about an error that is not the record's fault, by SQLState; null when there is nothing
     * to say beyond the error itself.
     *
     * @param tables the destination tables, quoted for SQL, e.g. {@code "public"."orders"}
     * @param user the sink's role, quoted for SQL
     */
    static String fix(String state, String tables, String user) {
        if (state == null) {
            return null;
        }
        if (state.startsWith("28")) {
            return "the destination refused the login of " + user + ": fix connection.user or connection.password "
                    + "(or the destination's pg_hba.conf), then restart the task; it resumes from the offsets "
                    + "applied in the destination";
        }
        return switch (state) {
            case "42501" -> "the sink's role lacks a privilege there: run GRANT SELECT, INSERT, UPDATE, DELETE, "
                    + "TRUNCATE ON " + tables + " TO " + user + " (and GRANT USAGE, CREATE on its schema), then "
                    + "restart the task; it resumes from the offsets applied in the destination, nothing is skipped";
            case "42P01" -> "the table was dropped at the destination: restart the task to create it again (with "
                    + "apply.table.create.enabled=true) and re-snapshot it from the source to refill it";
            case "25006" -> "the destination is read-only (a standby, or default_transaction_read_only=on): point "
                    + "connection.url at a writable primary, then restart the task";
            case "53100" -> "the destination is out of disk space: free space or enlarge the volume (of the "
                    + "tables' tablespace); the sink retries until retry.connection.timeout.ms and resumes where it "
                    + "stopped";
            default -> null;
        };
    }
}
