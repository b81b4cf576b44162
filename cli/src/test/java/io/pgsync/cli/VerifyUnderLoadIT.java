package io.pgsync.cli;

import static io.pgsync.cli.PgSyncProcess.pgsync;
import static io.pgsync.cli.PgSyncProcess.start;
import static io.pgsync.cli.PgSyncProcess.url;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.pgsync.cli.PgSyncProcess.Run;
import io.pgsync.cli.PgSyncProcess.Running;
import io.pgsync.testkit.pg.PostgresCluster;
import io.pgsync.testkit.pg.PostgresExtension;

/**
 * {@code pgsync verify} on the benchmark's tables ({@code accounts} and {@code items}, 60,000 and 12,000 rows by
 * default) synced by {@code pgsync run}, while the source takes a steady load of single-row updates (400 a second by
 * default): it reports no difference, and with four rows corrupted by hand at the destination (two changed, one
 * deleted, one only there) exactly those four keys. Prints verify's speed in rows/s without and with the load.
 * {@code -Dpgsync.verify.rows=1000000} gives the benchmark's full size, {@code -Dpgsync.verify.updates-per-second}
 * another load.
 */
class VerifyUnderLoadIT {

    @RegisterExtension
    static final PostgresExtension origin = PostgresExtension.logical();

    @RegisterExtension
    static final PostgresExtension replacement = PostgresExtension.plain();

    private static final ObjectMapper JSON = new ObjectMapper();

    private static final int ROWS = Integer.getInteger("pgsync.verify.rows", 60_000);
    private static final int UPDATES_PER_SECOND = Integer.getInteger("pgsync.verify.updates-per-second", 400);

    @Test
    void reportsNoRowInFlightAndExactlyTheCorruptedKeysUnderASteadyWriteLoad() throws Exception {
        int items = ROWS / 5;
        for (PostgresExtension side : List.of(origin, replacement)) {
            side.cluster().createDatabase("bench");
        }
        origin.execute("bench",
                "CREATE TABLE accounts (aid int PRIMARY KEY, bid int, abalance int, filler char(84))",
                "CREATE TABLE items (id int PRIMARY KEY, big bigint NOT NULL, price numeric(12,2), name text, "
                        + "updated timestamptz, ref uuid, doc jsonb, active boolean, blob bytea)",
                "INSERT INTO accounts SELECT aid, (aid - 1) / 100000 + 1, 0, '' FROM generate_series(1, " + ROWS
                        + ") aid",
                "INSERT INTO items SELECT i, i::bigint * 1000003, CASE WHEN i % 10 = 0 THEN NULL ELSE "
                        + "round((i % 100000) * 1.37, 2) END, 'item ' || i || ' ' || md5(i::text), "
                        + "timestamptz '2024-01-01 00:00:00+00' + i * interval '1.5 seconds', md5('u' || i)::uuid, "
                        + "jsonb_build_object('id', i, 'tags', jsonb_build_array('a', i % 7), 'note', md5(i::text)), "
                        + "i % 3 = 0, decode(md5(i::text) || md5((i + 1)::text), 'hex') FROM generate_series(1, "
                        + items + ") i");
        String source = url(origin.cluster(), "bench");
        String target = url(replacement.cluster(), "bench");
        // spread over the key ranges; the load leaves them alone, so the sync never repairs them
        int changed = 7;
        int refilled = ROWS / 5 + 7;
        int deleted = 3 * ROWS / 5 + 7;
        int onlyThere = ROWS + 1;
        Set<Integer> corrupted = Set.of(changed, refilled, deleted, onlyThere);

        Path dataDir = Files.createTempDirectory("pgsync-verify-load-");
        Running pipeline = start("run", "--source", source, "--target", target, "--data-dir", dataDir.toString(),
                "--rest-port", "0");
        try {
            pipeline.awaitLine("Incremental sync: streaming changes");
            awaitRows(replacement.cluster(), "accounts", ROWS);
            awaitRows(replacement.cluster(), "items", items);

            Measured idle = verify(source, target);
            assertThat(idle.run().exitCode()).as(idle.run().out() + idle.run().err()).isZero();
            System.out.printf(Locale.ROOT, "verify without load: %s%n", idle.speed(ROWS + items));

            try (Load load = new Load(origin.cluster(), corrupted)) {
                load.awaitUpdates(2L * UPDATES_PER_SECOND);
                long before = load.updates();
                Measured loaded = verify(source, target);
                double rate = (load.updates() - before) * 1000.0 / loaded.wallMs();
                System.out.printf(Locale.ROOT, "verify under %.0f updates/s: %s%n", rate, loaded.speed(ROWS + items));
                assertThat(loaded.run().exitCode()).as("no row in flight reported: " + loaded.run().out()
                        + loaded.run().err()).isZero();
                assertThat(rate).as("the load kept up during the verify").isGreaterThan(UPDATES_PER_SECOND / 2.0);

                replacement.execute("bench",
                        "UPDATE accounts SET abalance = abalance - 1 WHERE aid = " + changed,
                        "UPDATE accounts SET filler = 'tampered' WHERE aid = " + refilled,
                        "DELETE FROM accounts WHERE aid = " + deleted,
                        "INSERT INTO accounts VALUES (" + onlyThere + ", 1, 0, '')");
                before = load.updates();
                Measured corrupt = verify(source, target);
                rate = (load.updates() - before) * 1000.0 / corrupt.wallMs();
                System.out.printf(Locale.ROOT, "verify of corrupted rows under %.0f updates/s: %s%n", rate,
                        corrupt.speed(ROWS + items));
                assertThat(corrupt.run().exitCode()).as(corrupt.run().out() + corrupt.run().err()).isEqualTo(1);
                JsonNode tables = JSON.readTree(corrupt.run().out()).path("tables");
                JsonNode accounts = table(tables, "public.accounts");
                assertThat(accounts.path("differingRows").asLong()).as(accounts.toString()).isEqualTo(4);
                assertThat(accounts.path("differingKeys").findValuesAsText("aid").stream().map(Integer::valueOf))
                        .containsExactlyInAnyOrderElementsOf(corrupted);
                assertThat(table(tables, "public.items").path("equal").asBoolean()).isTrue();
                load.failure();
            }
        } finally {
            pipeline.interrupt();
            pipeline.awaitExit();
        }
    }

    /** One run of {@code pgsync verify --json} and how long it took, by the clock of this test and by its own. */
    private record Measured(Run run, long wallMs) {

        String speed(long rows) {
            long own = 0;
            try {
                for (JsonNode table : JSON.readTree(run.out()).path("tables")) {
                    own += table.path("elapsedMs").asLong();
                }
            } catch (IOException e) {
                return "no report: " + run.out() + run.err();
            }
            return String.format(Locale.ROOT, "%d rows in %d ms (%.0f rows/s; %d ms and %.0f rows/s with the "
                    + "command's start), %d row(s) in flight rechecked", rows, own, rows * 1000.0 / Math.max(1, own),
                    wallMs, rows * 1000.0 / wallMs, inFlight());
        }

        private long inFlight() {
            try {
                return JSON.readTree(run.out()).path("tables").findValues("inFlightRows").stream()
                        .mapToLong(JsonNode::asLong).sum();
            } catch (IOException e) {
                return -1;
            }
        }
    }

    private static Measured verify(String source, String target) throws Exception {
        long start = System.nanoTime();
        Run run = pgsync("verify", "--source", source, "--target", target, "--tables", "public.accounts,public.items",
                "--json");
        return new Measured(run, (System.nanoTime() - start) / 1_000_000);
    }

    private static JsonNode table(JsonNode tables, String name) {
        for (JsonNode table : tables) {
            if (table.path("table").asText().equals(name)) {
                return table;
            }
        }
        throw new AssertionError("no " + name + " in " + tables);
    }

    private static void awaitRows(PostgresCluster cluster, String table, long rows) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 300_000;
        while (!cluster.query("bench", "SELECT pg_catalog.to_regclass('public." + table + "') IS NOT NULL")
                .get(0).get(0).equals("t")
                || Long.parseLong(cluster.query("bench", "SELECT count(*) FROM " + table).get(0).get(0)) < rows) {
            assertThat(System.currentTimeMillis()).as("the full sync of %s", table).isLessThan(deadline);
            Thread.sleep(500);
        }
    }

    /**
     * Single-row updates of random accounts, {@link #UPDATES_PER_SECOND} a second in all from 4 sessions, each its
     * own transaction; the given keys are left alone.
     */
    private static final class Load implements AutoCloseable {
        private static final int SESSIONS = 4;
        private final List<Thread> threads = new ArrayList<>();
        private final AtomicLong updates = new AtomicLong();
        private final AtomicReference<SQLException> failure = new AtomicReference<>();
        private volatile boolean stopped;

        Load(PostgresCluster cluster, Set<Integer> untouched) {
            long intervalNanos = 1_000_000_000L * SESSIONS / UPDATES_PER_SECOND;
            for (int i = 0; i < SESSIONS; i++) {
                Thread thread = new Thread(() -> write(cluster, untouched, intervalNanos), "update-load-" + i);
                thread.setDaemon(true);
                threads.add(thread);
                thread.start();
            }
        }

        private void write(PostgresCluster cluster, Set<Integer> untouched, long intervalNanos) {
            try (Connection connection = cluster.connect("bench");
                    PreparedStatement update = connection.prepareStatement(
                            "UPDATE accounts SET abalance = abalance + 1 WHERE aid = ?")) {
                long next = System.nanoTime();
                while (!stopped) {
                    int aid = 1 + ThreadLocalRandom.current().nextInt(ROWS);
                    if (untouched.contains(aid)) {
                        continue;
                    }
                    update.setInt(1, aid);
                    update.executeUpdate();
                    updates.incrementAndGet();
                    next += intervalNanos;
                    long wait = next - System.nanoTime();
                    if (wait > 0) {
                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    }
                }
            } catch (SQLException e) {
                failure.set(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        long updates() {
            return updates.get();
        }

        void awaitUpdates(long count) throws InterruptedException {
            long deadline = System.currentTimeMillis() + 60_000;
            while (updates.get() < count) {
                failure();
                assertThat(System.currentTimeMillis()).as("the load making %d updates", count).isLessThan(deadline);
                Thread.sleep(50);
            }
        }

        /** Fails the test with the load's error, if it had one. */
        void failure() {
            if (failure.get() != null) {
                throw new AssertionError("the load failed", failure.get());
            }
        }

        @Override
        public void close() throws InterruptedException {
            stopped = true;
            for (Thread thread : threads) {
                thread.join(10_000);
            }
        }
    }
}
