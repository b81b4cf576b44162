package io.pgsync.cli;

import java.util.Map;

import io.pgsync.launch.PipelineConfigs;

/**
 * The connectors the pgsync command derives from PostgreSQL URLs: the source {@code pgsync-<database>-source} with
 * its changelog {@code pgsync-<database>.changelog}, and the sink {@code pgsync-<database>-sink} of it.
 */
final class Connectors {

    private Connectors() {
    }

    /** {@code pgsync-<database>}: the topic prefix, and the start of both connector names. */
    static String prefix(String sourceDatabase) {
        return "pgsync-" + sourceDatabase;
    }

    static String sourceName(String sourceDatabase) {
        return prefix(sourceDatabase) + "-source";
    }

    static String sinkName(String sourceDatabase) {
        return prefix(sourceDatabase) + "-sink";
    }

    /**
     * The source connector of the database.
     *
     * @param tables Debezium's {@code table.include.list}, or null for every table
     */
    static Map<String, String> source(PostgresUrl url, String tables) {
        Map<String, String> config = PipelineConfigs.source(new PipelineConfigs.Login(url.host(), url.port(),
                url.database(), url.user(), url.password()), prefix(url.database()), tables, 1);
        config.put("name", sourceName(url.database()));
        return config;
    }

    /** The sink connector writing the changelog of the named source into the database. */
    static Map<String, String> sink(PostgresUrl url, String sourceDatabase) {
        Map<String, String> config = PipelineConfigs.sink(url.jdbcUrl(), url.user(), url.password(),
                PipelineConfigs.changelog(prefix(sourceDatabase)), 1);
        config.put("name", sinkName(sourceDatabase));
        return config;
    }
}
