package io.pgsync.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.connect.runtime.rest.entities.ConfigInfos;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import io.pgsync.testkit.pg.PostgresCluster;

/**
 * What each connector says about input it cannot work with, and that nothing is lost once the user has done what it
 * says: wrong passwords and closed ports at validation; at runtime a password changed under the sink, a privilege
 * revoked, a column dropped or retyped at the destination by someone else, records in the changelog that are not
 * change events (corrupted bytes, wrong structure), and a destination out of disk space. Each runtime case ends with
 * the destination compared with the source.
 */
class BadInputIT extends PipelineIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(90);

    @Test
    void wrongPasswordsAreReportedOnThePasswordKeysNamingUserHostAndDatabaseWithoutEchoingThem() {
        String secret = "Wr0ng-Secret-4711";
        Map<String, String> sourceConfig = Pipeline.source(source.cluster(), "postgres", "badpw", "public.t", 1);
        sourceConfig.put("database.password", secret);
        ConfigInfos sourceInfos = connect.validate(Pipeline.SOURCE_CLASS, sourceConfig);
        assertThat(Pipeline.validationErrors(sourceInfos, "database.password")).singleElement().asString()
                .contains(source.host() + ":" + source.port() + "/postgres", "\"" + PostgresCluster.SUPERUSER + "\"",
                        "password authentication failed", "28P01", "database.password");
        assertThat(sourceInfos.configs().stream().flatMap(c -> c.configValue().errors().stream()))
                .noneMatch(e -> e.contains(secret));

        Map<String, String> sinkConfig = Pipeline.sink(target.cluster(), "postgres", "badpw.changelog", 1);
        sinkConfig.put("connection.password", secret);
        ConfigInfos sinkInfos = connect.validate(Pipeline.SINK_CLASS, sinkConfig);
        assertThat(Pipeline.validationErrors(sinkInfos, "connection.password")).singleElement().asString()
                .contains(target.host() + ":" + target.port() + "/postgres", "'" + PostgresCluster.SUPERUSER + "'",
                        "password authentication failed", "28P01", "connection.password");
        assertThat(sinkInfos.configs().stream().flatMap(c -> c.configValue().errors().stream()))
                .noneMatch(e -> e.contains(secret));
    }

    @Test
    void closedPortsAreReportedOnTheHostKeysNamingHostAndPort() throws IOException {
        int closed;
        try (ServerSocket socket = new ServerSocket(0)) {
            closed = socket.getLocalPort();
        }
        Map<String, String> sourceConfig = Pipeline.source(source.cluster(), "postgres", "closed", "public.t", 1);
        sourceConfig.put("database.port", Integer.toString(closed));
        assertThat(Pipeline.validationErrors(connect.validate(Pipeline.SOURCE_CLASS, sourceConfig),
                "database.hostname")).anyMatch(e -> e.contains("Cannot reach the source " + source.host() + ":"
                        + closed + "/postgres") && e.contains("Check database.hostname and database.port"));

        Map<String, String> sinkConfig = Pipeline.sink(target.cluster(), "postgres", "closed.changelog", 1);
        sinkConfig.put("connection.url", "jdbc:postgresql://" + target.host() + ":" + closed + "/postgres");
        assertThat(Pipeline.validationErrors(connect.validate(Pipeline.SINK_CLASS, sinkConfig), "connection.url"))
                .singleElement().asString().contains(target.host() + ":" + closed, "refused",
                        "Check the host and port in connection.url");
    }

    @Test
    void aSinkPasswordChangedUnderARunningTaskFailsItOnRestartAndNothingIsLostOnceFixed() throws Exception {
        String db = "pwchange";
        String role = sinkRole(db, "First-Pass-91");
        setUp(db, "CREATE TABLE t (id int PRIMARY KEY, v text)", "INSERT INTO t SELECT g, 'v' FROM generate_series(1, 50) g");
        deploy(db, sinkAs(db, role, "First-Pass-91"));
        awaitEqual(db, "t");

        target.execute("postgres", "ALTER ROLE " + role + " PASSWORD 'Second-Pass-92'");
        connect.cluster().restartTask(db + "-sink", 0);
        awaitFailed(db);
        assertThat(connect.statusText(db + "-sink"))
                .contains("password authentication failed", "SQLState 28P01", "refused the login of " + role,
                        "connection.password", "restart the task")
                .doesNotContain("First-Pass-91", "Second-Pass-92");
        source.execute(db, "INSERT INTO t SELECT g, 'w' FROM generate_series(51, 80) g",
                "UPDATE t SET v = 'after' WHERE id <= 10", "DELETE FROM t WHERE id = 50");

        target.execute("postgres", "ALTER ROLE " + role + " PASSWORD 'First-Pass-91'");
        connect.cluster().restartTask(db + "-sink", 0);
        awaitEqual(db, "t");
        undeploy(db);
    }

    @Test
    void aSourcePasswordChangedUnderARunningTaskFailsItOnRestartAndTheSlotKeepsEveryChangeMeanwhile()
            throws Exception {
        String db = "srcpw";
        source.execute("postgres", "CREATE ROLE srcpw_admin LOGIN SUPERUSER REPLICATION PASSWORD 'Source-Pass-1'");
        setUp(db, "CREATE TABLE t (id int PRIMARY KEY, v text)", "INSERT INTO t SELECT g, 'v' FROM generate_series(1, 50) g");
        Map<String, String> sourceConfig = Pipeline.withJson(Pipeline.source(source.cluster(), db, db, "public.*", 1));
        sourceConfig.put("database.user", "srcpw_admin");
        sourceConfig.put("database.password", "Source-Pass-1");
        connect.deploy(db + "-source", sourceConfig);
        connect.deploy(db + "-sink", sink(db));
        connect.awaitRunning(db + "-source", 1);
        awaitEqual(db, "t");

        source.execute("postgres", "ALTER ROLE srcpw_admin PASSWORD 'Source-Pass-2'");
        connect.cluster().restartTask(db + "-source", 0);
        source.execute(db, "INSERT INTO t SELECT g, 'while failed' FROM generate_series(51, 70) g",
                "UPDATE t SET v = 'changed' WHERE id <= 5", "DELETE FROM t WHERE id = 50");
        await().atMost(TIMEOUT).until(() -> connect.statusText(db + "-source").contains("FAILED"));
        assertThat(connect.statusText(db + "-source"))
                .contains("Cannot start capturing", source.host() + ":" + source.port() + "/" + db,
                        "refused the login of user \"srcpw_admin\"", "database.password", "restart the task")
                .doesNotContain("Source-Pass-1", "Source-Pass-2");

        source.execute("postgres", "ALTER ROLE srcpw_admin PASSWORD 'Source-Pass-1'");
        connect.cluster().restartTask(db + "-source", 0);
        awaitEqual(db, "t");
        undeploy(db);
    }

    @Test
    void anInsertPrivilegeRevokedAtTheDestinationFailsTheTaskNamingTableAndGrantAndNothingIsLost() throws Exception {
        String db = "revoked";
        String role = sinkRole(db, "Revoked-Pass-1");
        setUp(db, "CREATE TABLE t (id int PRIMARY KEY, v text)", "INSERT INTO t SELECT g, 'v' FROM generate_series(1, 50) g");
        Map<String, String> sink = sinkAs(db, role, "Revoked-Pass-1");
        sink.put("errors.tolerance", "all");
        sink.put("errors.deadletterqueue.topic.name", db + "-dlq");
        sink.put("errors.deadletterqueue.topic.replication.factor", "1");
        deploy(db, sink);
        awaitEqual(db, "t");

        target.execute(db, "REVOKE INSERT ON t FROM " + role);
        source.execute(db, "INSERT INTO t SELECT g, 'new' FROM generate_series(51, 70) g",
                "UPDATE t SET v = 'changed' WHERE id <= 5");
        awaitFailed(db);
        assertThat(connect.statusText(db + "-sink")).contains("Writing public.t: ", "permission denied for table t",
                "GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON \"public\".\"t\" TO " + role, "SQLState 42501");
        assertThat(target.query(db, "SELECT last_error FROM pgsync.status")).singleElement().asString()
                .contains("permission denied for table t", "GRANT");
        assertThat(connect.cluster().kafka().consumeAll(10_000, db + "-dlq").count())
                .as("records sent to the dead-letter queue although the destination, not the record, is at fault")
                .isZero();

        target.execute(db, "GRANT INSERT ON t TO " + role);
        connect.cluster().restartTask(db + "-sink", 0);
        awaitEqual(db, "t");
        undeploy(db);
    }

    @Test
    void aColumnDroppedAtTheDestinationFailsTheTaskNamingItAndTheFixRestoresEveryRow() throws Exception {
        String db = "dropped";
        setUp(db, "CREATE TABLE t (id int PRIMARY KEY, v text, w int)",
                "INSERT INTO t SELECT g, 'v' || g, g FROM generate_series(1, 100) g");
        deploy(db, sink(db));
        awaitEqual(db, "t");

        target.execute(db, "ALTER TABLE t DROP COLUMN w");
        source.execute(db, "INSERT INTO t VALUES (101, 'new', 101)", "UPDATE t SET w = -w WHERE id <= 3");
        awaitFailed(db);
        assertThat(connect.statusText(db + "-sink")).contains("Writing public.t: ",
                "column public.t.w (integer) is gone from the destination",
                "ALTER TABLE \"public\".\"t\" ADD COLUMN \"w\" integer", "re-snapshot", "SQLState 42703");

        target.execute(db, "ALTER TABLE t ADD COLUMN w integer");
        connect.cluster().restartTask(db + "-sink", 0);
        source.execute(db, "INSERT INTO pgsync.signal (id, type, data) VALUES ('resnapshot-t', 'execute-snapshot', "
                + "'{\"data-collections\": [\"public.t\"], \"type\": \"incremental\"}')");
        awaitEqual(db, "t");
        undeploy(db);
    }

    @Test
    void aDestinationColumnRetypedSoTheValuesDoNotFitFailsNamingColumnAndTypes() throws Exception {
        String db = "retyped";
        setUp(db, "CREATE TABLE t (id int PRIMARY KEY, v text)", "INSERT INTO t SELECT g, g::text FROM generate_series(1, 20) g");
        deploy(db, sink(db));
        awaitEqual(db, "t");

        target.execute(db, "ALTER TABLE t ALTER COLUMN v TYPE integer USING v::integer");
        source.execute(db, "INSERT INTO t VALUES (21, 'twenty-one')");
        awaitFailed(db);
        assertThat(connect.statusText(db + "-sink")).contains("Writing public.t: ",
                "column public.t.v is integer at the destination but text at the source",
                "ALTER TABLE \"public\".\"t\" ALTER COLUMN \"v\" TYPE text", "SQLState 42804")
                .doesNotContain("column public.t.id");

        connect.cluster().restartTask(db + "-sink", 0);
        await().atMost(TIMEOUT).until(() -> connect.statusText(db + "-sink").contains("invalid input syntax"));
        assertThat(connect.statusText(db + "-sink")).contains("Cannot apply CREATE to public.t key [id]=[21]",
                "column public.t.v is integer at the destination but text at the source", "SQLState 22P02")
                .as("int4 at the source is integer at the destination: the same type").doesNotContain("public.t.id");

        target.execute(db, "ALTER TABLE t ALTER COLUMN v TYPE text");
        connect.cluster().restartTask(db + "-sink", 0);
        awaitEqual(db, "t");
        undeploy(db);
    }

    @Test
    void recordsThatAreNotChangesFailTheTaskUntilADeadLetterQueueTakesThemAndLaterChangesStillApply()
            throws Exception {
        String db = "poison";
        setUp(db, "CREATE TABLE t (id int PRIMARY KEY, v text)", "INSERT INTO t SELECT g, 'v' FROM generate_series(1, 20) g");
        Map<String, String> sink = sink(db);
        deploy(db, sink);
        awaitEqual(db, "t");

        String topic = db + ".changelog";
        List<byte[]> poison = List.of(
                new byte[] {0, (byte) 0xff, 'n', 'o', 't', ' ', 'j', 's', 'o', 'n'},
                "{\"unexpected\": \"structure\"}".getBytes(StandardCharsets.UTF_8),
                "{\"schema\": {\"type\": \"string\"}, \"payload\": \"not a change\"}".getBytes(StandardCharsets.UTF_8));
        try (KafkaProducer<byte[], byte[]> producer = connect.cluster().kafka().createProducer(Map.of())) {
            producer.send(new ProducerRecord<>(topic, 0, null, poison.get(2))).get();
        }
        source.execute(db, "INSERT INTO t VALUES (21, 'after the first poison record')");
        awaitFailed(db);
        assertThat(connect.statusText(db + "-sink")).containsPattern(
                "The record at poison\\.changelog-0@\\d+ is not a change event")
                .contains("errors.tolerance=all", "errors.deadletterqueue.topic.name");

        try (KafkaProducer<byte[], byte[]> producer = connect.cluster().kafka().createProducer(Map.of())) {
            producer.send(new ProducerRecord<>(topic, 0, null, poison.get(0))).get();
            producer.send(new ProducerRecord<>(topic, 0, null, poison.get(1))).get();
        }
        connect.cluster().restartTask(db + "-sink", 0);
        await().atMost(TIMEOUT).until(() -> connect.statusText(db + "-sink").contains("Tolerance exceeded"));
        assertThat(connect.statusText(db + "-sink"))
                .contains("FAILED", "Converting byte[] to Kafka Connect data failed due to serialization error");

        sink.put("errors.tolerance", "all");
        sink.put("errors.deadletterqueue.topic.name", db + "-dlq");
        sink.put("errors.deadletterqueue.topic.replication.factor", "1");
        sink.put("errors.deadletterqueue.context.headers.enable", "true");
        connect.deploy(db + "-sink", sink);
        connect.awaitRunning(db + "-sink", 1);
        source.execute(db, "INSERT INTO t VALUES (22, 'after every poison record')", "DELETE FROM t WHERE id = 1");
        awaitEqual(db, "t");

        List<ConsumerRecord<byte[], byte[]>> dead = connect.readTopic(db + "-dlq", 3, TIMEOUT);
        List<String> stages = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record : dead) {
            stages.add(new String(record.headers().lastHeader("__connect.errors.stage").value(),
                    StandardCharsets.UTF_8));
        }
        assertThat(dead).extracting(ConsumerRecord::value)
                .containsExactlyInAnyOrder(poison.get(2), poison.get(0), poison.get(1));
        assertThat(stages).containsExactlyInAnyOrder("TASK_PUT", "VALUE_CONVERTER", "VALUE_CONVERTER");
        assertThat(connect.status(db + "-sink").tasks()).allMatch(t -> t.state().equals("RUNNING"));
        undeploy(db);
    }

    @Test
    void aDestinationOutOfDiskSpaceIsRetriedNamingTheTableAndResumesOnceThereIsSpace() throws Exception {
        Path dir = Files.createTempDirectory("pgsync-full-");
        String mounted = run("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", dir.toString());
        Assumptions.assumeTrue(mounted == null, () -> "a small tmpfs for a full tablespace needs mount (run as root): "
                + mounted);
        String db = "diskfull";
        try {
            run("chown", "postgres", dir.toString());
            setUp(db, "CREATE TABLE big (id int PRIMARY KEY, pad text)");
            target.execute("postgres", "CREATE TABLESPACE small LOCATION '" + dir + "'");
            target.execute(db, "CREATE TABLE big (id int PRIMARY KEY, pad text) TABLESPACE small");
            Map<String, String> sink = sink(db);
            sink.put("retry.backoff.max.ms", "500");
            deploy(db, sink);
            for (int i = 0; i < 8; i++) {
                source.execute(db, "INSERT INTO big SELECT g, repeat(md5(g::text), 8) FROM generate_series("
                        + (i * 5000 + 1) + ", " + (i + 1) * 5000 + ") g");
            }
            await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> assertThat(
                    target.query(db, "SELECT last_error FROM pgsync.status")).singleElement().asString()
                    .contains("Writing public.big: ", "No space left on device", "out of disk space",
                            "retry.connection.timeout.ms", "SQLState 53100"));
            assertThat(connect.status(db + "-sink").tasks()).allMatch(t -> t.state().equals("RUNNING"));

            assertThat(run("mount", "-o", "remount,size=64m", dir.toString())).isNull();
            source.execute(db, "UPDATE big SET pad = 'x' WHERE id % 1000 = 0", "DELETE FROM big WHERE id % 999 = 0");
            awaitEqual(db, "big");
            undeploy(db);
        } finally {
            target.execute(db, "DROP TABLE IF EXISTS big");
            target.execute("postgres", "DROP TABLESPACE IF EXISTS small");
            run("umount", "-l", dir.toString());
            Files.deleteIfExists(dir);
        }
    }

    /** Runs a command; returns null when it succeeded, else its output. */
    private static String run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return process.waitFor() == 0 ? null : String.join(" ", command) + ": " + output.strip();
    }

    /**
     * Creates a login role for the sink with what a non-superuser sink needs in database {@code db}: CREATE on the
     * database and its public schema, and the right to write as a replica. Returns its quoted name.
     */
    private static String sinkRole(String db, String password) {
        String role = "\"" + db + "_sink\"";
        target.cluster().createDatabase(db);
        target.execute("postgres", "CREATE ROLE " + role + " LOGIN PASSWORD '" + password + "'",
                "GRANT CREATE ON DATABASE " + db + " TO " + role,
                "GRANT SET ON PARAMETER session_replication_role TO " + role);
        target.execute(db, "GRANT CREATE ON SCHEMA public TO " + role);
        return role;
    }

    private static Map<String, String> sinkAs(String db, String role, String password) {
        Map<String, String> sink = sink(db);
        sink.put("connection.user", role.replace("\"", ""));
        sink.put("connection.password", password);
        return sink;
    }

    private static void setUp(String db, String... sourceSql) {
        source.cluster().createDatabase(db);
        if (target.query("postgres", "SELECT 1 FROM pg_database WHERE datname = '" + db + "'").isEmpty()) {
            target.cluster().createDatabase(db);
        }
        source.execute(db, sourceSql);
    }


    private static void undeploy(String db) {
        connect.delete(db + "-source");
        connect.delete(db + "-sink");
    }

    private static void awaitFailed(String db) {
        await().atMost(TIMEOUT).until(() -> connect.statusText(db + "-sink").contains("FAILED"));
    }

    private static void awaitEqual(String db, String table) {
        Tables.awaitEqual(source.cluster(), target.cluster(), db, table, TIMEOUT,
                () -> "sink: " + connect.statusText(db + "-sink"));
    }
}
