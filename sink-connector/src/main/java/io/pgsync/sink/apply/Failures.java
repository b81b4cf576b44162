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
        /** The data or the schema is wrong: retrying cannot help. */
        PERMANENT
    }

    private static final Set<String> CONNECTION_STATES = Set.of("57P01", "57P02", "57P03", "53100", "58030");
    private static final Set<String> TRANSIENT_STATES = Set.of("40001", "40P01", "55P03", "57014", "53300",
            "53200", "55006");

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
                return Kind.PERMANENT;
            }
        }
        return Kind.CONNECTION;
    }

    /** The most specific message of an error: the batch's next exception when there is one. */
    static String message(SQLException e) {
        SQLException next = e.getNextException();
        String text = next != null && next.getMessage() != null ? next.getMessage() : e.getMessage();
        return text + " (SQLState " + (e.getSQLState() == null ? "none" : e.getSQLState()) + ")";
    }
}
