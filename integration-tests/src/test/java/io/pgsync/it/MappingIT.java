package io.pgsync.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * The sink's naming rules ({@code mapping.schemas}, {@code mapping.tables}, {@code mapping.columns},
 * {@code columns.exclude}) put on everything that reaches the destination: the schema sync (tables, sequences,
 * indexes, foreign keys, defaults), the full sync's rows, streamed changes and replicated DDL.
 */
class MappingIT extends PipelineIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(90);

    @Test
    void renamedSchemasTablesAndColumnsAndAnExcludedColumnHoldForRowsAndDdl() throws Exception {
        String db = "mapped";
        createDatabases(db);
        source.execute(db,
                "CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL)",
                "CREATE TABLE orders (id serial PRIMARY KEY, customer_id int REFERENCES customers, note text, "
                        + "secret text, amount numeric(10,2) CHECK (amount >= 0))",
                "CREATE INDEX orders_note_idx ON orders (note) WHERE note <> ''",
                "CREATE INDEX orders_secret_idx ON orders (secret)",
                "INSERT INTO customers VALUES (1, 'ann'), (2, 'bob')",
                "INSERT INTO orders (customer_id, note, secret, amount) "
                        + "SELECT 1 + g % 2, 'note ' || g, 'pin ' || g, g FROM generate_series(1, 50) g");
        Map<String, String> sink = Pipeline.withJson(Pipeline.sink(target.cluster(), db, db + ".changelog", 1));
        sink.put("mapping.schemas", "public:sales");
        sink.put("mapping.tables", "public.orders:archive.orders_v2");
        sink.put("mapping.columns", "public.orders.note:remark");
        sink.put("columns.exclude", "public.orders.secret");
        Map<String, String> sourceConfig = Pipeline.withJson(Pipeline.source(source.cluster(), db, db, null, 1));
        sourceConfig.remove("table.include.list");
        sourceConfig.put("schema.include.list", "public");
        sourceConfig.put("sequence.sync.interval.ms", "500");
        connect.deploy(db + "-sink", sink);
        connect.deploy(db + "-source", sourceConfig);
        connect.awaitRunning(db + "-source", 1);

        awaitSame(db, "SELECT id, customer_id, note, amount FROM public.orders ORDER BY id",
                "SELECT id, customer_id, remark, amount FROM archive.orders_v2 ORDER BY id");
        source.execute(db,
                "INSERT INTO orders (customer_id, note, secret, amount) VALUES (2, 'late', 'pin x', 7)",
                "UPDATE orders SET note = 'changed', secret = 'pin y' WHERE id = 3",
                "DELETE FROM orders WHERE id = 4",
                "ALTER TABLE orders ADD COLUMN state text DEFAULT 'new'",
                "ALTER TABLE orders RENAME COLUMN state TO status",
                "CREATE INDEX orders_status_idx ON orders (status, note)",
                "UPDATE orders SET status = 'paid' WHERE id <= 10",
                "ALTER TABLE customers ADD COLUMN vip boolean DEFAULT false",
                "UPDATE customers SET vip = true WHERE id = 2");

        awaitSame(db, "SELECT id, customer_id, note, amount, status FROM public.orders ORDER BY id",
                "SELECT id, customer_id, remark, amount, status FROM archive.orders_v2 ORDER BY id");
        awaitSame(db, "SELECT id, name, vip FROM public.customers ORDER BY id",
                "SELECT id, name, vip FROM sales.customers ORDER BY id");
        assertThat(target.query(db, "SELECT column_name FROM information_schema.columns WHERE table_schema = "
                + "'archive' AND table_name = 'orders_v2' ORDER BY ordinal_position")).containsExactly(
                        List.of("id"), List.of("customer_id"), List.of("remark"), List.of("amount"),
                        List.of("status"));
        assertThat(target.query(db, "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'archive' "
                + "ORDER BY 1")).extracting(row -> row.get(0) + ": " + row.get(1)).containsExactly(
                        "orders_note_idx: CREATE INDEX orders_note_idx ON archive.orders_v2 USING btree (remark) "
                                + "WHERE (remark <> ''::text)",
                        "orders_pkey: CREATE UNIQUE INDEX orders_pkey ON archive.orders_v2 USING btree (id)",
                        "orders_status_idx: CREATE INDEX orders_status_idx ON archive.orders_v2 USING btree "
                                + "(status, remark)");
        assertThat(target.query(db, "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                + "WHERE conrelid = 'archive.orders_v2'::regclass AND contype IN ('f', 'c') ORDER BY 1"))
                .containsExactly(List.of("CHECK ((amount >= (0)::numeric))"),
                        List.of("FOREIGN KEY (customer_id) REFERENCES sales.customers(id)"));
        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(target.query(db,
                "SELECT last_value FROM sales.orders_id_seq")).isEqualTo(source.query(db,
                        "SELECT last_value FROM public.orders_id_seq")));
        assertThat(target.query(db, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"))
                .containsExactly(List.of("0"));
        assertThat(connect.statusText(db + "-sink")).doesNotContain("FAILED");
        undeployPipeline(db);
    }

    /** Waits until the destination query returns what the source query returns. */
    private static void awaitSame(String db, String sourceQuery, String targetQuery) {
        await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(500)).ignoreExceptions().untilAsserted(() ->
                assertThat(target.query(db, targetQuery)).as("%s (sink: %s)", targetQuery,
                        connect.statusText(db + "-sink")).isEqualTo(source.query(db, sourceQuery)));
    }
}
