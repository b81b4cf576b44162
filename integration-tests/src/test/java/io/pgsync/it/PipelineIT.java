package io.pgsync.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

import org.junit.jupiter.api.extension.RegisterExtension;

import io.pgsync.testkit.connect.ConnectExtension;
import io.pgsync.testkit.pg.PostgresExtension;

/**
 * The real parts every end-to-end test class gets, started once per class: a source PostgreSQL with
 * {@code wal_level=logical}, a destination PostgreSQL, and a Kafka broker with a Connect worker that loads the
 * connectors from the unpacked plugin archives.
 */
abstract class PipelineIT {

    @RegisterExtension
    static final PostgresExtension source = PostgresExtension.logical();

    @RegisterExtension
    static final PostgresExtension target = PostgresExtension.plain();

    @RegisterExtension
    static final ConnectExtension connect = ConnectExtension.withPluginPath(Pipeline.pluginPath());

    /** Creates the database on both clusters. */
    static void createDatabases(String db) {
        source.cluster().createDatabase(db);
        target.cluster().createDatabase(db);
    }

    /**
     * Deploys a sink of the changelog {@code <db>.changelog} into database {@code db} of the destination, then the
     * source, and waits until the source task runs; the connectors are named {@code <db>-sink} and
     * {@code <db>-source}.
     */
    static void deployPipeline(String db, Map<String, String> source) throws InterruptedException {
        connect.deploy(db + "-sink", Pipeline.withJson(Pipeline.sink(target.cluster(), db, db + ".changelog", 1)));
        connect.deploy(db + "-source", source);
        connect.awaitRunning(db + "-source", 1);
    }

    /** The sink (JSON converters) of the changelog {@code <db>.changelog} into database {@code db}, to adjust. */
    static Map<String, String> sink(String db) {
        return Pipeline.withJson(Pipeline.sink(target.cluster(), db, db + ".changelog", 1));
    }

    /**
     * Deploys the source of every table in schema {@code public} of {@code db} and the given sink, named
     * {@code <db>-source} and {@code <db>-sink}, and waits until both run.
     */
    static void deploy(String db, Map<String, String> sink) throws InterruptedException {
        connect.deploy(db + "-source", Pipeline.withJson(Pipeline.source(source.cluster(), db, db, "public.*", 1)));
        connect.deploy(db + "-sink", sink);
        connect.awaitRunning(db + "-source", 1);
        connect.awaitRunning(db + "-sink", 1);
    }

    /** Deletes the connectors {@link #deployPipeline} made. */
    static void undeployPipeline(String db) {
        connect.delete(db + "-source");
        connect.delete(db + "-sink");
    }

    /**
     * Does what a source crash does to the changelog: produces again, on partition 0 of the topic, every record from
     * the first transaction BEGIN on, as a source task restarting from an old offset would. Returns how many of the
     * re-sent records contain {@code counted} (e.g. {@code "op":"c"}).
     */
    static int resendChangelogTail(String topic, String counted) throws Exception {
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        TopicPartition tp = new TopicPartition(topic, 0);
        try (KafkaConsumer<byte[], byte[]> consumer = connect.cluster().kafka().createConsumer(Map.of())) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            while (consumer.position(tp) < end) {
                consumer.poll(Duration.ofMillis(500)).forEach(records::add);
            }
        }
        int first = 0;
        while (first < records.size() && (records.get(first).value() == null
                || !new String(records.get(first).value(), StandardCharsets.UTF_8).contains("\"status\":\"BEGIN\""))) {
            first++;
        }
        int matching = 0;
        try (KafkaProducer<byte[], byte[]> producer = connect.cluster().kafka().createProducer(Map.of())) {
            for (ConsumerRecord<byte[], byte[]> record : records.subList(first, records.size())) {
                producer.send(new ProducerRecord<>(topic, 0, record.key(), record.value())).get();
                if (record.value() != null && new String(record.value(), StandardCharsets.UTF_8).contains(counted)) {
                    matching++;
                }
            }
        }
        return matching;
    }

    /**
     * Waits until pg_dump prints the schema the same way for both databases (its header and SET lines aside).
     *
     * @param schema a pg_dump pattern: a quoted identifier matches the name exactly
     */
    static void awaitSameSchema(String db, String schema, Duration timeout) {
        await().atMost(timeout).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
            Set<String> expected = schemaLines(source.cluster().dumpSchema(db, schema));
            Set<String> actual = schemaLines(target.cluster().dumpSchema(db, schema));
            Set<String> missing = new LinkedHashSet<>(expected);
            missing.removeAll(actual);
            Set<String> extra = new LinkedHashSet<>(actual);
            extra.removeAll(expected);
            assertThat(missing).as("schema lines only at the source (sink: %s)", connect.statusText(db + "-sink"))
                    .isEmpty();
            assertThat(extra).as("schema lines only at the destination").isEmpty();
        });
    }

    /**
     * The dump's statements as a set of lines, without comments, session settings and the random key of pg_dump's
     * {@code \\restrict} lines.
     */
    static Set<String> schemaLines(String dump) {
        Set<String> lines = new LinkedHashSet<>();
        for (String line : dump.split("\n")) {
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("--") || trimmed.startsWith("SET ")
                    || trimmed.startsWith("SELECT pg_catalog.set_config") || trimmed.startsWith("\\restrict ")
                    || trimmed.startsWith("\\unrestrict ")) {
                continue;
            }
            lines.add(line);
        }
        return lines;
    }
}
