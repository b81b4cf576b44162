package io.pgsync.launch;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The connector configurations of a pipeline from one PostgreSQL database to another, as an operator PUTs them over
 * Connect's REST API; the one place the pgsync command, the integration tests and the benchmark take them from.
 * Each method returns a new mutable map, for the caller to add its own keys.
 *
 * <p>Example: {@code source(new Login("db1", 5432, "shop", "sync", "secret"), "shop", "public\\.orders", 1)} is a
 * source of table {@code public.orders} into the one-partition changelog {@code shop.changelog}; {@code
 * sink("jdbc:postgresql://db2:5432/shop", "sync", "secret", changelog("shop"), 1)} applies it to the second database.
 */
public final class PipelineConfigs {

    public static final String SOURCE_CLASS = "io.pgsync.source.PgSyncSourceConnector";
    public static final String SINK_CLASS = "io.pgsync.sink.PgSyncSinkConnector";
    public static final String JSON_CONVERTER = "org.apache.kafka.connect.json.JsonConverter";
    /** Kafka's JSON converter with its bytes, faster for row changes; in the source connector's plugin. */
    public static final String CHANGELOG_JSON_CONVERTER = "io.pgsync.source.ChangelogJsonConverter";
    /** The JsonConverter's setting that writes and reads a field's NULL as the schema's default when true. */
    private static final String REPLACE_NULL_WITH_DEFAULT = "replace.null.with.default";

    /**
     * The source's producer batching, as in {@code config-examples/}: batches of up to 256 KB, sent after at most
     * 20 ms. With Kafka's defaults (16 KB, 5 ms) a catch-up of small changes goes out in many small produce
     * requests, and the requests cost more CPU than the changes: 0.8x the rate on the benchmark's W2e.
     */
    public static final Map<String, String> PRODUCER_BATCHING = Map.of("producer.override.batch.size", "262144",
            "producer.override.linger.ms", "20");

    /** How a source connector logs in to its database; {@code password} null when it comes from elsewhere. */
    public record Login(String host, int port, String database, String user, String password) {
    }

    private PipelineConfigs() {
    }

    /** The changelog topic of a source connector with this {@code topic.prefix}. */
    public static String changelog(String topicPrefix) {
        return topicPrefix + ".changelog";
    }

    /**
     * A source connector of one task capturing {@code tables} (Debezium's {@code table.include.list}; null for every
     * table) into the changelog {@code <topicPrefix>.changelog} of {@code partitions} partitions, which Connect
     * creates with the broker's default replication factor; its producer batches as {@link #PRODUCER_BATCHING} says.
     */
    public static Map<String, String> source(Login database, String topicPrefix, String tables, int partitions) {
        Map<String, String> config = new LinkedHashMap<>();
        config.put("connector.class", SOURCE_CLASS);
        config.put("tasks.max", "1");
        config.put("database.hostname", database.host());
        config.put("database.port", Integer.toString(database.port()));
        config.put("database.user", database.user());
        if (database.password() != null) {
            config.put("database.password", database.password());
        }
        config.put("database.dbname", database.database());
        config.put("topic.prefix", topicPrefix);
        if (tables != null) {
            config.put("table.include.list", tables);
        }
        config.put("changelog.partitions", Integer.toString(partitions));
        config.put("topic.creation.default.partitions", Integer.toString(partitions));
        config.put("topic.creation.default.replication.factor", "-1");
        config.putAll(PRODUCER_BATCHING);
        return config;
    }

    /** A sink connector of {@code tasks} tasks applying {@code topics} to the database at {@code jdbcUrl}. */
    public static Map<String, String> sink(String jdbcUrl, String user, String password, String topics, int tasks) {
        Map<String, String> config = new LinkedHashMap<>();
        config.put("connector.class", SINK_CLASS);
        config.put("tasks.max", Integer.toString(tasks));
        config.put("topics", topics);
        config.put("connection.url", jdbcUrl);
        config.put("connection.user", user);
        if (password != null) {
            config.put("connection.password", password);
        }
        return config;
    }

    /**
     * A copy of the config with Kafka's JSON converters for keys and values, the source's values written by
     * {@value #CHANGELOG_JSON_CONVERTER} (the same bytes); {@code schemas} false is the fastest setting for pgsync's
     * changelog format, true is needed for Debezium's envelope; with schemas, a NULL value stays NULL
     * ({@code replace.null.with.default=false}).
     */
    public static Map<String, String> withJson(Map<String, String> config, boolean schemas) {
        Map<String, String> result = new LinkedHashMap<>(config);
        result.put("key.converter", JSON_CONVERTER);
        result.put("key.converter.schemas.enable", Boolean.toString(schemas));
        result.put("value.converter", SOURCE_CLASS.equals(config.get("connector.class")) ? CHANGELOG_JSON_CONVERTER
                : JSON_CONVERTER);
        result.put("value.converter.schemas.enable", Boolean.toString(schemas));
        if (schemas) {
            // Debezium gives a column's field its DEFAULT; the JsonConverter would write and read a NULL as it
            result.put("value.converter." + REPLACE_NULL_WITH_DEFAULT, "false");
        }
        return result;
    }
}
