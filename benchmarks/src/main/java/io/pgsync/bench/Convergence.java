package io.pgsync.bench;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Waits until the destination has caught up with the source and says when it did. A cheap trigger, polled often
 * (the last key of every table, or the probe row), gives the time; an exact check (row counts, or fingerprints of
 * every table) confirms it. Every pipeline measured applies changes in source order per table, so when the trigger
 * has arrived everything before it has too; when the exact check disagrees anyway, the time is that of the later
 * exact check that agrees, and the result says so.
 */
final class Convergence {

    /** When the destination caught up, from {@link System#nanoTime()}, and how that was established. */
    record Converged(long nanos, String note) {
    }

    private static final long TRIGGER_POLL_MILLIS = 20;
    private static final long PROBE_POLL_MILLIS = 5;
    private static final long EXACT_RETRY_MILLIS = 1000;
    private static final long HEALTH_EVERY_NANOS = 1_000_000_000L;

    private final Connection source;
    private final Connection destination;
    private final List<TableSpec> tables;
    private final Supplier<Optional<String>> health;
    private final Duration timeout;

    /**
     * @param health the pipeline's failure, if it has failed; checked about once a second while waiting
     */
    Convergence(Connection source, Connection destination, List<TableSpec> tables, Supplier<Optional<String>> health,
            Duration timeout) {
        this.source = source;
        this.destination = destination;
        this.tables = tables;
        this.health = health;
        this.timeout = timeout;
    }

    /** W1: waits until the destination has every row of every table. */
    Converged awaitAllRows() throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long nextHealth = System.nanoTime() + HEALTH_EVERY_NANOS;
        List<PreparedStatement> lastKeys = new ArrayList<>();
        try {
            for (TableSpec table : tables) {
                PreparedStatement exists = destination.prepareStatement("SELECT EXISTS (SELECT 1 FROM "
                        + table.qualifiedName() + " WHERE " + table.keyColumn() + " = ?)");
                exists.setLong(1, table.lastKey());
                lastKeys.add(exists);
            }
            boolean early = false;
            while (true) {
                long now = System.nanoTime();
                if (allTrue(lastKeys)) {
                    String counts = countDifferences();
                    if (counts.isEmpty()) {
                        return new Converged(now, early ? "row counts matched only after the last keys arrived" : "");
                    }
                    early = true;
                    if (now > deadline) {
                        throw timedOut("the destination to have every row (" + counts + ")");
                    }
                    Thread.sleep(EXACT_RETRY_MILLIS);
                } else {
                    if (now > deadline) {
                        throw timedOut("the destination to have every row (" + countDifferences() + ")");
                    }
                    Thread.sleep(TRIGGER_POLL_MILLIS);
                }
                if (System.nanoTime() > nextHealth) {
                    checkHealth();
                    nextHealth = System.nanoTime() + HEALTH_EVERY_NANOS;
                }
            }
        } finally {
            for (PreparedStatement statement : lastKeys) {
                statement.close();
            }
        }
    }

    /** W2, W3: waits until the probe row shows {@code value}, then until every table equals the source. */
    Converged awaitEqualAfter(ProbeRow probe, long value) throws SQLException, InterruptedException {
        long arrived = awaitProbe(probe, value);
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean early = false;
        while (true) {
            long now = System.nanoTime();
            List<String> differences = differences();
            if (differences.isEmpty()) {
                return early ? new Converged(now, "tables matched only after the probe arrived")
                        : new Converged(arrived, "");
            }
            early = true;
            if (now > deadline) {
                throw timedOut("the destination to equal the source (" + String.join("; ", differences) + ")");
            }
            checkHealth();
            Thread.sleep(EXACT_RETRY_MILLIS);
        }
    }

    /** Waits until the probe row at the destination shows at least {@code value}; returns when it was seen. */
    long awaitProbe(ProbeRow probe, long value) throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long nextHealth = System.nanoTime() + HEALTH_EVERY_NANOS;
        while (true) {
            long now = System.nanoTime();
            long seen = probe.read();
            if (seen >= value) {
                return now;
            }
            if (now > deadline) {
                throw timedOut("probe value " + value + " at the destination (it shows " + seen + ")");
            }
            if (now > nextHealth) {
                checkHealth();
                nextHealth = System.nanoTime() + HEALTH_EVERY_NANOS;
            }
            Thread.sleep(PROBE_POLL_MILLIS);
        }
    }

    /** Tables whose fingerprints differ between source and destination, described; empty when all are equal. */
    List<String> differences() throws SQLException {
        List<String> differences = new ArrayList<>();
        for (TableSpec table : tables) {
            Fingerprint expected = Fingerprint.of(source, table);
            Fingerprint actual = Fingerprint.of(destination, table);
            if (!expected.equals(actual)) {
                differences.add(String.format(Locale.ROOT, "%s: source %d rows, destination %d rows%s",
                        table.name(), expected.rows(), actual.rows(),
                        expected.rows() == actual.rows() ? " with different content" : ""));
            }
        }
        return differences;
    }

    private String countDifferences() throws SQLException {
        List<String> differences = new ArrayList<>();
        for (TableSpec table : tables) {
            try (Statement statement = destination.createStatement();
                    ResultSet rs = statement.executeQuery("SELECT count(*) FROM " + table.qualifiedName())) {
                rs.next();
                long rows = rs.getLong(1);
                if (rows != table.rows()) {
                    differences.add(table.name() + " has " + rows + " of " + table.rows() + " rows");
                }
            }
        }
        return String.join(", ", differences);
    }

    private static boolean allTrue(List<PreparedStatement> queries) throws SQLException {
        for (PreparedStatement query : queries) {
            try (ResultSet rs = query.executeQuery()) {
                if (!rs.next() || !rs.getBoolean(1)) {
                    return false;
                }
            }
        }
        return true;
    }

    private void checkHealth() {
        Optional<String> failure = health.get();
        if (failure.isPresent()) {
            throw new IllegalStateException("The pipeline failed: " + failure.get());
        }
    }

    private IllegalStateException timedOut(String waitingFor) {
        return new IllegalStateException("Timed out after " + timeout.toMinutes() + " min waiting for " + waitingFor
                + "; raise --timeout-minutes if the system is just slow");
    }
}
