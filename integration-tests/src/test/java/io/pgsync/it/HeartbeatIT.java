package io.pgsync.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The heartbeat ({@code heartbeat.interval.ms}, writing {@code pgsync.heartbeat} on the source) keeps the replication
 * slot moving while only another database writes, and the sink reports its lag: in {@code pgsync.status} on the
 * destination (phase, lag, rows applied) and through the {@code lag-alert} metric past
 * {@code lag.alert.threshold.ms}.
 */
class HeartbeatIT extends PipelineIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(90);

    @Test
    void theSlotKeepsUpWhileAnotherDatabaseWritesAndTheSinkReportsItsLag() throws Exception {
        String db = "beat";
        createDatabases(db);
        source.cluster().createDatabase("busy");
        source.execute(db, "CREATE TABLE t (id int PRIMARY KEY)", "INSERT INTO t VALUES (1)");
        Map<String, String> config = Pipeline.withJson(Pipeline.source(source.cluster(), db, db, "public.t", 1));
        config.put("heartbeat.interval.ms", "300");
        Map<String, String> sink = Pipeline.withJson(Pipeline.sink(target.cluster(), db, db + ".changelog", 1));
        sink.put("lag.alert.threshold.ms", "1");
        connect.deploy(db + "-sink", sink);
        connect.deploy(db + "-source", config);
        connect.awaitRunning(db + "-source", 1);
        Tables.awaitEqual(source.cluster(), target.cluster(), db, "t", TIMEOUT, () -> connect.statusText(db + "-sink"));

        source.execute("busy", "CREATE TABLE filler (id int, pad text)",
                "INSERT INTO filler SELECT g, repeat('z', 200) FROM generate_series(1, 200000) g");
        long written = Long.parseLong(source.query(db, "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), "
                + "confirmed_flush_lsn) FROM pg_replication_slots WHERE slot_name = 'pgsync_beat_source'")
                .get(0).get(0));
        assertThat(written).as("WAL the slot has not confirmed right after the other database wrote")
                .isGreaterThan(20_000_000);
        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(Long.parseLong(source.query(db,
                "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn) FROM pg_replication_slots "
                        + "WHERE slot_name = 'pgsync_beat_source'").get(0).get(0)))
                .as("WAL the slot has not confirmed").isLessThan(1_000_000));

        await().atMost(TIMEOUT).untilAsserted(() -> {
            List<List<String>> status = target.query(db, "SELECT phase, lag_ms IS NOT NULL, rows_applied > 1, "
                    + "last_error FROM pgsync.status WHERE connector = 'beat-sink' AND task = 0");
            assertThat(status).containsExactly(Arrays.asList("incremental", "t", "t", null));
        });
        assertThat(target.query(db, "SELECT now() - ts < interval '30 seconds' FROM pgsync.heartbeat"))
                .containsExactly(List.of("t"));
        assertThat(Metrics.sinkMetric(db + "-sink", 0, "lag-alert")).isEqualTo(1.0);
        connect.delete(db + "-source");
        connect.delete(db + "-sink");
    }

    /**
     * The plugin's cleanup-source.sql removes what the source connector installed, once it is deleted: the slot (which
     * would keep WAL forever), the publication, the DDL capture's event triggers, the heartbeat table and the pgsync
     * schema; while the connector runs, it refuses and changes nothing.
     */
    @Test
    void theCleanupScriptLeavesNothingOfADeletedSourceBehind() throws Exception {
        String db = "tidy";
        createDatabases(db);
        source.execute(db, "CREATE TABLE t (id int PRIMARY KEY)", "INSERT INTO t VALUES (1)");
        Map<String, String> config = Pipeline.withJson(Pipeline.source(source.cluster(), db, db, "public.t", 1));
        config.put("heartbeat.interval.ms", "500");
        deployPipeline(db, config);
        Tables.awaitEqual(source.cluster(), target.cluster(), db, "t", TIMEOUT, () -> connect.statusText(db + "-sink"));
        Path script = cleanupScript();
        Map<String, String> names = Map.of("slot", "pgsync_tidy_source", "publication", "pgsync_tidy_source");

        assertThatThrownBy(() -> source.cluster().runScript(db, script, names))
                .hasMessageContaining("Replication slot pgsync_tidy_source is still in use");
        assertThat(source.query(db, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'pgsync_tidy_source'"))
                .containsExactly(List.of("1"));

        undeployPipeline(db);
        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(source.query(db, "SELECT active FROM "
                + "pg_replication_slots WHERE slot_name = 'pgsync_tidy_source'")).containsExactly(List.of("f")));
        source.cluster().runScript(db, script, names);

        assertThat(source.query(db, "SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE 'pgsync\\_tidy%'"))
                .isEmpty();
        assertThat(source.query(db, "SELECT pubname FROM pg_publication")).isEmpty();
        assertThat(source.query(db, "SELECT nspname FROM pg_namespace WHERE nspname = 'pgsync'")).isEmpty();
        assertThat(source.query(db, "SELECT evtname FROM pg_event_trigger")).isEmpty();
        assertThat(source.query(db, "SELECT count(*) FROM t")).containsExactly(List.of("1"));
    }

    /** The script as the source plugin archive ships it. */
    private static Path cleanupScript() throws Exception {
        try (Stream<Path> files = Files.walk(Pipeline.pluginPath())) {
            return files.filter(f -> f.getFileName().toString().equals("cleanup-source.sql")).findFirst()
                    .orElseThrow(() -> new AssertionError("cleanup-source.sql is not in the plugin archives under "
                            + Pipeline.pluginPath()));
        }
    }
}
