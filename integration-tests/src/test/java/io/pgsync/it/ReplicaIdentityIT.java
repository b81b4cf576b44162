package io.pgsync.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * The sync never makes a user's statement fail, and every table of the selection streams: selected tables without a
 * usable replica identity get REPLICA IDENTITY FULL ({@code replica.identity.auto.enabled}, on by default), existing
 * ones when the connector starts and new ones (or ones losing their key) from the DDL capture in their own
 * transaction; with a publication of listed tables (a row filter), a table created later in the selection joins the
 * publication in the transaction that creates it, so its rows stream.
 */
class ReplicaIdentityIT extends PipelineIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    @Test
    void keylessTablesCreatedWhileStreamingTakeUpdatesAndDeletesAndArriveIdentical() throws Exception {
        String db = "identnew";
        createDatabases(db);
        source.execute(db, "CREATE TABLE public.seed (id int PRIMARY KEY, v text)",
                "INSERT INTO public.seed VALUES (1, 'a')");
        Map<String, String> config = Pipeline.withJson(Pipeline.source(source.cluster(), db, db, null, 1));
        deployPipeline(db, config);
        Tables.awaitEqual(source.cluster(), target.cluster(), db, "public.seed", TIMEOUT, () -> status(db));

        // each in one transaction with its rows: the identity must be there before the first UPDATE
        source.execute(db, "BEGIN; CREATE TABLE public.events (at int, what text); "
                + "INSERT INTO public.events SELECT g, 'e' || g FROM generate_series(1, 20) g; "
                + "UPDATE public.events SET what = 'changed' WHERE at <= 5; "
                + "DELETE FROM public.events WHERE at > 15; COMMIT");
        source.execute(db, "CREATE TABLE public.parted (k int NOT NULL, v text) PARTITION BY RANGE (k)",
                "CREATE TABLE public.parted_low PARTITION OF public.parted FOR VALUES FROM (0) TO (100)",
                "INSERT INTO public.parted SELECT g, 'p' || g FROM generate_series(1, 50) g",
                "UPDATE public.parted SET v = 'updated' WHERE k % 10 = 0",
                "DELETE FROM public.parted WHERE k > 45");
        source.execute(db, "CREATE TABLE public.\"Odd \"\"name\"\"; drop\" (id int PRIMARY KEY, v text)",
                "INSERT INTO public.\"Odd \"\"name\"\"; drop\" SELECT g, 'o' || g FROM generate_series(1, 10) g",
                "ALTER TABLE public.\"Odd \"\"name\"\"; drop\" DROP CONSTRAINT \"Odd \"\"name\"\"; drop_pkey\"",
                "UPDATE public.\"Odd \"\"name\"\"; drop\" SET v = 'no key' WHERE id <= 3",
                "DELETE FROM public.\"Odd \"\"name\"\"; drop\" WHERE id = 10");
        source.execute(db, "INSERT INTO public.seed VALUES (2, 'b')");

        for (String table : List.of("public.events", "public.parted", "public.\"Odd \"\"name\"\"; drop\"")) {
            Tables.awaitEqual(source.cluster(), target.cluster(), db, table, TIMEOUT, () -> status(db));
        }
        assertThat(source.query(db, "SELECT c.relname, c.relreplident FROM pg_class c WHERE c.relnamespace = "
                + "'public'::regnamespace AND c.relkind IN ('r', 'p') ORDER BY c.relname COLLATE \"C\""))
                .containsExactly(
                        List.of("Odd \"name\"; drop", "f"), List.of("events", "f"), List.of("parted", "f"),
                        List.of("parted_low", "f"), List.of("seed", "d"));
        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(Metrics.sourceMetric(db + "-source", 0,
                "replica-identity-full-set-total")).isEqualTo(4.0));
        undeployPipeline(db);
    }

    @Test
    void existingTablesWithoutIdentityDeployWithDefaultsAndStream() throws Exception {
        String db = "identold";
        createDatabases(db);
        source.execute(db, "CREATE TABLE public.nothing (id int PRIMARY KEY, v text)",
                "ALTER TABLE public.nothing REPLICA IDENTITY NOTHING",
                "INSERT INTO public.nothing SELECT g, 'n' || g FROM generate_series(1, 30) g",
                "CREATE TABLE public.plain (a int, b text)",
                "INSERT INTO public.plain SELECT g, 'b' || g FROM generate_series(1, 30) g",
                "CREATE TABLE public.parted (k int NOT NULL, v text) PARTITION BY LIST (k)",
                "CREATE TABLE public.parted_odd PARTITION OF public.parted FOR VALUES IN (1, 3, 5)",
                "CREATE TABLE public.parted_even PARTITION OF public.parted FOR VALUES IN (2, 4, 6)",
                "INSERT INTO public.parted SELECT 1 + g % 6, 'v' || g FROM generate_series(1, 30) g");
        Map<String, String> config = Pipeline.withJson(Pipeline.source(source.cluster(), db, db, null, 1));
        config.put("name", db + "-source");

        assertThat(connect.validate(Pipeline.SOURCE_CLASS, config).errorCount()).isZero();
        Map<String, String> off = new LinkedHashMap<>(config);
        off.put("replica.identity.auto.enabled", "false");
        assertThat(Pipeline.validationErrors(connect.validate(Pipeline.SOURCE_CLASS, off), "table.include.list"))
                .singleElement().asString().contains("\"public\".\"nothing\"", "\"public\".\"parted_even\"",
                        "\"public\".\"plain\"", "replica.identity.auto.enabled=true");

        deployPipeline(db, config);
        for (String table : List.of("public.nothing", "public.plain", "public.parted")) {
            Tables.awaitEqual(source.cluster(), target.cluster(), db, table, TIMEOUT, () -> status(db));
        }
        source.execute(db, "UPDATE public.nothing SET v = 'changed' WHERE id <= 10",
                "DELETE FROM public.nothing WHERE id > 25",
                "UPDATE public.plain SET b = 'changed' WHERE a % 3 = 0", "DELETE FROM public.plain WHERE a > 20",
                "UPDATE public.parted SET v = 'changed' WHERE k IN (1, 2)", "DELETE FROM public.parted WHERE k = 6");
        for (String table : List.of("public.nothing", "public.plain", "public.parted")) {
            Tables.awaitEqual(source.cluster(), target.cluster(), db, table, TIMEOUT, () -> status(db));
        }
        assertThat(Metrics.sourceMetric(db + "-source", 0, "replica-identity-full-set-total")).isEqualTo(4.0);
        undeployPipeline(db);
    }

    @Test
    void aTableCreatedLaterInTheSelectionJoinsARowFilterPublicationAndStreams() throws Exception {
        String db = "identjoin";
        createDatabases(db);
        source.execute(db, "CREATE SCHEMA other",
                "CREATE TABLE public.orders (id int PRIMARY KEY, region text NOT NULL)",
                "INSERT INTO public.orders SELECT g, CASE WHEN g % 2 = 0 THEN 'eu' ELSE 'us' END "
                        + "FROM generate_series(1, 40) g");
        Map<String, String> config = Pipeline.withJson(Pipeline.source(source.cluster(), db, db, "public\\..*", 1));
        config.put("filter.public.orders", "id % 2 = 0");
        deployPipeline(db, config);
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> assertThat(target.query(db,
                "SELECT count(*) FROM public.orders")).containsExactly(List.of("20")));

        source.execute(db, "BEGIN; CREATE TABLE public.refunds (id int PRIMARY KEY, amount int); "
                + "INSERT INTO public.refunds SELECT g, g * 10 FROM generate_series(1, 25) g; COMMIT",
                "UPDATE public.refunds SET amount = 0 WHERE id <= 5",
                "CREATE TABLE public.\"Log \"\"x\"\" select\" (at int, what text)",
                "INSERT INTO public.\"Log \"\"x\"\" select\" SELECT g, 'w' || g FROM generate_series(1, 8) g",
                "DELETE FROM public.\"Log \"\"x\"\" select\" WHERE at = 8",
                "CREATE TABLE other.outside (id int PRIMARY KEY)", "INSERT INTO other.outside VALUES (1)",
                "INSERT INTO public.orders VALUES (100, 'us')");

        Tables.awaitEqual(source.cluster(), target.cluster(), db, "public.refunds", TIMEOUT, () -> status(db));
        Tables.awaitEqual(source.cluster(), target.cluster(), db, "public.\"Log \"\"x\"\" select\"", TIMEOUT,
                () -> status(db));
        assertThat(source.query(db, "SELECT schemaname, tablename, rowfilter FROM pg_publication_tables "
                + "WHERE schemaname <> 'pgsync' ORDER BY 1, 2")).containsExactly(
                        Arrays.asList("public", "Log \"x\" select", null),
                        List.of("public", "orders", "((id % 2) = 0)"),
                        Arrays.asList("public", "refunds", null));
        assertThat(target.query(db, "SELECT count(*) FROM pg_namespace WHERE nspname = 'other'"))
                .containsExactly(List.of("0"));
        assertThat(Metrics.sourceMetric(db + "-source", 0, "publication-tables-added-total")).isEqualTo(2.0);
        undeployPipeline(db);
    }

    /**
     * A partitioned table selected by its name alone: its rows live in partitions the include list does not name, and
     * the capture reads rows under the partitions' names, so validation refuses the selection, naming the partitions
     * and the pattern that selects them; with that pattern its keyless partitions stream.
     */
    @Test
    void aPartitionedTableSelectedWithoutItsPartitionsIsRefusedAndStreamsWithThem() throws Exception {
        String db = "identparent";
        createDatabases(db);
        source.execute(db, "CREATE TABLE public.parted (k int NOT NULL, v text) PARTITION BY LIST (k)",
                "CREATE TABLE public.parted_odd PARTITION OF public.parted FOR VALUES IN (1, 3, 5)",
                "CREATE TABLE public.parted_even PARTITION OF public.parted FOR VALUES IN (2, 4, 6)",
                "INSERT INTO public.parted SELECT 1 + g % 6, 'v' || g FROM generate_series(1, 30) g",
                "CREATE TABLE public.other (a int, b text)", "INSERT INTO public.other VALUES (1, 'x')");
        Map<String, String> config = Pipeline.withJson(Pipeline.source(source.cluster(), db, db, "public\\.parted",
                1));
        config.put("name", db + "-source");
        assertThat(Pipeline.validationErrors(connect.validate(Pipeline.SOURCE_CLASS, config), "table.include.list"))
                .singleElement().asString().contains("partitioned table \"public\".\"parted\" but not 2 of its "
                        + "partitions: \"public\".\"parted_even\", \"public\".\"parted_odd\"",
                        "Add them to table.include.list (e.g. public\\.parted.*,");
        Map<String, String> excluding = new LinkedHashMap<>(config);
        excluding.remove("table.include.list");
        excluding.put("table.exclude.list", "public\\.parted_even");
        assertThat(Pipeline.validationErrors(connect.validate(Pipeline.SOURCE_CLASS, excluding),
                "table.exclude.list")).singleElement().asString().contains("but not 1 of its partitions: "
                        + "\"public\".\"parted_even\"", "Take them out of table.exclude.list");

        config.put("table.include.list", "public\\.parted.*");
        deployPipeline(db, config);
        Tables.awaitEqual(source.cluster(), target.cluster(), db, "public.parted", TIMEOUT, () -> status(db));
        source.execute(db, "UPDATE public.parted SET v = 'changed' WHERE k IN (1, 2)",
                "DELETE FROM public.parted WHERE k = 6", "INSERT INTO public.parted VALUES (3, 'new')",
                "UPDATE public.other SET b = 'not selected'");
        Tables.awaitEqual(source.cluster(), target.cluster(), db, "public.parted", TIMEOUT, () -> status(db));
        assertThat(source.query(db, "SELECT c.relname, c.relreplident FROM pg_class c WHERE c.relnamespace = "
                + "'public'::regnamespace AND c.relkind IN ('r', 'p') ORDER BY c.relname COLLATE \"C\""))
                .containsExactly(List.of("other", "d"), List.of("parted", "d"), List.of("parted_even", "f"),
                        List.of("parted_odd", "f"));
        undeployPipeline(db);
    }

    private static String status(String db) {
        return connect.statusText(db + "-source") + " / " + connect.statusText(db + "-sink");
    }
}
