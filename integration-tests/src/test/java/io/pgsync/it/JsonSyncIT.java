package io.pgsync.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/** The sync suite with Connect's JSON converter (schemas enabled), plus the changelog's format and partitioning. */
class JsonSyncIT extends AbstractSyncIT {

    @Override
    Map<String, String> converters() {
        return Pipeline.jsonConverters();
    }

    @Test
    void changelogCarriesRowsAndTransactionMarkersInOneTopic() throws Exception {
        String db = "markers";
        source.cluster().createDatabase(db);
        source.execute(db, "CREATE TABLE t (id int PRIMARY KEY, v text)", "INSERT INTO t VALUES (1, 'snapshot')");
        String name = "markers-source";
        connect.deploy(name, withConverters(Pipeline.source(source.cluster(), db, "markers", "public.t", 1)));
        connect.awaitRunning(name, 1);
        await().atMost(Duration.ofSeconds(60)).until(() -> topicExists("markers.changelog"));
        source.execute(db, "BEGIN; INSERT INTO t VALUES (2, 'a'); UPDATE t SET v = 'b' WHERE id = 2; COMMIT;");

        List<String> values = connect.readTopic("markers.changelog", 6, Duration.ofSeconds(60)).stream()
                .map(ConsumerRecord::value)
                .filter(Objects::nonNull)
                .map(v -> new String(v, StandardCharsets.UTF_8))
                .toList();
        assertThat(values).anyMatch(v -> v.contains("\"name\":\"io.pgsync.changelog.RowChunk\"")
                && v.contains("\"rows\":1") && v.contains("\"copy\":\"1\\tsnapshot\\n\""));
        assertThat(values).anyMatch(v -> v.contains("\"status\":\"BEGIN\""));
        assertThat(values).anyMatch(v -> v.contains("\"status\":\"END\"") && v.contains("\"event_count\":2"));
        assertThat(values).anyMatch(v -> v.contains("\"name\":\"io.pgsync.changelog.RowChange\"")
                && v.contains("\"op\":\"u\"") && v.contains("\"columns\":[\"id\",\"v\"]")
                && v.contains("\"types\":[\"int4 not null\",\"text\"]") && v.contains("\"after\":[\"2\",\"b\"]"));
        assertThat(values).noneMatch(v -> v.contains("__debezium.source.column.type"));
        assertThat(connect.topics()).noneMatch(t -> t.startsWith("markers.public"));
        connect.delete(name);
    }

    @Test
    void partitionedChangelogKeepsEachTableInOrderWithParallelSinkTasks() throws Exception {
        String db = "parts";
        source.cluster().createDatabase(db);
        target.cluster().createDatabase(db);
        source.execute(db, SCHEMA);
        Map<String, String> partitioned = withConverters(Pipeline.source(source.cluster(), db, "parts",
                String.join(",", TABLES), 3));
        // a DDL record would be ordered with one partition only: DDL capture needs one partition
        partitioned.put("ddl.capture.enabled", "false");
        connect.deploy("parts-source", partitioned);
        connect.deploy("parts-sink", withConverters(Pipeline.sink(target.cluster(), db, "parts.changelog", 3)));
        connect.awaitRunning("parts-source", 1);
        connect.awaitRunning("parts-sink", 3);
        await().atMost(Duration.ofSeconds(60)).until(() -> topicExists("parts.changelog"));
        assertThat(connect.partitions("parts.changelog")).isEqualTo(3);

        for (int round = 0; round < 20; round++) {
            source.execute(db,
                    "UPDATE order_lines SET qty = qty + 1 WHERE order_id % 7 = " + (round % 7),
                    "UPDATE items SET big = coalesce(big, 0) + 1, name = 'round " + round + "'",
                    "INSERT INTO items (id, code) VALUES (" + (1000 + round) + ", 'R" + round + "')",
                    "DELETE FROM order_lines WHERE order_id = " + (round + 1) + " AND line = 4");
        }
        awaitEqual(db, "parts-sink");
        connect.delete("parts-sink");
        connect.delete("parts-source");
    }

    private boolean topicExists(String topic) throws Exception {
        return connect.topics().contains(topic);
    }
}
