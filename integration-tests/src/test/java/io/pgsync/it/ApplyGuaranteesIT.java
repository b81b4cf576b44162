package io.pgsync.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;


/**
 * The sink's guarantees, observed from outside: readers of the destination never see half a source transaction;
 * duplicates a source restart puts into the changelog are not applied twice; killing the sink's connection or
 * restarting its task at random points during a full sync and a catch-up loses and doubles nothing; unchanged
 * TOASTed values are kept.
 */
class ApplyGuaranteesIT extends PipelineIT {

    /** Seed and size of the randomized kill run; raise the size for a longer local run. */
    private static final long SEED = Long.getLong("pgsync.it.seed", 20261124L);
    private static final int SIZE = Integer.getInteger("pgsync.it.size", 20_000);
    private static final Duration TIMEOUT = Duration.ofSeconds(Math.max(120, SIZE / 200));

    @Test
    void concurrentReaderNeverSeesHalfATransaction() throws Exception {
        String db = "bank";
        createDatabases(db);
        source.execute(db, "CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL)",
                "INSERT INTO accounts SELECT g, 1000 FROM generate_series(1, 200) g");
        Map<String, String> sink = Pipeline.sink(target.cluster(), db, "bank.changelog", 1);
        // tiny deliveries and batches: every source transaction spans several put() calls and flushes
        sink.put("consumer.override.max.poll.records", "3");
        sink.put("apply.batch.max.records", "4");
        deploy(db, "bank", "public.accounts", sink);
        await().atMost(TIMEOUT).ignoreExceptions().until(() ->
                target.query(db, "SELECT count(*), sum(balance) FROM accounts").get(0).equals(List.of("200", "200000")));

        AtomicBoolean reading = new AtomicBoolean(true);
        List<String> violations = new CopyOnWriteArrayList<>();
        AtomicInteger reads = new AtomicInteger();
        Thread reader = new Thread(() -> {
            try (Connection conn = target.cluster().connect(db); Statement st = conn.createStatement()) {
                while (reading.get()) {
                    try (ResultSet rs = st.executeQuery("SELECT count(*), sum(balance) FROM accounts")) {
                        rs.next();
                        if (rs.getLong(1) != 200 || rs.getLong(2) != 200_000) {
                            violations.add(rs.getLong(1) + " rows, sum " + rs.getLong(2));
                        }
                        reads.incrementAndGet();
                    }
                }
            } catch (Exception e) {
                violations.add("reader failed: " + e);
            }
        }, "destination-reader");
        reader.start();

        Random random = new Random(SEED);
        for (int tx = 0; tx < 150; tx++) {
            StringBuilder sql = new StringBuilder("BEGIN;");
            for (int transfer = 0; transfer < 3; transfer++) {
                int from = 1 + random.nextInt(200);
                int to = 1 + random.nextInt(200);
                int amount = 1 + random.nextInt(50);
                sql.append("UPDATE accounts SET balance = balance - ").append(amount).append(" WHERE id = ").append(from)
                        .append("; UPDATE accounts SET balance = balance + ").append(amount).append(" WHERE id = ")
                        .append(to).append(';');
            }
            source.execute(db, sql.append("COMMIT;").toString());
        }
        awaitEqual(db, "bank-sink", "accounts");
        reading.set(false);
        reader.join();
        assertThat(violations).as("states of the destination no source state ever had").isEmpty();
        assertThat(reads.get()).as("reads of the destination while it was applying").isGreaterThan(20);
    }

    @Test
    void duplicatesFromASourceRestartAreNotAppliedTwice() throws Exception {
        String db = "dups";
        createDatabases(db);
        source.execute(db, "CREATE TABLE events (seq int NOT NULL, payload text)",
                "ALTER TABLE events REPLICA IDENTITY FULL");
        deploy(db, "dups", "public.events", Pipeline.sink(target.cluster(), db, "dups.changelog", 1));
        insertEvents(db, 0, 60);
        awaitEqual(db, "dups-sink", "events");

        // what a source crash does: the source task restarts from its last committed offset and re-sends changes
        // that are already in the changelog; here the tail of the changelog is re-produced while the source is stopped
        connect.cluster().stopConnector("dups-source");
        int resent = resendChangelogTail("dups.changelog", "\"op\":\"c\"");
        assertThat(resent).as("re-sent change records").isGreaterThan(0);
        connect.cluster().resumeConnector("dups-source");
        connect.awaitRunning("dups-source", 1);
        insertEvents(db, 60, 120);

        awaitEqual(db, "dups-sink", "events");
        assertThat(target.query(db, "SELECT seq FROM events GROUP BY seq HAVING count(*) > 1")).isEmpty();
        assertThat(Metrics.sinkMetric("dups-sink", 0, "duplicates-skipped-total")).isGreaterThanOrEqualTo(resent);
    }

    @Test
    void killsDuringFullAndIncrementalSyncLoseAndDoubleNothing() throws Exception {
        String db = "kills";
        createDatabases(db);
        source.execute(db,
                "CREATE TABLE big (id int PRIMARY KEY, v int NOT NULL, pad text)",
                "INSERT INTO big SELECT g, g, md5(g::text) FROM generate_series(1, " + SIZE + ") g",
                "CREATE TABLE log (seq int NOT NULL, note text)",
                "ALTER TABLE log REPLICA IDENTITY FULL",
                "INSERT INTO log SELECT g, 'initial' FROM generate_series(1, " + SIZE / 10 + ") g");
        Map<String, String> sink = Pipeline.sink(target.cluster(), db, "kills.changelog", 1);
        sink.put("apply.batch.max.records", "1000");
        sink.put("retry.backoff.max.ms", "500");
        Random random = new Random(SEED);
        deploy(db, "kills", "public.big,public.log", sink);
        List<String> kills = new ArrayList<>();
        killAtRandomPoints(random, db, 5, kills);

        connect.cluster().stopConnector("kills-sink");
        int changes = SIZE;
        for (int done = 0, seq = SIZE / 10; done < changes; done += 10) {
            StringBuilder sql = new StringBuilder("BEGIN;");
            for (int i = 0; i < 10; i++) {
                int id = 1 + random.nextInt(SIZE);
                int kind = random.nextInt(10);
                if (kind < 6) {
                    sql.append("UPDATE big SET v = v + 1 WHERE id = ").append(id).append(';');
                } else if (kind < 8) {
                    sql.append("INSERT INTO big VALUES (").append(SIZE + done + i + 1).append(", 0, 'new');");
                } else {
                    sql.append("DELETE FROM big WHERE id = ").append(id).append(';');
                }
            }
            sql.append("INSERT INTO log VALUES (").append(++seq).append(", 'change');");
            source.execute(db, sql.append("COMMIT;").toString());
        }
        connect.cluster().resumeConnector("kills-sink");
        killAtRandomPoints(random, db, 6, kills);

        awaitEqual(db, "kills-sink", "big");
        awaitEqual(db, "kills-sink", "log");
        assertThat(target.query(db, "SELECT seq FROM log GROUP BY seq HAVING count(*) > 1"))
                .as("rows applied twice after kills %s", kills).isEmpty();
        assertThat(kills).hasSizeGreaterThanOrEqualTo(10);
    }

    @Test
    void unchangedToastedValuesAreKept() throws Exception {
        String db = "toast";
        createDatabases(db);
        source.execute(db, "CREATE TABLE docs (id int PRIMARY KEY, big text, n int)",
                "INSERT INTO docs SELECT g, (SELECT string_agg(md5(g::text || x::text), '') FROM generate_series(1, 4000) x), 0 "
                        + "FROM generate_series(1, 5) g");
        deploy(db, "toast", "public.docs", Pipeline.sink(target.cluster(), db, "toast.changelog", 1));
        awaitEqual(db, "toast-sink", "docs");
        source.execute(db, "UPDATE docs SET n = n + 1 WHERE id <= 3",
                "BEGIN; UPDATE docs SET big = 'short ' || id WHERE id = 4; UPDATE docs SET n = 7 WHERE id = 4; COMMIT;",
                "BEGIN; UPDATE docs SET big = big || 'x' WHERE id = 5; UPDATE docs SET n = 9 WHERE id = 5; COMMIT;");
        awaitEqual(db, "toast-sink", "docs");
        assertThat(target.query(db, "SELECT count(*) FROM docs WHERE big LIKE '%unavailable%'")).containsExactly(List.of("0"));
    }

    private void deploy(String db, String prefix, String tables, Map<String, String> sink) throws InterruptedException {
        connect.deploy(prefix + "-source", Pipeline.withJson(Pipeline.source(source.cluster(), db, prefix, tables, 1)));
        connect.deploy(prefix + "-sink", Pipeline.withJson(sink));
        connect.awaitRunning(prefix + "-source", 1);
        connect.awaitRunning(prefix + "-sink", 1);
    }

    private static void insertEvents(String db, int from, int to) {
        for (int start = from; start < to; start += 5) {
            source.execute(db, "INSERT INTO events SELECT g, 'event ' || g FROM generate_series(" + (start + 1) + ", "
                    + (start + 5) + ") g");
        }
    }

    /**
     * At {@code count} random points (random pauses, seeded), kills the sink's destination connection or restarts
     * its task, as a crashed worker would leave it.
     */
    private static void killAtRandomPoints(Random random, String db, int count, List<String> kills) throws Exception {
        for (int i = 0; i < count; i++) {
            Thread.sleep(200 + random.nextInt(1300));
            if (random.nextBoolean()) {
                List<List<String>> killed = target.query("postgres",
                        "SELECT pg_terminate_backend(pid)::text FROM pg_stat_activity WHERE application_name = "
                                + "'pgsync-sink' AND datname = '" + db + "'");
                kills.add("connection x" + killed.size());
            } else {
                connect.cluster().restartTask(db + "-sink", 0);
                kills.add("task restart");
            }
        }
    }

    private static void awaitEqual(String db, String sinkName, String table) {
        Tables.awaitEqual(source.cluster(), target.cluster(), db, table, TIMEOUT,
                () -> "sink: " + connect.statusText(sinkName));
    }
}
