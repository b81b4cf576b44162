package io.pgsync.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/**
 * Throttling of the full and the incremental sync, measured where it acts: the changelog records' timestamps (when
 * Connect handed each to Kafka) and the rows they carry. Each limit holds within 10% over a few seconds.
 */
class ThrottleIT extends PipelineIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    private static final Pattern ROWS = Pattern.compile("\"rows\":(\\d+)");

    @Test
    void theFullSyncKeepsToItsRowsPerSecond() throws Exception {
        String db = "throttlerows";
        createDatabases(db);
        source.execute(db, "CREATE TABLE t (id int PRIMARY KEY, pad text)",
                "INSERT INTO t SELECT g, repeat('x', 40) FROM generate_series(1, 12000) g");
        Map<String, String> config = Pipeline.withJson(Pipeline.source(source.cluster(), db, db, "public.t", 1));
        config.put("full.sync.chunk.bytes", "1024");
        config.put("throttle.full.rows.per.second", "3000");

        double rate = fullSyncRate(db, config, 12000, 1);
        assertThat(rate).as("rows/s").isCloseTo(3000, within(300.0));
    }

    @Test
    void theFullSyncKeepsToItsMegabytesPerSecond() throws Exception {
        String db = "throttlebytes";
        createDatabases(db);
        source.execute(db, "CREATE TABLE t (id int PRIMARY KEY, pad text)",
                "INSERT INTO t SELECT g, repeat('y', 994) FROM generate_series(1000, 3999) g");
        double rowBytes = 4 + 1 + 994 + 1;
        Map<String, String> config = Pipeline.withJson(Pipeline.source(source.cluster(), db, db, "public.t", 1));
        config.put("full.sync.chunk.bytes", "16384");
        config.put("throttle.full.mb.per.second", "1");

        double rate = fullSyncRate(db, config, 3000, rowBytes) / 1_000_000;
        assertThat(rate).as("MB/s").isCloseTo(1.0, within(0.1));
    }

    @Test
    void theIncrementalSyncKeepsToItsRowsPerSecond() throws Exception {
        String db = "throttlestream";
        createDatabases(db);
        source.execute(db, "CREATE TABLE t (id int PRIMARY KEY, v int)");
        Map<String, String> config = Pipeline.withJson(Pipeline.source(source.cluster(), db, db, "public.t", 1));
        config.put("throttle.incremental.rows.per.second", "2000");
        config.put("max.batch.size", "100");
        deployPipeline(db, config);
        source.execute(db, "INSERT INTO t SELECT g, g FROM generate_series(1, 8000) g");
        await().atMost(TIMEOUT).until(() -> count(db) == 8000);

        List<Long> times = connect.readAll(db + ".changelog", TIMEOUT).stream()
                .filter(r -> value(r).contains("io.pgsync.changelog.RowChange"))
                .map(ConsumerRecord::timestamp).sorted().toList();
        assertThat(times).hasSize(8000);
        long first = times.get(0);
        long after = times.stream().filter(t -> t > first).count();
        double rate = after / ((times.get(times.size() - 1) - first) / 1000.0);
        assertThat(rate).as("row changes/s").isCloseTo(2000, within(200.0));
        undeployPipeline(db);
    }

    /**
     * Runs the full sync and returns its pace: the rows (times {@code unit}) of every chunk after the first, over the
     * time from the first chunk to the last.
     */
    private double fullSyncRate(String db, Map<String, String> config, int rows, double unit) throws Exception {
        deployPipeline(db, config);
        await().atMost(TIMEOUT).until(() -> count(db) == rows);
        List<ConsumerRecord<byte[], byte[]>> chunks = connect.readAll(db + ".changelog", TIMEOUT).stream()
                .filter(r -> value(r).contains("io.pgsync.changelog.RowChunk")).toList();
        long firstTime = chunks.get(0).timestamp();
        long lastTime = chunks.get(chunks.size() - 1).timestamp();
        long counted = 0;
        for (ConsumerRecord<byte[], byte[]> chunk : chunks.subList(1, chunks.size())) {
            Matcher m = ROWS.matcher(value(chunk));
            assertThat(m.find()).isTrue();
            counted += Long.parseLong(m.group(1));
        }
        undeployPipeline(db);
        assertThat(lastTime - firstTime).as("the full sync's duration in ms").isGreaterThan(1500);
        return counted * unit / ((lastTime - firstTime) / 1000.0);
    }

    private static long count(String db) {
        try {
            return Long.parseLong(target.query(db, "SELECT count(*) FROM t").get(0).get(0));
        } catch (RuntimeException e) {
            return -1;
        }
    }

    private static String value(ConsumerRecord<byte[], byte[]> record) {
        return record.value() == null ? "" : new String(record.value(), StandardCharsets.UTF_8);
    }
}
