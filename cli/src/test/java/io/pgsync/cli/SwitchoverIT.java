package io.pgsync.cli;

import static io.pgsync.cli.PgSyncProcess.pgsync;
import static io.pgsync.cli.PgSyncProcess.start;
import static io.pgsync.cli.PgSyncProcess.url;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.pgsync.cli.PgSyncProcess.Run;
import io.pgsync.cli.PgSyncProcess.Running;
import io.pgsync.testkit.pg.PostgresCluster;
import io.pgsync.testkit.pg.PostgresExtension;

/**
 * {@code pgsync switchover} end to end, under a write load of an application role on the source, against a pipeline
 * that {@code pgsync run} runs (embedded Kafka and Connect): a switchover that times out lifts its fence and the
 * application writes again; one with a wrong connector name changes nothing; a real one fences the application,
 * waits for the sink, moves the sequences and verifies, after which every transaction the application committed is
 * at the destination, and writes at the destination collide with no replicated key or sequence value.
 */
class SwitchoverIT {

    @RegisterExtension
    static final PostgresExtension origin = PostgresExtension.logical();

    @RegisterExtension
    static final PostgresExtension replacement = PostgresExtension.plain();

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void switchesOverUnderLoadAndTheDestinationWritesWithoutCollisions() throws Exception {
        origin.cluster().createDatabase("shop");
        replacement.cluster().createDatabase("shop");
        origin.execute("shop",
                "CREATE TABLE accounts (id bigserial PRIMARY KEY, owner text NOT NULL, balance numeric NOT NULL)",
                "CREATE TABLE events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, account bigint NOT NULL, "
                        + "what text)",
                "CREATE SEQUENCE ticket_numbers START 1000",
                "CREATE TABLE tickets (no int PRIMARY KEY DEFAULT nextval('ticket_numbers'), account bigint)",
                "INSERT INTO accounts (owner, balance) SELECT 'owner ' || g, 100 FROM generate_series(1, 2000) g",
                "INSERT INTO events (account, what) SELECT 1 + g % 2000, 'opened' FROM generate_series(1, 3000) g",
                "INSERT INTO tickets (account) SELECT g FROM generate_series(1, 500) g",
                "CREATE ROLE app LOGIN PASSWORD 'app'",
                "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO app",
                "GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO app");
        String source = url(origin.cluster(), "shop");
        String target = url(replacement.cluster(), "shop");
        Path dataDir = Files.createTempDirectory("pgsync-switchover-");
        Running pipeline = start("run", "--source", source, "--target", target, "--data-dir", dataDir.toString(),
                "--rest-port", "0");
        try (Load load = new Load(origin.cluster().jdbcUrl("shop"), 3)) {
            pipeline.awaitLine("Incremental sync: streaming changes");
            String connectUrl = pipeline.output().lines().filter(l -> l.startsWith("Kafka Connect REST API: "))
                    .findFirst().orElseThrow().split(" ")[4];
            load.awaitCommits(200);

            Run timedOut = pgsync("switchover", "--source", source, "--target", target, "--connect-url",
                    connectUrl, "--fence-roles", "app", "--timeout-seconds", "0", "--json");
            assertThat(timedOut.exitCode()).as(timedOut.out() + timedOut.err()).isEqualTo(4);
            JsonNode timedOutReport = JSON.readTree(timedOut.out());
            assertThat(timedOutReport.path("fenceLifted").asBoolean()).isTrue();
            assertThat(origin.query("shop", "SELECT count(*) FROM pg_db_role_setting")).containsExactly(List.of("0"));
            long before = load.committed();
            load.awaitCommits(before + 100);

            Run wrongName = pgsync("switchover", "--source", source, "--target", target, "--connect-url", connectUrl,
                    "--sink-connector", "no-such-sink", "--fence-roles", "app");
            assertThat(wrongName.exitCode()).as(wrongName.out() + wrongName.err()).isEqualTo(3);
            assertThat(wrongName.out()).contains("FAIL  connector no-such-sink", "nothing was changed");
            load.awaitCommits(load.committed() + 100);

            Run switchover = pgsync("switchover", "--source", source, "--target", target, "--connect-url",
                    connectUrl, "--fence-roles", "app", "--json");
            assertThat(switchover.exitCode()).as(switchover.out() + switchover.err()).isZero();
            JsonNode report = JSON.readTree(switchover.out());
            assertThat(report.path("fence").path("sessionsEnded").asInt()).isGreaterThanOrEqualTo(1);
            assertThat(report.path("verified")).hasSize(3).allSatisfy(t -> assertThat(t.path("equal").asBoolean())
                    .as(t.toString()).isTrue());
            assertThat(report.path("sequences").findValuesAsText("source")).containsExactlyInAnyOrder(
                    "public.accounts_id_seq", "public.events_id_seq", "public.ticket_numbers");
            System.out.printf("switchover under load: ready %d ms after the fence, fenced %d ms in all; "
                    + "%d transactions committed, %d refused by the fence%n", report.path("readyAfterMs").asLong(),
                    report.path("fencedMs").asLong(), load.committed(), load.refused());
            System.out.println(switchover.err());

            long committed = load.committed();
            load.awaitRefusals(load.refused() + 20);
            assertThat(load.committed()).as("no application transaction commits through the fence")
                    .isEqualTo(committed);
            load.close();

            for (String table : List.of("accounts", "events")) {
                assertThat(ids(replacement.cluster(), table)).as(table).containsAll(load.ids(table))
                        .isEqualTo(ids(origin.cluster(), table));
            }
            // the destination's next values lie beyond every key replicated and every value the source's
            // sequences handed out, also to transactions that did not commit
            long lastAccount = sequence(origin.cluster(), "accounts_id_seq");
            long lastEvent = sequence(origin.cluster(), "events_id_seq");
            long lastTicket = sequence(origin.cluster(), "ticket_numbers");
            assertThat(lastAccount).isGreaterThanOrEqualTo(max(origin.cluster(), "accounts", "id"));
            replacement.execute("shop",
                    "INSERT INTO accounts (owner, balance) SELECT 'new ' || g, 0 FROM generate_series(1, 500) g",
                    "INSERT INTO events (account, what) SELECT g, 'after' FROM generate_series(1, 500) g",
                    "INSERT INTO tickets (account) SELECT -g FROM generate_series(1, 500) g");
            assertThat(min(replacement.cluster(), "accounts WHERE owner LIKE 'new %'", "id")).isGreaterThan(lastAccount);
            assertThat(min(replacement.cluster(), "events WHERE what = 'after'", "id")).isGreaterThan(lastEvent);
            assertThat(min(replacement.cluster(), "tickets WHERE account < 0", "no")).isGreaterThan(lastTicket);
        } finally {
            pipeline.interrupt();
            pipeline.awaitExit();
        }
    }

    private static Set<Long> ids(PostgresCluster cluster, String table) {
        Set<Long> ids = ConcurrentHashMap.newKeySet();
        cluster.query("shop", "SELECT id FROM " + table).forEach(row -> ids.add(Long.parseLong(row.get(0))));
        return ids;
    }

    private static long max(PostgresCluster cluster, String table, String column) {
        return Long.parseLong(cluster.query("shop", "SELECT max(" + column + ") FROM " + table).get(0).get(0));
    }

    private static long sequence(PostgresCluster cluster, String name) {
        return Long.parseLong(cluster.query("shop", "SELECT last_value FROM " + name).get(0).get(0));
    }

    private static long min(PostgresCluster cluster, String from, String column) {
        return Long.parseLong(cluster.query("shop", "SELECT min(" + column + ") FROM " + from).get(0).get(0));
    }

    /**
     * An application writing as role {@code app}: each transaction opens an account, records two events, takes a
     * ticket and moves money, about 50 a second per thread. A refused transaction (read-only, session ended) is
     * counted and tried again on a new connection.
     */
    private static final class Load implements AutoCloseable {
        private final String url;
        private final List<Thread> threads = new ArrayList<>();
        private final AtomicLong committed = new AtomicLong();
        private final AtomicLong refused = new AtomicLong();
        private final Set<Long> accounts = ConcurrentHashMap.newKeySet();
        private final Set<Long> events = ConcurrentHashMap.newKeySet();
        private volatile boolean stopped;

        Load(String url, int threads) {
            this.url = url;
            for (int i = 0; i < threads; i++) {
                Thread thread = new Thread(this::write, "app-load-" + i);
                thread.setDaemon(true);
                this.threads.add(thread);
                thread.start();
            }
        }

        private void write() {
            Connection connection = null;
            while (!stopped) {
                try {
                    if (connection == null) {
                        connection = DriverManager.getConnection(url, "app", "app");
                        connection.setAutoCommit(false);
                    }
                    long account = transaction(connection);
                    accounts.add(account);
                    committed.incrementAndGet();
                    Thread.sleep(20);
                } catch (SQLException e) {
                    refused.incrementAndGet();
                    close(connection);
                    connection = null;
                    sleep(20);
                } catch (InterruptedException e) {
                    return;
                }
            }
            close(connection);
        }

        private long transaction(Connection connection) throws SQLException {
            try (Statement statement = connection.createStatement()) {
                long account;
                try (ResultSet rs = statement.executeQuery("INSERT INTO accounts (owner, balance) VALUES ('app', 10) "
                        + "RETURNING id")) {
                    rs.next();
                    account = rs.getLong(1);
                }
                List<Long> added = new ArrayList<>();
                try (PreparedStatement ps = connection.prepareStatement("INSERT INTO events (account, what) VALUES "
                        + "(?, 'deposit'), (?, 'welcome') RETURNING id")) {
                    ps.setLong(1, account);
                    ps.setLong(2, account);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            added.add(rs.getLong(1));
                        }
                    }
                }
                statement.execute("INSERT INTO tickets (account) VALUES (" + account + ")");
                statement.execute("UPDATE accounts SET balance = balance + 1 WHERE id = "
                        + (1 + ThreadLocalRandom.current().nextInt(2000)));
                connection.commit();
                events.addAll(added);
                return account;
            } catch (SQLException e) {
                try {
                    connection.rollback();
                } catch (SQLException ignored) {
                    // the session is gone; the caller reconnects
                }
                throw e;
            }
        }

        long committed() {
            return committed.get();
        }

        long refused() {
            return refused.get();
        }

        Set<Long> ids(String table) {
            return table.equals("accounts") ? accounts : events;
        }

        void awaitCommits(long count) throws InterruptedException {
            long deadline = System.currentTimeMillis() + 60_000;
            while (committed.get() < count) {
                assertThat(System.currentTimeMillis()).as("the load committing %d (refused %d)", count, refused.get())
                        .isLessThan(deadline);
                Thread.sleep(50);
            }
        }

        void awaitRefusals(long count) throws InterruptedException {
            long deadline = System.currentTimeMillis() + 60_000;
            while (refused.get() < count) {
                assertThat(System.currentTimeMillis()).as("the load refused %d times", count).isLessThan(deadline);
                Thread.sleep(50);
            }
        }

        @Override
        public void close() throws InterruptedException {
            stopped = true;
            for (Thread thread : threads) {
                thread.join(10_000);
            }
        }

        private static void close(Connection connection) {
            if (connection != null) {
                try {
                    connection.close();
                } catch (SQLException ignored) {
                    // already gone
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
    }
}
