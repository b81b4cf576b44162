package io.pgsync.source.fullsync;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashSet;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.Predicate;

import io.debezium.config.Configuration;
import io.pgsync.common.catalog.SchemaReader;
import io.pgsync.common.pg.SessionSettings;
import io.pgsync.common.pg.TableRef;
import io.pgsync.source.PgSyncSourceConfig;

/**
 * Opens JDBC connections to the source database with the connection settings of the Debezium configuration
 * ({@code database.hostname}, {@code database.port}, {@code database.dbname}, {@code database.user},
 * {@code database.password} and the {@code database.ssl*} keys).
 */
public final class SourceDatabase {

    private static final Map<String, String> SSL_KEYS = Map.of(
            "database.sslmode", "sslmode",
            "database.sslrootcert", "sslrootcert",
            "database.sslcert", "sslcert",
            "database.sslkey", "sslkey",
            "database.sslpassword", "sslpassword");

    private static final String USER_TABLES_SQL = """
            SELECT n.nspname, c.relname
              FROM pg_catalog.pg_class c
              JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind IN ('r', 'p')
               AND\s""" + SchemaReader.USER_SCHEMA;

    private final String url;
    private final Properties properties = new Properties();
    private final SessionSettings session;

    public SourceDatabase(Configuration config) {
        this.url = "jdbc:postgresql://" + config.getString("database.hostname") + ':'
                + config.getString("database.port", "5432") + '/' + config.getString("database.dbname");
        properties.setProperty("user", config.getString("database.user"));
        String password = config.getString("database.password");
        if (password != null) {
            properties.setProperty("password", password);
        }
        SSL_KEYS.forEach((debezium, pgjdbc) -> {
            String value = config.getString(debezium);
            if (value != null && !value.isBlank()) {
                properties.setProperty(pgjdbc, value);
            }
        });
        properties.setProperty("ApplicationName", "pgsync-full-sync");
        session = new PgSyncSourceConfig(config.asMap()).sessionSettings();
    }

    /** A plain connection, in autocommit mode, with pgsync's session settings ({@link SessionSettings}). */
    public Connection connect() throws SQLException {
        return session.open(url, properties);
    }

    /** A logical replication connection ({@code replication=database}), for replication commands. */
    Connection connectForReplication() throws SQLException {
        Properties replication = session.properties(properties);
        replication.setProperty("replication", "database");
        replication.setProperty("preferQueryMode", "simple");
        replication.setProperty("assumeMinServerVersion", "10");
        return DriverManager.getConnection(url, replication);
    }

    /**
     * The schemas that hold a selected table: the scope of the objects pgsync syncs besides tables (sequences, DDL of
     * other objects).
     */
    public static Set<String> selectedSchemas(Connection connection, Predicate<TableRef> selected)
            throws SQLException {
        Set<String> schemas = new HashSet<>();
        try (PreparedStatement ps = connection.prepareStatement(USER_TABLES_SQL); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                if (selected.test(new TableRef(rs.getString(1), rs.getString(2)))) {
                    schemas.add(rs.getString(1));
                }
            }
        }
        return schemas;
    }

    /** The database, for messages: {@code host:port/dbname}, without credentials. */
    public String describe() {
        return url.substring("jdbc:postgresql://".length());
    }
}
