package io.pgsync.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.pgsync.testkit.connect.ConnectExtension;
import io.pgsync.testkit.connect.ConnectWorkerProcess;
import io.pgsync.testkit.pg.PostgresExtension;
import io.pgsync.testkit.registry.SchemaRegistry;

/**
 * Rows larger than one Kafka record, with every Kafka setting at its default (broker {@code message.max.bytes},
 * producer {@code max.request.size}, consumer fetch sizes): rows of 2 MiB and 50 MiB of incompressible text and bytea
 * through the COPY full sync and the stream (inserts, updates of the large values and of other columns, deletes)
 * while another table keeps streaming, with JSON and with Avro; a worker killed after the sink stored the pieces of a
 * row but before it wrote the row; rows of control characters, cut by their size in JSON; and an old row too large
 * for one record, which fails naming table, key and size.
 *
 * <p>The class runs its own broker at Kafka's default {@code message.max.bytes} (the shared test broker takes 10 MB).
 * {@code -Dpgsync.it.large.row.mb} sets the largest row (50 MiB by default), {@code -Dpgsync.it.large.row.heap} the
 * heap of the worker that is killed (1g); that test prints the worker's peak heap from its GC log.
 */
class LargeRowsIT {

    private static final int MIB = 1024 * 1024;
    private static final int LARGE_MB = Integer.getInteger("pgsync.it.large.row.mb", 50);
    /** The heap of the worker process whose kill the test survives. */
    private static final String WORKER_HEAP = System.getProperty("pgsync.it.large.row.heap", "1g");
    private static final Pattern GC_HEAP = Pattern.compile("(\\d+)M->(\\d+)M\\(\\d+M\\)");
    /** 5 minutes, and 2 s more per MiB of the largest row. */
    private static final Duration TIMEOUT = Duration.ofSeconds(300 + 2L * LARGE_MB);
    /** Kafka's default {@code message.max.bytes}. */
    private static final String KAFKA_DEFAULT_MESSAGE_MAX_BYTES = "1048588";

    @RegisterExtension
    static final PostgresExtension source = PostgresExtension.logical();

    @RegisterExtension
    static final PostgresExtension target = PostgresExtension.plain();

    @RegisterExtension
    static final ConnectExtension connect = ConnectExtension.withPluginPath(Pipeline.pluginPath())
            .brokerProperty("message.max.bytes", KAFKA_DEFAULT_MESSAGE_MAX_BYTES);

    @Test
    void rowsOfTwoAndFiftyMegabytesSyncAtKafkasDefaultLimitsWhileAnotherTableStreamsWithJson() throws Exception {
        syncLargeRows("largejson", LARGE_MB, Pipeline.jsonConverters());
    }

    @Test
    void rowsOfTwoMegabytesSyncAtKafkasDefaultLimitsWithAvro() throws Exception {
        try (SchemaRegistry registry = SchemaRegistry.start()) {
            syncLargeRows("largeavro", 2, registry.avroKeyAndValueConverters());
        }
    }

    /**
     * Copies a 2 MiB bytea row and a large text row, then streams inserts of both kinds (one in a transaction with
     * rows of the other table), an update of a small column (the large values unchanged, not sent), updates of the
     * large values and a delete, while the other table takes a row every 20 ms; compares both tables after each step.
     */
    private static void syncLargeRows(String db, int largeMb, Map<String, String> converters) throws Exception {
        int large = largeMb * MIB;
        int two = 2 * MIB;
        createTables(db);
        source.execute(db,
                "INSERT INTO big VALUES (1, 'bytea', random_bytes(" + two + "), NULL)",
                "INSERT INTO big VALUES (2, 'text', NULL, random_text(" + large + "))",
                "INSERT INTO ticks SELECT g, g FROM generate_series(1, 100) g");

        long start = System.nanoTime();
        deploy(db, converters);
        awaitSameRows(db);
        long fullSync = System.nanoTime();

        try (Ticker ticker = new Ticker(db)) {
            source.execute(db, "INSERT INTO big VALUES (3, 'both', random_bytes(" + two + "), random_text(" + two
                    + "))");
            source.execute(db, "INSERT INTO big VALUES (4, 'large bytea', random_bytes(" + large + "), NULL)");
            source.execute(db, "BEGIN; INSERT INTO ticks VALUES (-1, -1); INSERT INTO big VALUES (5, 'in a "
                    + "transaction', NULL, random_text(" + two + ")); INSERT INTO ticks VALUES (-2, -2); COMMIT");
            awaitSameDigests(db);
            source.execute(db, "UPDATE big SET note = note || ' again'");
            awaitSameDigests(db);
            assertThat(target.query(db, "SELECT count(*) FROM big WHERE note LIKE '% again' AND (b IS NOT NULL OR t "
                    + "IS NOT NULL)")).as("the unchanged TOASTed values stay").containsExactly(List.of("5"));
            source.execute(db, "UPDATE big SET b = random_bytes(" + large + ") WHERE id = 1",
                    "UPDATE big SET t = random_text(" + two + ") WHERE id = 2",
                    "DELETE FROM big WHERE id = 3");
            awaitSameDigests(db);
            assertThat(ticker.ticks()).as("the other table streamed meanwhile").isPositive();
        }
        awaitSameRows(db);
        long streaming = System.nanoTime();
        assertThat(connect.statusText(db + "-source")).doesNotContain("FAILED");
        System.out.printf("LargeRowsIT: rows of 2 and %d MiB (%s) at Kafka's default limits: full sync %d ms, "
                + "streaming %d ms%n", largeMb, converters.get("value.converter"), (fullSync - start) / 1_000_000,
                (streaming - fullSync) / 1_000_000);
        connect.delete(db + "-source");
        connect.delete(db + "-sink");
    }

    /**
     * Holds a lock on the destination table, so that the sink stores every piece of a large row and then waits to
     * write the row; kills the worker (SIGKILL) there; checks that nothing of the row reached the destination, then
     * starts the worker again and waits for the row to arrive whole.
     */
    @Test
    void aWorkerKilledAfterTheSinkStoredTheRowsPiecesResendsTheWholeRow() throws Exception {
        String db = "largecrash";
        createTables(db);
        source.execute(db, "INSERT INTO big VALUES (1, 'small', NULL, 'x')");
        Map<String, String> worker = Map.of("consumer.session.timeout.ms", "10000",
                "consumer.heartbeat.interval.ms", "1000");
        Path gcLogs = Files.createTempDirectory("pgsync-largecrash-gc-");
        try (ConnectWorkerProcess process = ConnectWorkerProcess.start(db, connect.bootstrapServers(),
                Pipeline.pluginPath(), WORKER_HEAP, worker, List.of("-Xlog:gc:file=" + gcLogs.resolve("gc-%p.log")))) {
            process.deploy(db + "-sink", Pipeline.withJson(Pipeline.sink(target.cluster(), db, db + ".changelog",
                    1)));
            process.deploy(db + "-source", Pipeline.withJson(Pipeline.source(source.cluster(), db, db,
                    "public.big,public.ticks", 1)));
            process.awaitRunning(TIMEOUT, db + "-source", db + "-sink");
            awaitSameRows(db);

            try (Connection lock = target.cluster().connect(db); Statement statement = lock.createStatement()) {
                lock.setAutoCommit(false);
                statement.execute("LOCK TABLE big IN ACCESS EXCLUSIVE MODE");
                source.execute(db, "INSERT INTO big VALUES (2, 'large', random_bytes(" + LARGE_MB * MIB
                        + "), random_text(" + 2 * MIB + "))", "INSERT INTO ticks VALUES (1, 1)");
                await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(200)).until(() -> !target.query(db,
                        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = "
                                + "'Lock' AND query LIKE 'INSERT INTO \"public\".\"big\"%pgsync_pieces%'").isEmpty());
                process.kill();
                lock.rollback();
            }
            assertThat(target.query(db, "SELECT count(*) FROM big WHERE id = 2")).as("no part of the row")
                    .containsExactly(List.of("0"));
            process.launch();
            process.awaitRunning(TIMEOUT, db + "-source", db + "-sink");
            awaitSameRows(db);
        }
        printPeakHeaps(gcLogs);
    }

    /**
     * Prints the peak heap of each worker JVM from its GC log, in the order they ran (the first one decoded the row at
     * the source; the one started after the kill put it together again at the sink), and deletes the logs.
     */
    private static void printPeakHeaps(Path gcLogs) throws IOException {
        List<Path> logs;
        try (Stream<Path> files = Files.list(gcLogs)) {
            logs = files.sorted(Comparator.comparing(LargeRowsIT::modified)).toList();
        }
        StringJoiner peaks = new StringJoiner("; ");
        for (Path log : logs) {
            long before = 0;
            long after = 0;
            Matcher heap = GC_HEAP.matcher(Files.readString(log));
            while (heap.find()) {
                before = Math.max(before, Long.parseLong(heap.group(1)));
                after = Math.max(after, Long.parseLong(heap.group(2)));
            }
            peaks.add("worker " + (peaks.length() == 0 ? "before" : "after") + " the kill: at most " + before
                    + " MiB before a GC, " + after + " MiB after one");
            Files.delete(log);
        }
        Files.delete(gcLogs);
        System.out.printf("LargeRowsIT: a row of %d MiB bytea and 2 MiB text, re-sent after a kill, workers of "
                + "-Xmx%s: %s%n", LARGE_MB, WORKER_HEAP, peaks);
    }

    private static FileTime modified(Path file) {
        try {
            return Files.getLastModifiedTime(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Rows of control characters, which JSON writes as 6 bytes each ({@code \u0001}): the full sync's chunks, and the
     * streamed rows, are cut by the size the converter writes, not by the size PostgreSQL sends.
     */
    @Test
    void rowsOfControlCharactersAreCutByTheirSizeInJson() throws Exception {
        String db = "largeescape";
        createTables(db);
        String control = "repeat(chr(1), 150000)";
        source.execute(db, "INSERT INTO big SELECT g, 'control', NULL, " + control + " FROM generate_series(1, 12) g");
        deploy(db, Pipeline.jsonConverters());
        awaitSameDigestsWhileSourceRuns(db);
        source.execute(db, "INSERT INTO big SELECT g, 'control', NULL, " + control + " FROM generate_series(13, 24) "
                + "g");
        awaitSameDigestsWhileSourceRuns(db);
        connect.delete(db + "-source");
        connect.delete(db + "-sink");
    }

    @Test
    void anOldRowAboveTheLimitFailsTheSourceTaskNamingTableKeyAndSize() throws Exception {
        String db = "largeold";
        createTables(db);
        source.execute(db, "ALTER TABLE big REPLICA IDENTITY FULL",
                "INSERT INTO big VALUES (1, 'large', NULL, random_text(" + 2 * MIB + "))");
        deploy(db, Pipeline.jsonConverters());
        awaitSameRows(db);
        source.execute(db, "DELETE FROM big WHERE id = 1");
        await().atMost(TIMEOUT).until(() -> connect.statusText(db + "-source").contains("FAILED"));
        assertThat(connect.statusText(db + "-source"))
                .contains("Cannot send a change of public.big key (id=1) to the changelog")
                .contains("at producer.override.max.request.size=1048576")
                .contains("REPLICA IDENTITY DEFAULT");
        connect.delete(db + "-source");
        connect.delete(db + "-sink");
    }

    /** Creates table {@code big}, table {@code ticks} and the functions that make random, incompressible values. */
    private static void createTables(String db) {
        source.cluster().createDatabase(db);
        target.cluster().createDatabase(db);
        source.execute(db,
                "CREATE FUNCTION random_bytes(n int) RETURNS bytea LANGUAGE sql AS $$ SELECT decode(string_agg("
                        + "md5(random()::text || g), ''), 'hex') FROM generate_series(1, n / 16) g $$",
                "CREATE FUNCTION random_text(n int) RETURNS text LANGUAGE sql AS $$ SELECT translate(encode("
                        + "random_bytes(n / 4 * 3), 'base64'), E'\\n', '') $$",
                "CREATE TABLE big (id int PRIMARY KEY, note text, b bytea, t text)",
                "CREATE TABLE ticks (id int PRIMARY KEY, v int)");
    }

    private static void deploy(String db, Map<String, String> converters) throws InterruptedException {
        Map<String, String> sink = Pipeline.sink(target.cluster(), db, db + ".changelog", 1);
        sink.putAll(converters);
        Map<String, String> src = Pipeline.source(source.cluster(), db, db, "public.big,public.ticks", 1);
        src.putAll(converters);
        connect.deploy(db + "-sink", sink);
        connect.deploy(db + "-source", src);
        connect.awaitRunning(db + "-source", 1);
    }

    /**
     * Waits until both sides hold the same rows: {@code ticks} row by row, {@code big} by key, note, length and md5 of
     * each large value, so that the values are never read into the test's heap.
     */
    private static void awaitSameRows(String db) {
        awaitSameDigests(db);
        Tables.awaitEqual(source.cluster(), target.cluster(), db, "ticks", TIMEOUT, () -> connect.statusText(db
                + "-sink"));
    }

    /** Waits until both sides hold the same rows of {@code big} (while {@code ticks} may still take rows). */
    private static void awaitSameDigests(String db) {
        String digests = "SELECT id, note, length(b), md5(b), length(t), md5(t) FROM big ORDER BY id";
        await().atMost(TIMEOUT).pollInterval(Duration.ofSeconds(1)).ignoreExceptions().untilAsserted(() ->
                assertThat(target.query(db, digests)).as("digests on the destination (%s)",
                        connect.statusText(db + "-sink")).isEqualTo(source.query(db, digests)));
    }

    /** Waits until both sides hold the same rows of {@code big}; fails as soon as the source task fails. */
    private static void awaitSameDigestsWhileSourceRuns(String db) {
        String digests = "SELECT id, note, length(b), md5(b), length(t), md5(t) FROM big ORDER BY id";
        await().atMost(TIMEOUT).pollInterval(Duration.ofSeconds(1)).until(() -> {
            assertThat(connect.statusText(db + "-source")).as("the source connector").doesNotContain("FAILED");
            try {
                return target.query(db, digests).equals(source.query(db, digests));
            } catch (RuntimeException e) {
                return false;
            }
        });
    }

    /** Inserts a row into {@code ticks} every 20 ms, each in a transaction of its own, until closed. */
    private static final class Ticker implements AutoCloseable {
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final AtomicInteger ticks = new AtomicInteger();
        private final Thread thread;

        Ticker(String db) {
            thread = new Thread(() -> {
                try (Connection connection = source.cluster().connect(db);
                        Statement statement = connection.createStatement()) {
                    for (int id = 1_000; running.get(); id++) {
                        statement.execute("INSERT INTO ticks VALUES (" + id + ", " + id + ")");
                        ticks.incrementAndGet();
                        Thread.sleep(20);
                    }
                } catch (SQLException | InterruptedException e) {
                    throw new IllegalStateException("The ticker stopped", e);
                }
            }, "ticker-" + db);
            thread.start();
        }

        int ticks() {
            return ticks.get();
        }

        @Override
        public void close() {
            running.set(false);
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
