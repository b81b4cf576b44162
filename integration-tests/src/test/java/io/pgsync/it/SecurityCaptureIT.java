package io.pgsync.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.pgsync.common.sql.SqlLexer;
import io.pgsync.common.sql.SqlLexer.Token;

/**
 * What a role on the source must be unable to do through pgsync: make the destination run DDL the capture did not
 * write (a logical message with pgsync's prefix, forged in a transaction of its own, next to real DDL, or
 * non-transactional, or a real capture replayed), run code as the capture's owner by shadowing the catalog in its
 * temporary schema (a temporary view {@code pg_namespace}), or get a password it wrote in a statement into a log, a task's status, the changelog, a
 * dead-letter topic or {@code pgsync.status}. And the capture's SQL-side lexer reads query strings as the connectors'
 * lexer does. See the README's Security section.
 */
class SecurityCaptureIT extends PipelineIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(90);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final PostgresRole INTRUDER = new PostgresRole("intruder", "intruder-pw");
    private static final PostgresRole TENANT = new PostgresRole("tenant", "tenant-pw");

    @Test
    void onlyTheCaptureSpeaksForgedAndReplayedMessagesAreDroppedCountedAndTheSyncGoesOn() throws Exception {
        String db = "secforge";
        createDatabases(db);
        source.execute(db, "CREATE SCHEMA app", "CREATE TABLE app.accounts (id int PRIMARY KEY, n int)",
                "INSERT INTO app.accounts SELECT g, g FROM generate_series(1, 10) g",
                "CREATE ROLE intruder LOGIN PASSWORD 'intruder-pw'",
                "CREATE ROLE tenant LOGIN PASSWORD 'tenant-pw'", "GRANT USAGE, CREATE ON SCHEMA app TO tenant");
        deployPipeline(db, SecurityPipelines.schemaSelection(source.cluster(), db));
        connect.awaitRunning(db + "-sink", 1);
        Tables.awaitEqual(source.cluster(), target.cluster(), db, "app.accounts", TIMEOUT, () -> status(db));

        // real DDL, whose captured drop is replayed below once the table exists again
        source.execute(db, "CREATE TABLE app.replayed (id int PRIMARY KEY)", "INSERT INTO app.replayed VALUES (1)",
                "DROP TABLE app.replayed", "CREATE TABLE app.replayed (id int PRIMARY KEY, v text)",
                "INSERT INTO app.replayed VALUES (2, 'back')");
        Tables.awaitEqual(source.cluster(), target.cluster(), db, "app.replayed", TIMEOUT, () -> status(db));
        String replay = capturedMessage(db, "DROP TABLE");

        SecurityPipelines.runAsQueryStrings(source.cluster(), db, INTRUDER,
                "SELECT pg_logical_emit_message(true, 'pgsync', " + literal(forged("pwned_transactional")) + ")",
                "SELECT pg_logical_emit_message(false, 'pgsync', " + literal(forged("pwned_immediate")) + ")",
                "SELECT pg_logical_emit_message(true, 'pgsync', " + literal(replay) + ")");
        SecurityPipelines.runAsQueryStrings(source.cluster(), db, TENANT, "BEGIN; "
                + "CREATE TABLE app.tenant_t (id int PRIMARY KEY); "
                + "SELECT pg_logical_emit_message(true, 'pgsync', " + literal(forged("pwned_next_to_ddl")) + "); "
                + "COMMIT");
        assertThatThrownBy(() -> SecurityPipelines.runAsQueryStrings(source.cluster(), db, INTRUDER,
                "INSERT INTO pgsync.ddl_log (content) VALUES (" + literal(forged("pwned_row")) + ")"))
                .isInstanceOf(SQLException.class).hasMessageContaining("permission denied");

        source.execute(db, "INSERT INTO app.accounts VALUES (99, 99)", "INSERT INTO app.tenant_t VALUES (1)");
        Tables.awaitEqual(source.cluster(), target.cluster(), db, "app.accounts", TIMEOUT, () -> status(db));
        Tables.awaitEqual(source.cluster(), target.cluster(), db, "app.tenant_t", TIMEOUT, () -> status(db));
        SoftAssertions softly = new SoftAssertions();
        softly.assertThat(target.query(db, "SELECT relname FROM pg_catalog.pg_class WHERE relname LIKE 'pwned%'"))
                .as("tables the forged messages would create").isEmpty();
        softly.assertThat(target.query(db, "SELECT pg_catalog.to_regclass('app.replayed') IS NOT NULL"))
                .as("the table a replayed drop would drop").containsExactly(List.of("t"));
        softly.assertAll();
        Tables.awaitEqual(source.cluster(), target.cluster(), db, "app.replayed", TIMEOUT, () -> status(db));
        assertThat(Metrics.sourceMetric(db + "-source", 0, "ddl-messages-rejected-total")).isEqualTo(4);
        assertThat(status(db)).doesNotContain("FAILED");
        undeployPipeline(db);
    }

    @Test
    void aTemporaryObjectShadowingTheCatalogRunsNoCodeAsTheCapturesOwner() throws Exception {
        String db = "sectemp";
        source.cluster().createDatabase(db);
        source.cluster().runScript(db, SecurityPipelines.captureScript());
        source.execute(db, "CREATE ROLE shadower LOGIN PASSWORD 'shadower-pw'",
                "CREATE SCHEMA shadower_app AUTHORIZATION shadower",
                "CREATE TABLE public.escalations (who text NOT NULL)", "GRANT INSERT ON public.escalations TO PUBLIC");
        SecurityPipelines.runAsQueryStrings(source.cluster(), db, new PostgresRole("shadower", "shadower-pw"),
                "CREATE FUNCTION pg_temp.evil() RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN "
                        + "INSERT INTO public.escalations VALUES (current_user); "
                        + "IF current_user <> 'shadower' THEN EXECUTE 'ALTER ROLE shadower SUPERUSER'; END IF; "
                        + "RETURN true; END $$",
                "CREATE TEMP VIEW pg_namespace AS SELECT n.* FROM pg_catalog.pg_namespace n WHERE pg_temp.evil()",
                "CREATE TABLE shadower_app.t (id int PRIMARY KEY)",
                "ALTER TABLE shadower_app.t ADD COLUMN v text",
                "CREATE INDEX t_v_idx ON shadower_app.t (v)");
        assertThat(source.query(db, "SELECT who, count(*) FROM public.escalations GROUP BY who"))
                .as("who ran the shadowing function").isEmpty();
        assertThat(source.query(db, "SELECT rolsuper::text FROM pg_catalog.pg_roles WHERE rolname = 'shadower'"))
                .containsExactly(List.of("false"));
        assertThat(source.query(db, "SELECT count(*) FROM pg_catalog.pg_attribute WHERE attrelid = "
                + "'shadower_app.t'::regclass AND attnum > 0")).as("the role's own DDL still runs")
                .containsExactly(List.of("2"));
    }

    @Test
    void noPasswordReachesALogAStatusTheChangelogADeadLetterTopicOrPgsyncStatus() throws Exception {
        String db = "secsecret";
        String sourcePassword = "PW-SOURCE-7a1";
        String sinkPassword = "PW-SINK-8b2";
        List<String> secrets = List.of(sourcePassword, sinkPassword, "PW-SSL-3c4", "PW-SSLKEY-5e6", "PW-MAPPING-9f0",
                "PW-ROLE-1d2", "PW-DO-2e3", "PW-SERVER-3f4", "PW-MAPPING-4a5");
        createDatabases(db);
        source.execute(db, "CREATE ROLE src_secret LOGIN REPLICATION SUPERUSER PASSWORD '" + sourcePassword + "'",
                "CREATE SCHEMA app", "CREATE TABLE app.accounts (id int PRIMARY KEY, n int)",
                "INSERT INTO app.accounts VALUES (1, 1)", "CREATE FOREIGN DATA WRAPPER dummy_fdw",
                "CREATE SERVER dummy_server FOREIGN DATA WRAPPER dummy_fdw OPTIONS (host 'h')");
        target.execute(db, "CREATE ROLE sink_secret LOGIN SUPERUSER PASSWORD '" + sinkPassword + "'");
        try (LogCapture log = new LogCapture()) {
            Map<String, String> sourceConfig = SecurityPipelines.schemaSelection(source.cluster(), db);
            sourceConfig.put("database.user", "src_secret");
            sourceConfig.put("database.password", sourcePassword);
            sourceConfig.put("database.sslpassword", "PW-SSLKEY-5e6");
            Map<String, String> sinkConfig = sink(db);
            sinkConfig.put("connection.url", target.jdbcUrl(db) + (target.jdbcUrl(db).contains("?") ? "&" : "?")
                    + "sslpassword=PW-SSL-3c4&password=" + sinkPassword);
            sinkConfig.put("connection.user", "sink_secret");
            sinkConfig.put("connection.password", sinkPassword);
            sinkConfig.put("errors.tolerance", "all");
            sinkConfig.put("errors.deadletterqueue.topic.name", db + ".dlq");
            sinkConfig.put("errors.deadletterqueue.topic.replication.factor", "1");
            connect.deploy(db + "-sink", sinkConfig);
            connect.deploy(db + "-source", sourceConfig);
            connect.awaitRunning(db + "-source", 1);
            Tables.awaitEqual(source.cluster(), target.cluster(), db, "app.accounts", TIMEOUT, () -> status(db));

            SecurityPipelines.runAsQueryStrings(source.cluster(), db, PostgresRole.SUPERUSER,
                    "CREATE USER MAPPING FOR PUBLIC SERVER dummy_server OPTIONS (user 'u', password 'PW-MAPPING-9f0')",
                    "ALTER ROLE src_secret PASSWORD '" + sourcePassword + "'; "
                            + "ALTER TABLE app.accounts ADD COLUMN c2 int",
                    "CREATE ROLE somebody LOGIN PASSWORD 'PW-ROLE-1d2'; "
                            + "CREATE INDEX accounts_c2_idx ON app.accounts (c2)",
                    "DO $$ BEGIN EXECUTE 'ALTER ROLE somebody PASSWORD ''PW-DO-2e3'''; "
                            + "CREATE TABLE app.t4 (id int PRIMARY KEY); END $$",
                    "CREATE SERVER other_server FOREIGN DATA WRAPPER dummy_fdw OPTIONS (password 'PW-SERVER-3f4')",
                    "ALTER USER MAPPING FOR PUBLIC SERVER dummy_server OPTIONS (SET password 'PW-MAPPING-4a5')");
            source.execute(db, "INSERT INTO app.accounts VALUES (2, 2, 2)", "INSERT INTO app.t4 VALUES (4)");
            Tables.awaitEqual(source.cluster(), target.cluster(), db, "app.accounts", TIMEOUT, () -> status(db));
            Tables.awaitEqual(source.cluster(), target.cluster(), db, "app.t4", TIMEOUT, () -> status(db));
            await().atMost(TIMEOUT).until(() -> !target.query(db, "SELECT 1 FROM pg_catalog.pg_indexes "
                    + "WHERE indexname = 'accounts_c2_idx'").isEmpty());

            SoftAssertions softly = new SoftAssertions();
            String changelog = text(connect.readAll(db + ".changelog", Duration.ofSeconds(10)));
            String deadLetters = text(connect.readAll(db + ".dlq", Duration.ofSeconds(10)));
            String status = status(db);
            String statusTable = String.join("\n", target.query(db, "SELECT s::text FROM pgsync.status s").stream()
                    .map(row -> row.get(0)).toList());
            for (String secret : secrets) {
                softly.assertThat(log.workerText()).as("worker log").doesNotContain(secret);
                softly.assertThat(status).as("REST status").doesNotContain(secret);
                softly.assertThat(changelog).as("changelog").doesNotContain(secret);
                softly.assertThat(deadLetters).as("dead-letter topic").doesNotContain(secret);
                softly.assertThat(statusTable).as("pgsync.status").doesNotContain(secret);
            }
            softly.assertThat(log.workerText()).as("worker log").contains("pgsync sink task started");
            softly.assertThat(deadLetters).as("dead-letter topic: the user mapping's and the servers' DDL")
                    .contains("CREATE USER MAPPING", "CREATE SERVER", "ALTER USER MAPPING");
            softly.assertAll();
        }
        undeployPipeline(db);
    }

    @Test
    void theCapturesLexerReadsQueryStringsAsTheConnectorsLexerDoes() throws Exception {
        String db = "seclex";
        source.cluster().createDatabase(db);
        source.cluster().runScript(db, SecurityPipelines.captureScript());
        // A digit directly before a letter is "trailing junk after numeric literal" to PostgreSQL 15, so no query
        // string holding it ever runs; the fragments that end in a digit end in a space.
        List<String> fragments = List.of("ALTER TABLE t ADD c int", " ", "\n", ";", "'a;b'", "'it''s;'", "E'x\\';y'",
                "'back\\'", "\"q;\"\"x\"", "$$a;b$$", "$t$;$$;$t$", "$1 ", "a$b", "$", "-- c;\n", "--", "/* a /* b; */ c; */",
                "/*", "*/", "U&'d\\0061t'", "B'1'", "e'\\\\'", "x", "USING n*0 ", "'", "\"", "$tag$", "/", "-");
        Random random = new Random(20261204);
        List<String> queries = new ArrayList<>();
        for (int i = 0; i < 1500; i++) {
            StringBuilder query = new StringBuilder();
            for (int j = random.nextInt(8) + 1; j > 0; j--) {
                query.append(fragments.get(random.nextInt(fragments.size())));
            }
            queries.add(query.toString());
        }
        for (boolean standardConforming : List.of(true, false)) {
            List<List<String>> read = source.query(db, "SELECT l.statements, l.statement FROM "
                    + "unnest(" + textArray(queries) + ") WITH ORDINALITY q(query, n), pgsync.ddl_lex(q.query, "
                    + !standardConforming + ", false) l ORDER BY q.n");
            SoftAssertions softly = new SoftAssertions();
            int single = 0;
            for (int i = 0; i < queries.size(); i++) {
                boolean one = SqlLexer.lex(queries.get(i), standardConforming).singleStatement().isPresent();
                String captured = read.get(i).get(1);
                softly.assertThat("1".equals(read.get(i).get(0))).as("exactly one statement in %s (standard "
                        + "conforming strings %s)", queries.get(i), standardConforming).isEqualTo(one);
                if (one) {
                    single++;
                    softly.assertThat(captured).as("the statement of %s", queries.get(i)).isNotNull();
                    softly.assertThat(significant(String.valueOf(captured), standardConforming)).as("the statement "
                            + "of %s", queries.get(i)).isEqualTo(significant(queries.get(i), standardConforming));
                }
            }
            softly.assertThat(single).as("query strings of exactly one statement among %s", queries.size())
                    .isGreaterThan(100);
            softly.assertAll();
        }
    }

    /** A message in the capture's format that would make the sink create a table as itself. */
    private static String forged(String table) throws Exception {
        String sql = "CREATE TABLE public." + table + " AS SELECT current_user AS who";
        ObjectNode command = JSON.createObjectNode().put("kind", "verbatim").put("type", "table")
                .put("identity", "public." + table).put("origin", "statement").put("standardConformingStrings", true);
        command.putNull("schema");
        command.putNull("table");
        command.putArray("statements").add(sql);
        ObjectNode message = JSON.createObjectNode().put("tag", "CREATE TABLE AS").put("query", sql)
                .put("statement", sql).put("origin", "statement");
        message.putArray("commands").add(command);
        return message.toString();
    }

    /**
     * The message the capture wrote for the last DDL record with the tag, rebuilt from the changelog as a role that
     * reads the topic would: its tag, statement and commands.
     */
    private static String capturedMessage(String db, String tag) throws Exception {
        String found = null;
        for (ConsumerRecord<byte[], byte[]> record : connect.readAll(db + ".changelog", Duration.ofSeconds(10))) {
            if (record.value() == null) {
                continue;
            }
            JsonNode payload = JSON.readTree(record.value()).path("payload");
            if (tag.equals(payload.path("tag").asText()) && payload.has("commands")) {
                ObjectNode message = JSON.createObjectNode().put("tag", tag)
                        .put("query", payload.path("query").asText()).put("statement", payload.path("query").asText());
                message.set("commands", JSON.readTree(payload.path("commands").asText()));
                found = message.toString();
            }
        }
        assertThat(found).as("a %s record in the changelog", tag).isNotNull();
        return found;
    }

    /** The significant tokens of a text, joined by spaces: the statement as the server reads it. */
    private static String significant(String sql, boolean standardConforming) {
        List<List<Token>> statements = SqlLexer.lex(sql, standardConforming).statements();
        return statements.isEmpty() ? "" : String.join(" ", statements.get(0).stream().filter(Token::significant)
                .map(Token::text).toList());
    }

    private static String text(List<ConsumerRecord<byte[], byte[]>> records) {
        StringBuilder text = new StringBuilder();
        for (ConsumerRecord<byte[], byte[]> record : records) {
            if (record.key() != null) {
                text.append(new String(record.key(), StandardCharsets.UTF_8)).append('\n');
            }
            if (record.value() != null) {
                text.append(new String(record.value(), StandardCharsets.UTF_8)).append('\n');
            }
            record.headers().forEach(header -> text.append(header.key()).append('=')
                    .append(header.value() == null ? "" : new String(header.value(), StandardCharsets.UTF_8))
                    .append('\n'));
        }
        return text.toString();
    }

    private static String status(String db) {
        return connect.statusText(db + "-source") + " / " + connect.statusText(db + "-sink");
    }

    private static String literal(String text) {
        return "'" + text.replace("'", "''") + "'";
    }

    private static String textArray(List<String> values) {
        return "ARRAY[" + String.join(", ", values.stream().map(v -> "E'" + v.replace("\\", "\\\\")
                .replace("'", "\\'") + "'").toList()) + "]::text[]";
    }
}
