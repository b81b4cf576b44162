package io.pgsync.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;


/**
 * The end-to-end sync suite: source tables with existing rows and common types are snapshotted, then live changes
 * (including a primary-key change) stream over, and the destination must equal the source row for row. Variants
 * change only the converters.
 */
abstract class AbstractSyncIT extends PipelineIT {

    private static final AtomicInteger RUNS = new AtomicInteger();
    private static final Duration SYNC_TIMEOUT = Duration.ofSeconds(90);

    /** Converter settings added to both connectors (key.converter.*, value.converter.*). */
    abstract Map<String, String> converters();

    static final String[] TABLES = {"public.items", "public.order_lines"};

    static final String SCHEMA = """
            CREATE TABLE items (
              id int PRIMARY KEY,
              big bigint,
              price numeric(12,2),
              name text,
              code varchar(40) NOT NULL,
              active boolean,
              born date,
              seen timestamp,
              seen_tz timestamptz,
              ref uuid,
              doc jsonb,
              blob bytea,
              tags text[]
            );
            CREATE TABLE order_lines (
              order_id bigint,
              line smallint,
              qty int NOT NULL,
              note text,
              PRIMARY KEY (order_id, line)
            );
            INSERT INTO items VALUES
              (1, 9007199254740993, 1234567890.12, 'plain', 'A-1', true, '2024-02-29', '2024-02-29 23:59:59.123456',
               '2024-02-29 23:59:59.5+05:30', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": [1, 2.5, null], "b": "x"}',
               '\\x00ff10', ARRAY['x', 'y z', NULL, 'quote"d', 'back\\slash', '{brace}']),
              (2, -1, -0.01, 'ünïcødé 表 ''quoted''', 'B-2', false, '1999-12-31', '1970-01-01 00:00:00',
               '1970-01-01 00:00:00+00', '00000000-0000-0000-0000-000000000000', '[]', '\\x', ARRAY[]::text[]),
              (3, NULL, NULL, NULL, 'C-3', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
            INSERT INTO order_lines SELECT o, l, o * l, 'line ' || l FROM generate_series(1, 50) o, generate_series(1, 4) l;
            """;

    @Test
    void snapshotThenLiveChangesMakeTheDestinationEqualTheSource() throws Exception {
        String db = "shop" + RUNS.incrementAndGet();
        String prefix = db + "_" + getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT);
        source.cluster().createDatabase(db);
        target.cluster().createDatabase(db);
        source.execute(db, SCHEMA);

        String sourceName = prefix + "-source";
        String sinkName = prefix + "-sink";
        connect.deploy(sourceName, withConverters(Pipeline.source(source.cluster(), db, prefix,
                String.join(",", TABLES), 1)));
        connect.deploy(sinkName, withConverters(Pipeline.sink(target.cluster(), db, prefix + ".changelog", 1)));
        connect.awaitRunning(sourceName, 1);
        connect.awaitRunning(sinkName, 1);

        awaitEqual(db, sinkName);

        source.execute(db,
                "INSERT INTO items (id, code, price, tags) VALUES (4, 'D-4', 99999999.99, ARRAY['new'])",
                "UPDATE items SET name = 'renamed', doc = '{\"nested\": {\"k\": true}}', seen_tz = now() WHERE id = 1",
                "DELETE FROM items WHERE id = 2",
                "UPDATE items SET id = 30 WHERE id = 3",
                "UPDATE order_lines SET qty = qty + 1000 WHERE order_id <= 10",
                "DELETE FROM order_lines WHERE order_id > 45",
                "UPDATE order_lines SET line = line + 10 WHERE order_id = 1");
        source.execute(db, """
                BEGIN;
                INSERT INTO items (id, code, blob) VALUES (5, 'E-5', '\\xdeadbeef');
                UPDATE items SET code = 'E-5b' WHERE id = 5;
                INSERT INTO order_lines VALUES (100, 1, 1, 'in a transaction');
                COMMIT;
                """);

        awaitEqual(db, sinkName);
        assertThat(target.query(db, "SELECT id FROM items ORDER BY id")).extracting(r -> r.get(0))
                .containsExactly("1", "4", "5", "30");
        assertThat(connect.partitions(prefix + ".changelog")).isEqualTo(1);
    }

    Map<String, String> withConverters(Map<String, String> config) {
        Map<String, String> result = new HashMap<>(config);
        result.putAll(converters());
        return result;
    }

    /** Waits until every selected table has the same rows, in the same text form, on both sides. */
    void awaitEqual(String db, String sinkName) {
        for (String table : TABLES) {
            Tables.awaitEqual(source.cluster(), target.cluster(), db, table, SYNC_TIMEOUT,
                    () -> "sink: " + connect.statusText(sinkName));
        }
    }
}
