package io.pgsync.source;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.ConfigValue;
import org.apache.kafka.connect.connector.Task;

import io.debezium.connector.postgresql.PostgresConnector;
import io.pgsync.common.Version;
import io.pgsync.source.precheck.SourcePrecheck;

/**
 * Source connector of pgsync: Debezium's PostgreSQL connector with lossless PostgreSQL-to-PostgreSQL defaults,
 * writing every record of the database into one ordered changelog topic.
 *
 * <p>It extends {@link PostgresConnector} so that every Debezium option is accepted and validated exactly as
 * Debezium documents it; pgsync adds its own keys ({@link PgSyncSourceConfig}) and defaults on top.
 */
public class PgSyncSourceConnector extends PostgresConnector {

    @Override
    public void start(Map<String, String> props) {
        super.start(PgSyncSourceConfig.withDefaults(props));
    }

    /** Reports the pgsync version; the bundled Debezium version is in the plugin's lib/ directory. */
    @Override
    public String version() {
        return Version.get();
    }

    @Override
    public Class<? extends Task> taskClass() {
        return PgSyncSourceTask.class;
    }

    @Override
    public ConfigDef config() {
        ConfigDef def = new ConfigDef(super.config());
        PgSyncSourceConfig.CONFIG_DEF.configKeys().values().forEach(def::define);
        return def;
    }

    /** Keys on which Debezium reports that it cannot connect; the precheck runs only when they have no error. */
    private static final Set<String> CONNECTION_KEYS = Set.of("database.hostname", "database.port", "database.user",
            "database.password", "database.dbname");

    /**
     * Validates with pgsync's defaults applied (so the report describes what will run), checks that Connect will
     * create the changelog with the partition count the router expects, then runs the source precheck
     * ({@link SourcePrecheck}: server settings, privileges, free slots, tables that cannot be captured), each failure
     * on its config key.
     */
    @Override
    public Config validate(Map<String, String> props) {
        Config config = super.validate(PgSyncSourceConfig.withDefaults(props));
        List<ConfigValue> values = new ArrayList<>(config.configValues());
        List<ConfigValue> own = PgSyncSourceConfig.CONFIG_DEF.validate(props);
        values.addAll(own);
        own.stream()
                .filter(v -> v.name().equals(PgSyncSourceConfig.CHANGELOG_PARTITIONS) && v.errorMessages().isEmpty())
                .forEach(v -> checkTopicCreation(props, v));
        own.stream()
                .filter(v -> v.name().equals(PgSyncSourceConfig.FULL_SYNC_MODE) && v.errorMessages().isEmpty())
                .forEach(v -> checkFullSync(props, v));
        own.stream()
                .filter(v -> v.name().equals(PgSyncSourceConfig.SCHEMA_SYNC_ENABLED) && v.errorMessages().isEmpty())
                .forEach(v -> checkSchemaSync(props, v));
        if (own.stream().allMatch(v -> v.errorMessages().isEmpty())) {
            String conflict = new PgSyncSourceConfig(props).ddlCaptureConflict();
            if (conflict != null) {
                valueOf(values, PgSyncSourceConfig.DDL_CAPTURE_ENABLED).addErrorMessage(conflict);
            }
        }
        own.stream()
                .filter(v -> v.name().equals(PgSyncSourceConfig.THROTTLE_INCREMENTAL_MB) && v.errorMessages().isEmpty()
                        && v.value() instanceof Double mb && mb > 0
                        && PgSyncSourceConfig.FORMAT_DEBEZIUM.equals(props.get(PgSyncSourceConfig.CHANGELOG_FORMAT)))
                .forEach(v -> v.addErrorMessage(PgSyncSourceConfig.THROTTLE_INCREMENTAL_MB + " counts row values in "
                        + "the text form of changelog.format=pgsync; with changelog.format=debezium, limit rows with "
                        + PgSyncSourceConfig.THROTTLE_INCREMENTAL_ROWS + " instead"));
        own.stream()
                .filter(v -> v.name().equals(PgSyncSourceConfig.SESSION_SOCKET_TIMEOUT_MS) && v.errorMessages().isEmpty())
                .forEach(v -> checkSessionTimeouts(own, v));
        checkRowFilters(props, values);
        List<SourcePrecheck.Failure> failures;
        if (values.stream().noneMatch(v -> CONNECTION_KEYS.contains(v.name()) && !v.errorMessages().isEmpty())) {
            failures = SourcePrecheck.check(PgSyncSourceConfig.withDefaults(props));
        } else {
            failures = SourcePrecheck.connectivity(PgSyncSourceConfig.withDefaults(props));
        }
        for (SourcePrecheck.Failure failure : failures) {
            valueOf(values, failure.key()).addErrorMessage(failure.message());
        }
        return new Config(values);
    }

    /**
     * Row filter keys must name one table, and filters need the COPY full sync (which reads with them) and a
     * publication of the selected tables (which carries them).
     */
    private static void checkRowFilters(Map<String, String> props, List<ConfigValue> values) {
        Map<String, String> effective = PgSyncSourceConfig.withDefaults(props);
        for (String key : props.keySet()) {
            if (!key.startsWith(PgSyncSourceConfig.FILTER_PREFIX)) {
                continue;
            }
            ConfigValue value = valueOf(values, key);
            try {
                PgSyncSourceConfig.filterTable(key);
            } catch (ConfigException e) {
                value.addErrorMessage(e.getMessage());
            }
            if (!PgSyncSourceConfig.FULL_SYNC_COPY.equals(effective.get(PgSyncSourceConfig.FULL_SYNC_MODE))) {
                value.addErrorMessage("Row filters need full.sync.mode=copy, which reads each table with its filter");
            }
            if (!"filtered".equalsIgnoreCase(effective.get("publication.autocreate.mode"))) {
                value.addErrorMessage("Row filters need publication.autocreate.mode=filtered (pgsync's default): a "
                        + "publication of the selected tables carries them");
            }
        }
    }

    private static ConfigValue valueOf(List<ConfigValue> values, String key) {
        for (ConfigValue value : values) {
            if (value.name().equals(key)) {
                return value;
            }
        }
        ConfigValue added = new ConfigValue(key);
        values.add(added);
        return added;
    }

    /** The server must cancel a slow statement before pgjdbc gives up on the connection. */
    private static void checkSessionTimeouts(List<ConfigValue> own, ConfigValue socket) {
        Object statement = own.stream().filter(v -> v.name().equals(PgSyncSourceConfig.SESSION_STATEMENT_TIMEOUT_MS))
                .findFirst().map(ConfigValue::value).orElse(null);
        if (!(socket.value() instanceof Long socketMs) || !(statement instanceof Long statementMs)) {
            return;
        }
        if (socketMs > 0 && (statementMs == 0 || socketMs / 1000 <= statementMs / 1000)) {
            socket.addErrorMessage(PgSyncSourceConfig.SESSION_SOCKET_TIMEOUT_MS + " (" + socketMs + " ms) must exceed "
                    + PgSyncSourceConfig.SESSION_STATEMENT_TIMEOUT_MS + " (" + statementMs + " ms, 0 meaning no limit) "
                    + "by at least a second, so that the server cancels a slow statement with a clear error before "
                    + "the connection is dropped; raise it or set it to 0");
        }
    }

    /** pgsync's COPY full sync sends its own chunks and takes Debezium's snapshot's place. */
    private static void checkFullSync(Map<String, String> props, ConfigValue mode) {
        if (!PgSyncSourceConfig.FULL_SYNC_COPY.equals(props.get(PgSyncSourceConfig.FULL_SYNC_MODE))) {
            return;
        }
        if (PgSyncSourceConfig.FORMAT_DEBEZIUM.equals(props.get(PgSyncSourceConfig.CHANGELOG_FORMAT))) {
            mode.addErrorMessage("full.sync.mode=copy sends pgsync's row chunks, which need "
                    + "changelog.format=pgsync; use full.sync.mode=debezium with changelog.format=debezium");
        }
        if (props.containsKey("snapshot.mode")) {
            mode.addErrorMessage("full.sync.mode=copy replaces Debezium's snapshot, but snapshot.mode is set to '"
                    + props.get("snapshot.mode") + "'; remove snapshot.mode, or set full.sync.mode=debezium to let "
                    + "Debezium's snapshot.mode decide");
        }
    }

    /** The schema sync runs inside the COPY full sync, and its order holds only on one partition. */
    private static void checkSchemaSync(Map<String, String> props, ConfigValue enabled) {
        if (!"true".equalsIgnoreCase(String.valueOf(props.get(PgSyncSourceConfig.SCHEMA_SYNC_ENABLED)).trim())) {
            return;
        }
        String fullSync = PgSyncSourceConfig.withDefaults(props).get(PgSyncSourceConfig.FULL_SYNC_MODE);
        if (!PgSyncSourceConfig.FULL_SYNC_COPY.equals(fullSync)) {
            enabled.addErrorMessage("schema.sync.enabled=true needs full.sync.mode=copy (the schema is read in the "
                    + "COPY full sync's snapshot), but the full sync is '" + fullSync + "'; set full.sync.mode=copy or "
                    + "schema.sync.enabled=false");
        }
        String partitions = props.getOrDefault(PgSyncSourceConfig.CHANGELOG_PARTITIONS, "1").trim();
        if (!"1".equals(partitions)) {
            enabled.addErrorMessage("schema.sync.enabled=true needs changelog.partitions=1 (objects must be created "
                    + "before the rows of every table, and only one partition keeps that order), but it is "
                    + partitions + "; set changelog.partitions=1 or schema.sync.enabled=false");
        }
    }

    private static void checkTopicCreation(Map<String, String> props, ConfigValue partitions) {
        int expected = partitions.value() == null ? 1 : (Integer) partitions.value();
        String created = props.get(PgSyncSourceConfig.TOPIC_CREATION_PARTITIONS);
        if (created == null || !created.trim().equals(Integer.toString(expected))) {
            partitions.addErrorMessage("The changelog needs " + expected + " partition(s), but "
                    + PgSyncSourceConfig.TOPIC_CREATION_PARTITIONS + " is "
                    + (created == null ? "not set" : "'" + created + "'") + ". Set "
                    + PgSyncSourceConfig.TOPIC_CREATION_PARTITIONS + "=" + expected + " and "
                    + PgSyncSourceConfig.TOPIC_CREATION_REPLICATION + "=-1 (the broker default) so that Connect "
                    + "creates the changelog topic with " + expected + " partition(s).");
        }
    }
}
