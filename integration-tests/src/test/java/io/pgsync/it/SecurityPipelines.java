package io.pgsync.it;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.zip.ZipFile;

import io.pgsync.testkit.pg.PostgresCluster;

/**
 * What the security tests share: a source of a whole schema, SQL run as a given role one query string at a time, and
 * the DDL capture's install script as it ships in the plugin.
 */
final class SecurityPipelines {

    private SecurityPipelines() {
    }

    /** A source (JSON converters) of the whole schema {@code app} of {@code db}, with topic prefix {@code db}. */
    static Map<String, String> schemaSelection(PostgresCluster cluster, String db) {
        Map<String, String> config = Pipeline.withJson(Pipeline.source(cluster, db, db, null, 1));
        config.remove("table.include.list");
        config.put("schema.include.list", "app");
        return config;
    }

    /**
     * Runs each entry as one query string over PostgreSQL's simple query protocol, as psql -c does: an entry of
     * several statements reaches the server, and its event triggers, as one text.
     */
    static void runAsQueryStrings(PostgresCluster cluster, String db, PostgresRole role, String... queryStrings)
            throws SQLException {
        String url = cluster.jdbcUrl(db) + (cluster.jdbcUrl(db).contains("?") ? "&" : "?") + "preferQueryMode=simple";
        try (Connection connection = DriverManager.getConnection(url, role.user(), role.password());
                Statement statement = connection.createStatement()) {
            for (String sql : queryStrings) {
                statement.execute(sql);
            }
        }
    }

    /** The DDL capture's install script, as an operator takes it from the installed plugin's jar. */
    static Path captureScript() throws IOException {
        String version = System.getProperty("pgsync.version");
        Path jar = Pipeline.pluginPath().resolve("pgsync-source-connector-" + version).resolve("lib")
                .resolve("pgsync-source-connector-" + version + ".jar");
        Path script = Files.createTempFile("pgsync-capture-", ".sql");
        script.toFile().deleteOnExit();
        try (ZipFile zip = new ZipFile(jar.toFile());
                InputStream in = zip.getInputStream(zip.getEntry("io/pgsync/source/ddl/capture.sql"))) {
            Files.write(script, in.readAllBytes());
        }
        return script;
    }
}
