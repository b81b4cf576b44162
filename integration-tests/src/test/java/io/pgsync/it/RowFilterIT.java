package io.pgsync.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.connect.runtime.rest.entities.ConfigInfos;
import org.junit.jupiter.api.Test;

/**
 * Row filters ({@code filter.<schema>.<table>=<condition>}): the full sync copies only the rows that meet the
 * condition, and the stream carries only their changes, with PostgreSQL's publication row filter semantics (an UPDATE
 * that moves a row into the filter arrives as an INSERT, one that moves it out as a DELETE). Validation names a filter
 * that is not a condition on its table, and one whose columns are not in the replica identity.
 */
class RowFilterIT extends PipelineIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    @Test
    void onlyTheRowsThatMeetTheFilterAreSyncedInTheFullSyncAndTheStream() throws Exception {
        String db = "rowfilter";
        createDatabases(db);
        source.execute(db,
                "CREATE TABLE orders (id int PRIMARY KEY, region text NOT NULL, amount int)",
                "ALTER TABLE orders REPLICA IDENTITY FULL",
                "INSERT INTO orders SELECT g, CASE WHEN g % 3 = 0 THEN 'eu' ELSE 'us' END, g "
                        + "FROM generate_series(1, 300) g",
                "CREATE TABLE \"Items\" (id int PRIMARY KEY, name text)",
                "INSERT INTO \"Items\" SELECT g, 'item ' || g FROM generate_series(1, 50) g");
        Map<String, String> config = Pipeline.withJson(Pipeline.source(source.cluster(), db, db,
                "public.orders,public.Items", 1));
        config.put("filter.public.orders", "region = 'eu'");
        config.put("filter.public.\"Items\"", "id <= 20");
        deployPipeline(db, config);

        awaitFiltered(db, "orders", "region = 'eu'");
        awaitFiltered(db, "\"Items\"", "id <= 20");

        source.execute(db,
                "INSERT INTO orders VALUES (1001, 'eu', 1), (1002, 'us', 2)",
                "UPDATE orders SET region = 'us' WHERE id = 3",
                "UPDATE orders SET region = 'eu' WHERE id = 4",
                "UPDATE orders SET amount = amount + 100 WHERE id IN (6, 7)",
                "DELETE FROM orders WHERE id IN (9, 10)",
                "UPDATE \"Items\" SET name = 'renamed' WHERE id IN (5, 40)",
                "DELETE FROM \"Items\" WHERE id IN (6, 41)");
        awaitFiltered(db, "orders", "region = 'eu'");
        awaitFiltered(db, "\"Items\"", "id <= 20");
        assertThat(target.query(db, "SELECT id FROM orders WHERE id IN (3, 4, 1001, 1002) ORDER BY id"))
                .containsExactly(List.of("4"), List.of("1001"));
        assertThat(source.query(db, "SELECT rowfilter FROM pg_publication_tables WHERE tablename = 'orders'"))
                .containsExactly(List.of("(region = 'eu'::text)"));
        undeployPipeline(db);
    }

    @Test
    void validationNamesAFilterThatIsNoConditionAndOneOutsideTheReplicaIdentity() {
        String db = "badfilter";
        source.cluster().createDatabase(db);
        source.execute(db, "CREATE TABLE orders (id int PRIMARY KEY, region text)");
        Map<String, String> config = new LinkedHashMap<>(Pipeline.source(source.cluster(), db, db, "public.*", 1));
        config.put("name", db + "-source");
        config.put("filter.public.orders", "region = 'eu'");
        config.put("filter.public.nothere", "id > 0");
        config.put("filter.public.orders.extra", "id > 0");

        ConfigInfos infos = connect.validate(Pipeline.SOURCE_CLASS, config);

        assertThat(Pipeline.validationErrors(infos, "filter.public.orders")).singleElement().asString()
                .contains("uses column(s) region", "not part of its replica identity",
                        "ALTER TABLE \"public\".\"orders\" REPLICA IDENTITY FULL");
        assertThat(Pipeline.validationErrors(infos, "filter.public.nothere")).singleElement().asString()
                .contains("does not work as a condition", "nothere");
        assertThat(Pipeline.validationErrors(infos, "filter.public.orders.extra")).singleElement().asString()
                .contains("names one table");

        config.put("filter.public.orders", "id % 2 = 0");
        config.remove("filter.public.nothere");
        config.remove("filter.public.orders.extra");
        assertThat(connect.validate(Pipeline.SOURCE_CLASS, config).errorCount()).isZero();
    }

    private void awaitFiltered(String db, String table, String condition) {
        await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(500)).ignoreExceptions().untilAsserted(() ->
                assertThat(Tables.rows(target.cluster(), db, table)).as("rows of %s (sink: %s)", table,
                        connect.statusText(db + "-sink"))
                        .isEqualTo(source.query(db, "SELECT t::text FROM " + table + " t WHERE " + condition
                                + " ORDER BY 1").stream().map(r -> r.get(0)).toList()));
    }
}
