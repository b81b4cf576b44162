package io.pgsync.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.pgsync.testkit.pg.PostgresCluster;

/**
 * The topologies of DESIGN §6, each the way config-examples/ sets it up: one changelog read by two sinks into two
 * destinations (each with its own offsets), two sources into distinct schemas of one destination, and a cascade
 * A → B → C in which B's own source captures what B's sink wrote.
 */
class TopologiesIT extends PipelineIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    @Test
    void oneChangelogFeedsTwoDestinationsEachWithItsOwnOffsets() throws Exception {
        source.cluster().createDatabase("fan");
        target.cluster().createDatabase("fan_a");
        target.cluster().createDatabase("fan_b");
        source.execute("fan", "CREATE TABLE t (id int PRIMARY KEY, v text)",
                "INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 500) g");
        connect.deploy("fan-sink-a", Pipeline.withJson(Pipeline.sink(target.cluster(), "fan_a", "fan.changelog", 1)));
        connect.deploy("fan-sink-b", Pipeline.withJson(Pipeline.sink(target.cluster(), "fan_b", "fan.changelog", 1)));
        connect.deploy("fan-source", Pipeline.withJson(Pipeline.source(source.cluster(), "fan", "fan", "public.t", 1)));
        connect.awaitRunning("fan-source", 1);
        source.execute("fan", "UPDATE t SET v = 'changed' WHERE id <= 100", "DELETE FROM t WHERE id > 450");

        awaitEqual("fan", target.cluster(), "fan_a", "t", "fan-sink-a");
        awaitEqual("fan", target.cluster(), "fan_b", "t", "fan-sink-b");
        for (String db : new String[] {"fan_a", "fan_b"}) {
            assertThat(target.query(db, "SELECT connector FROM pgsync.applied_offsets")).as("offsets in %s", db)
                    .containsExactly(List.of(db.equals("fan_a") ? "fan-sink-a" : "fan-sink-b"));
        }
        // Connect's own offsets (its REST API reads the sink's consumer group) follow the destination's: they reach
        // what was applied, and are never ahead of it.
        long applied = appliedOffset("fan_a");
        await().atMost(TIMEOUT).until(() -> connectOffset("fan-sink-a") >= applied + 1);
        long reported = connectOffset("fan-sink-a");
        assertThat(reported).as("Connect's offset of fan-sink-a").isLessThanOrEqualTo(appliedOffset("fan_a") + 1);
        for (String name : new String[] {"fan-source", "fan-sink-a", "fan-sink-b"}) {
            connect.delete(name);
        }
    }

    @Test
    void twoSourcesFeedDistinctSchemasOfOneDestination() throws Exception {
        source.cluster().createDatabase("shop");
        source.cluster().createDatabase("staff");
        target.cluster().createDatabase("merged");
        source.execute("shop", "CREATE SCHEMA sales", "CREATE TABLE sales.orders (id int PRIMARY KEY, amount int)",
                "INSERT INTO sales.orders SELECT g, g FROM generate_series(1, 300) g");
        source.execute("staff", "CREATE SCHEMA hr", "CREATE TABLE hr.people (id int PRIMARY KEY, name text)",
                "INSERT INTO hr.people SELECT g, 'p' || g FROM generate_series(1, 200) g");
        connect.deploy("merged-sink", Pipeline.withJson(Pipeline.sink(target.cluster(), "merged",
                "shop.changelog,staff.changelog", 1)));
        connect.deploy("shop-source", Pipeline.withJson(Pipeline.source(source.cluster(), "shop", "shop",
                "sales.orders", 1)));
        connect.deploy("staff-source", Pipeline.withJson(Pipeline.source(source.cluster(), "staff", "staff",
                "hr.people", 1)));
        connect.awaitRunning("shop-source", 1);
        connect.awaitRunning("staff-source", 1);
        source.execute("shop", "UPDATE sales.orders SET amount = 0 WHERE id < 10");
        source.execute("staff", "DELETE FROM hr.people WHERE id > 150");

        awaitEqual("shop", target.cluster(), "merged", "sales.orders", "merged-sink");
        awaitEqual("staff", target.cluster(), "merged", "hr.people", "merged-sink");
        for (String name : new String[] {"shop-source", "staff-source", "merged-sink"}) {
            connect.delete(name);
        }
    }

    @Test
    void aCascadePassesChangesFromAThroughBToC() throws Exception {
        source.cluster().createDatabase("hop_a");
        source.cluster().createDatabase("hop_b");
        target.cluster().createDatabase("hop_c");
        source.execute("hop_a", "CREATE TABLE t (id int PRIMARY KEY, v text)",
                "INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 400) g");
        connect.deploy("hop-ab-sink", Pipeline.withJson(Pipeline.sink(source.cluster(), "hop_b", "hop_a.changelog",
                1)));
        connect.deploy("hop-a-source", Pipeline.withJson(Pipeline.source(source.cluster(), "hop_a", "hop_a",
                "public.t", 1)));
        awaitEqual("hop_a", source.cluster(), "hop_b", "t", "hop-ab-sink");

        connect.deploy("hop-bc-sink", Pipeline.withJson(Pipeline.sink(target.cluster(), "hop_c", "hop_b.changelog",
                1)));
        connect.deploy("hop-b-source", Pipeline.withJson(Pipeline.source(source.cluster(), "hop_b", "hop_b",
                "public.t", 1)));
        connect.awaitRunning("hop-b-source", 1);
        source.execute("hop_a", "UPDATE t SET v = 'hop' WHERE id % 7 = 0", "DELETE FROM t WHERE id > 390",
                "INSERT INTO t VALUES (1000, 'new')");

        awaitEqual("hop_a", source.cluster(), "hop_b", "t", "hop-ab-sink");
        awaitEqual("hop_a", target.cluster(), "hop_c", "t", "hop-bc-sink");
        for (String name : new String[] {"hop-a-source", "hop-ab-sink", "hop-b-source", "hop-bc-sink"}) {
            connect.delete(name);
        }
    }

    /** Waits until the table in the destination database has the rows of the same table in the source database. */
    private void awaitEqual(String sourceDb, PostgresCluster destination, String destinationDb, String table,
            String sink) {
        await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                .untilAsserted(() -> assertThat(Tables.rows(destination, destinationDb, table))
                        .as("%s in %s (%s)", table, destinationDb, connect.statusText(sink))
                        .isEqualTo(Tables.rows(source.cluster(), sourceDb, table)));
    }

    /** The last changelog offset the sink committed into {@code db}, from {@code pgsync.applied_offsets}. */
    private static long appliedOffset(String db) {
        return Long.parseLong(target.query(db, "SELECT kafka_offset FROM pgsync.applied_offsets "
                + "WHERE topic = 'fan.changelog' AND kafka_partition = 0").get(0).get(0));
    }

    /** The next offset to read that Connect has committed for the sink, as its REST API reports it; -1 for none. */
    private static long connectOffset(String sink) {
        return connect.cluster().connectorOffsets(sink).offsets().stream()
                .filter(o -> "fan.changelog".equals(o.partition().get("kafka_topic")))
                .mapToLong(o -> ((Number) o.offset().get("kafka_offset")).longValue())
                .findFirst().orElse(-1);
    }
}
