package io.pgsync.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

import org.junit.jupiter.api.Test;

/**
 * The schema sync ({@code schema.sync.enabled}, on with pgsync's COPY full sync): the destination starts empty and
 * ends with the source's schema, object for object (compared as pg_dump prints both), and the source's rows. Proven on
 * Pagila, a realistic sample database (a partitioned table, an enum, a domain, functions, an aggregate, triggers,
 * views, sequences, foreign keys), which then streams on, and on a schema with the object kinds Pagila lacks and a
 * hostile name (Debezium cannot stream a table whose schema name holds a double quote, so that one is checked after
 * the full sync only). An existing destination table with another structure stops the sink, naming it, unless
 * {@code schema.sync.conflict=ignore}.
 */
class SchemaSyncIT extends PipelineIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    /** A schema name that needs quoting: a space and double quotes. */
    private static final String S = "\"Sales \"\"EU\"\"\"";

    @Test
    void pagilaArrivesWithItsWholeSchemaAndEveryRow() throws Exception {
        String db = "pagila";
        createDatabases(db);
        source.cluster().runScript(db, resource("pagila/pagila-schema-pg15.sql", false));
        source.cluster().runScript(db, resource("pagila/pagila-data.sql.gz", true));
        // Pagila as it comes: country has REPLICA IDENTITY NOTHING and two payment partitions have no primary key;
        // with the defaults the task gives them REPLICA IDENTITY FULL, so their UPDATEs and DELETEs still work.
        sync(db, "public.*");
        assertThat(source.query(db, "SELECT relname FROM pg_class WHERE relreplident = 'f' AND relnamespace = "
                + "'public'::regnamespace ORDER BY 1")).containsExactly(List.of("country"),
                        List.of("payment_p0000_default"), List.of("payment_p2007_07_max"));

        List<String> tables = source.query(db, "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables "
                + "WHERE schemaname = 'public' ORDER BY 1").stream().map(r -> r.get(0)).toList();
        assertThat(tables).contains("public.film", "public.payment_p2007_01", "public.rental");
        for (String table : tables) {
            Tables.awaitEqual(source.cluster(), target.cluster(), db, table, TIMEOUT,
                    () -> connect.statusText(db + "-sink"));
        }
        awaitSameSchema(db, "public", TIMEOUT);
        source.execute(db, "INSERT INTO public.payment (customer_id, staff_id, rental_id, amount, payment_date) "
                + "VALUES (1, 1, 1, 9.99, '2007-03-15 10:00:00+00')",
                "UPDATE public.film SET title = title || ' II' WHERE film_id <= 3",
                "UPDATE public.country SET country = country || ' (updated)' WHERE country_id <= 2",
                "DELETE FROM public.payment WHERE payment_date >= '2007-07-01' AND payment_id % 100 = 0");
        for (String table : List.of("public.payment_p2007_03", "public.film", "public.country",
                "public.payment_p2007_07_max")) {
            Tables.awaitEqual(source.cluster(), target.cluster(), db, table, TIMEOUT,
                    () -> connect.statusText(db + "-sink"));
        }
        assertThat(target.query(db, "SELECT last_value FROM public.rental_rental_id_seq"))
                .isEqualTo(source.query(db, "SELECT last_value FROM public.rental_rental_id_seq"));
        assertThat(target.query(db, "SELECT public.group_concat(name ORDER BY name) FROM public.language"))
                .isEqualTo(source.query(db, "SELECT public.group_concat(name ORDER BY name) FROM public.language"));
        assertThat(Metrics.sinkMetric(db + "-sink", 0, "ddl-applied-total")).isGreaterThan(100);
        undeployPipeline(db);
    }

    @Test
    void objectKindsBeyondPagilaAndHostileNamesAreCreatedAlike() throws Exception {
        String db = "kinds";
        createDatabases(db);
        source.execute(db,
                "CREATE SCHEMA " + S,
                "CREATE TYPE " + S + ".mood AS ENUM ('sad', 'ok', 'happy')",
                "CREATE DOMAIN " + S + ".positive AS numeric(12,2) DEFAULT 1 NOT NULL "
                        + "CONSTRAINT positive_check CHECK (VALUE > 0)",
                "CREATE TYPE " + S + ".address AS (street text, zip varchar(10), m " + S + ".mood)",
                "CREATE TYPE " + S + ".floatrange AS RANGE (subtype = float8, subtype_diff = float8mi)",
                "CREATE SEQUENCE " + S + ".ticket AS integer INCREMENT BY 5 START WITH 100 CACHE 3 CYCLE",
                "SELECT nextval('" + S + ".ticket'), nextval('" + S + ".ticket')",
                "CREATE FUNCTION " + S + ".next_ticket() RETURNS integer LANGUAGE sql "
                        + "AS $$ SELECT nextval('" + S + ".ticket')::integer $$",
                "CREATE TABLE " + S + ".\"Order\" (\"Ключ\" integer GENERATED ALWAYS AS IDENTITY "
                        + "(START WITH 10 INCREMENT BY 2) PRIMARY KEY, "
                        + "\"select\" text COLLATE \"C\" NOT NULL DEFAULT 'x', "
                        + "amount " + S + ".positive, qty integer CHECK (qty >= 0), "
                        + "total numeric GENERATED ALWAYS AS (amount * qty) STORED, "
                        + "ship " + S + ".address, span " + S + ".floatrange, "
                        + "feelings " + S + ".mood[], "
                        + "ticket integer DEFAULT " + S + ".next_ticket(), "
                        + "UNIQUE (\"select\", qty))",
                "CREATE TABLE " + S + ".line (id bigserial PRIMARY KEY, "
                        + "order_id integer REFERENCES " + S + ".\"Order\" ON DELETE CASCADE, "
                        + "during tstzrange, EXCLUDE USING gist (during WITH &&))",
                "CREATE INDEX \"lower select\" ON " + S + ".\"Order\" (lower(\"select\")) WHERE qty > 1",
                "CREATE MATERIALIZED VIEW " + S + ".totals AS SELECT \"select\", sum(total) AS total "
                        + "FROM " + S + ".\"Order\" GROUP BY 1",
                "CREATE VIEW " + S + ".big AS SELECT * FROM " + S + ".totals WHERE total > 10",
                "CREATE PROCEDURE " + S + ".reset(n integer) LANGUAGE plpgsql "
                        + "AS $$ BEGIN UPDATE " + S + ".\"Order\" SET qty = n; END $$",
                "CREATE FUNCTION " + S + ".touch() RETURNS trigger LANGUAGE plpgsql "
                        + "AS $$ BEGIN NEW.qty := coalesce(NEW.qty, 0); RETURN NEW; END $$",
                "CREATE TRIGGER \"touch it\" BEFORE INSERT ON " + S + ".\"Order\" "
                        + "FOR EACH ROW EXECUTE FUNCTION " + S + ".touch()",
                "ALTER TABLE " + S + ".\"Order\" DISABLE TRIGGER \"touch it\"",
                "CREATE RULE no_delete AS ON DELETE TO " + S + ".line DO INSTEAD NOTHING",
                "COMMENT ON TABLE " + S + ".\"Order\" IS 'it''s the orders'",
                "COMMENT ON COLUMN " + S + ".\"Order\".\"Ключ\" IS 'the key'",
                "COMMENT ON FUNCTION " + S + ".next_ticket() IS 'tickets'",
                "ALTER TABLE " + S + ".line REPLICA IDENTITY FULL",
                "ALTER TABLE " + S + ".line ENABLE ROW LEVEL SECURITY",
                "ALTER TABLE " + S + ".line FORCE ROW LEVEL SECURITY",
                "INSERT INTO " + S + ".\"Order\" (\"select\", amount, qty, ship, span, feelings) "
                        + "SELECT 'k' || g, g, g, ROW('main st', '1000' || g, 'ok'::" + S + ".mood)::" + S
                        + ".address, '[1.5,2.5)', ARRAY['sad', 'happy']::" + S + ".mood[] "
                        + "FROM generate_series(1, 20) g",
                "INSERT INTO " + S + ".line (order_id, during) SELECT \"Ключ\", "
                        + "tstzrange(now() + \"Ключ\" * interval '1 day', "
                        + "now() + (\"Ключ\" + 1) * interval '1 day') "
                        + "FROM " + S + ".\"Order\"",
                "REFRESH MATERIALIZED VIEW " + S + ".totals");

        sync(db, "Sales \"EU\".*");

        for (String table : List.of(S + ".\"Order\"", S + ".line")) {
            Tables.awaitEqual(source.cluster(), target.cluster(), db, table, TIMEOUT,
                    () -> connect.statusText(db + "-sink"));
        }
        awaitSameSchema(db, S, TIMEOUT);
        assertThat(target.query(db, "SELECT count(*) FROM " + S + ".big"))
                .isEqualTo(source.query(db, "SELECT count(*) FROM " + S + ".big"));
        undeployPipeline(db);
    }

    @Test
    void anExistingTableWithAnotherStructureStopsTheSinkUnlessConflictsAreIgnored() throws Exception {
        String db = "conflict";
        createDatabases(db);
        source.execute(db, "CREATE TABLE items (id int PRIMARY KEY, name text, price numeric(8,2))",
                "INSERT INTO items SELECT g, 'item ' || g, g FROM generate_series(1, 100) g");
        target.execute(db, "CREATE TABLE items (id int PRIMARY KEY, name varchar(20))",
                "INSERT INTO items VALUES (1000, 'kept')");

        sync(db, "public.items");
        await().atMost(TIMEOUT).until(() -> connect.statusText(db + "-sink").contains("FAILED"));
        assertThat(connect.statusText(db + "-sink")).contains("Destination table public.items already exists",
                "price numeric(8,2)", "schema.sync.conflict=ignore");
        assertThat(target.query(db, "SELECT count(*) FROM items")).containsExactly(List.of("1"));
        connect.delete(db + "-sink");

        target.execute(db, "ALTER TABLE items ALTER COLUMN name TYPE text, ADD COLUMN price numeric(8,2)");
        Map<String, String> sink = Pipeline.withJson(Pipeline.sink(target.cluster(), db, db + ".changelog", 1));
        sink.put("schema.sync.conflict", "ignore");
        connect.deploy(db + "-sink-2", sink);
        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(target.query(db, "SELECT count(*) FROM items"))
                .containsExactly(List.of("101")));
        connect.delete(db + "-sink-2");
        connect.delete(db + "-source");
    }

    /**
     * Deploys the pipeline. Pagila's SECURITY DEFINER functions are meant to be so at the destination too, which the
     * sink does only when the user allows it.
     */
    private void sync(String db, String tables) throws InterruptedException {
        Map<String, String> sink = sink(db);
        sink.put("ddl.security.definer.enabled", "true");
        connect.deploy(db + "-sink", sink);
        connect.deploy(db + "-source", Pipeline.withJson(Pipeline.source(source.cluster(), db, db, tables, 1)));
        connect.awaitRunning(db + "-source", 1);
    }

    /** Copies a test resource to a file the database tools can read, decompressing it if asked. */
    private static Path resource(String name, boolean gzip) {
        try (InputStream in = SchemaSyncIT.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("Missing test resource " + name);
            }
            Path file = Files.createTempFile("pgsync-it-", ".sql");
            file.toFile().deleteOnExit();
            Files.copy(gzip ? new GZIPInputStream(in) : in, file, StandardCopyOption.REPLACE_EXISTING);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
