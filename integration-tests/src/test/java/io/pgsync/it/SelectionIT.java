package io.pgsync.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * Selection by schema ({@code schema.include.list}) publishes the whole schema, so a table created in it after the
 * connector started is synced too, with its rows; a schema left out stays out.
 */
class SelectionIT extends PipelineIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(90);

    @Test
    void aTableCreatedLaterInASelectedSchemaIsSyncedAndOtherSchemasAreNot() throws Exception {
        String db = "byschema";
        createDatabases(db);
        source.execute(db, "CREATE SCHEMA app", "CREATE SCHEMA other",
                "CREATE TABLE app.a (id int PRIMARY KEY, v text)", "INSERT INTO app.a VALUES (1, 'one')",
                "CREATE TABLE other.o (id int PRIMARY KEY)", "INSERT INTO other.o VALUES (1)");
        Map<String, String> config = Pipeline.withJson(Pipeline.source(source.cluster(), db, db, "", 1));
        config.remove("table.include.list");
        config.put("schema.include.list", "app");
        deployPipeline(db, config);
        Tables.awaitEqual(source.cluster(), target.cluster(), db, "app.a", TIMEOUT,
                () -> connect.statusText(db + "-sink"));

        source.execute(db, "CREATE TABLE app.late (id int PRIMARY KEY, note text)",
                "INSERT INTO app.late SELECT g, 'n' || g FROM generate_series(1, 50) g",
                "UPDATE app.late SET note = 'changed' WHERE id <= 5", "INSERT INTO other.o VALUES (2)");
        Tables.awaitEqual(source.cluster(), target.cluster(), db, "app.late", TIMEOUT,
                () -> connect.statusText(db + "-sink"));
        assertThat(source.query(db, "SELECT puballtables, (SELECT count(*) FROM pg_publication_namespace pn "
                + "WHERE pn.pnpubid = p.oid) FROM pg_publication p")).containsExactly(List.of("f", "1"));
        assertThat(target.query(db, "SELECT count(*) FROM pg_namespace WHERE nspname = 'other'"))
                .containsExactly(List.of("0"));
        undeployPipeline(db);
    }
}
