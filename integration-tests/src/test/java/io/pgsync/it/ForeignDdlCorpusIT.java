package io.pgsync.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.pgsync.common.sql.SqlLexer;

/**
 * DDL nobody on this project wrote, run at the source while the pipeline streams: the 18 schema migrations of
 * graphile-worker 0.16.6 (a job queue for PostgreSQL; test resources {@code corpus/graphile-worker}, MIT licence),
 * each in a transaction of its own with its row in the queue's {@code migrations} table, statement by statement as
 * psql, Flyway or Liquibase send a script, and after each one jobs added through the queue's functions of that
 * version. (graphile-worker's own migrate sends each file as one query string; the capture does not send such strings,
 * so the sink stops on its {@code ALTER COLUMN ... TYPE int2}, naming the fix: see the README's limitations.) The same runs in a database the pipeline does not capture: each step that succeeds there succeeds with the
 * pipeline too (the sync makes no statement of the user fail), and the destination ends with the source's schema
 * ({@code pg_dump --schema-only}) and rows, the tasks running.
 */
class ForeignDdlCorpusIT extends PipelineIT {

    private static final Duration TIMEOUT = Duration.ofMinutes(2);
    private static final String SCHEMA = "graphile_worker";
    private static final int MIGRATIONS = 18;

    @Test
    void graphileWorkersMigrationsReplayWhileStreamingAndNoStepFailsBecauseOfTheSync() throws Exception {
        String db = "corpus";
        String reference = "corpusref";
        createDatabases(db);
        source.cluster().createDatabase(reference);
        String setup = "CREATE SCHEMA " + SCHEMA + "; CREATE TABLE " + SCHEMA + ".migrations (id int PRIMARY KEY, "
                + "ts timestamptz DEFAULT now() NOT NULL)";
        run(db, List.of(setup));
        run(reference, List.of(setup));
        Map<String, String> config = Pipeline.withJson(Pipeline.source(source.cluster(), db, db, null, 1));
        config.remove("table.include.list");
        config.put("schema.include.list", SCHEMA);
        deployPipeline(db, config);
        awaitSameSchema(db, SCHEMA, TIMEOUT);

        List<String> withPipeline = new ArrayList<>();
        List<String> without = new ArrayList<>();
        for (int n = 1; n <= MIGRATIONS; n++) {
            String name = String.format("%06d.sql", n);
            List<String> migration = new ArrayList<>(statements(corpus(name).replace(":GRAPHILE_WORKER_SCHEMA",
                    SCHEMA)));
            migration.add("INSERT INTO " + SCHEMA + ".migrations (id) VALUES (" + n + ")");
            List<String> jobs = List.of("SELECT " + SCHEMA + ".add_job('corpus', json_build_object('migration', " + n
                    + ", 'n', g)) FROM generate_series(1, 3) g");
            withPipeline.add(name + ": " + run(db, migration) + "; jobs: " + run(db, jobs));
            without.add(name + ": " + run(reference, migration) + "; jobs: " + run(reference, jobs));
        }
        assertThat(withPipeline).as("each step's outcome with the pipeline and without").isEqualTo(without);
        assertThat(without).as("every migration runs on this PostgreSQL").allMatch(step -> step.contains(".sql: ok; "));

        awaitSameSchema(db, SCHEMA, TIMEOUT);
        List<List<String>> tables = source.query(db, "SELECT c.relname FROM pg_catalog.pg_class c JOIN "
                + "pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '" + SCHEMA + "' AND "
                + "c.relkind IN ('r', 'p') ORDER BY 1");
        assertThat(tables).hasSizeGreaterThanOrEqualTo(4);
        for (List<String> table : tables) {
            Tables.awaitEqual(source.cluster(), target.cluster(), db, SCHEMA + "." + table.get(0), TIMEOUT,
                    () -> connect.statusText(db + "-sink"));
        }
        assertThat(connect.statusText(db + "-sink")).doesNotContain("FAILED");
        assertThat(connect.statusText(db + "-source")).doesNotContain("FAILED");
        undeployPipeline(db);
    }

    /**
     * Runs the statements in one transaction, each on its own as psql, Flyway or Liquibase send a migration file;
     * returns {@code ok} or the SQLSTATE and message it failed with (the transaction rolled back).
     */
    private static String run(String db, List<String> statements) throws SQLException {
        try (Connection connection = source.cluster().connect(db); Statement statement = connection.createStatement()) {
            connection.setAutoCommit(false);
            try {
                for (String sql : statements) {
                    statement.execute(sql);
                }
                connection.commit();
                return "ok";
            } catch (SQLException e) {
                connection.rollback();
                return e.getSQLState() + " " + e.getMessage().lines().findFirst().orElse("");
            }
        }
    }

    /** The statements of a script, split by the project's SQL lexer. */
    private static List<String> statements(String script) {
        List<String> statements = new ArrayList<>();
        for (List<SqlLexer.Token> tokens : SqlLexer.lex(script).statements()) {
            statements.add(script.substring(tokens.get(0).start(), tokens.get(tokens.size() - 1).end()));
        }
        return statements;
    }

    private static String corpus(String name) {
        String path = "corpus/graphile-worker/" + name;
        try (InputStream in = ForeignDdlCorpusIT.class.getClassLoader().getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("Missing test resource " + path);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
