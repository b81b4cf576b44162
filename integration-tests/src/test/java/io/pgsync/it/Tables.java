package io.pgsync.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

import io.pgsync.testkit.pg.PostgresCluster;

/** Compares tables of the source and the destination the way a user would check a sync: row for row, in SQL. */
final class Tables {

    private Tables() {
    }

    /** Every row as PostgreSQL's own text form of the whole row, sorted. */
    static List<String> rows(PostgresCluster db, String database, String table) {
        return db.query(database, "SELECT t::text FROM " + table + " t ORDER BY 1").stream().map(r -> r.get(0)).toList();
    }

    /**
     * Waits until the table has the same rows on both sides.
     *
     * @param context what to add to the failure message, e.g. the sink's status
     */
    static void awaitEqual(PostgresCluster source, PostgresCluster target, String database, String table,
            Duration timeout, Supplier<String> context) {
        await().atMost(timeout).pollInterval(Duration.ofMillis(500)).ignoreExceptions().untilAsserted(() ->
                assertThat(rows(target, database, table))
                        .as("rows of %s on the destination (%s)", table, context.get())
                        .isEqualTo(rows(source, database, table)));
    }
}
