package io.pgsync.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.runtime.rest.entities.CreateConnectorRequest;
import org.junit.jupiter.api.Test;

/**
 * The sink's guarantees in the orders of events that broke them: the destination down at the first delivery, a
 * primary-key change of a row with an unchanged TOASTed value, a TRUNCATE of tables linked by a foreign key, a
 * cooperative rebalance in the middle of a source transaction, big transactions interleaved on several partitions,
 * a gap that retention left in the changelog, and DDL capture with several partitions. Each ends with the destination
 * compared with the source, or with the failure that says what to do.
 */
class DeliveryGuaranteesIT extends PipelineIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(240);

    @Test
    void aDestinationDownAtTheFirstDeliveryLosesNothing() throws Exception {
        String db = "firstdown";
        createDatabases(db);
        source.execute(db, "CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL)",
                "INSERT INTO accounts SELECT g, 1000 FROM generate_series(1, 5000) g",
                "CREATE TABLE events (seq int NOT NULL, note text)", "ALTER TABLE events REPLICA IDENTITY FULL");
        connect.deploy(db + "-source", Pipeline.withJson(Pipeline.source(source.cluster(), db, db, "public.*", 1)));
        connect.awaitRunning(db + "-source", 1);
        awaitChangelogStarted(db);
        for (int i = 1; i <= 20; i++) {
            source.execute(db, "UPDATE accounts SET balance = balance - 1 WHERE id = " + i,
                    "INSERT INTO events VALUES (" + i + ", 'before the outage')");
        }
        awaitChangelogSettled(db + ".changelog");

        // created paused (validation needs the destination), then the destination stops and the sink resumes
        connect.cluster().configureConnector(new CreateConnectorRequest(db + "-sink", sink(db),
                CreateConnectorRequest.InitialState.PAUSED));
        target.cluster().stop();
        try {
            connect.cluster().resumeConnector(db + "-sink");
            connect.awaitRunning(db + "-sink", 1);
            Thread.sleep(10_000);
            assertThat(connect.statusText(db + "-sink")).as("the sink waits for the destination")
                    .doesNotContain("FAILED");
        } finally {
            target.cluster().restart();
        }
        for (int i = 21; i <= 30; i++) {
            source.execute(db, "INSERT INTO events VALUES (" + i + ", 'after the outage')");
        }
        awaitEqual(db, "accounts", "events");
        assertThat(target.query(db, "SELECT seq FROM events GROUP BY seq HAVING count(*) > 1")).isEmpty();
    }

    @Test
    void aPrimaryKeyChangeKeepsAnUnchangedToastedValue() throws Exception {
        String db = "keytoast";
        createDatabases(db);
        // 100 kB of text that compresses badly: TOASTed out of line, and not sent when unchanged
        source.execute(db, "CREATE TABLE docs (id int PRIMARY KEY, big text, n int)",
                "INSERT INTO docs SELECT g, (SELECT string_agg(md5(g::text || x::text || random()::text), '') "
                        + "FROM generate_series(1, 3125) x), 0 FROM generate_series(1, 4) g");
        deploy(db, sink(db));
        awaitEqual(db, "docs");
        source.execute(db, "UPDATE docs SET id = 101 WHERE id = 1",
                "UPDATE docs SET id = 102, n = 5 WHERE id = 2",
                "BEGIN; UPDATE docs SET n = 7 WHERE id = 3; UPDATE docs SET id = 103 WHERE id = 3; "
                        + "UPDATE docs SET id = 3 WHERE id = 4; COMMIT;");
        awaitEqual(db, "docs");
        assertThat(target.query(db, "SELECT id, length(big) FROM docs ORDER BY id")).containsExactly(
                List.of("3", "100000"), List.of("101", "100000"), List.of("102", "100000"), List.of("103", "100000"));
    }

    @Test
    void aTruncateOfTablesLinkedByAForeignKeyIsAppliedAsOneStatement() throws Exception {
        String db = "fktruncate";
        createDatabases(db);
        source.execute(db, "CREATE TABLE parent (id int PRIMARY KEY)",
                "CREATE TABLE child (id int PRIMARY KEY, parent_id int NOT NULL REFERENCES parent)",
                "CREATE TABLE other (id int PRIMARY KEY)",
                "INSERT INTO parent SELECT generate_series(1, 10)",
                "INSERT INTO child SELECT g, g FROM generate_series(1, 10) g",
                "INSERT INTO other SELECT generate_series(1, 10)");
        deploy(db, sink(db));
        awaitEqual(db, "parent", "child", "other");
        source.execute(db, "TRUNCATE parent, child", "INSERT INTO parent VALUES (100)",
                "INSERT INTO child VALUES (100, 100)", "INSERT INTO other VALUES (100)");
        awaitEqual(db, "parent", "child", "other");
        assertThat(connect.statusText(db + "-sink")).doesNotContain("FAILED");
        assertThat(target.query(db, "SELECT count(*) FROM other")).as("only what the source truncated")
                .containsExactly(List.of("11"));
    }

    @Test
    void aCooperativeRebalanceNeverMakesHalfATransactionVisible() throws Exception {
        String db = "coop";
        int rows = 20_000;
        createDatabases(db);
        // at the destination each row of big takes a little time (the trigger fires for replicated rows too), so the
        // destination transaction that applies the big source transaction stays open for a while
        source.execute(db, "CREATE TABLE big (id int PRIMARY KEY, v text NOT NULL)");
        target.execute(db, "CREATE TABLE big (id int PRIMARY KEY, v text NOT NULL)",
                "CREATE FUNCTION slow() RETURNS trigger LANGUAGE plpgsql AS "
                        + "$$ BEGIN PERFORM pg_sleep(0.0005); RETURN NEW; END $$",
                "CREATE TRIGGER slow BEFORE INSERT ON big FOR EACH ROW EXECUTE FUNCTION slow()",
                "ALTER TABLE big ENABLE ALWAYS TRIGGER slow");
        // one task of a sink that reads every topic matching a pattern, with the cooperative assignor: a new topic
        // gives it a new partition (open()) while it keeps the partition it applies
        Map<String, String> sink = sink(db);
        sink.remove("topics");
        sink.put("topics.regex", "coop(_more)?\\.changelog");
        sink.put("consumer.override.partition.assignment.strategy",
                "org.apache.kafka.clients.consumer.CooperativeStickyAssignor");
        sink.put("consumer.override.metadata.max.age.ms", "1000");
        deploy(db, sink);
        source.execute(db, "INSERT INTO big VALUES (0, 'first')");
        awaitEqual(db, "big");

        Set<Long> counts = new ConcurrentSkipListSet<>();
        AtomicBoolean reading = new AtomicBoolean(true);
        Thread reader = countReader(db, "big", counts, reading);
        reader.start();
        try {
            source.execute(db, "INSERT INTO big SELECT g, md5(g::text) FROM generate_series(1, " + rows + ") g");
            await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(100)).until(() -> !target.query(db,
                    "SELECT 1 FROM pg_stat_activity WHERE application_name = 'pgsync-sink' AND datname = '" + db
                            + "' AND backend_xid IS NOT NULL").isEmpty());
            // the consumer sees the topic within metadata.max.age.ms, and the group rebalances
            connect.cluster().kafka().createTopic("coop_more.changelog", 1);
            Thread.sleep(8000);
            awaitEqual(db, "big");
        } finally {
            reading.set(false);
            reader.join();
        }
        assertThat(counts).as("row counts a destination reader saw").containsOnly(1L, rows + 1L);
        assertThat(target.query(db, "SELECT topic FROM pgsync.applied_offsets ORDER BY 1"))
                .as("the new partition was opened").contains(List.of("coop_more.changelog"));
    }

    @Test
    void bigTransactionsInterleavedOnSeveralPartitionsStillReachACommit() throws Exception {
        String db = "liveness";
        createDatabases(db);
        // a lands on partition 1 of 2 and b on partition 0; one sink task reads both
        source.execute(db, "CREATE TABLE a (id bigint PRIMARY KEY)", "CREATE TABLE b (id bigint PRIMARY KEY)");
        Map<String, String> src = Pipeline.withJson(Pipeline.source(source.cluster(), db, db, "public.*", 2));
        src.put("ddl.capture.enabled", "false");
        connect.deploy(db + "-source", src);
        connect.deploy(db + "-sink", sink(db));
        connect.awaitRunning(db + "-source", 1);
        connect.awaitRunning(db + "-sink", 1);
        source.execute(db, "INSERT INTO a VALUES (0)", "INSERT INTO b VALUES (0)");
        awaitEqual(db, "a", "b");

        AtomicBoolean loading = new AtomicBoolean(true);
        AtomicLong batches = new AtomicLong();
        Thread load = new Thread(() -> {
            try (Connection conn = source.cluster().connect(db); Statement st = conn.createStatement()) {
                while (loading.get()) {
                    long n = batches.incrementAndGet();
                    st.execute("BEGIN; INSERT INTO a SELECT " + n + " * 10000 + g FROM generate_series(1, 3000) g; "
                            + "INSERT INTO b SELECT " + n + " * 10000 + g FROM generate_series(1, 3000) g; COMMIT;");
                }
            } catch (Exception e) {
                batches.set(-1);
            }
        }, "interleaved-load");
        load.start();
        try {
            await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                    assertThat(Long.parseLong(target.query(db, "SELECT count(*) FROM a").get(0).get(0)))
                            .as("rows of a committed at the destination while the load runs (sink: %s)",
                                    connect.statusText(db + "-sink"))
                            .isGreaterThan(10_000));
            assertThat(load.isAlive()).as("the load still runs").isTrue();
        } finally {
            loading.set(false);
            load.join();
        }
        assertThat(batches.get()).isPositive();
        awaitEqual(db, "a", "b");
    }

    @Test
    void aGapThatRetentionLeftInTheChangelogFailsTheSinkNamingTheRange() throws Exception {
        String db = "gap";
        createDatabases(db);
        source.execute(db, "CREATE TABLE t (id int PRIMARY KEY, v int)");
        deploy(db, sink(db));
        source.execute(db, "INSERT INTO t VALUES (1, 0)");
        awaitEqual(db, "t");

        connect.cluster().pauseConnector(db + "-sink");
        connect.cluster().assertions().assertConnectorAndExactlyNumTasksArePaused(db + "-sink", 1, "sink paused");
        for (int i = 2; i <= 40; i++) {
            source.execute(db, "INSERT INTO t VALUES (" + i + ", 0)");
        }
        String topic = db + ".changelog";
        long end = awaitChangelogSettled(topic);
        // what retention does to a sink stopped longer than retention.ms: the start of the log is gone
        try (Admin admin = connect.cluster().kafka().createAdminClient()) {
            admin.deleteRecords(Map.of(new TopicPartition(topic, 0), RecordsToDelete.beforeOffset(end - 20)))
                    .all().get();
        }
        connect.cluster().resumeConnector(db + "-sink");
        await().atMost(TIMEOUT).until(() -> connect.statusText(db + "-sink").contains("FAILED"));
        assertThat(connect.statusText(db + "-sink")).contains("are no longer in the topic (it now starts at "
                + (end - 20) + ")").containsPattern("offsets \\d+\\.\\." + (end - 21) + " of " + topic + "-0")
                .contains("Re-sync the destination");
    }

    @Test
    void ddlCaptureWithSeveralPartitionsIsRefusedWithTheReason() {
        source.cluster().createDatabase("ddlparts");
        Map<String, String> config = Pipeline.source(source.cluster(), "ddlparts", "ddlparts", "public.t", 2);
        assertThat(Pipeline.validationErrors(connect.validate(Pipeline.SOURCE_CLASS, config), "ddl.capture.enabled"))
                .singleElement().asString().contains("needs changelog.partitions=1, but it is 2")
                .contains("RENAME").contains("ddl.capture.enabled=false");
        config.put("ddl.capture.enabled", "false");
        assertThat(Pipeline.validationErrors(connect.validate(Pipeline.SOURCE_CLASS, config), "ddl.capture.enabled"))
                .isEmpty();
    }

    /** Waits until the source has written its first records (the full sync's) to the changelog. */
    private static void awaitChangelogStarted(String db) {
        await().atMost(TIMEOUT).ignoreExceptions().until(() -> endOffset(db + ".changelog") > 0);
    }

    /** Waits until the changelog's end offset stops moving for 3 s; returns it. */
    private static long awaitChangelogSettled(String topic) throws Exception {
        long last = -1;
        long stableSince = System.nanoTime();
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            long end = endOffset(topic);
            if (end != last) {
                last = end;
                stableSince = System.nanoTime();
            } else if (System.nanoTime() - stableSince > Duration.ofSeconds(3).toNanos()) {
                return end;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("The changelog " + topic + " kept growing for " + TIMEOUT);
    }

    private static long endOffset(String topic) throws Exception {
        TopicPartition tp = new TopicPartition(topic, 0);
        try (Admin admin = connect.cluster().kafka().createAdminClient()) {
            return admin.listOffsets(Map.of(tp, OffsetSpec.latest())).partitionResult(tp).get().offset();
        }
    }

    /** A thread that counts the table's rows at the destination, as often as it can, until told to stop. */
    private static Thread countReader(String db, String table, Set<Long> counts, AtomicBoolean reading) {
        return new Thread(() -> {
            try (Connection conn = target.cluster().connect(db); Statement st = conn.createStatement()) {
                while (reading.get()) {
                    try (ResultSet rs = st.executeQuery("SELECT count(*) FROM " + table)) {
                        rs.next();
                        counts.add(rs.getLong(1));
                    }
                    Thread.sleep(50);
                }
            } catch (Exception e) {
                counts.add(-1L);
            }
        }, "destination-reader");
    }

    private static void awaitEqual(String db, String... tables) {
        for (String table : tables) {
            Tables.awaitEqual(source.cluster(), target.cluster(), db, table, TIMEOUT,
                    () -> "sink: " + connect.statusText(db + "-sink"));
        }
    }
}
