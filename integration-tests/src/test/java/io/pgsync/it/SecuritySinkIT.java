package io.pgsync.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;

/**
 * What the destination must never let replicated DDL or another role do through the sink: take a type change's
 * {@code USING} from anywhere but that column's own subcommand (a comment, a string, another statement of the same
 * query string), run a function a destination role created in {@code public} to shadow one the sink calls, create
 * objects owned by the sink's role or {@code SECURITY DEFINER} functions the user did not allow, or take keywords and
 * type names for the columns a naming rule renames or leaves out; and a lock held at the destination ends in the
 * sink's retry path, not in a silent wait. See the README's Security section.
 */
class SecuritySinkIT extends PipelineIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(90);

    @Test
    void aTypeChangeTakesTheUsingOfItsOwnSubcommandAndNeverGuessesOne() throws Exception {
        String db = "secusing";
        createDatabases(db);
        source.execute(db, "CREATE SCHEMA app",
                "CREATE TABLE app.z (id int PRIMARY KEY, n int)", "INSERT INTO app.z VALUES (1, 42)",
                "CREATE TABLE app.s (id int PRIMARY KEY, n int)", "INSERT INTO app.s VALUES (1, 42)",
                "CREATE TABLE app.m (id int PRIMARY KEY, price numeric(10,2))", "INSERT INTO app.m VALUES (1, 700)",
                "CREATE TABLE app.n (id int PRIMARY KEY, price numeric(10,2))", "INSERT INTO app.n VALUES (1, 700)");
        deployPipeline(db, SecurityPipelines.schemaSelection(source.cluster(), db));
        awaitEqual(db, "app.z", "app.s", "app.m", "app.n");

        SecurityPipelines.runAsQueryStrings(source.cluster(), db, PostgresRole.SUPERUSER,
                "ALTER TABLE app.z ALTER n TYPE bigint -- USING n*0",
                "ALTER TABLE app.s ADD COLUMN c text DEFAULT ' ALTER n TYPE int8 USING n*0, ALTER x ', "
                        + "ALTER n TYPE bigint",
                "ALTER TABLE app.z ALTER n TYPE numeric USING n * 2 /* its own USING */");
        await().atMost(TIMEOUT).until(() -> target.query(db, "SELECT count(*) FROM pg_catalog.pg_attribute "
                + "WHERE attrelid IN ('app.z'::regclass, 'app.s'::regclass) AND attname IN ('n', 'c') "
                + "AND atttypid IN ('numeric'::regtype, 'text'::regtype)").get(0).get(0).equals("2"));
        SoftAssertions softly = new SoftAssertions();
        softly.assertThat(target.query(db, "SELECT n::text FROM app.z")).as("app.z.n after a USING in a comment and "
                + "a USING of its own").containsExactly(List.of("84"));
        softly.assertThat(target.query(db, "SELECT n::text FROM app.s")).as("app.s.n after a USING in a string")
                .containsExactly(List.of("42"));

        SecurityPipelines.runAsQueryStrings(source.cluster(), db, PostgresRole.SUPERUSER,
                "ALTER TABLE app.m ALTER price TYPE numeric USING price / 100; "
                        + "ALTER TABLE app.n ALTER price TYPE numeric(12,2)");
        await().atMost(TIMEOUT).until(() -> connect.statusText(db + "-sink").contains("FAILED")
                || !target.query(db, "SELECT price::text FROM app.n").get(0).get(0).equals("700.00"));
        softly.assertThat(target.query(db, "SELECT price::text FROM app.n"))
                .as("app.n.price after a USING in another statement of the same query string")
                .containsExactly(List.of("700.00"));
        softly.assertThat(connect.statusText(db + "-sink")).as("the sink stops, naming the column and why")
                .contains("FAILED", "The type of column app.m.price changed from numeric(10,2) to numeric",
                        "in a query string of several statements", "does not guess one");
        softly.assertAll();

        // The user makes the change at the destination with the expressions the source used, and restarts the task.
        target.execute(db, "ALTER TABLE app.m ALTER price TYPE numeric USING price / 100",
                "ALTER TABLE app.n ALTER price TYPE numeric(12,2)");
        connect.cluster().restartTask(db + "-sink", 0);
        source.execute(db, "INSERT INTO app.m VALUES (2, 3.5)", "INSERT INTO app.n VALUES (2, 1.25)");
        awaitEqual(db, "app.z", "app.s", "app.m", "app.n");
        undeployPipeline(db);
    }

    @Test
    void aFunctionADestinationRoleCreatesInPublicRunsNoCodeAsTheSink() throws Exception {
        String db = "secshadow";
        createDatabases(db);
        target.execute(db, "CREATE ROLE shadow LOGIN PASSWORD 'shadow'", "GRANT CREATE ON SCHEMA public TO shadow",
                "CREATE TABLE public.shadow_calls (who text NOT NULL)",
                "GRANT INSERT ON public.shadow_calls TO PUBLIC");
        SecurityPipelines.runAsQueryStrings(target.cluster(), db, new PostgresRole("shadow", "shadow"),
                "CREATE FUNCTION public.unnest(a text[]) RETURNS SETOF text LANGUAGE plpgsql AS $$ BEGIN "
                        + "INSERT INTO public.shadow_calls VALUES (current_user); "
                        + "RETURN QUERY SELECT x FROM pg_catalog.unnest(a) x; END $$");
        source.execute(db, "CREATE SCHEMA app", "CREATE TABLE app.items (id int PRIMARY KEY, name text)",
                "INSERT INTO app.items SELECT g, 'item ' || g FROM generate_series(1, 50) g");
        deployPipeline(db, SecurityPipelines.schemaSelection(source.cluster(), db));
        awaitEqual(db, "app.items");

        source.execute(db, "UPDATE app.items SET name = upper(name) WHERE id <= 30",
                "DELETE FROM app.items WHERE id > 40",
                "INSERT INTO app.items SELECT g, 'new ' || g FROM generate_series(100, 120) g");
        awaitEqual(db, "app.items");
        assertThat(target.query(db, "SELECT who, count(*) FROM public.shadow_calls GROUP BY who"))
                .as("calls of public.unnest(text[]), by role").isEmpty();
        undeployPipeline(db);
    }

    @Test
    void whatTheSinkCreatesBelongsToTheOwnerRoleAndSecurityDefinerNeedsConsent() throws Exception {
        String db = "secowner";
        createDatabases(db);
        target.execute(db, "CREATE ROLE pgsync_ddl NOLOGIN", "GRANT CREATE ON DATABASE secowner TO pgsync_ddl");
        source.execute(db, "CREATE SCHEMA app", "CREATE TABLE app.t (id int PRIMARY KEY, v text)",
                "INSERT INTO app.t VALUES (1, 'one')",
                "CREATE VIEW app.v AS SELECT id FROM app.t",
                "CREATE FUNCTION app.whoami() RETURNS text LANGUAGE sql SECURITY DEFINER AS "
                        + "$$ SELECT current_user::text $$");
        Map<String, String> sink = sink(db);
        sink.put("ddl.owner.role", "pgsync_ddl");
        connect.deploy(db + "-sink", sink);
        connect.deploy(db + "-source", SecurityPipelines.schemaSelection(source.cluster(), db));
        connect.awaitRunning(db + "-source", 1);
        awaitEqual(db, "app.t");
        source.execute(db, "CREATE FUNCTION app.later() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT 1'",
                "ALTER TABLE app.t ADD COLUMN w int", "CREATE INDEX t_v_idx ON app.t (v)",
                "INSERT INTO app.t VALUES (2, 'two', 2)");
        awaitEqual(db, "app.t");
        await().atMost(TIMEOUT).until(() -> !target.query(db, "SELECT 1 FROM pg_catalog.pg_proc "
                + "WHERE proname = 'later'").isEmpty());

        SoftAssertions softly = new SoftAssertions();
        softly.assertThat(target.query(db, "SELECT DISTINCT pg_catalog.pg_get_userbyid(c.relowner) FROM "
                + "pg_catalog.pg_class c WHERE c.relnamespace = 'app'::regnamespace"))
                .as("owners of the tables, views and indexes in app").containsExactly(List.of("pgsync_ddl"));
        softly.assertThat(target.query(db, "SELECT proname, pg_catalog.pg_get_userbyid(proowner), prosecdef::text "
                + "FROM pg_catalog.pg_proc WHERE pronamespace = 'app'::regnamespace ORDER BY 1"))
                .as("owner and SECURITY DEFINER of the functions in app")
                .containsExactly(List.of("later", "pgsync_ddl", "false"), List.of("whoami", "pgsync_ddl", "false"));
        softly.assertThat(target.query(db, "SELECT pg_catalog.pg_get_userbyid(nspowner) FROM pg_catalog.pg_namespace "
                + "WHERE nspname = 'app'")).as("owner of schema app").containsExactly(List.of("pgsync_ddl"));
        softly.assertAll();
        assertThat(Metrics.sinkMetric(db + "-sink", 0, "ddl-security-definer-downgraded-total"))
                .isGreaterThanOrEqualTo(2);
        undeployPipeline(db);
    }

    @Test
    void columnsNamedKeyTextTypeAndDateAreRenamedAndLeftOutWhereTheGrammarPutsAColumn() throws Exception {
        String db = "secnames";
        createDatabases(db);
        source.execute(db, "CREATE SCHEMA app",
                "CREATE TABLE app.t (id int PRIMARY KEY, key text, text text, type date CHECK (type > '2000-01-01'), "
                        + "date date DEFAULT CURRENT_DATE)",
                "CREATE INDEX t_text_idx ON app.t (text)",
                "INSERT INTO app.t SELECT g, 'k' || g, 't' || g, date '2024-01-01' + g, date '2025-01-01' - g "
                        + "FROM generate_series(1, 20) g");
        Map<String, String> sink = sink(db);
        sink.put("columns.exclude", "app.t.key");
        sink.put("mapping.columns", "app.t.text:body,app.t.type:kind,app.t.date:day");
        connect.deploy(db + "-sink", sink);
        connect.deploy(db + "-source", SecurityPipelines.schemaSelection(source.cluster(), db));
        connect.awaitRunning(db + "-source", 1);
        source.execute(db, "UPDATE app.t SET text = text || '!', type = type + 1 WHERE id <= 5",
                "ALTER TABLE app.t ADD COLUMN note text",
                "CREATE INDEX t_type_idx ON app.t (type)",
                "INSERT INTO app.t (id, key, text, type, note) VALUES (21, 'k21', 't21', '2030-01-01', 'n')");

        await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(500)).ignoreExceptions().untilAsserted(() ->
                assertThat(target.query(db, "SELECT id, body, kind, day, note FROM app.t ORDER BY id"))
                        .as("mapped rows (sink: %s)", connect.statusText(db + "-sink"))
                        .isEqualTo(source.query(db, "SELECT id, text, type, date, note FROM app.t ORDER BY id")));
        await().atMost(TIMEOUT).until(() -> !target.query(db, "SELECT 1 FROM pg_catalog.pg_indexes "
                + "WHERE indexname = 't_type_idx'").isEmpty());
        assertThat(target.query(db, "SELECT attname, pg_catalog.format_type(atttypid, atttypmod) "
                + "FROM pg_catalog.pg_attribute WHERE attrelid = 'app.t'::regclass AND attnum > 0 "
                + "AND NOT attisdropped ORDER BY attnum")).containsExactly(List.of("id", "integer"),
                        List.of("body", "text"), List.of("kind", "date"), List.of("day", "date"),
                        List.of("note", "text"));
        assertThat(target.query(db, "SELECT pg_catalog.pg_get_constraintdef(oid) FROM pg_catalog.pg_constraint "
                + "WHERE conrelid = 'app.t'::regclass ORDER BY contype DESC"))
                .containsExactly(List.of("PRIMARY KEY (id)"), List.of("CHECK ((kind > '2000-01-01'::date))"));
        assertThat(target.query(db, "SELECT indexdef FROM pg_catalog.pg_indexes WHERE schemaname = 'app' "
                + "AND indexname LIKE 't\\_t%' ORDER BY 1")).containsExactly(
                        List.of("CREATE INDEX t_text_idx ON app.t USING btree (body)"),
                        List.of("CREATE INDEX t_type_idx ON app.t USING btree (kind)"));
        assertThat(target.query(db, "SELECT pg_catalog.pg_get_expr(adbin, adrelid) FROM pg_catalog.pg_attrdef "
                + "WHERE adrelid = 'app.t'::regclass")).containsExactly(List.of("CURRENT_DATE"));
        undeployPipeline(db);
    }

    @Test
    void aLockHeldAtTheDestinationEndsInTheRetryPathNotInASilentWait() throws Exception {
        String db = "seclock";
        createDatabases(db);
        source.execute(db, "CREATE SCHEMA app", "CREATE TABLE app.t (id int PRIMARY KEY, v text)",
                "INSERT INTO app.t VALUES (1, 'a')");
        Map<String, String> sink = sink(db);
        sink.put("connection.lock.timeout.ms", "500");
        sink.put("retry.backoff.max.ms", "500");
        connect.deploy(db + "-sink", sink);
        connect.deploy(db + "-source", SecurityPipelines.schemaSelection(source.cluster(), db));
        connect.awaitRunning(db + "-source", 1);
        awaitEqual(db, "app.t");

        try (Connection holder = target.cluster().connect(db); Statement statement = holder.createStatement()) {
            holder.setAutoCommit(false);
            statement.execute("LOCK TABLE app.t IN ACCESS EXCLUSIVE MODE");
            double before = Metrics.sinkMetric(db + "-sink", 0, "retries-total");
            source.execute(db, "INSERT INTO app.t VALUES (2, 'b')");
            await().atMost(TIMEOUT).until(() -> Metrics.sinkMetric(db + "-sink", 0, "retries-total") >= before + 2);
            assertThat(connect.statusText(db + "-sink")).startsWith("RUNNING; task 0 RUNNING");
            holder.rollback();
        }
        awaitEqual(db, "app.t");
        undeployPipeline(db);
    }

    private static void awaitEqual(String db, String... tables) {
        for (String table : tables) {
            Tables.awaitEqual(source.cluster(), target.cluster(), db, table, TIMEOUT,
                    () -> "sink: " + connect.statusText(db + "-sink"));
        }
    }
}
