package io.pgsync.cli;

import java.util.LinkedHashMap;
import java.util.Map;

/** The connector configurations the pgsync command derives from PostgreSQL URLs. */
final class Connectors {

    private Connectors() {
    }

    /**
     * A source connector of the database, named {@code pgsync-<database>-source}, with its changelog
     * {@code pgsync-<database>.changelog}.
     *
     * @param tables Debezium's {@code table.include.list}, or null for every table
     */
    static Map<String, String> source(PostgresUrl url, String tables) {
        Map<String, String> config = new LinkedHashMap<>();
        String name = "pgsync-" + url.database();
        config.put("name", name + "-source");
        config.put("connector.class", "io.pgsync.source.PgSyncSourceConnector");
        config.put("tasks.max", "1");
        config.put("database.hostname", url.host());
        config.put("database.port", Integer.toString(url.port()));
        config.put("database.user", url.user());
        if (url.password() != null) {
            config.put("database.password", url.password());
        }
        config.put("database.dbname", url.database());
        config.put("topic.prefix", name);
        if (tables != null) {
            config.put("table.include.list", tables);
        }
        config.put("topic.creation.default.partitions", "1");
        config.put("topic.creation.default.replication.factor", "-1");
        return config;
    }

    /** A sink connector writing the changelog of the named source into the database. */
    static Map<String, String> sink(PostgresUrl url, String sourceDatabase) {
        Map<String, String> config = new LinkedHashMap<>();
        String name = "pgsync-" + sourceDatabase;
        config.put("name", name + "-sink");
        config.put("connector.class", "io.pgsync.sink.PgSyncSinkConnector");
        config.put("tasks.max", "1");
        config.put("topics", name + ".changelog");
        config.put("connection.url", url.jdbcUrl());
        config.put("connection.user", url.user());
        if (url.password() != null) {
            config.put("connection.password", url.password());
        }
        return config;
    }
}
