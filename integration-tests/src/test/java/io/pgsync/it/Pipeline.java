package io.pgsync.it;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.apache.kafka.connect.runtime.rest.entities.ConfigInfo;
import org.apache.kafka.connect.runtime.rest.entities.ConfigInfos;

import io.pgsync.launch.PipelineConfigs;
import io.pgsync.testkit.pg.PostgresCluster;

/** Connector configurations as an operator would PUT them, for one source database and one destination. */
final class Pipeline {

    static final String SOURCE_CLASS = PipelineConfigs.SOURCE_CLASS;
    static final String SINK_CLASS = PipelineConfigs.SINK_CLASS;

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
        return PipelineConfigs.source(new PipelineConfigs.Login(db.host(), db.port(), database,
                PostgresCluster.SUPERUSER, PostgresCluster.SUPERUSER_PASSWORD), prefix, tables, partitions);
    }

    static Map<String, String> sink(PostgresCluster db, String database, String topic, int tasks) {
        return PipelineConfigs.sink(db.jdbcUrl(database), PostgresCluster.SUPERUSER,
                PostgresCluster.SUPERUSER_PASSWORD, topic, tasks);
    }

    /** Returns a copy of the config with the JSON converters (schemas enabled) set. */
    static Map<String, String> withJson(Map<String, String> config) {
        return PipelineConfigs.withJson(config, true);
    }

    static Map<String, String> jsonConverters() {
        return PipelineConfigs.withJson(Map.of(), true);
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
