package io.pgsync.sink;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.ConfigValue;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.sink.SinkConnector;

import io.pgsync.common.Version;

/** Sink connector of pgsync: applies a pgsync changelog (or plain Debezium topics) to one PostgreSQL database. */
public class PgSyncSinkConnector extends SinkConnector {

    /** Task-only key: the task's number, for metric tags. */
    static final String TASK_ID = "pgsync.task.id";

    private Map<String, String> props;

    @Override
    public void start(Map<String, String> props) {
        new PgSyncSinkConfig(props);
        this.props = Map.copyOf(props);
    }

    @Override
    public Class<? extends Task> taskClass() {
        return PgSyncSinkTask.class;
    }

    @Override
    public List<Map<String, String>> taskConfigs(int maxTasks) {
        List<Map<String, String>> configs = new ArrayList<>(maxTasks);
        for (int i = 0; i < maxTasks; i++) {
            Map<String, String> task = new HashMap<>(props);
            task.put(TASK_ID, Integer.toString(i));
            configs.add(task);
        }
        return configs;
    }

    @Override
    public void stop() {
        props = null;
    }

    @Override
    public ConfigDef config() {
        return PgSyncSinkConfig.CONFIG_DEF;
    }

    /** Validates the keys, then connects to the destination and reports a failure on the key to fix. */
    @Override
    public Config validate(Map<String, String> connectorConfigs) {
        Config config = super.validate(connectorConfigs);
        boolean keysValid = config.configValues().stream().allMatch(v -> v.errorMessages().isEmpty());
        if (keysValid) {
            checkRetryTimeouts(config);
            checkConnection(connectorConfigs, config);
        }
        return config;
    }

    private static void checkRetryTimeouts(Config config) {
        long connection = (Long) value(config, PgSyncSinkConfig.RETRY_CONNECTION_TIMEOUT_MS).value();
        ConfigValue other = value(config, PgSyncSinkConfig.RETRY_OTHER_TIMEOUT_MS);
        if ((Long) other.value() >= connection) {
            other.addErrorMessage(PgSyncSinkConfig.RETRY_OTHER_TIMEOUT_MS + " (" + other.value() + " ms) must be "
                    + "shorter than " + PgSyncSinkConfig.RETRY_CONNECTION_TIMEOUT_MS + " (" + connection + " ms): "
                    + "transient errors such as deadlocks should give up before an outage does. Lower "
                    + PgSyncSinkConfig.RETRY_OTHER_TIMEOUT_MS + " or raise " + PgSyncSinkConfig.RETRY_CONNECTION_TIMEOUT_MS
                    + ".");
        }
    }

    private static void checkConnection(Map<String, String> connectorConfigs, Config config) {
        PgSyncSinkConfig sinkConfig;
        try {
            sinkConfig = new PgSyncSinkConfig(connectorConfigs);
        } catch (ConfigException e) {
            value(config, PgSyncSinkConfig.CONNECTION_URL).addErrorMessage(e.getMessage());
            return;
        }
        try (Connection ignored = DriverManager.getConnection(sinkConfig.connectionUrl(),
                sinkConfig.connectionProperties())) {
            // reaching the database with these credentials is the whole check for now
        } catch (SQLException e) {
            String state = e.getSQLState() == null ? "" : e.getSQLState();
            String key = state.equals("28P01") || state.equals("28000") ? PgSyncSinkConfig.CONNECTION_PASSWORD
                    : PgSyncSinkConfig.CONNECTION_URL;
            value(config, key).addErrorMessage("Cannot connect to the destination " + sinkConfig.connectionUrl()
                    + " as '" + connectorConfigs.get(PgSyncSinkConfig.CONNECTION_USER) + "': " + e.getMessage()
                    + " (SQLState " + state + "). Check " + PgSyncSinkConfig.CONNECTION_URL + ", "
                    + PgSyncSinkConfig.CONNECTION_USER + " and " + PgSyncSinkConfig.CONNECTION_PASSWORD + ".");
        }
    }

    private static ConfigValue value(Config config, String name) {
        return config.configValues().stream().filter(v -> v.name().equals(name)).findFirst().orElseThrow();
    }

    @Override
    public String version() {
        return Version.get();
    }
}
