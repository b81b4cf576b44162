package io.pgsync.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.pgsync.testkit.pg.PostgresCluster;

/**
 * Schema, table and column names built to break SQL that is not quoted (double and single quotes, semicolons, a
 * comment, spaces, unicode, reserved words, mixed case, an injection attempt) go through the schema sync, the full
 * sync, streamed inserts, updates (also of the key) and deletes, captured DDL that adds and renames columns and
 * creates an index with such names, and a table added to the running connector's selection (an incremental
 * snapshot); a canary table on both sides survives.
 */
class HostileIdentifiersIT extends PipelineIT {

    private static final String DB = "hostile";
    private static final Duration TIMEOUT = Duration.ofSeconds(90);

    /** Semicolons, a comment, spaces, unicode and mixed case; no double quote (see the Limitations). */
    private static final String SCHEMA = "Ünï \"Sch\"; DROP TABLE victim; -- ema";
    /** An injection attempt that closes a quoted identifier. */
    private static final String ORDERS = "x\"; DROP TABLE victim; --";
    private static final String LINES = "Order Lines; SELECT 1";

    /** The schema and name of a table added to the selection later. */
    private static final String SCHEMA2 = "Zwei; \"x\" --";
    private static final String ADDED = "Added \"t\"; --";

    private static final String S = q(SCHEMA);
    private static final String T1 = S + "." + q(ORDERS);
    private static final String T2 = S + "." + q(LINES);
    private static final String T3 = q(SCHEMA2) + "." + q(ADDED);

    @BeforeAll
    static void createHostileSchema() {
        createDatabases(DB);
        for (PostgresCluster cluster : List.of(source.cluster(), target.cluster())) {
            cluster.execute(DB, "CREATE TABLE public.victim (id int PRIMARY KEY)", "INSERT INTO public.victim VALUES (1)");
        }
        source.execute(DB, "CREATE SCHEMA " + S,
                "CREATE TABLE " + T1 + " (\"Key\" int PRIMARY KEY, \"select\" text, \"a\"\"b; --\" text, "
                        + "\"x'); DROP TABLE victim; --\" text, \"Ünïcode spaced\" numeric(8,2))",
                "CREATE TABLE " + T2 + " (\"group\" int, \"Key\"\"2\" text, \"order\" int NOT NULL, "
                        + "PRIMARY KEY (\"group\", \"Key\"\"2\"))",
                "INSERT INTO " + T1 + " SELECT g, 'sel ' || g, 'a\"b '' ; -- ' || g, E'x\\'); DROP TABLE victim; --', "
                        + "g / 4.0 FROM generate_series(1, 100) g",
                "INSERT INTO " + T2 + " SELECT g % 5, 'k\"' || g, g FROM generate_series(1, 60) g",
                "CREATE SCHEMA " + q(SCHEMA2),
                "CREATE TABLE " + T3 + " (\"Key\" int PRIMARY KEY, \"v\"\"; --\" text)",
                "INSERT INTO " + T3 + " SELECT g, 'before ' || g FROM generate_series(1, 30) g");
    }

    @Test
    void hostileNamesSyncStreamAndReplicateDdlWithoutInjectingSql() throws Exception {
        Map<String, String> config = Pipeline.withJson(Pipeline.source(source.cluster(), DB, DB,
                SCHEMA + "." + ORDERS + "," + SCHEMA + "." + LINES, 1));
        deployPipeline(DB, config);
        connect.awaitRunning(DB + "-sink", 1);
        awaitEqual();
        awaitSameSchema(DB, S, TIMEOUT);

        source.execute(DB,
                "INSERT INTO " + T1 + " VALUES (101, 'new', 'a\"b', 'x', 1.5), (102, NULL, NULL, NULL, NULL)",
                "UPDATE " + T1 + " SET \"a\"\"b; --\" = 'changed \"; --' WHERE \"Key\" <= 10",
                "UPDATE " + T1 + " SET \"Key\" = 1000 + \"Key\" WHERE \"Key\" BETWEEN 11 AND 15",
                "DELETE FROM " + T1 + " WHERE \"Key\" BETWEEN 20 AND 29",
                "UPDATE " + T2 + " SET \"order\" = -\"order\" WHERE \"group\" = 1",
                "UPDATE " + T2 + " SET \"Key\"\"2\" = \"Key\"\"2\" || ' moved' WHERE \"group\" = 2",
                "DELETE FROM " + T2 + " WHERE \"group\" = 3");
        awaitEqual();

        source.execute(DB,
                "ALTER TABLE " + T1 + " ADD COLUMN \"new\"\"col; DROP TABLE victim; --\" text DEFAULT 'd'",
                "ALTER TABLE " + T1 + " RENAME COLUMN \"select\" TO \"from\"",
                "CREATE INDEX \"idx\"\"; DROP TABLE victim; --\" ON " + T1 + " (\"a\"\"b; --\", \"from\")",
                "UPDATE " + T1 + " SET \"new\"\"col; DROP TABLE victim; --\" = 'v' || \"Key\" WHERE \"Key\" % 3 = 0",
                "INSERT INTO " + T1 + " (\"Key\", \"from\") VALUES (2000, 'after ddl')");
        awaitEqual();
        awaitSameSchema(DB, S, TIMEOUT);

        // The hostile table outside the selection joins it while the connector runs: an incremental snapshot.
        config.put("table.include.list", config.get("table.include.list") + "," + SCHEMA2 + "." + ADDED);
        connect.deploy(DB + "-source", config);
        connect.awaitRunning(DB + "-source", 1);
        source.execute(DB, "INSERT INTO " + T3 + " VALUES (31, 'after')");
        Tables.awaitEqual(source.cluster(), target.cluster(), DB, T3, TIMEOUT,
                () -> connect.statusText(DB + "-sink") + " / " + connect.statusText(DB + "-source"));

        for (PostgresCluster cluster : List.of(source.cluster(), target.cluster())) {
            assertThat(cluster.query(DB, "SELECT count(*) FROM public.victim")).as("canary at %s", cluster)
                    .containsExactly(List.of("1"));
        }
        assertThat(target.query(DB, "SELECT count(*) FROM " + T1)).containsExactly(List.of("93"));
        undeployPipeline(DB);
    }

    private static void awaitEqual() {
        for (String table : List.of(T1, T2)) {
            Tables.awaitEqual(source.cluster(), target.cluster(), DB, table, TIMEOUT,
                    () -> connect.statusText(DB + "-sink") + " / " + connect.statusText(DB + "-source"));
        }
    }

    private static String q(String name) {
        return PostgresCluster.quoteIdentifier(name);
    }
}
