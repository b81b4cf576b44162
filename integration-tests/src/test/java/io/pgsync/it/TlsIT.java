package io.pgsync.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;

import org.apache.kafka.connect.runtime.rest.entities.ConfigInfos;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.pgsync.testkit.connect.ConnectExtension;
import io.pgsync.testkit.pg.Certificates;
import io.pgsync.testkit.pg.PostgresCluster;
import io.pgsync.testkit.pg.PostgresExtension;

/**
 * Both databases accept only TLS connections that present a client certificate of their CA
 * ({@code hostssl ... scram-sha-256 clientcert=verify-full}, no plain {@code host} line): the source connector
 * ({@code database.sslmode=verify-full} with {@code database.sslrootcert}, {@code database.sslcert},
 * {@code database.sslkey}) and the sink (pgjdbc's parameters in {@code connection.url}) sync over verified TLS, and a
 * wrong CA or a missing client certificate fails validation.
 */
class TlsIT {

    private static final String DB = "tls";

    @RegisterExtension
    static final PostgresExtension source = PostgresExtension.with(PostgresCluster.Options.logical().tls());

    @RegisterExtension
    static final PostgresExtension target = PostgresExtension.with(PostgresCluster.Options.plain().tls());

    @RegisterExtension
    static final ConnectExtension connect = ConnectExtension.withPluginPath(Pipeline.pluginPath());

    private static Path otherCa;

    @BeforeAll
    static void createDatabases() throws Exception {
        source.cluster().createDatabase(DB);
        target.cluster().createDatabase(DB);
        source.execute(DB, "CREATE TABLE accounts (id int PRIMARY KEY, owner text NOT NULL, balance numeric(12,2))",
                "INSERT INTO accounts SELECT g, 'owner ' || g, g * 1.5 FROM generate_series(1, 500) g");
        otherCa = Files.createTempDirectory("pgsync-other-ca-");
    }

    @AfterAll
    static void removeOtherCa() throws Exception {
        try (Stream<Path> paths = Files.walk(otherCa)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void bothDatabasesRefuseConnectionsAndReplicationConnectionsWithoutTls() {
        for (PostgresCluster cluster : List.of(source.cluster(), target.cluster())) {
            // "database": a logical walsender, as Debezium's; "true": a physical one (pg_hba's replication lines).
            for (String replication : List.of("", "database", "true")) {
                Properties plain = new Properties();
                plain.setProperty("user", PostgresCluster.SUPERUSER);
                plain.setProperty("password", PostgresCluster.SUPERUSER_PASSWORD);
                plain.setProperty("sslmode", "disable");
                if (!replication.isEmpty()) {
                    plain.setProperty("replication", replication);
                    plain.setProperty("preferQueryMode", "simple");
                    plain.setProperty("assumeMinServerVersion", "10");
                }
                assertThatThrownBy(() -> DriverManager.getConnection(cluster.jdbcUrl(DB), plain).close())
                        .as("%s, replication=%s", cluster, replication)
                        .isInstanceOf(SQLException.class).hasMessageContaining("no encryption");
            }
        }
    }

    @Test
    void aPipelineOverVerifiedTlsSyncsAndEveryConnectionOfItUsesTheClientCertificate() throws Exception {
        connect.deploy(DB + "-sink", Pipeline.withJson(sinkConfig(target.cluster().certificates().caCertificate(), true)));
        connect.deploy(DB + "-source", sourceConfig(source.cluster().certificates().caCertificate(), true));
        connect.awaitRunning(DB + "-source", 1);
        connect.awaitRunning(DB + "-sink", 1);
        Tables.awaitEqual(source.cluster(), target.cluster(), DB, "accounts", Duration.ofSeconds(60),
                () -> connect.statusText(DB + "-sink") + " / " + connect.statusText(DB + "-source"));

        source.execute(DB, "INSERT INTO accounts VALUES (501, 'new', 7.25)",
                "UPDATE accounts SET balance = balance + 1 WHERE id <= 10",
                "DELETE FROM accounts WHERE id BETWEEN 100 AND 119");
        Tables.awaitEqual(source.cluster(), target.cluster(), DB, "accounts", Duration.ofSeconds(60),
                () -> connect.statusText(DB + "-sink") + " / " + connect.statusText(DB + "-source"));
        assertThat(target.query(DB, "SELECT count(*) FROM accounts")).containsExactly(List.of("481"));

        // The source's walsender (Debezium's stream) and the sink's sessions: TLS, with the client certificate.
        assertThat(tlsSessions(source.cluster(), "a.backend_type = 'walsender'"))
                .isNotEmpty().allSatisfy(row -> assertThat(row).containsExactly("t", "/CN=postgres"));
        assertThat(tlsSessions(target.cluster(), "a.application_name = 'pgsync-sink'"))
                .isNotEmpty().allSatisfy(row -> assertThat(row).containsExactly("t", "/CN=postgres"));

        connect.delete(DB + "-source");
        connect.delete(DB + "-sink");
    }

    @Test
    void aServerCertificateOfAnotherCaFailsValidationOfBothConnectors() {
        Path wrongCa = Certificates.create(otherCa.resolve("ca")).caCertificate();

        ConfigInfos sourceInfos = connect.validate(Pipeline.SOURCE_CLASS, sourceConfig(wrongCa, true));
        assertThat(Pipeline.validationErrors(sourceInfos, "database.hostname")).as("source validation")
                .anySatisfy(e -> assertThat(e).contains("SSL error: PKIX path validation failed"));
        ConfigInfos sinkInfos = connect.validate(Pipeline.SINK_CLASS, sinkConfig(wrongCa, true));
        assertThat(Pipeline.validationErrors(sinkInfos, "connection.url")).as("sink validation")
                .anySatisfy(e -> assertThat(e).contains("Cannot connect to the destination",
                        "PKIX path validation failed", "sslrootcert must be the CA that signed the server's"));
    }

    @Test
    void aMissingClientCertificateFailsValidationOfBothConnectors() {
        ConfigInfos sourceInfos = connect.validate(Pipeline.SOURCE_CLASS,
                sourceConfig(source.cluster().certificates().caCertificate(), false));
        assertThat(Pipeline.validationErrors(sourceInfos, "database.hostname")).as("source validation")
                .anySatisfy(e -> assertThat(e).contains("connection requires a valid client certificate"));
        ConfigInfos sinkInfos = connect.validate(Pipeline.SINK_CLASS,
                sinkConfig(target.cluster().certificates().caCertificate(), false));
        assertThat(Pipeline.validationErrors(sinkInfos, "connection.url")).as("sink validation")
                .anySatisfy(e -> assertThat(e).contains("connection requires a valid client certificate",
                        "needs sslcert and sslkey"));
    }

    private static Map<String, String> sourceConfig(Path rootCertificate, boolean withClientCertificate) {
        Map<String, String> config = Pipeline.source(source.cluster(), DB, DB, "public.accounts", 1);
        config.put("database.sslmode", "verify-full");
        config.put("database.sslrootcert", rootCertificate.toString());
        if (withClientCertificate) {
            Certificates.Client client = source.cluster().certificates().client(PostgresCluster.SUPERUSER);
            config.put("database.sslcert", client.certificate().toString());
            config.put("database.sslkey", client.keyPk8().toString());
        }
        return config;
    }

    private static Map<String, String> sinkConfig(Path rootCertificate, boolean withClientCertificate) {
        Map<String, String> config = Pipeline.sink(target.cluster(), DB, DB + ".changelog", 1);
        StringBuilder url = new StringBuilder(target.jdbcUrl(DB)).append("?sslmode=verify-full&sslrootcert=")
                .append(rootCertificate);
        if (withClientCertificate) {
            Certificates.Client client = target.cluster().certificates().client(PostgresCluster.SUPERUSER);
            url.append("&sslcert=").append(client.certificate()).append("&sslkey=").append(client.keyPk8());
        }
        config.put("connection.url", url.toString());
        return config;
    }

    /** {@code ssl} and {@code client_dn} of pg_stat_ssl for the sessions that match the condition. */
    private static List<List<String>> tlsSessions(PostgresCluster cluster, String condition) {
        return cluster.query(DB, "SELECT s.ssl, s.client_dn FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) "
                + "WHERE a.pid <> pg_backend_pid() AND " + condition);
    }
}
