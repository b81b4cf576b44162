package io.pgsync.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

import com.fasterxml.jackson.databind.JsonNode;

import io.debezium.config.Configuration;
import io.debezium.connector.postgresql.PostgresConnectorConfig;
import io.pgsync.common.pg.TableRef;
import io.pgsync.launch.PipelineConfigs;
import io.pgsync.source.PgSyncSourceConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code pgsync run}: syncs a source database into a destination. Without {@code --connect-url} it starts, in this
 * process, a single-node Kafka and a Kafka Connect worker with their data under {@code --data-dir}; with it, it uses
 * that Connect cluster. Either way it runs the precheck, deploys the source and sink connectors derived from the URLs,
 * and follows them: schema sync, each table's full sync (rows done of the total, rows/s, ETA), then the incremental
 * sync (lag, rows/s). Ctrl-C stops; running the same command again resumes without copying again.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Sync a source database into a destination (embedded Kafka + Connect unless --connect-url), "
                + "showing progress; Ctrl-C stops, running it again resumes.")
final class RunCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--source", required = true, description = "Source URL, postgresql://user:password@host:port/db")
    private String source;

    @Option(names = "--target", required = true, description = "Destination URL")
    private String target;

    @Option(names = "--tables", description = "Debezium table.include.list, e.g. 'public\\.orders,public\\.items' "
            + "(default: every table)")
    private String tables;

    @Option(names = "--data-dir", defaultValue = "pgsync-data", description = "Where the embedded Kafka keeps its "
            + "data (default: ${DEFAULT-VALUE})")
    private Path dataDir;

    @Option(names = "--rest-port", defaultValue = "8083", description = "Port of the embedded Connect REST API "
            + "(default: ${DEFAULT-VALUE}; 0 picks a free one)")
    private int restPort;

    @Option(names = "--connect-url", description = "Use this Kafka Connect cluster instead of an embedded one")
    private String connectUrl;

    private volatile boolean stopping;
    /** Set when the command ends on its own (a failure), so that exiting does not count as Ctrl-C. */
    private volatile boolean finished;
    private final CountDownLatch stopped = new CountDownLatch(1);

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PostgresUrl from;
        PostgresUrl to;
        try {
            from = PostgresUrl.parse(source, System.getenv());
            to = PostgresUrl.parse(target, System.getenv());
        } catch (IllegalArgumentException e) {
            spec.commandLine().getErr().println("pgsync run: " + e.getMessage());
            return 2;
        }
        out.println("Precheck");
        if (!Precheck.print(out, from, to, tables)) {
            return 1;
        }
        EmbeddedConnect embedded = null;
        Thread main = Thread.currentThread();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (finished) {
                return;
            }
            stopping = true;
            main.interrupt();
            try {
                stopped.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            // Ctrl-C is how this command is meant to end: exit 0 rather than the JVM's 130 for a signal
            Runtime.getRuntime().halt(0);
        }, "pgsync-stop"));
        try {
            String url = connectUrl;
            if (url == null) {
                out.println("Starting Kafka and Kafka Connect (data in " + dataDir.toAbsolutePath() + ")");
                out.flush();
                embedded = EmbeddedConnect.start(dataDir, restPort);
                url = embedded.connectUrl();
                out.println("Kafka Connect REST API: " + url + " (Kafka: " + embedded.bootstrapServers() + ")");
            }
            ConnectRest rest = new ConnectRest(url);
            Map<String, String> sourceConfig = deploy(out, rest, from, to, tables);
            return follow(out, rest, from, to, sourceConfig, () -> stopping, false) ? 0 : 1;
        } catch (InterruptedException e) {
            return 0;
        } finally {
            if (embedded != null) {
                out.println("Stopping Kafka Connect and Kafka...");
                out.flush();
                embedded.close();
            }
            if (stopping) {
                out.println("Stopped. Run the same command again to resume.");
                out.flush();
            } else {
                finished = true;
            }
            stopped.countDown();
        }
    }

    /**
     * Deploys the sink, then the source, with the configurations derived from the URLs (JSON without schemas, a
     * 1 s heartbeat so the lag shows on an idle source); returns the source's configuration.
     */
    static Map<String, String> deploy(PrintWriter out, ConnectRest rest, PostgresUrl from, PostgresUrl to,
            String tables) throws Exception {
        Map<String, String> sourceConfig = PipelineConfigs.withJson(Connectors.source(from, tables), false);
        sourceConfig.put("heartbeat.interval.ms", "1000");
        Map<String, String> sinkConfig = PipelineConfigs.withJson(Connectors.sink(to, from.database()), false);
        sinkConfig.put("consumer.override.max.poll.records", "5000");
        rest.put(Connectors.sinkName(from.database()), sinkConfig);
        rest.put(Connectors.sourceName(from.database()), sourceConfig);
        out.println("Deployed " + Connectors.sourceName(from.database()) + " and "
                + Connectors.sinkName(from.database()));
        out.flush();
        return sourceConfig;
    }

    /**
     * Shows progress until {@code stop} says so, or, with {@code untilStreaming}, until the incremental sync runs;
     * returns false when a connector fails.
     */
    static boolean follow(PrintWriter out, ConnectRest rest, PostgresUrl from, PostgresUrl to,
            Map<String, String> sourceConfig, BooleanSupplier stop, boolean untilStreaming) throws Exception {
        String source = Connectors.sourceName(from.database());
        String sink = Connectors.sinkName(from.database());
        Map<TableRef, Long> totals = totals(from, sourceConfig);
        Progress progress = new Progress(out, totals);
        try (Connection target = to.connect()) {
            while (!stop.getAsBoolean()) {
                String failed = failure(source, rest.status(source)) + failure(sink, rest.status(sink));
                if (!failed.isEmpty()) {
                    out.println(failed);
                    out.flush();
                    return false;
                }
                Progress.Status status = status(target, sink);
                progress.show(status, counts(target, totals));
                if (untilStreaming && status != null && "incremental".equals(status.phase())) {
                    return true;
                }
                Thread.sleep(1000);
            }
        }
        return true;
    }

    private static String failure(String connector, JsonNode status) {
        if (status == null) {
            return "";
        }
        boolean failed = "FAILED".equals(status.path("connector").path("state").asText());
        for (JsonNode task : status.path("tasks")) {
            failed |= "FAILED".equals(task.path("state").asText());
        }
        return failed ? connector + " FAILED: " + ConnectRest.describe(status) + "\n" : "";
    }

    /** The selected source tables and their row counts, the totals of the full sync. */
    private static Map<TableRef, Long> totals(PostgresUrl from, Map<String, String> sourceConfig) throws SQLException {
        Predicate<TableRef> selected = PgSyncSourceConfig.tableSelection(new PostgresConnectorConfig(
                Configuration.from(PgSyncSourceConfig.withDefaults(sourceConfig))));
        Map<TableRef, Long> totals = new LinkedHashMap<>();
        try (Connection connection = from.connect()) {
            for (TableRef table : Catalog.userTables(connection)) {
                if (selected.test(table)) {
                    totals.put(table, Catalog.count(connection, table));
                }
            }
        }
        return totals;
    }

    /** Rows now at the destination per table (0 for a table not created yet). */
    private static Map<TableRef, Long> counts(Connection target, Map<TableRef, Long> totals) throws SQLException {
        Map<TableRef, Long> counts = new LinkedHashMap<>();
        for (TableRef table : totals.keySet()) {
            counts.put(table, Catalog.exists(target, table) ? Catalog.count(target, table) : 0L);
        }
        return counts;
    }

    /** The sink's row of {@code pgsync.status}: phase, lag, rows applied, last error; null before its first commit. */
    private static Progress.Status status(Connection target, String sink) throws SQLException {
        if (!Catalog.exists(target, new TableRef("pgsync", "status"))) {
            return null;
        }
        try (PreparedStatement ps = target.prepareStatement("SELECT phase, lag_ms, rows_applied, last_error "
                + "FROM pgsync.status WHERE connector = ? ORDER BY task LIMIT 1")) {
            ps.setString(1, sink);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                long lag = rs.getLong(2);
                return new Progress.Status(rs.getString(1), rs.wasNull() ? -1 : lag, rs.getLong(3), rs.getString(4));
            }
        }
    }
}
