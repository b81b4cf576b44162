package io.pgsync.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.pgsync.launch.PipelineConfigs;
import io.pgsync.testkit.pg.PostgresCluster;

/**
 * The connector configurations of the two Kafka pipelines, as an operator would PUT them, tuned as
 * {@code shared/reference/baselines.md} found best; both pipelines get the same producer and consumer settings. The
 * end-to-end workloads take pgsync's settings from the repository's {@code config-examples/} instead
 * ({@link Examples}).
 */
final class ConnectorConfigs {

    /**
     * The {@code config} objects of {@code config-examples/source-connector.json} and {@code sink-connector.json},
     * what a user deploys. Only the keys that name the databases, tables, topics and slot are replaced (see
     * {@link #source} and {@link #sink}); every other setting, converters included, stays as the example has it.
     *
     * <p>Example: {@code Examples.read(Path.of("config-examples")).sink(destination, "b_pgsync_1_e")} is the example
     * sink with {@code topics=b_pgsync_1_e.changelog} and {@code connection.url} pointing at that database.
     */
    record Examples(Map<String, String> sourceExample, Map<String, String> sinkExample) {

        static final String SOURCE_FILE = "source-connector.json";
        static final String SINK_FILE = "sink-connector.json";

        Examples {
            sourceExample = Map.copyOf(sourceExample);
            sinkExample = Map.copyOf(sinkExample);
        }

        /** Reads both examples from {@code dir}, the repository's {@code config-examples}. */
        static Examples read(Path dir) {
            return new Examples(config(dir.resolve(SOURCE_FILE)), config(dir.resolve(SINK_FILE)));
        }

        /** The example source, reading {@code tables} of {@code database} into {@code <database>.changelog}. */
        Map<String, String> source(PostgresCluster source, String database, String slot, List<TableSpec> tables) {
            Map<String, String> config = new LinkedHashMap<>(sourceExample);
            config.put("database.hostname", source.host());
            config.put("database.port", Integer.toString(source.port()));
            config.put("database.user", PostgresCluster.SUPERUSER);
            config.put("database.password", PostgresCluster.SUPERUSER_PASSWORD);
            config.put("database.dbname", database);
            config.put("topic.prefix", database);
            config.put("table.include.list", tableList(tables));
            config.put("slot.name", slot);
            config.put("publication.name", slot);
            return config;
        }

        /** The example sink, applying {@code <database>.changelog} to {@code database} on the destination. */
        Map<String, String> sink(PostgresCluster destination, String database) {
            Map<String, String> config = new LinkedHashMap<>(sinkExample);
            config.put("topics", PipelineConfigs.changelog(database));
            config.put("connection.url", destination.jdbcUrl(database) + "?ApplicationName=pgsync-sink");
            config.put("connection.user", PostgresCluster.SUPERUSER);
            config.put("connection.password", PostgresCluster.SUPERUSER_PASSWORD);
            return config;
        }

        private static Map<String, String> config(Path file) {
            JsonNode config;
            try {
                config = new ObjectMapper().readTree(file.toFile()).path("config");
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot read the connector example " + file, e);
            }
            if (!config.isObject()) {
                throw new IllegalStateException("The connector example " + file + " has no \"config\" object");
            }
            Map<String, String> settings = new LinkedHashMap<>();
            config.properties().forEach(field -> settings.put(field.getKey(), field.getValue().asText()));
            return settings;
        }
    }

    static final String PGSYNC_SOURCE = PipelineConfigs.SOURCE_CLASS;
    static final String PGSYNC_SINK = PipelineConfigs.SINK_CLASS;
    static final String DEBEZIUM_SOURCE = "io.debezium.connector.postgresql.PostgresConnector";
    static final String DEBEZIUM_JDBC_SINK = "io.debezium.connector.jdbc.JdbcSinkConnector";

    /**
     * The Debezium source's producer settings that matter for throughput (baselines.md: 21.8k rows/s with defaults,
     * 62k with these): big producer batches and a deep Debezium queue.
     */
    static final Map<String, String> SOURCE_TUNING = Map.of(
            "producer.override.batch.size", "1048576",
            "producer.override.linger.ms", "10",
            "max.batch.size", "8192",
            "max.queue.size", "32768");

    /**
     * Lets a sink task receive up to 5,000 records per {@code put}, the Debezium JDBC sink's best batch.size; with
     * Kafka's defaults (500 records, 1 MB per partition and fetch) a put carries a few hundred records at most.
     */
    static final Map<String, String> SINK_TUNING = Map.of(
            "consumer.override.max.poll.records", "5000",
            "consumer.override.max.partition.fetch.bytes", "52428800",
            "consumer.override.fetch.max.bytes", "52428800");

    private ConnectorConfigs() {
    }

    /**
     * The pgsync connector's config with its converter settings on top of the worker's: with JSON, schemas off, as
     * the README recommends (pgsync's changelog format carries column names and types as data), the source's values
     * written by ChangelogJsonConverter as in the examples; the Debezium JDBC sink needs schemas and keeps the
     * worker's JSON with schemas. With Avro, the worker's converters.
     */
    static Map<String, String> withPgsyncConverters(Map<String, String> config, ConverterKind converter) {
        return converter == ConverterKind.JSON ? PipelineConfigs.withJson(config, false) : config;
    }

    static String tableList(List<TableSpec> tables) {
        return tables.stream().map(TableSpec::qualifiedName).collect(Collectors.joining(","));
    }

    /** pgsync's source with its own defaults, into the one-partition changelog {@code <database>.changelog}. */
    static Map<String, String> pgsyncSource(PostgresCluster source, String database, String slot,
            List<TableSpec> tables) {
        Map<String, String> config = PipelineConfigs.source(new PipelineConfigs.Login(source.host(), source.port(),
                database, PostgresCluster.SUPERUSER, PostgresCluster.SUPERUSER_PASSWORD), database, tableList(tables),
                1);
        config.put("slot.name", slot);
        config.put("publication.name", slot);
        config.putAll(SOURCE_TUNING);
        return config;
    }

    static Map<String, String> pgsyncSink(PostgresCluster destination, String database) {
        Map<String, String> config = PipelineConfigs.sink(destination.jdbcUrl(database) + "?ApplicationName=pgsync-sink",
                PostgresCluster.SUPERUSER, PostgresCluster.SUPERUSER_PASSWORD, PipelineConfigs.changelog(database), 1);
        config.putAll(SINK_TUNING);
        return config;
    }

    /**
     * Debezium's own PostgreSQL connector with pgoutput: one topic per table, {@code <database>.public.<table>}.
     * Without tombstones, which the JDBC sink skips (with a warning each) since the delete event before them
     * already deletes the row; pgsync's source sends none either.
     */
    static Map<String, String> debeziumSource(PostgresCluster source, String database, String slot,
            List<TableSpec> tables) {
        Map<String, String> config = databaseSource(DEBEZIUM_SOURCE, source, database, slot, tables);
        config.put("plugin.name", "pgoutput");
        config.put("publication.autocreate.mode", "filtered");
        config.put("tombstones.on.delete", "false");
        return config;
    }

    /**
     * The Debezium JDBC sink at the best settings of baselines.md: batches of 5,000, rewritten batched inserts,
     * the reduction buffer (without it, rewritten upserts fail on a key changed twice in one batch), upserts and
     * deletes by record key. Rows go to the table of the same name as the source's.
     */
    static Map<String, String> debeziumJdbcSink(PostgresCluster destination, String database,
            List<TableSpec> tables) {
        Map<String, String> config = new LinkedHashMap<>();
        config.put("connector.class", DEBEZIUM_JDBC_SINK);
        config.put("tasks.max", "1");
        config.put("topics", tables.stream().map(t -> database + "." + t.qualifiedName())
                .collect(Collectors.joining(",")));
        config.put("connection.url", destination.jdbcUrl(database)
                + "?reWriteBatchedInserts=true&ApplicationName=debezium-jdbc-sink");
        config.put("connection.username", PostgresCluster.SUPERUSER);
        config.put("connection.password", PostgresCluster.SUPERUSER_PASSWORD);
        config.put("insert.mode", "upsert");
        config.put("delete.enabled", "true");
        config.put("primary.key.mode", "record_key");
        config.put("schema.evolution", "basic");
        config.put("batch.size", "5000");
        config.put("use.reduction.buffer", "true");
        config.put("collection.name.format", "${source.table}");
        config.putAll(SINK_TUNING);
        return config;
    }

    private static Map<String, String> databaseSource(String connectorClass, PostgresCluster source, String database,
            String slot, List<TableSpec> tables) {
        Map<String, String> config = new LinkedHashMap<>();
        config.put("connector.class", connectorClass);
        config.put("tasks.max", "1");
        config.put("database.hostname", source.host());
        config.put("database.port", Integer.toString(source.port()));
        config.put("database.user", PostgresCluster.SUPERUSER);
        config.put("database.password", PostgresCluster.SUPERUSER_PASSWORD);
        config.put("database.dbname", database);
        config.put("topic.prefix", database);
        config.put("table.include.list", tableList(tables));
        config.put("slot.name", slot);
        config.put("publication.name", slot);
        config.put("topic.creation.default.partitions", "1");
        config.put("topic.creation.default.replication.factor", "-1");
        config.putAll(SOURCE_TUNING);
        return config;
    }
}
