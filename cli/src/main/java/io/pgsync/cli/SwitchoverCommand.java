package io.pgsync.cli;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Predicate;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import io.debezium.config.Configuration;
import io.debezium.connector.postgresql.PostgresConnectorConfig;
import io.pgsync.common.pg.QualifiedName;
import io.pgsync.common.pg.TableRef;
import io.pgsync.launch.PipelineConfigs;
import io.pgsync.source.PgSyncSourceConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code pgsync switchover}: makes the destination ready to take the source's place. In order: checks that the
 * pipeline is healthy ({@link PipelineHealth}); fences writes at the source for the listed roles ({@link WriteFence});
 * waits until the sink has applied the source's WAL up to the position read after the fence; moves every destination
 * sequence to at least the source's ({@link SequencePositions}); verifies every table ({@link TableVerifier}); reports
 * what it did and how long writes were fenced. On success the fence stays (the report says how to lift it); on any
 * failure, a timeout or Ctrl-C it is lifted again.
 */
@Command(name = "switchover", mixinStandardHelpOptions = true,
        description = "Make the destination ready to take over: check the pipeline, fence writes at the source "
                + "(--fence-roles), wait until the sink has applied the source's WAL, move the destination's "
                + "sequences past the source's, verify every table. Exit code 0 when ready, 1 when tables differ, "
                + "2 on error, 3 when the pipeline is not ready, 4 when the sink did not catch up in time.")
final class SwitchoverCommand implements Callable<Integer> {

    static final int READY = 0;
    static final int DIFFERENT = 1;
    static final int ERROR = 2;
    static final int NOT_READY = 3;
    static final int TIMED_OUT = 4;

    @Spec
    private CommandSpec spec;

    @Option(names = "--source", required = true, description = "Source URL, postgresql://user:password@host:port/db")
    private String source;

    @Option(names = "--target", required = true, description = "Destination URL")
    private String target;

    @Option(names = "--connect-url", description = "Kafka Connect REST API of the connectors, to check that they run "
            + "and read the source connector's configuration (slot, selection)")
    private String connectUrl;

    @Option(names = "--source-connector", description = "Name of the source connector (default: pgsync-<db>-source, "
            + "as pgsync run names it)")
    private String sourceConnector;

    @Option(names = "--sink-connector", description = "Name of the sink connector (default: pgsync-<db>-sink)")
    private String sinkConnector;

    @Option(names = "--tables", split = ",", description = "Tables to verify, schema.table; their schemas' sequences "
            + "are synced (default: the source connector's selection with --connect-url, else every table)")
    private List<String> tables;

    @Option(names = "--fence-roles", split = ",", description = "Roles whose writes to the source database are fenced "
            + "during the switchover (default: none)")
    private List<String> fenceRoles = new ArrayList<>();

    @Option(names = "--fence-mode", defaultValue = "read-only", description = "read-only (ALTER ROLE ... IN DATABASE "
            + "... SET default_transaction_read_only = on) or nologin (ALTER ROLE ... NOLOGIN, server-wide); "
            + "either way the roles' sessions are ended (default: ${DEFAULT-VALUE})")
    private String fenceMode;

    @Option(names = "--timeout-seconds", defaultValue = "120", description = "How long to wait for the sink to apply "
            + "the source's WAL (default: ${DEFAULT-VALUE})")
    private int timeoutSeconds;

    @Option(names = "--max-lag-seconds", defaultValue = "30", description = "Refuse to fence while the sink is "
            + "further behind than this (default: ${DEFAULT-VALUE})")
    private int maxLagSeconds;

    @Option(names = "--json", description = "Print the report as JSON (progress goes to stderr)")
    private boolean json;

    private final Map<String, Object> report = new LinkedHashMap<>();
    private volatile WriteFence fence;
    private volatile boolean done;

    @Override
    public Integer call() {
        PrintWriter progress = json ? spec.commandLine().getErr() : spec.commandLine().getOut();
        int exit;
        Thread abort = new Thread(() -> {
            if (!done) {
                liftFence(progress, "the switchover was stopped");
            }
        }, "pgsync-switchover-abort");
        Runtime.getRuntime().addShutdownHook(abort);
        try {
            exit = run(progress);
        } catch (Exception e) {
            progress.println("pgsync switchover: " + e.getMessage());
            report.put("error", e.getMessage());
            exit = ERROR;
        }
        if (exit != READY) {
            liftFence(progress, "the switchover did not complete");
        }
        done = true;
        Runtime.getRuntime().removeShutdownHook(abort);
        report.put("exitCode", exit);
        report.put("outcome", switch (exit) {
            case READY -> "ready: the destination can take writes";
            case DIFFERENT -> "tables differ";
            case NOT_READY -> "the pipeline is not ready";
            case TIMED_OUT -> "the sink did not catch up in time";
            default -> "error";
        });
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            try {
                out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report));
            } catch (Exception e) {
                progress.println("pgsync switchover: cannot write the report: " + e.getMessage());
            }
        }
        out.flush();
        progress.flush();
        return exit;
    }

    private int run(PrintWriter out) throws Exception {
        PostgresUrl from = PostgresUrl.parse(source, System.getenv());
        PostgresUrl to = PostgresUrl.parse(target, System.getenv());
        ConnectRest rest = connectUrl == null ? null : new ConnectRest(connectUrl);
        String sourceName = sourceConnector == null ? Connectors.sourceName(from.database()) : sourceConnector;
        String sinkName = sinkConnector == null ? Connectors.sinkName(from.database()) : sinkConnector;
        Map<String, String> sourceConfig = rest == null ? null : rest.config(sourceName);
        if (sourceConfig == null) {
            sourceConfig = Connectors.source(from, null);
            sourceConfig.put("name", sourceName);
        }
        Map<String, String> effective = PgSyncSourceConfig.withDefaults(sourceConfig);
        String topic = effective.getOrDefault(PgSyncSourceConfig.CHANGELOG_TOPIC,
                PipelineConfigs.changelog(effective.get("topic.prefix")));
        PipelineHealth.Pipeline pipeline = new PipelineHealth.Pipeline(sourceName, sinkName,
                effective.get("slot.name"), effective.get("publication.name"), topic);
        WriteFence.Mode mode = WriteFence.Mode.parse(fenceMode);
        try (Connection src = from.connect(); Connection dst = to.connect()) {
            List<TableRef> selected = selectedTables(src, rest == null ? null : effective);
            out.println("Switchover of " + from + " to " + to + " (" + sourceName + " -> " + sinkName + ")");
            out.println("Precheck");
            List<PipelineHealth.Item> items = PipelineHealth.check(pipeline, src, dst, rest,
                    maxLagSeconds * 1000L, fenceRoles);
            List<Map<String, Object>> checked = new ArrayList<>();
            for (PipelineHealth.Item item : items) {
                out.printf("  %s  %s: %s%n", item.passed() ? "PASS" : "FAIL", item.what(), item.detail());
                checked.add(Map.of("passed", item.passed(), "what", item.what(), "detail", item.detail()));
            }
            report.put("precheck", checked);
            out.flush();
            if (items.stream().anyMatch(i -> !i.passed())) {
                out.println("Not ready: fix the FAIL items above; nothing was changed.");
                return NOT_READY;
            }
            long start = System.nanoTime();
            if (!fenceRoles.isEmpty()) {
                fence = new WriteFence(from, mode, fenceRoles);
                out.println("Fencing writes (" + mode + ") for " + String.join(", ", fenceRoles));
                out.flush();
                fence.apply();
                report.put("fence", fence.describe());
                out.println("  fenced; " + fence.sessionsEnded() + " session(s) ended. Should this command die, lift "
                        + "the fence by hand: " + String.join("; ", fence.liftStatements()));
                out.flush();
            }
            long targetLsn = currentLsn(src);
            report.put("targetLsn", lsnText(targetLsn));
            boolean beat = beat(src);
            out.println("Waiting for " + sinkName + " to apply the source's WAL up to " + lsnText(targetLsn)
                    + (beat ? " (heartbeat sent)" : ""));
            out.flush();
            if (!awaitApplied(out, dst, sinkName, topic, targetLsn)) {
                out.println("Timed out after " + timeoutSeconds + " s: the sink has not applied the source's WAL up "
                        + "to " + lsnText(targetLsn) + "; is it running (pgsync status)?");
                return TIMED_OUT;
            }
            long caughtUp = millisSince(start);
            report.put("caughtUpMs", caughtUp);
            out.println("  caught up in " + caughtUp + " ms");
            List<SequencePositions.Outcome> sequences = SequencePositions.sync(src, dst, selected);
            long sequenced = millisSince(start);
            report.put("sequences", sequences.stream().map(s -> Map.of("source", s.source().toString(),
                    "destination", String.valueOf(s.destination()), "lastValue", s.sourceLast(),
                    "called", s.sourceCalled(), "action", s.action())).toList());
            long moved = sequences.stream().filter(s -> s.action().equals(SequencePositions.Outcome.MOVED)).count();
            out.println("Sequences: " + sequences.size() + " at the source, " + moved + " moved forward at the "
                    + "destination, the others already at or past the source's position");
            sequences.stream().filter(s -> s.action().equals(SequencePositions.Outcome.MISSING))
                    .forEach(s -> out.println("  WARN " + s.source() + " is missing at the destination"));
            report.put("readyAfterMs", sequenced);
            out.println("The destination is ready to take writes " + sequenced + " ms after "
                    + (fence == null ? "the start" : "the fence"));
            out.println("Verifying " + selected.size() + " table(s)");
            out.flush();
            List<TableVerifier.Result> results = new ArrayList<>();
            TableVerifier verifier = new TableVerifier(src, dst, 10_000, 20, 10_000);
            for (TableRef table : selected) {
                TableVerifier.Result result = verifier.verify(table);
                results.add(result);
                out.printf("  %-40s %10d rows  %s%n", table, result.sourceRows(), result.equal() ? "equal"
                        : "DIFFERENT " + (result.problem() != null ? result.problem()
                                : result.schemaDifferences() + " " + result.differingKeys()));
            }
            long finished = millisSince(start);
            report.put("verified", results.stream().map(r -> Map.of("table", r.table().toString(), "equal", r.equal(),
                    "rows", r.sourceRows())).toList());
            report.put("totalMs", finished);
            if (results.stream().anyMatch(r -> !r.equal())) {
                out.println("Tables differ: the destination is not ready; writes are let through again.");
                return DIFFERENT;
            }
            report.put("fencedMs", fence == null ? 0 : finished);
            out.println(fence == null ? "Switched over in " + finished + " ms; no writes were fenced, so the source "
                    + "may have moved on since the sequence sync."
                    : "Switched over: writes fenced for " + finished + " ms so far (" + sequenced + " ms until the "
                            + "destination was ready, then the verify). The fence stays; lift it with: "
                            + String.join("; ", fence.liftStatements()));
            out.println("Next: point the applications at the destination, then delete " + sinkName + " and "
                    + sourceName + ", and run pgsync cleanup for the source.");
            return READY;
        }
    }

    /** The tables to verify: --tables, else the connector's selection (with its config), else every table. */
    private List<TableRef> selectedTables(Connection src, Map<String, String> connectorConfig) throws SQLException {
        if (tables != null && !tables.isEmpty()) {
            List<TableRef> named = new ArrayList<>();
            for (String name : tables) {
                List<String> parts = QualifiedName.split(name.trim());
                if (parts.size() != 2) {
                    throw new IllegalArgumentException("--tables takes schema.table names, e.g. public.orders; got "
                            + name);
                }
                named.add(new TableRef(parts.get(0), parts.get(1)));
            }
            return named;
        }
        List<TableRef> all = Catalog.userTables(src);
        if (connectorConfig == null) {
            return all;
        }
        Predicate<TableRef> selection = PgSyncSourceConfig.tableSelection(new PostgresConnectorConfig(
                Configuration.from(connectorConfig)));
        return all.stream().filter(selection).toList();
    }

    /** Lifts the fence if one is up, saying why; a failure to lift is reported with the SQL to run by hand. */
    private void liftFence(PrintWriter out, String why) {
        WriteFence up = fence;
        if (up == null) {
            return;
        }
        try {
            up.lift();
            out.println("Fence lifted (" + why + "): the source takes writes again");
            report.put("fenceLifted", true);
        } catch (SQLException e) {
            out.println("Cannot lift the fence (" + e.getMessage() + "); run on the source: "
                    + String.join("; ", up.liftStatements()));
            report.put("fenceLifted", false);
        }
        out.flush();
    }

    /** Waits until the sink's applied source position reaches {@code lsn}, printing progress each second. */
    private boolean awaitApplied(PrintWriter out, Connection dst, String sink, String topic, long lsn)
            throws SQLException, InterruptedException {
        long begin = System.nanoTime();
        long deadline = begin + timeoutSeconds * 1_000_000_000L;
        long lastPrinted = begin;
        while (true) {
            long applied = appliedLsn(dst, sink, topic);
            if (applied >= lsn) {
                return true;
            }
            long now = System.nanoTime();
            if (now > deadline) {
                return false;
            }
            if (now - lastPrinted >= 1_000_000_000L) {
                out.println("  applied " + lsnText(applied) + ", " + (lsn - applied) + " bytes of WAL to go, "
                        + (now - begin) / 1_000_000 + " ms");
                out.flush();
                lastPrinted = now;
            }
            Thread.sleep(50);
        }
    }

    private static long appliedLsn(Connection dst, String sink, String topic) throws SQLException {
        try (PreparedStatement ps = dst.prepareStatement("SELECT coalesce(max(greatest(source_commit_lsn, "
                + "source_lsn)), -1) FROM pgsync.applied_offsets WHERE connector = ? AND topic = ?")) {
            ps.setString(1, sink);
            ps.setString(2, topic);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private static long currentLsn(Connection src) throws SQLException {
        try (PreparedStatement ps = src.prepareStatement("SELECT (pg_catalog.pg_current_wal_lsn() - '0/0'::pg_lsn)"
                + "::bigint"); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /**
     * Writes a heartbeat, a change after the target position that the sink applies even when the tables stay idle;
     * false when this user may not (Debezium's own heartbeat then does it within {@code heartbeat.interval.ms}).
     */
    private static boolean beat(Connection src) {
        try (PreparedStatement ps = src.prepareStatement("UPDATE pgsync.heartbeat SET ts = now() WHERE id = 1")) {
            return ps.executeUpdate() == 1;
        } catch (SQLException e) {
            return false;
        }
    }

    /** A WAL position in PostgreSQL's notation, e.g. {@code 0/1A2B3C4}. */
    static String lsnText(long lsn) {
        return lsn < 0 ? "none" : Long.toHexString(lsn >>> 32).toUpperCase(java.util.Locale.ROOT) + "/"
                + Long.toHexString(lsn & 0xFFFFFFFFL).toUpperCase(java.util.Locale.ROOT);
    }

    private static long millisSince(long nanos) {
        return (System.nanoTime() - nanos) / 1_000_000;
    }
}
