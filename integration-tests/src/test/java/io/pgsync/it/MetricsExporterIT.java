package io.pgsync.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.pgsync.testkit.Loopback;
import io.pgsync.testkit.connect.ConnectWorkerProcess;

/**
 * What an operator's Prometheus sees: a real Connect worker runs with the Prometheus JMX exporter's Java agent and
 * the repository's {@code config-examples/monitoring/jmx-exporter.yml}, syncs a database (throttled full sync, DDL
 * while streaming), and its {@code /metrics} page holds every metric that
 * {@code config-examples/monitoring/grafana-dashboard.json} uses, with values that match what happened.
 */
class MetricsExporterIT extends PipelineIT {

    private static final Path MONITORING = Path.of(System.getProperty("pgsync.root"), "config-examples", "monitoring");
    private static final Pattern METRIC = Pattern.compile("(?<![A-Za-z0-9_])((?:pgsync|kafka_connect|debezium)_[a-z0-9_]+)");
    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    private static final int ROWS = 20_000;

    private static ConnectWorkerProcess worker;
    private static int exporterPort;

    @BeforeAll
    static void startWorkerWithTheExporter() {
        exporterPort = Loopback.freePort();
        String agent = System.getProperty("pgsync.jmx.agent");
        worker = ConnectWorkerProcess.start("metrics", connect.bootstrapServers(), Pipeline.pluginPath(), "512m",
                Map.of(), List.of("-javaagent:" + agent + "=" + Loopback.HOST + ":" + exporterPort + ":"
                        + MONITORING.resolve("jmx-exporter.yml")));
    }

    @AfterAll
    static void stopWorker() {
        if (worker != null) {
            worker.close();
        }
    }

    @Test
    void theWorkerExportsEveryMetricTheDashboardUses() throws Exception {
        String db = "watched";
        createDatabases(db);
        source.execute(db, "CREATE TABLE items (id int PRIMARY KEY, note text)",
                "INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, " + ROWS + ") g", "ANALYZE items");
        Map<String, String> sourceConfig = Pipeline.withJson(Pipeline.source(source.cluster(), db, db, "public.items",
                1));
        sourceConfig.put("heartbeat.interval.ms", "500");
        sourceConfig.put("throttle.full.rows.per.second", "10000");
        Map<String, String> sinkConfig = Pipeline.withJson(Pipeline.sink(target.cluster(), db, db + ".changelog", 1));
        sinkConfig.put("errors.tolerance", "all");
        sinkConfig.put("errors.deadletterqueue.topic.name", db + ".dead-letters");
        sinkConfig.put("errors.deadletterqueue.topic.replication.factor", "1");
        worker.deploy(db + "-sink", sinkConfig);
        worker.deploy(db + "-source", sourceConfig);
        worker.awaitRunning(TIMEOUT, db + "-source", db + "-sink");
        Tables.awaitEqual(source.cluster(), target.cluster(), db, "items", TIMEOUT, () -> worker.statusJson(db + "-sink"));
        source.execute(db, "ALTER TABLE items ADD COLUMN price numeric",
                "UPDATE items SET price = id / 10.0 WHERE id <= 1000", "INSERT INTO items VALUES (" + (ROWS + 1)
                        + ", 'late', 1)");
        Tables.awaitEqual(source.cluster(), target.cluster(), db, "items", TIMEOUT, () -> worker.statusJson(db + "-sink"));

        Set<String> used = dashboardMetrics();
        assertThat(used).as("metrics the dashboard uses").hasSizeGreaterThan(20);
        await().atMost(TIMEOUT).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
            List<String> samples = scrape();
            Set<String> exported = new TreeSet<>();
            samples.forEach(sample -> exported.add(sample.split("[{ ]", 2)[0]));
            assertThat(exported).as("exported by the worker").containsAll(used);
            assertThat(value(samples, "pgsync_source_phase", "connector=\"watched-source\"")).isEqualTo(3);
            assertThat(value(samples, "pgsync_sink_phase", "connector=\"watched-sink\"")).isEqualTo(3);
            assertThat(value(samples, "pgsync_source_full_sync_rows_copied", "table=\"public.items\"")).isEqualTo(ROWS);
            assertThat(value(samples, "pgsync_source_full_sync_rows_expected", "table=\"public.items\""))
                    .isEqualTo(ROWS);
            assertThat(value(samples, "pgsync_source_full_sync_tables_done", "connector=\"watched-source\""))
                    .isEqualTo(1);
            assertThat(value(samples, "pgsync_source_throttle_wait_ms_total", "connector=\"watched-source\""))
                    .as("10,000 rows/s for 20,000 rows").isGreaterThan(1000);
            assertThat(value(samples, "pgsync_source_changes_sent_total", "connector=\"watched-source\""))
                    .isGreaterThanOrEqualTo(1001);
            assertThat(value(samples, "pgsync_source_ddl_captured_total", "connector=\"watched-source\""))
                    .isGreaterThanOrEqualTo(1);
            assertThat(value(samples, "pgsync_sink_ddl_applied_total", "connector=\"watched-sink\""))
                    .isGreaterThanOrEqualTo(1);
            assertThat(value(samples, "pgsync_sink_rows_applied_total", "connector=\"watched-sink\""))
                    .isGreaterThanOrEqualTo(ROWS + 1001);
            assertThat(value(samples, "kafka_connect_connector_tasks", "connector=\"watched-sink\",state=\"running\""))
                    .isEqualTo(1);
        });
        worker.delete(db + "-source");
        worker.delete(db + "-sink");
    }

    /** The metric names in the dashboard's queries and template variables. */
    private static Set<String> dashboardMetrics() throws IOException {
        JsonNode dashboard = new ObjectMapper().readTree(MONITORING.resolve("grafana-dashboard.json").toFile());
        List<String> queries = new ArrayList<>(dashboard.findValuesAsText("expr"));
        queries.addAll(dashboard.findValuesAsText("query"));
        Set<String> names = new TreeSet<>();
        for (String query : queries) {
            Matcher matcher = METRIC.matcher(query);
            while (matcher.find()) {
                names.add(matcher.group(1));
            }
        }
        return names;
    }

    /** The exporter's samples, one line each, comments left out. */
    private static List<String> scrape() throws IOException, InterruptedException {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://"
                + Loopback.HOST + ":" + exporterPort + "/metrics")).timeout(Duration.ofSeconds(30)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body().lines().filter(line -> !line.isBlank() && !line.startsWith("#")).toList();
    }

    /** The value of the one sample of the metric whose labels contain the given text. */
    private static double value(List<String> samples, String metric, String labels) {
        List<String> matching = samples.stream().filter(s -> s.startsWith(metric + "{") && s.contains(labels))
                .toList();
        assertThat(matching).as("samples of %s with %s", metric, labels).hasSize(1);
        String sample = matching.get(0);
        return Double.parseDouble(sample.substring(sample.lastIndexOf(' ') + 1));
    }
}
