package io.pgsync.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.connect.runtime.rest.entities.ConfigInfo;
import org.junit.jupiter.api.Test;


/**
 * What the sink does when the destination goes away or refuses a record: retry and resume, give up with a clear
 * message, send the record to the dead-letter queue, or fail naming the table, key, offset and SQL error.
 */
class FailureHandlingIT extends PipelineIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(90);

    @Test
    void destinationOutageIsRetriedAndTheSyncResumes() throws Exception {
        String db = "outage";
        setUp(db, "CREATE TABLE t (id int PRIMARY KEY, v text)", "INSERT INTO t SELECT g, 'v' FROM generate_series(1, 100) g");
        Map<String, String> sink = sink(db);
        sink.put("retry.backoff.max.ms", "500");
        deploy(db, sink);
        awaitEqual(db, "t");

        target.cluster().stop();
        for (int i = 0; i < 20; i++) {
            source.execute(db, "BEGIN; UPDATE t SET v = v || " + i + " WHERE id % 7 = " + (i % 7)
                    + "; INSERT INTO t VALUES (" + (1000 + i) + ", 'new'); COMMIT;");
        }
        await().atMost(TIMEOUT).until(() -> Metrics.sinkMetric(db + "-sink", 0, "retries-total") >= 2);
        target.cluster().restart();

        awaitEqual(db, "t");
        assertThat(connect.status(db + "-sink").tasks()).allMatch(t -> t.state().equals("RUNNING"));
        assertThat(Metrics.sinkMetric(db + "-sink", 0, "rows-applied-total")).isGreaterThanOrEqualTo(140);
        assertThat(Metrics.sinkMetric(db + "-sink", 0, "transactions-applied-total")).isGreaterThanOrEqualTo(20);
        assertThat(Metrics.sinkMetric(db + "-sink", 0, "lag-ms-max")).isPositive();
    }

    @Test
    void retryGivesUpAfterItsTimeoutWithTheCause() throws Exception {
        String db = "giveup";
        setUp(db, "CREATE TABLE t (id int PRIMARY KEY)", "INSERT INTO t VALUES (1)");
        Map<String, String> sink = sink(db);
        sink.put("retry.connection.timeout.ms", "3000");
        sink.put("retry.other.timeout.ms", "1000");
        sink.put("retry.backoff.max.ms", "500");
        deploy(db, sink);
        awaitEqual(db, "t");
        target.cluster().stop();
        try {
            source.execute(db, "INSERT INTO t VALUES (2)");
            await().atMost(TIMEOUT).until(() -> connect.statusText(db + "-sink").contains("FAILED"));
            assertThat(connect.statusText(db + "-sink"))
                    .contains("Cannot write to the destination", "gave up after retrying",
                            "retry.connection.timeout.ms=3000", "SQLState 08");
        } finally {
            target.cluster().restart();
        }
    }

    @Test
    void aRecordThatCanNeverApplyGoesToTheDeadLetterQueue() throws Exception {
        String db = "poison_dlq";
        setUp(db, "CREATE TABLE limited (id int PRIMARY KEY, qty int)");
        target.execute(db, "CREATE TABLE limited (id int PRIMARY KEY, qty int CHECK (qty < 1000))");
        Map<String, String> sink = sink(db);
        sink.put("errors.tolerance", "all");
        sink.put("errors.deadletterqueue.topic.name", db + "-dlq");
        sink.put("errors.deadletterqueue.topic.replication.factor", "1");
        sink.put("errors.deadletterqueue.context.headers.enable", "true");
        deploy(db, sink);
        source.execute(db, "BEGIN; INSERT INTO limited VALUES (1, 5), (2, 5000), (3, 7); COMMIT;",
                "UPDATE limited SET qty = 8 WHERE id = 3");

        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> assertThat(
                target.query(db, "SELECT id, qty FROM limited ORDER BY id"))
                .containsExactly(List.of("1", "5"), List.of("3", "8")));
        List<ConsumerRecord<byte[], byte[]>> dead = connect.readTopic(db + "-dlq", 1, TIMEOUT);
        assertThat(new String(dead.get(0).value(), StandardCharsets.UTF_8)).contains("5000");
        assertThat(dead.get(0).headers().lastHeader("__connect.errors.exception.message").value())
                .asString(StandardCharsets.UTF_8).contains("public.limited", "check constraint");
        assertThat(Metrics.sinkMetric(db + "-sink", 0, "errant-records-total")).isEqualTo(1.0);
        assertThat(connect.statusText(db + "-sink")).doesNotContain("FAILED");
    }

    @Test
    void withoutToleranceAPoisonRecordFailsTheTaskNamingTableKeyAndOffset() throws Exception {
        String db = "poison_fail";
        setUp(db, "CREATE TABLE limited (id int PRIMARY KEY, qty int)");
        target.execute(db, "CREATE TABLE limited (id int PRIMARY KEY, qty int CHECK (qty < 1000))");
        deploy(db, sink(db));
        source.execute(db, "INSERT INTO limited VALUES (1, 5)", "INSERT INTO limited VALUES (2, 5000)");

        await().atMost(TIMEOUT).until(() -> connect.statusText(db + "-sink").contains("FAILED"));
        assertThat(connect.statusText(db + "-sink")).containsPattern(
                "(?s)Cannot apply CREATE to public\\.limited key \\[id\\]=\\[2\\] from poison_fail\\.changelog-0@\\d+: .*"
                        + "violates check constraint .*SQLState 23514");
        assertThat(target.query(db, "SELECT id FROM limited WHERE id = 2")).isEmpty();
    }

    @Test
    void validateRefusesARetryOrderThatCannotWork() {
        Map<String, String> sink = sink("postgres");
        sink.put("retry.connection.timeout.ms", "1000");
        sink.put("retry.other.timeout.ms", "5000");
        List<String> errors = connect.validate(Pipeline.SINK_CLASS, sink).configs().stream()
                .map(ConfigInfo::configValue).filter(v -> v.name().equals("retry.other.timeout.ms"))
                .flatMap(v -> v.errors().stream()).toList();
        assertThat(errors).singleElement().asString().contains("shorter than retry.connection.timeout.ms");
    }

    private static void setUp(String db, String... sourceSql) {
        source.cluster().createDatabase(db);
        target.cluster().createDatabase(db);
        source.execute(db, sourceSql);
    }

    private static void awaitEqual(String db, String table) {
        Tables.awaitEqual(source.cluster(), target.cluster(), db, table, TIMEOUT,
                () -> "sink: " + connect.statusText(db + "-sink"));
    }
}
