package io.pgsync.testkit.pg;

import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/** JUnit 5 extension that gives a test class its own throwaway PostgreSQL cluster, started before all its tests. */
public final class PostgresExtension implements BeforeAllCallback, AfterAllCallback {

    private final PostgresCluster.Options options;
    private PostgresCluster cluster;
    private String owner;

    private PostgresExtension(PostgresCluster.Options options) {
        this.options = options;
    }

    /** A cluster with wal_level=logical, ready to be a replication source. */
    public static PostgresExtension logical() {
        return with(PostgresCluster.Options.logical());
    }

    /** A cluster with default server settings. */
    public static PostgresExtension plain() {
        return with(PostgresCluster.Options.plain());
    }

    public static PostgresExtension with(PostgresCluster.Options options) {
        return new PostgresExtension(options);
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        if (cluster == null) {
            cluster = PostgresCluster.start(options);
            owner = context.getUniqueId();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (cluster != null && context.getUniqueId().equals(owner)) {
            try {
                cluster.close();
            } finally {
                cluster = null;
                owner = null;
            }
        }
    }

    /** The running cluster; only between beforeAll and afterAll. */
    public PostgresCluster cluster() {
        if (cluster == null) {
            throw new IllegalStateException("PostgreSQL is not running: register the extension on a static field "
                    + "with @RegisterExtension and use it inside the test class");
        }
        return cluster;
    }

    public String host() {
        return cluster().host();
    }

    public int port() {
        return cluster().port();
    }

    public String jdbcUrl(String database) {
        return cluster().jdbcUrl(database);
    }

    public void execute(String database, String... statements) {
        cluster().execute(database, statements);
    }

    public List<List<String>> query(String database, String sql) {
        return cluster().query(database, sql);
    }
}
