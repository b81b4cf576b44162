package io.pgsync.bench;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

import io.pgsync.testkit.pg.PostgresCluster;

/** Opens the harness's own connections, named so that CPU figures and pg_stat_activity tell them apart. */
final class Databases {

    private Databases() {
    }

    /** A superuser connection in auto-commit mode with {@code application_name} set. */
    static Connection connect(PostgresCluster cluster, String database, String applicationName) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", PostgresCluster.SUPERUSER);
        props.setProperty("password", PostgresCluster.SUPERUSER_PASSWORD);
        props.setProperty("ApplicationName", applicationName);
        return DriverManager.getConnection(cluster.jdbcUrl(database), props);
    }
}
