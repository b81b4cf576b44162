package io.pgsync.it;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.connect.runtime.rest.entities.ConfigInfo;
import org.apache.kafka.connect.runtime.rest.entities.ConfigInfos;

import io.pgsync.testkit.pg.PostgresCluster;

/** Connector configurations as an operator would PUT them, for one source database and one destination. */
final class Pipeline {

    static final String SOURCE_CLASS = "io.pgsync.source.PgSyncSourceConnector";
    static final String SINK_CLASS = "io.pgsync.sink.PgSyncSinkConnector";

    private Pipeline() {
    }

    /** The directory holding the unpacked plugin archives, set by the build. */
    static Path pluginPath() {
        String dir = System.getProperty("pgsync.plugin.path");
        if (dir == null) {
            throw new IllegalStateException("System property pgsync.plugin.path is not set; run the integration "
                    + "tests through Maven (mvn verify), which unpacks the plugin archives first");
        }
        return Path.of(dir);
    }

    static Map<String, String> source(PostgresCluster db, String database, String prefix, String tables, int partitions) {
        Map<String, String> config = new LinkedHashMap<>();
        config.put("connector.class", SOURCE_CLASS);
        config.put("tasks.max", "1");
        config.put("database.hostname", db.host());
        config.put("database.port", Integer.toString(db.port()));
        config.put("database.user", PostgresCluster.SUPERUSER);
        config.put("database.password", PostgresCluster.SUPERUSER_PASSWORD);
        config.put("database.dbname", database);
        config.put("topic.prefix", prefix);
        config.put("table.include.list", tables);
        config.put("changelog.partitions", Integer.toString(partitions));
        config.put("topic.creation.default.partitions", Integer.toString(partitions));
        config.put("topic.creation.default.replication.factor", "-1");
        return config;
    }

    static Map<String, String> sink(PostgresCluster db, String database, String topic, int tasks) {
        Map<String, String> config = new LinkedHashMap<>();
        config.put("connector.class", SINK_CLASS);
        config.put("tasks.max", Integer.toString(tasks));
        config.put("topics", topic);
        config.put("connection.url", db.jdbcUrl(database));
        config.put("connection.user", PostgresCluster.SUPERUSER);
        config.put("connection.password", PostgresCluster.SUPERUSER_PASSWORD);
        return config;
    }

    /** Returns a copy of the config with the JSON converters (schemas enabled) set. */
    static Map<String, String> withJson(Map<String, String> config) {
        Map<String, String> result = new LinkedHashMap<>(config);
        result.putAll(jsonConverters());
        return result;
    }

    static Map<String, String> jsonConverters() {
        return Map.of(
                "key.converter", "org.apache.kafka.connect.json.JsonConverter",
                "key.converter.schemas.enable", "true",
                "value.converter", "org.apache.kafka.connect.json.JsonConverter",
                "value.converter.schemas.enable", "true");
    }

    /** The errors that validation reported on one config key. */
    static List<String> validationErrors(ConfigInfos infos, String key) {
        return infos.configs().stream()
                .map(ConfigInfo::configValue)
                .filter(v -> v.name().equals(key))
                .flatMap(v -> v.errors().stream())
                .toList();
    }
}
