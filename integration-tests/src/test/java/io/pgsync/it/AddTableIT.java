package io.pgsync.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * A table added to the selection of a running connector (its {@code table.include.list} updated through the REST
 * API) arrives with its schema and its existing rows by Debezium's incremental snapshot, started through the signal
 * table {@code pgsync.signal}, while streaming goes on; the tables selected before are not copied again.
 */
class AddTableIT extends PipelineIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(90);

    @Test
    void aTableAddedToTheIncludeListIsSnapshottedAloneWhileStreamingGoesOn() throws Exception {
        String db = "added";
        createDatabases(db);
        source.execute(db,
                "CREATE TABLE orders (id int PRIMARY KEY, note text)",
                "INSERT INTO orders SELECT g, 'order ' || g FROM generate_series(1, 200) g",
                "CREATE TABLE refunds (id int PRIMARY KEY, order_id int NOT NULL REFERENCES orders, "
                        + "amount numeric(10,2) CHECK (amount > 0))",
                "CREATE INDEX refunds_order_idx ON refunds (order_id)",
                "INSERT INTO refunds SELECT g, g, g / 10.0 FROM generate_series(1, 3000) g WHERE g <= 200");
        Map<String, String> config = Pipeline.withJson(Pipeline.source(source.cluster(), db, db, "public.orders", 1));
        config.put("incremental.snapshot.chunk.size", "50");
        deployPipeline(db, config);
        Tables.awaitEqual(source.cluster(), target.cluster(), db, "orders", TIMEOUT,
                () -> connect.statusText(db + "-sink"));
        List<List<String>> ordersVersions = target.query(db, "SELECT xmin::text FROM orders ORDER BY id");
        assertThat(target.query(db, "SELECT to_regclass('public.refunds') IS NULL")).containsExactly(List.of("t"));

        source.execute(db, "INSERT INTO refunds VALUES (201, 1, 5)", "UPDATE refunds SET amount = 99 WHERE id = 7",
                "DELETE FROM refunds WHERE id = 8");
        config.put("table.include.list", "public.orders,public.refunds");
        connect.deploy(db + "-source", config);
        connect.awaitRunning(db + "-source", 1);
        source.execute(db, "INSERT INTO refunds VALUES (202, 2, 6)", "UPDATE refunds SET amount = 77 WHERE id = 9",
                "DELETE FROM refunds WHERE id = 10", "INSERT INTO orders VALUES (201, 'late')");

        Tables.awaitEqual(source.cluster(), target.cluster(), db, "refunds", TIMEOUT,
                () -> connect.statusText(db + "-sink") + "; " + connect.statusText(db + "-source"));
        Tables.awaitEqual(source.cluster(), target.cluster(), db, "orders", TIMEOUT,
                () -> connect.statusText(db + "-sink"));
        assertThat(target.query(db, "SELECT xmin::text FROM orders WHERE id <= 200 ORDER BY id"))
                .as("rows of orders, not copied again").isEqualTo(ordersVersions);
        assertThat(target.query(db, "SELECT conname FROM pg_constraint WHERE conrelid = 'refunds'::regclass "
                + "ORDER BY 1")).containsExactly(List.of("refunds_amount_check"), List.of("refunds_order_id_fkey"),
                        List.of("refunds_pkey"));
        assertThat(target.query(db, "SELECT indexname FROM pg_indexes WHERE tablename = 'refunds' ORDER BY 1"))
                .containsExactly(List.of("refunds_order_idx"), List.of("refunds_pkey"));
        assertThat(target.query(db, "SELECT to_regclass('pgsync.signal') IS NULL")).containsExactly(List.of("t"));
        undeployPipeline(db);
    }

    @Test
    void aTableCreatedWhileStreamingStaysOutUntilAddedThenArrivesWithItsConstraints() throws Exception {
        String db = "addedlater";
        createDatabases(db);
        source.execute(db, "CREATE TABLE orders (id int PRIMARY KEY, note text)",
                "INSERT INTO orders SELECT g, 'order ' || g FROM generate_series(1, 20) g");
        Map<String, String> config = Pipeline.withJson(Pipeline.source(source.cluster(), db, db, "public.orders", 1));
        deployPipeline(db, config);
        Tables.awaitEqual(source.cluster(), target.cluster(), db, "orders", TIMEOUT,
                () -> connect.statusText(db + "-sink"));

        // created in the selected table's schema while streaming: its table, key, foreign key, index and trigger are
        // DDL of a table outside the selection
        source.execute(db, "CREATE TABLE returns (id int PRIMARY KEY, order_id int NOT NULL REFERENCES orders, note text)",
                "CREATE INDEX returns_note_idx ON returns (note)",
                "CREATE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
                "CREATE TRIGGER returns_stamp BEFORE INSERT ON returns FOR EACH ROW EXECUTE FUNCTION stamp()",
                "INSERT INTO returns SELECT g, g, 'return ' || g FROM generate_series(1, 10) g",
                "INSERT INTO orders VALUES (21, 'after the returns table')");
        Tables.awaitEqual(source.cluster(), target.cluster(), db, "orders", TIMEOUT,
                () -> connect.statusText(db + "-sink"));
        assertThat(target.query(db, "SELECT to_regclass('public.returns') IS NULL"))
                .as("a table outside the selection at the destination").containsExactly(List.of("t"));

        config.put("table.include.list", "public.orders,public.returns");
        connect.deploy(db + "-source", config);
        connect.awaitRunning(db + "-source", 1);
        Tables.awaitEqual(source.cluster(), target.cluster(), db, "returns", TIMEOUT,
                () -> connect.statusText(db + "-sink") + "; " + connect.statusText(db + "-source"));
        assertThat(target.query(db, "SELECT indexname FROM pg_indexes WHERE tablename = 'returns' ORDER BY 1"))
                .containsExactly(List.of("returns_note_idx"), List.of("returns_pkey"));
        assertThat(connect.statusText(db + "-sink")).doesNotContain("FAILED");
        undeployPipeline(db);
    }

    @Test
    void anAddedTablesArraysTimesAndBitStringsArriveExactlyThroughManySnapshotChunks() throws Exception {
        String db = "addedarrays";
        createDatabases(db);
        source.execute(db, "CREATE TABLE orders (id int PRIMARY KEY)", "INSERT INTO orders VALUES (1)",
                "CREATE TABLE shapes (id int PRIMARY KEY, lb int[], grid text[], n numeric[], i8 bigint[], t time, "
                        + "vb varbit, f float8[])",
                "INSERT INTO shapes SELECT g, ('[0:1]={' || g || ',2}')::int[], '{{a,\"b c\"},{NULL,d}}', "
                        + "'{NaN,1.50,Infinity}', '[2:2]={9}', '24:00:00', B'0011', '{NaN,-0,1e-300}' "
                        + "FROM generate_series(1, 600) g");
        Map<String, String> config = Pipeline.withJson(Pipeline.source(source.cluster(), db, db, "public.orders", 1));
        // twelve chunks: pgjdbc reads a statement's results in binary after its fifth run
        config.put("incremental.snapshot.chunk.size", "50");
        deployPipeline(db, config);
        Tables.awaitEqual(source.cluster(), target.cluster(), db, "orders", TIMEOUT,
                () -> connect.statusText(db + "-sink"));

        config.put("table.include.list", "public.orders,public.shapes");
        connect.deploy(db + "-source", config);
        connect.awaitRunning(db + "-source", 1);
        Tables.awaitEqual(source.cluster(), target.cluster(), db, "shapes", TIMEOUT,
                () -> connect.statusText(db + "-sink") + "; " + connect.statusText(db + "-source"));
        assertThat(target.query(db, "SELECT lb::text, t::text FROM shapes WHERE id = 600"))
                .containsExactly(List.of("[0:1]={600,2}", "24:00:00"));
        undeployPipeline(db);
    }
}
