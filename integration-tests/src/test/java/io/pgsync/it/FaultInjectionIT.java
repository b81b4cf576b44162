package io.pgsync.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.pgsync.testkit.connect.ConnectWorkerProcess;
import io.pgsync.testkit.pg.PostgresCluster;

/**
 * Faults injected into the real processes of a running sync: the Connect worker's JVM killed with SIGKILL during the
 * schema sync, the full sync, streaming and its own restart; the Kafka broker restarted; the destination stopped for
 * longer than a retry and crashed ({@code immediate}); the source restarted and crashed while streaming; a source
 * transaction of a million rows through a worker with a small heap; a transaction held open while others commit.
 * Each test ends with the destination compared with the source, table by table.
 *
 * <p>Randomized by {@code -Dpgsync.it.seed}; {@code -Dpgsync.it.size} sets the rows of the kill run and
 * {@code -Dpgsync.it.duration} its seconds of mixed load with random faults (the long run: 1800);
 * {@code -Dpgsync.it.big.tx.rows} the rows of the large transaction.
 */
class FaultInjectionIT extends PipelineIT {

    private static final long SEED = Long.getLong("pgsync.it.seed", 20261125L);
    private static final int SIZE = Integer.getInteger("pgsync.it.size", 20_000);
    private static final int DURATION_SECONDS = Integer.getInteger("pgsync.it.duration", 20);
    private static final int BIG_TX_ROWS = Integer.getInteger("pgsync.it.big.tx.rows", 1_000_000);
    private static final String WORKER_HEAP = "384m";
    private static final Duration TIMEOUT = Duration.ofSeconds(Math.max(180, SIZE / 200));
    private static final String ROLE = "pgsync_faults";
    private static final String SOURCE_PASSWORD = "src-" + Long.toHexString(new Random().nextLong());
    private static final String TARGET_PASSWORD = "dst-" + Long.toHexString(new Random().nextLong());
    private static final int SMALL_TABLES = 100;

    private static ConnectWorkerProcess worker;

    @BeforeAll
    static void startWorker() {
        source.execute("postgres", "CREATE ROLE " + ROLE + " LOGIN SUPERUSER REPLICATION PASSWORD '" + SOURCE_PASSWORD + "'");
        target.execute("postgres", "CREATE ROLE " + ROLE + " LOGIN SUPERUSER REPLICATION PASSWORD '" + TARGET_PASSWORD + "'");
        // A killed sink task's consumer stays in its group until the session times out (45 s by default): the
        // restarted task waits that long before it gets its partitions.
        worker = ConnectWorkerProcess.start("faults", connect.bootstrapServers(), Pipeline.pluginPath(), WORKER_HEAP,
                Map.of("consumer.session.timeout.ms", "10000", "consumer.heartbeat.interval.ms", "1000"));
    }

    @AfterAll
    static void stopWorker() {
        if (worker != null) {
            worker.close();
        }
    }

    @Test
    void workerKilledInEachPhaseAndRandomFaultsWhileStreamingLoseAndDoubleNothing() throws Exception {
        String db = "faults";
        createDatabases(db);
        List<String> schema = new ArrayList<>(List.of("CREATE SCHEMA app",
                "CREATE TABLE app.accounts (id int PRIMARY KEY, balance bigint NOT NULL, note text)",
                "INSERT INTO app.accounts SELECT g, 1000, md5(g::text) FROM generate_series(1, " + SIZE + ") g",
                "CREATE TABLE app.events (seq bigint NOT NULL, note text)",
                "ALTER TABLE app.events REPLICA IDENTITY FULL",
                "INSERT INTO app.events SELECT g, 'initial' FROM generate_series(1, " + SIZE / 10 + ") g"));
        for (int i = 1; i <= SMALL_TABLES; i++) {
            schema.add("CREATE TABLE app.t" + i + " (id int PRIMARY KEY, ref int, v text)");
            schema.add("CREATE INDEX ON app.t" + i + " (ref)");
            schema.add("INSERT INTO app.t" + i + " SELECT g, g % 7, 'v' || g FROM generate_series(1, 20) g");
        }
        source.execute(db, schema.toArray(String[]::new));
        // Makes the schema sync last long enough to kill the worker in its middle: every DDL command the sink runs
        // at the destination takes 20 ms more and counts itself in a sequence (sequences ignore transactions).
        target.execute(db, "CREATE SEQUENCE public.ddl_seen",
                "CREATE FUNCTION public.slow_ddl() RETURNS event_trigger LANGUAGE plpgsql AS "
                        + "$$ BEGIN PERFORM nextval('public.ddl_seen'); PERFORM pg_sleep(0.02); END $$",
                "CREATE EVENT TRIGGER slow_ddl ON ddl_command_end EXECUTE FUNCTION public.slow_ddl()",
                "ALTER EVENT TRIGGER slow_ddl ENABLE ALWAYS");

        Random random = new Random(SEED);
        List<String> faults = new ArrayList<>();
        deploy(db, "app.*", Map.of("throttle.full.rows.per.second", Integer.toString(Math.max(1000, SIZE / 4))),
                Map.of("apply.batch.max.records", "1000"));

        int schemaKillAt = 5 + random.nextInt(SMALL_TABLES);
        await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(10)).until(() -> ddlSeen(db) >= schemaKillAt);
        long seen = ddlSeen(db);
        worker.kill();
        assertThat(seen).as("DDL commands applied when the worker was killed").isLessThan(2L * SMALL_TABLES);
        faults.add("worker killed in the schema sync (" + seen + " DDL commands applied)");
        target.execute(db, "DROP EVENT TRIGGER slow_ddl");
        worker.launch();

        int fullKillAt = SIZE / 10 + random.nextInt(SIZE * 7 / 10);
        await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(20)).ignoreExceptions()
                .until(() -> count(target.cluster(), db, "app.accounts") >= fullKillAt);
        long copied = count(target.cluster(), db, "app.accounts");
        worker.kill();
        assertThat(copied).as("rows copied when the worker was killed").isLessThan(SIZE);
        faults.add("worker killed in the full sync (" + copied + " of " + SIZE + " rows copied)");
        worker.launch();
        awaitRunning(db);

        try (Load load = new Load(db, SIZE, random.nextLong())) {
            long end = System.nanoTime() + Duration.ofSeconds(DURATION_SECONDS).toNanos();
            for (int n = 0; System.nanoTime() < end || n < 3; n++) {
                Thread.sleep(1500 + random.nextInt(3000));
                faults.add(injectRandomFault(random) + " after " + load.commits() + " source transactions");
            }
            awaitRunning(db);
            Thread.sleep(1000);
            assertThat(load.commits()).isPositive();
        }

        awaitEqual(db, "app.accounts", "app.events", "app.t1", "app.t" + SMALL_TABLES);
        for (int i = 2; i < SMALL_TABLES; i++) {
            assertThat(fingerprint(target.cluster(), db, "app.t" + i)).as("app.t%d", i)
                    .isEqualTo(fingerprint(source.cluster(), db, "app.t" + i));
        }
        assertThat(target.query(db, "SELECT seq FROM app.events GROUP BY seq HAVING count(*) > 1"))
                .as("events applied twice after faults %s", faults).isEmpty();
        assertThat(target.query(db, "SELECT sum(balance)::text FROM app.accounts"))
                .containsExactly(List.of(Long.toString(1000L * SIZE)));
        assertThat(faults).as("faults").hasSizeGreaterThanOrEqualTo(5);
        System.out.printf("FaultInjectionIT seed %d size %d, %d s of load: %d faults survived: %s%n", SEED, SIZE,
                DURATION_SECONDS, faults.size(), faults);
        assertNoSecretsAnywhere(db);
    }

    @Test
    void brokerRestartedWhileStreamingLosesNothing() throws Exception {
        String db = "broker";
        syncAccounts(db, 2000, Map.of());
        try (Load load = new Load(db, 2000, SEED)) {
            Thread.sleep(2000);
            connect.cluster().kafka().stopOnlyBrokers();
            long committedWhileDown = load.commits();
            Thread.sleep(5000);
            assertThat(load.commits()).as("the source keeps committing while Kafka is down")
                    .isGreaterThan(committedWhileDown);
            connect.cluster().kafka().restartOnlyBrokers();
            Thread.sleep(3000);
        }
        awaitEqual(db, "public.accounts", "public.events");
        awaitRunning(db);
    }

    @Test
    void destinationStoppedLongerThanARetryAndCrashedIsWaitedForAndResumed() throws Exception {
        String db = "destfault";
        syncAccounts(db, 2000, Map.of("retry.backoff.max.ms", "1000"));
        long retriesBefore = logLines("will re-read from the last applied offsets");
        try (Load load = new Load(db, 2000, SEED + 1)) {
            Thread.sleep(1500);
            target.cluster().stop();
            Thread.sleep(6000);
            target.cluster().restart();
            Thread.sleep(2000);
            target.cluster().crash();
            Thread.sleep(2000);
            target.cluster().restart();
            Thread.sleep(2000);
            assertThat(load.commits()).isPositive();
        }
        awaitEqual(db, "public.accounts", "public.events");
        assertThat(worker.statusJson(db + "-sink")).as("the sink waited instead of failing")
                .doesNotContain("FAILED");
        assertThat(logLines("will re-read from the last applied offsets") - retriesBefore)
                .as("retries logged while the destination was down").isGreaterThanOrEqualTo(3);
        System.out.printf("FaultInjectionIT: destination crash: %d report(s) of lost transactions applied again%n",
                logLines("The destination lost transactions it had committed"));
    }

    @Test
    void sourceRestartedCrashedAndDownWhileStreamingResumesFromItsSlot() throws Exception {
        String db = "srcfault";
        syncAccounts(db, 2000, Map.of());
        List<List<String>> slots = source.query(db, "SELECT slot_name FROM pg_replication_slots WHERE database = '"
                + db + "'");
        try (Load load = new Load(db, 2000, SEED + 2)) {
            Thread.sleep(1500);
            source.cluster().restart();
            Thread.sleep(3000);
            source.cluster().crash();
            source.cluster().restart();
            Thread.sleep(3000);
            assertThat(load.commits()).isPositive();
        }
        // down for longer than Debezium's wait before it starts the task again (retriable.restart.connector.wait.ms,
        // 10 s): the task's start finds the source unreachable, and must try again rather than fail
        source.cluster().stop();
        Thread.sleep(16_000);
        source.cluster().restart();
        source.execute(db, "UPDATE accounts SET balance = balance + 1 WHERE id = 1");
        awaitRunning(db);
        awaitEqual(db, "public.accounts", "public.events");
        assertThat(source.query(db, "SELECT slot_name FROM pg_replication_slots WHERE database = '" + db + "'"))
                .as("the same replication slot, not a new one").hasSize(1).isEqualTo(slots);
    }

    @Test
    void aMillionRowTransactionIsAppliedAtomicallyThroughASmallHeap() throws Exception {
        String db = "bigtx";
        createDatabases(db);
        source.execute(db, "CREATE TABLE big (id bigint PRIMARY KEY, v text NOT NULL)");
        deploy(db, "public.big", Map.of(), Map.of());
        await().atMost(TIMEOUT).ignoreExceptions().until(() -> count(target.cluster(), db, "big") == 0);
        long pid = worker.pid();

        Set<Long> counts = new ConcurrentSkipListSet<>();
        AtomicBoolean reading = new AtomicBoolean(true);
        Thread reader = new Thread(() -> {
            try (Connection conn = target.cluster().connect(db); Statement st = conn.createStatement()) {
                while (reading.get()) {
                    try (ResultSet rs = st.executeQuery("SELECT count(*) FROM big")) {
                        rs.next();
                        counts.add(rs.getLong(1));
                    }
                    Thread.sleep(50);
                }
            } catch (SQLException | InterruptedException e) {
                counts.add(-1L);
            }
        }, "destination-reader");
        reader.start();
        long begin = System.nanoTime();
        // about 150 MB of row data in one transaction, against a worker heap of 384 MB
        source.execute(db, "INSERT INTO big SELECT g, repeat(md5(g::text), 4) FROM generate_series(1, "
                + BIG_TX_ROWS + ") g");
        try {
            await().atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> counts.contains((long) BIG_TX_ROWS) || worker.statusJson(db + "-sink").contains("FAILED"));
        } finally {
            reading.set(false);
            reader.join();
        }
        long seconds = Duration.ofNanos(System.nanoTime() - begin).toSeconds();
        System.out.printf("FaultInjectionIT: %d rows in one transaction applied in %d s with a %s worker heap%n",
                BIG_TX_ROWS, seconds, WORKER_HEAP);
        assertThat(worker.statusJson(db + "-sink")).doesNotContain("FAILED");
        assertThat(counts).as("row counts a destination reader saw").containsOnly(0L, (long) BIG_TX_ROWS);
        assertThat(worker.pid()).as("the worker JVM did not die (it exits on OutOfMemoryError)").isEqualTo(pid);
        assertThat(fingerprint(target.cluster(), db, "big")).isEqualTo(fingerprint(source.cluster(), db, "big"));
    }

    @Test
    void aTransactionHeldOpenWhileOthersCommitLandsInCommitOrder() throws Exception {
        String db = "longtx";
        syncAccounts(db, 100, Map.of());
        try (Connection open = source.cluster().connect(db); Statement st = open.createStatement()) {
            open.setAutoCommit(false);
            st.execute("UPDATE accounts SET note = 'held open' WHERE id <= 10");
            st.execute("INSERT INTO events SELECT g, 'held open' FROM generate_series(1, 50) g");
            for (int i = 0; i < 30; i++) {
                source.execute(db, "UPDATE accounts SET note = 'committed " + i + "' WHERE id = " + (11 + i),
                        "INSERT INTO events VALUES (" + (100 + i) + ", 'committed')");
            }
            awaitEqual(db, "public.events");
            assertThat(target.query(db, "SELECT count(*) FROM events WHERE note = 'held open'"))
                    .as("nothing of the open transaction before its commit").containsExactly(List.of("0"));
            open.commit();
        }
        source.execute(db, "UPDATE accounts SET note = 'after' WHERE id = 5");
        awaitEqual(db, "public.accounts", "public.events");
        assertThat(target.query(db, "SELECT note FROM accounts WHERE id IN (5, 6) ORDER BY id"))
                .containsExactly(List.of("after"), List.of("held open"));
    }

    /**
     * Injects one fault while streaming, chosen at random: mostly a SIGKILL of the worker (sometimes a second one
     * during its restart), else a destination crash or stop, a source crash, or a broker restart.
     */
    private static String injectRandomFault(Random random) throws InterruptedException {
        int kind = random.nextInt(10);
        if (kind < 6) {
            worker.kill();
            worker.launch();
            if (random.nextInt(4) > 0) {
                return "worker killed";
            }
            Thread.sleep(random.nextInt(1500));
            worker.kill();
            worker.launch();
            return "worker killed, and again during its restart";
        }
        if (kind == 6) {
            target.cluster().crash();
            Thread.sleep(random.nextInt(3000));
            target.cluster().restart();
            return "destination crashed";
        }
        if (kind == 7) {
            target.cluster().stop();
            Thread.sleep(2000 + random.nextInt(5000));
            target.cluster().restart();
            return "destination stopped";
        }
        if (kind == 8) {
            source.cluster().crash();
            source.cluster().restart();
            return "source crashed";
        }
        connect.cluster().kafka().stopOnlyBrokers();
        Thread.sleep(1000 + random.nextInt(4000));
        connect.cluster().kafka().restartOnlyBrokers();
        return "broker restarted";
    }

    /** The secrets appear nowhere an operator or attacker could read them: logs, REST status, pgsync.status. */
    private static void assertNoSecretsAnywhere(String db) throws IOException {
        String log = Files.readString(worker.logFile(), StandardCharsets.UTF_8)
                + Files.readString(worker.outFile(), StandardCharsets.UTF_8);
        assertThat(log).as("worker log").contains("pgsync").doesNotContain(SOURCE_PASSWORD, TARGET_PASSWORD);
        assertThat(worker.statusJson(db + "-source") + worker.statusJson(db + "-sink")).as("REST status")
                .doesNotContain(SOURCE_PASSWORD, TARGET_PASSWORD);
        assertThat(target.query(db, "SELECT s::text FROM pgsync.status s").toString()).as("pgsync.status")
                .isNotEmpty().doesNotContain(SOURCE_PASSWORD, TARGET_PASSWORD);
        assertThat(source.cluster().logTail(100_000) + target.cluster().logTail(100_000)).as("server logs")
                .doesNotContain(SOURCE_PASSWORD, TARGET_PASSWORD);
    }

    /**
     * Creates tables {@code accounts} (with {@code rows} rows) and {@code events} (keyless), deploys their pipeline and
     * waits until the accounts are synced.
     */
    private static void syncAccounts(String db, int rows, Map<String, String> sinkExtra) {
        createDatabases(db);
        source.execute(db, "CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL, note text)",
                "INSERT INTO accounts SELECT g, 1000, md5(g::text) FROM generate_series(1, " + rows + ") g",
                "CREATE TABLE events (seq bigint NOT NULL, note text)",
                "ALTER TABLE events REPLICA IDENTITY FULL");
        deploy(db, "public.*", Map.of(), sinkExtra);
        awaitEqual(db, "public.accounts");
    }


    /** Deploys the pipeline of {@code db} through the worker process's REST API, as the faults role. */
    private static void deploy(String db, String tables, Map<String, String> sourceExtra,
            Map<String, String> sinkExtra) {
        Map<String, String> sink = Pipeline.withJson(Pipeline.sink(target.cluster(), db, db + ".changelog", 1));
        sink.put("connection.user", ROLE);
        sink.put("connection.password", TARGET_PASSWORD);
        sink.put("retry.backoff.max.ms", "500");
        sink.put("consumer.override.max.poll.records", "5000");
        sink.putAll(sinkExtra);
        Map<String, String> src = Pipeline.withJson(Pipeline.source(source.cluster(), db, db, tables, 1));
        src.put("database.user", ROLE);
        src.put("database.password", SOURCE_PASSWORD);
        src.putAll(sourceExtra);
        worker.deploy(db + "-sink", sink);
        worker.deploy(db + "-source", src);
        awaitRunning(db);
    }

    private static void awaitRunning(String db) {
        worker.awaitRunning(Duration.ofSeconds(120), db + "-source", db + "-sink");
    }

    private static void awaitEqual(String db, String... tables) {
        for (String table : tables) {
            await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(500)).ignoreExceptions().untilAsserted(() ->
                    assertThat(fingerprint(target.cluster(), db, table))
                            .as("rows of %s on the destination (sink: %s)", table, worker.statusJson(db + "-sink"))
                            .isEqualTo(fingerprint(source.cluster(), db, table)));
        }
    }

    /** Row count and a digest of every row's text form, sorted: equal when the tables hold the same rows. */
    private static String fingerprint(PostgresCluster db, String database, String table) {
        return db.query(database, "SELECT count(*) || ' ' || coalesce(md5(string_agg(t::text, E'\\n' ORDER BY "
                + "t::text)), '') FROM " + table + " t").get(0).get(0);
    }

    private static long count(PostgresCluster db, String database, String table) {
        return Long.parseLong(db.query(database, "SELECT count(*) FROM " + table).get(0).get(0));
    }

    private static long ddlSeen(String db) {
        return Long.parseLong(target.query(db, "SELECT CASE WHEN is_called THEN last_value ELSE 0 END "
                + "FROM public.ddl_seen").get(0).get(0));
    }

    private static long logLines(String text) throws IOException {
        return Files.readAllLines(worker.logFile(), StandardCharsets.UTF_8).stream().filter(l -> l.contains(text))
                .count();
    }

    /**
     * Mixed source load on a thread of its own until closed: transfers between accounts (their sum stays), inserts
     * into the keyless, insert-only {@code events} (a duplicate there would show), notes rewritten. Outages of the
     * source are waited out: a failed transaction is dropped and the next one tried on a new connection.
     */
    private static final class Load implements AutoCloseable {

        private final String db;
        private final int accounts;
        private final Random random;
        private final String eventsTable;
        private final String accountsTable;
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final AtomicLong commits = new AtomicLong();
        private final Thread thread;
        private long seq = 1_000_000_000L;

        Load(String db, int accounts, long seed) {
            this.db = db;
            this.accounts = accounts;
            this.random = new Random(seed);
            boolean app = !source.query(db, "SELECT 1 FROM pg_namespace WHERE nspname = 'app'").isEmpty();
            this.accountsTable = app ? "app.accounts" : "accounts";
            this.eventsTable = app ? "app.events" : "events";
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
                        for (int i = 0; i < 3; i++) {
                            int from = 1 + random.nextInt(accounts);
                            int to = 1 + random.nextInt(accounts);
                            int amount = 1 + random.nextInt(50);
                            st.addBatch("UPDATE " + accountsTable + " SET balance = balance - " + amount
                                    + ", note = md5(random()::text) WHERE id = " + from);
                            st.addBatch("UPDATE " + accountsTable + " SET balance = balance + " + amount
                                    + " WHERE id = " + to);
                        }
                        st.addBatch("INSERT INTO " + eventsTable + " VALUES (" + (++seq) + ", 'load')");
                        st.executeBatch();
                        conn.commit();
                        commits.incrementAndGet();
                        Thread.sleep(random.nextInt(3));
                    }
                } catch (SQLException e) {
                    sleepQuietly(200);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        private static void sleepQuietly(long millis) {
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
