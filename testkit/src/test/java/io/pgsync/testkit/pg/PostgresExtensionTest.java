package io.pgsync.testkit.pg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class PostgresExtensionTest {

    @RegisterExtension
    static final PostgresExtension source = PostgresExtension.logical();

    @RegisterExtension
    static final PostgresExtension plain = PostgresExtension.plain();

    @Test
    void logicalClusterHasLogicalWalLevel() {
        assertThat(source.query("postgres", "SHOW wal_level")).containsExactly(List.of("logical"));
        assertThat(source.query("postgres", "SHOW max_replication_slots")).containsExactly(List.of("10"));
        assertThat(source.host()).isEqualTo("127.0.0.1");
        assertThat(source.jdbcUrl("db")).isEqualTo("jdbc:postgresql://127.0.0.1:" + source.port() + "/db");
    }

    @Test
    void plainClusterHasReplicaWalLevel() {
        assertThat(plain.query("postgres", "SHOW wal_level")).containsExactly(List.of("replica"));
        assertThat(plain.port()).isNotEqualTo(source.port());
    }

    @Test
    void passwordAuthenticationOverTcp() throws SQLException {
        try (Connection connection = connect(PostgresCluster.SUPERUSER_PASSWORD)) {
            assertThat(connection.isValid(5)).isTrue();
        }
        assertThatThrownBy(() -> connect("wrong").close())
                .isInstanceOf(SQLException.class)
                .extracting(e -> ((SQLException) e).getSQLState())
                .isEqualTo("28P01");
    }

    @Test
    void replicationConnectionOverTcpWithPassword() throws SQLException {
        assertThat(source.query("postgres", "SELECT DISTINCT auth_method FROM pg_hba_file_rules"
                + " WHERE type = 'host' AND 'replication' = ANY(database) AND address = '127.0.0.1'"))
                .containsExactly(List.of("scram-sha-256"));
        Properties props = new Properties();
        props.setProperty("user", PostgresCluster.SUPERUSER);
        props.setProperty("password", PostgresCluster.SUPERUSER_PASSWORD);
        props.setProperty("replication", "database");
        props.setProperty("assumeMinServerVersion", "9.4");
        props.setProperty("preferQueryMode", "simple");
        try (Connection connection = DriverManager.getConnection(source.jdbcUrl("postgres"), props);
                Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery("IDENTIFY_SYSTEM")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString("dbname")).isEqualTo("postgres");
        }
    }

    @Test
    void createDatabaseExecuteQueryRoundTrip() {
        PostgresCluster cluster = source.cluster();
        cluster.createDatabase("round \"trip\"");
        source.execute("round \"trip\"",
                "CREATE TABLE items (id int PRIMARY KEY, name text, price numeric(6,2))",
                "INSERT INTO items VALUES (1, 'één', 2.50), (2, NULL, NULL)");
        assertThat(source.query("round \"trip\"", "SELECT id, name, price FROM items ORDER BY id"))
                .containsExactly(List.of("1", "één", "2.50"), Arrays.asList("2", null, null));
        assertThat(source.query("postgres", "SELECT pg_encoding_to_char(encoding), datcollate FROM pg_database"
                + " WHERE datname = 'round \"trip\"'"))
                .containsExactly(List.of("UTF8", "C"));
    }

    @Test
    void stopAndRestartKeepData() {
        PostgresCluster cluster = plain.cluster();
        int port = cluster.port();
        cluster.execute("postgres", "CREATE TABLE kept (v text)", "INSERT INTO kept VALUES ('still here')");
        cluster.stop();
        assertThatThrownBy(() -> cluster.query("postgres", "SELECT 1")).isInstanceOf(IllegalStateException.class);
        cluster.restart();
        assertThat(cluster.port()).isEqualTo(port);
        assertThat(cluster.query("postgres", "SELECT v FROM kept")).containsExactly(List.of("still here"));
        assertThat(Files.isDirectory(cluster.dataDirectory())).isTrue();
        assertThat(cluster.logTail(5)).isNotBlank();
    }

    @Test
    void failedSqlNamesStatementAndSqlState() {
        assertThatThrownBy(() -> source.execute("postgres", "SELECT 1", "SELECT * FROM missing_table"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("42P01")
                .hasMessageContaining("SELECT * FROM missing_table");
    }

    @Test
    void failedStartReportsCommandAndServerLog() {
        PostgresCluster.Options options = PostgresCluster.Options.logical().setting("wal_level", "nonsense");
        assertThatThrownBy(() -> PostgresCluster.start(options))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("pg_ctl start")
                .hasMessageContaining("invalid value for parameter \"wal_level\": \"nonsense\"");
    }

    @Test
    void optionsAreImmutableCopies() {
        PostgresCluster.Options logical = PostgresCluster.Options.logical();
        PostgresCluster.Options replica = logical.setting("wal_level", "replica");
        assertThat(logical.settings()).containsEntry("wal_level", "logical");
        assertThat(replica.settings()).containsEntry("wal_level", "replica").containsEntry("max_wal_senders", "10");
        assertThat(PostgresCluster.quoteIdentifier("a\"b")).isEqualTo("\"a\"\"b\"");
    }

    private static Connection connect(String password) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", PostgresCluster.SUPERUSER);
        props.setProperty("password", password);
        return DriverManager.getConnection(source.jdbcUrl("postgres"), props);
    }
}
