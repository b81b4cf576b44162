package io.pgsync.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import io.pgsync.testkit.connect.ConnectWorkerProcess;
import io.pgsync.testkit.pg.PostgresCluster;

/**
 * Faults of whole Connect workers, each in a JVM of its own: killed (SIGKILL) inside the source's offset flush window
 * with Connect's default {@code offset.flush.interval.ms}, so that the full sync runs again; cut off from the group
 * (SIGSTOP) while its sink task's partitions move to another worker, then let go on (SIGCONT) as a zombie; and a soak
 * that mixes worker kills, graceful restarts (rebalances), zombies and destination crashes and stops under load. Each
 * ends with the destination compared with the source, and no keyless row doubled.
 *
 * <p>The soak runs {@code -Dpgsync.it.soak.seconds} (40 in CI) of load with a fault every 3 to 8 s, seeded by
 * {@code -Dpgsync.it.seed}; the long run in the README uses 1200.
 */
class WorkerFaultsIT extends PipelineIT {

    private static final long SEED = Long.getLong("pgsync.it.seed", 20261204L);
    private static final int SOAK_SECONDS = Integer.getInteger("pgsync.it.soak.seconds", 40);
    private static final Duration TIMEOUT = Duration.ofSeconds(300);
    private static final String HEAP = "512m";
    private static final Pattern TASK_WORKER = Pattern.compile("\"id\":0,\"state\":\"([A-Z]+)\",\"worker_id\":\"([^\"]+)\"");
    /** The sink's consumer leaves its group 10 s after its worker stops answering, not Kafka's default 45 s. */
    private static final Map<String, String> FAST_GROUP = Map.of("consumer.session.timeout.ms", "10000",
            "consumer.heartbeat.interval.ms", "1000");

    @Test
    void aWorkerKilledBeforeConnectFlushedTheSourceOffsetsLosesNoTransaction() throws Exception {
        String db = "flushwindow";
        createDatabases(db);
        createAccounts(db, 2000);
        Map<String, String> worker = new java.util.HashMap<>(FAST_GROUP);
        // Connect's default: the source's offsets reach Kafka once a minute
        worker.put("offset.flush.interval.ms", "60000");
        try (ConnectWorkerProcess process = ConnectWorkerProcess.start("flushwindow", connect.bootstrapServers(),
                Pipeline.pluginPath(), HEAP, worker)) {
            long deployed = System.nanoTime();
            process.deploy(db + "-sink", sinkConfig(db, 1));
            process.deploy(db + "-source", Pipeline.withJson(Pipeline.source(source.cluster(), db, db, "public.*", 1)));
            process.awaitRunning(TIMEOUT, db + "-source", db + "-sink");
            awaitEqual(process, db, "accounts");
            try (Load load = new Load(db, 2000, SEED)) {
                await().atMost(TIMEOUT).until(() -> count(target.cluster(), db, "events") >= 20);
                assertThat(Duration.ofNanos(System.nanoTime() - deployed)).as("still inside the flush window")
                        .isLessThan(Duration.ofSeconds(50));
                process.kill();
                process.launch();
                process.awaitRunning(TIMEOUT, db + "-source", db + "-sink");
                Thread.sleep(3000);
                assertThat(load.commits()).isPositive();
            }
            awaitEqual(process, db, "accounts", "events");
            assertThat(Files.readString(process.logFile(), StandardCharsets.UTF_8))
                    .as("the full sync ran again").contains("Dropping replication slot");
        }
        assertNoDoubles(db);
    }

    @Test
    void aWorkerCutOffFromItsGroupCannotCommitAfterItsSinkTaskMoved() throws Exception {
        String db = "zombie";
        createDatabases(db);
        createAccounts(db, 2000);
        // keeps the sink busy, so that the worker is frozen in the middle of applying a delivery: each event takes a
        // few milliseconds at the destination (the trigger fires for replicated rows too)
        target.execute(db, "CREATE TABLE events (seq bigint NOT NULL, note text)",
                "CREATE FUNCTION slow() RETURNS trigger LANGUAGE plpgsql AS "
                        + "$$ BEGIN PERFORM pg_sleep(0.003); RETURN NEW; END $$",
                "CREATE TRIGGER slow BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION slow()",
                "ALTER TABLE events ENABLE ALWAYS TRIGGER slow");
        try (ConnectWorkerProcess first = ConnectWorkerProcess.start("zombie", connect.bootstrapServers(),
                Pipeline.pluginPath(), HEAP, FAST_GROUP);
                ConnectWorkerProcess second = ConnectWorkerProcess.start("zombie", connect.bootstrapServers(),
                        Pipeline.pluginPath(), HEAP, FAST_GROUP)) {
            List<ConnectWorkerProcess> workers = List.of(first, second);
            first.deploy(db + "-sink", sinkConfig(db, 1));
            connect.deploy(db + "-source", Pipeline.withJson(Pipeline.source(source.cluster(), db, db, "public.*", 1)));
            first.awaitRunning(TIMEOUT, db + "-sink");
            awaitEqual(first, db, "accounts");
            try (Load load = new Load(db, 2000, SEED + 1)) {
                Thread.sleep(3000);
                ConnectWorkerProcess zombie = owner(workers, db);
                ConnectWorkerProcess survivor = zombie == first ? second : first;
                zombie.freeze();
                try {
                    await().atMost(TIMEOUT).pollInterval(Duration.ofSeconds(1)).until(() ->
                            survivor.workerId().equals(taskWorker(survivor.statusJson(db + "-sink")))
                                    && survivor.isRunning(db + "-sink"));
                    Thread.sleep(8000);
                } finally {
                    zombie.thaw();
                }
                Thread.sleep(8000);
                assertThat(load.commits()).isPositive();
            }
            target.execute(db, "DROP TRIGGER slow ON events");
            awaitEqual(first, db, "accounts", "events");
            System.out.printf("WorkerFaultsIT: zombie fenced: %s%n", fenced(workers));
        }
        assertNoDoubles(db);
    }

    @Test
    void aSoakOfWorkerKillsRebalancesZombiesAndDestinationFaultsLosesAndDoublesNothing() throws Exception {
        String db = "soak";
        createDatabases(db);
        createAccounts(db, 5000);
        Random random = new Random(SEED);
        List<String> faults = new ArrayList<>();
        int kills = 0;
        try (ConnectWorkerProcess first = ConnectWorkerProcess.start("soak", connect.bootstrapServers(),
                Pipeline.pluginPath(), HEAP, FAST_GROUP);
                ConnectWorkerProcess second = ConnectWorkerProcess.start("soak", connect.bootstrapServers(),
                        Pipeline.pluginPath(), HEAP, FAST_GROUP)) {
            List<ConnectWorkerProcess> workers = List.of(first, second);
            Map<String, String> src = Pipeline.withJson(Pipeline.source(source.cluster(), db, db, "public.*", 2));
            src.put("ddl.capture.enabled", "false");
            first.deploy(db + "-sink", sinkConfig(db, 2));
            connect.deploy(db + "-source", src);
            first.awaitRunning(TIMEOUT, db + "-sink");
            awaitEqual(first, db, "accounts");
            try (Load load = new Load(db, 5000, SEED + 2)) {
                long end = System.nanoTime() + Duration.ofSeconds(SOAK_SECONDS).toNanos();
                while (System.nanoTime() < end || faults.size() < 4) {
                    Thread.sleep(3000 + random.nextInt(5000));
                    ConnectWorkerProcess worker = workers.get(random.nextInt(2));
                    int kind = random.nextInt(10);
                    if (kind < 5) {
                        worker.kill();
                        worker.launch();
                        kills++;
                        faults.add("worker killed");
                    } else if (kind == 5) {
                        first.kill();
                        second.kill();
                        first.launch();
                        second.launch();
                        kills += 2;
                        faults.add("both workers killed");
                    } else if (kind == 6) {
                        worker.close();
                        worker.launch();
                        faults.add("worker restarted (rebalance)");
                    } else if (kind == 7) {
                        worker.freeze();
                        Thread.sleep(12_000 + random.nextInt(8000));
                        worker.thaw();
                        faults.add("worker frozen and thawed (zombie)");
                    } else if (kind == 8) {
                        target.cluster().crash();
                        Thread.sleep(random.nextInt(3000));
                        target.cluster().restart();
                        faults.add("destination crashed");
                    } else {
                        target.cluster().stop();
                        Thread.sleep(2000 + random.nextInt(4000));
                        target.cluster().restart();
                        faults.add("destination stopped");
                    }
                }
                assertThat(load.commits()).isPositive();
                faults.add(load.commits() + " source transactions");
            }
            awaitEqual(first, db, "accounts", "events");
            assertThat(target.query(db, "SELECT sum(balance)::text FROM accounts"))
                    .containsExactly(List.of(Long.toString(1000L * 5000)));
            System.out.printf("WorkerFaultsIT soak: seed %d, %d s, %d worker kills, %d faults: %s; fenced: %s%n", SEED,
                    SOAK_SECONDS, kills, faults.size() - 1, faults, fenced(workers));
        }
        assertNoDoubles(db);
    }

    /** Accounts with a sum that transfers keep, and a keyless, insert-only events table where a double would show. */
    private static void createAccounts(String db, int rows) {
        source.execute(db, "CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL, note text)",
                "INSERT INTO accounts SELECT g, 1000, md5(g::text) FROM generate_series(1, " + rows + ") g",
                "CREATE TABLE events (seq bigint NOT NULL, note text)", "ALTER TABLE events REPLICA IDENTITY FULL");
    }

    private static Map<String, String> sinkConfig(String db, int tasks) {
        Map<String, String> sink = Pipeline.withJson(Pipeline.sink(target.cluster(), db, db + ".changelog", tasks));
        sink.put("retry.backoff.max.ms", "500");
        sink.put("consumer.override.max.poll.records", "2000");
        return sink;
    }

    /** The worker that runs task 0 of the sink. */
    private static ConnectWorkerProcess owner(List<ConnectWorkerProcess> workers, String db) {
        String id = taskWorker(workers.get(0).statusJson(db + "-sink"));
        return workers.stream().filter(w -> w.workerId().equals(id)).findFirst()
                .orElseThrow(() -> new AssertionError("No worker runs the sink's task: " + id));
    }

    private static String taskWorker(String status) {
        Matcher matcher = TASK_WORKER.matcher(status.replace(" ", ""));
        return matcher.find() ? matcher.group(2) : "";
    }

    /** How many times a task found that another had taken its partitions over, in every worker's log. */
    private static long fenced(List<ConnectWorkerProcess> workers) throws IOException {
        long count = 0;
        for (ConnectWorkerProcess worker : workers) {
            count += Files.readAllLines(worker.logFile(), StandardCharsets.UTF_8).stream()
                    .filter(line -> line.contains("took over partition")).count();
        }
        return count;
    }

    private static void assertNoDoubles(String db) {
        assertThat(target.query(db, "SELECT seq FROM events GROUP BY seq HAVING count(*) > 1"))
                .as("events applied twice").isEmpty();
    }

    private static void awaitEqual(ConnectWorkerProcess worker, String db, String... tables) {
        for (String table : tables) {
            Tables.awaitEqual(source.cluster(), target.cluster(), db, table, TIMEOUT,
                    () -> "sink: " + worker.statusJson(db + "-sink"));
        }
    }

    private static long count(PostgresCluster db, String database, String table) {
        return Long.parseLong(db.query(database, "SELECT count(*) FROM " + table).get(0).get(0));
    }

    /**
     * Source load on a thread of its own until closed: transfers between accounts (their sum stays) and inserts into
     * the keyless events table; an outage is waited out.
     */
    private static final class Load implements AutoCloseable {

        private final String db;
        private final int accounts;
        private final Random random;
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final AtomicLong commits = new AtomicLong();
        private final Thread thread;
        private long seq;

        Load(String db, int accounts, long seed) {
            this.db = db;
            this.accounts = accounts;
            this.random = new Random(seed);
            this.thread = new Thread(this::run, "source-load-" + db);
            thread.start();
        }

        long commits() {
            return commits.get();
        }

        private void run() {
            while (running.get()) {
                try (Connection conn = source.cluster().connect(db); Statement st = conn.createStatement()) {
                    conn.setAutoCommit(false);
                    while (running.get()) {
                        int from = 1 + random.nextInt(accounts);
                        int to = 1 + random.nextInt(accounts);
                        int amount = 1 + random.nextInt(50);
                        st.addBatch("UPDATE accounts SET balance = balance - " + amount + ", note = md5(random()::text)"
                                + " WHERE id = " + from);
                        st.addBatch("UPDATE accounts SET balance = balance + " + amount + " WHERE id = " + to);
                        st.addBatch("INSERT INTO events VALUES (" + (++seq) + ", 'load')");
                        st.executeBatch();
                        conn.commit();
                        commits.incrementAndGet();
                        Thread.sleep(random.nextInt(4));
                    }
                } catch (SQLException e) {
                    sleep(200);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        private static void sleep(long millis) {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void close() {
            running.set(false);
            try {
                thread.join(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
