package io.pgsync.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipFile;

import org.apache.kafka.connect.runtime.rest.entities.ConfigInfos;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Both connectors run as roles without superuser rights, made by the scripts
 * {@code config-examples/least-privilege-source.sql} and {@code least-privilege-destination.sql} (the tested grants
 * are the documented ones), on an application schema that another role owns, with the DDL capture installed once by
 * a superuser from the plugin jar: validation passes, and the schema sync, the full sync, streamed changes, captured
 * DDL, sequences and heartbeats arrive; a destination trigger does not fire again on replicated rows while the sink
 * may set {@code session_replication_role}, and does once it may not.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LeastPrivilegeIT extends PipelineIT {

    private static final String DB = "leastpriv";
    private static final String SOURCE_PASSWORD = "source-secret-1";
    private static final String SINK_PASSWORD = "sink-secret-1";
    private static final String VERSION = System.getProperty("pgsync.version");

    @BeforeAll
    static void createApplicationAndRoles() throws Exception {
        createDatabases(DB);
        source.execute(DB, "CREATE ROLE app_owner NOLOGIN",
                "CREATE SCHEMA app AUTHORIZATION app_owner",
                "SET ROLE app_owner",
                "CREATE TABLE app.customers (id int PRIMARY KEY, name text NOT NULL)",
                "CREATE TABLE app.orders (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES app.customers, "
                        + "amount numeric(10,2))",
                "CREATE TABLE app.audit (order_id int NOT NULL, note text NOT NULL)",
                "ALTER TABLE app.audit REPLICA IDENTITY FULL",
                "CREATE SEQUENCE app.invoice_no",
                "CREATE FUNCTION app.audit_order() RETURNS trigger LANGUAGE plpgsql AS "
                        + "$$BEGIN INSERT INTO app.audit VALUES (NEW.id, 'created'); RETURN NEW; END$$",
                "CREATE TRIGGER orders_audit AFTER INSERT ON app.orders FOR EACH ROW EXECUTE FUNCTION app.audit_order()",
                "INSERT INTO app.customers SELECT g, 'customer ' || g FROM generate_series(1, 50) g",
                "INSERT INTO app.orders SELECT g, 1 + g % 50, g * 0.25 FROM generate_series(1, 200) g",
                "SELECT nextval('app.invoice_no') FROM generate_series(1, 7)",
                "RESET ROLE");
        source.cluster().runScript(DB, captureScript());
        source.cluster().runScript(DB, example("least-privilege-source.sql"), Map.of("schema", "app",
                "tables", "app.customers, app.orders, app.audit", "publication", "pgsync_leastpriv_source",
                "password", SOURCE_PASSWORD));
        target.cluster().runScript(DB, example("least-privilege-destination.sql"), Map.of("password", SINK_PASSWORD));
        assertThat(source.query(DB, "SELECT rolsuper, rolreplication, rolcreaterole, rolcreatedb FROM pg_roles "
                + "WHERE rolname = 'pgsync_source'")).containsExactly(List.of("f", "t", "f", "f"));
        assertThat(target.query(DB, "SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles "
                + "WHERE rolname = 'pgsync_sink'")).containsExactly(List.of("f", "f", "f"));
    }

    @Test
    @Order(0)
    void aPublicationTheConnectorsRoleDoesNotOwnIsReportedWithTheGrant() {
        source.execute(DB, "ALTER PUBLICATION pgsync_leastpriv_source OWNER TO postgres");
        try {
            assertThat(Pipeline.validationErrors(connect.validate(Pipeline.SOURCE_CLASS, sourceConfig()),
                    "publication.name")).anySatisfy(e -> assertThat(e).contains("belongs to postgres",
                            "ALTER PUBLICATION \"pgsync_leastpriv_source\" OWNER TO \"pgsync_source\""));
        } finally {
            source.execute(DB, "ALTER PUBLICATION pgsync_leastpriv_source OWNER TO pgsync_source");
        }
    }

    @Test
    @Order(1)
    void nonSuperuserConnectorsSyncSchemaRowsChangesDdlAndSequences() throws Exception {
        assertThat(errors(connect.validate(Pipeline.SOURCE_CLASS, sourceConfig()))).as("source validation").isEmpty();
        assertThat(errors(connect.validate(Pipeline.SINK_CLASS, sinkConfig()))).as("sink validation").isEmpty();
        connect.deploy(DB + "-sink", sinkConfig());
        connect.deploy(DB + "-source", sourceConfig());
        connect.awaitRunning(DB + "-source", 1);
        connect.awaitRunning(DB + "-sink", 1);
        awaitEqual();

        source.execute(DB, "SET ROLE app_owner",
                "INSERT INTO app.orders SELECT g, 1 + g % 50, g * 0.5 FROM generate_series(201, 230) g",
                "UPDATE app.customers SET name = name || ' (vip)' WHERE id <= 5",
                "DELETE FROM app.audit WHERE order_id BETWEEN 1 AND 10",
                "DELETE FROM app.orders WHERE id BETWEEN 1 AND 10",
                "ALTER TABLE app.customers ADD COLUMN email text",
                "UPDATE app.customers SET email = 'c' || id || '@example.com' WHERE id % 2 = 0",
                "SELECT nextval('app.invoice_no') FROM generate_series(1, 5)",
                "RESET ROLE");
        awaitEqual();
        assertThat(target.query(DB, "SELECT count(*) FROM app.audit")).containsExactly(List.of("220"));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(target.query(DB,
                "SELECT last_value FROM pg_sequences WHERE schemaname = 'app' AND sequencename = 'invoice_no'"))
                .containsExactly(List.of("12")));
        awaitSameSchema(DB, "app", Duration.ofSeconds(30));
        assertThat(source.query(DB, "SELECT ts > now() - interval '1 minute' FROM pgsync.heartbeat"))
                .containsExactly(List.of("t"));

        assertThat(source.query(DB, "SELECT DISTINCT usename FROM pg_stat_activity WHERE backend_type = 'walsender'"))
                .containsExactly(List.of("pgsync_source"));
        assertThat(target.query(DB, "SELECT DISTINCT usename FROM pg_stat_activity "
                + "WHERE application_name = 'pgsync-sink'")).containsExactly(List.of("pgsync_sink"));
        assertThat(target.query(DB, "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname IN ('app', 'pgsync')"))
                .containsExactly(List.of("pgsync_sink"));
    }

    @Test
    @Order(2)
    void withoutTheRightToSetSessionReplicationRoleDestinationTriggersFireOnReplicatedRows() throws Exception {
        target.execute(DB, "REVOKE SET ON PARAMETER session_replication_role FROM pgsync_sink");
        assertThat(Pipeline.validationErrors(connect.validate(Pipeline.SINK_CLASS, sinkConfig()), "connection.user"))
                .anySatisfy(e -> assertThat(e).contains("GRANT SET ON PARAMETER session_replication_role TO "
                        + "\"pgsync_sink\""));
        connect.cluster().restartTask(DB + "-sink", 0);
        connect.awaitRunning(DB + "-sink", 1);

        source.execute(DB, "SET ROLE app_owner",
                "INSERT INTO app.orders SELECT g, 1 + g % 50, 1 FROM generate_series(301, 320) g", "RESET ROLE");
        Tables.awaitEqual(source.cluster(), target.cluster(), DB, "app.orders", Duration.ofSeconds(60),
                () -> connect.statusText(DB + "-sink"));
        // 20 audit rows replicated from the source, and 20 more from the destination's own trigger.
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(target.query(DB,
                "SELECT count(*) FILTER (WHERE order_id > 300), count(*) FROM app.audit"))
                .containsExactly(List.of("40", "260")));
        assertThat(source.query(DB, "SELECT count(*) FROM app.audit")).containsExactly(List.of("240"));
        assertThat(connect.statusText(DB + "-sink")).startsWith("RUNNING; task 0 RUNNING");
        undeployPipeline(DB);
    }

    private static void awaitEqual() {
        for (String table : List.of("app.customers", "app.orders", "app.audit")) {
            Tables.awaitEqual(source.cluster(), target.cluster(), DB, table, Duration.ofSeconds(90),
                    () -> connect.statusText(DB + "-sink") + " / " + connect.statusText(DB + "-source"));
        }
    }

    private static Map<String, String> sourceConfig() {
        Map<String, String> config = Pipeline.source(source.cluster(), DB, DB, "app.customers,app.orders,app.audit", 1);
        config.put("name", DB + "-source");
        config.put("database.user", "pgsync_source");
        config.put("database.password", SOURCE_PASSWORD);
        config.put("heartbeat.interval.ms", "500");
        return config;
    }

    private static Map<String, String> sinkConfig() {
        Map<String, String> config = Pipeline.withJson(Pipeline.sink(target.cluster(), DB, DB + ".changelog", 1));
        config.put("name", DB + "-sink");
        config.put("connection.user", "pgsync_sink");
        config.put("connection.password", SINK_PASSWORD);
        return config;
    }

    private static Path example(String name) {
        return Path.of(System.getProperty("pgsync.root", ".."), "config-examples", name);
    }

    /** The DDL capture's install script, as an operator takes it from the installed plugin's jar. */
    private static Path captureScript() throws Exception {
        Path jar = Pipeline.pluginPath().resolve("pgsync-source-connector-" + VERSION).resolve("lib")
                .resolve("pgsync-source-connector-" + VERSION + ".jar");
        Path script = Files.createTempFile("pgsync-capture-", ".sql");
        script.toFile().deleteOnExit();
        try (ZipFile zip = new ZipFile(jar.toFile());
                InputStream in = zip.getInputStream(zip.getEntry("io/pgsync/source/ddl/capture.sql"))) {
            Files.write(script, in.readAllBytes());
        }
        return script;
    }

    private static List<String> errors(ConfigInfos infos) {
        return infos.configs().stream().flatMap(c -> c.configValue().errors().stream()).toList();
    }
}
