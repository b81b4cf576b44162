package io.pgsync.sink;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
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
import io.pgsync.common.pg.Identifiers;

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
            checkSessionTimeouts(config);
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

    /** The server must cancel a slow statement before the client gives up on the connection. */
    private static void checkSessionTimeouts(Config config) {
        long statement = (Long) value(config, PgSyncSinkConfig.STATEMENT_TIMEOUT_MS).value();
        ConfigValue socket = value(config, PgSyncSinkConfig.SOCKET_TIMEOUT_MS);
        long socketMs = (Long) socket.value();
        if (socketMs > 0 && (statement == 0 || socketMs / 1000 <= statement / 1000)) {
            socket.addErrorMessage(PgSyncSinkConfig.SOCKET_TIMEOUT_MS + " (" + socketMs + " ms) must exceed "
                    + PgSyncSinkConfig.STATEMENT_TIMEOUT_MS + " (" + statement + " ms, 0 meaning no limit) by at "
                    + "least a second: otherwise the sink drops the connection while the server still runs a "
                    + "statement it would have cancelled with a clear error. Raise " + PgSyncSinkConfig.SOCKET_TIMEOUT_MS
                    + " (e.g. to the statement timeout plus 60000) or set it to 0.");
        }
    }

    /** What a TLS failure asks of the pgjdbc parameters in {@code connection.url}. */
    private static final String TLS_HINT = "Check the TLS parameters in " + PgSyncSinkConfig.CONNECTION_URL
            + ": sslrootcert must be the CA that signed the server's certificate (with sslmode=verify-full the "
            + "certificate must also name the URL's host), and a server that asks for a client certificate needs "
            + "sslcert and sslkey (the key as PKCS-8 DER .pk8 or PKCS-12 .p12) for the user.";

    private static void checkConnection(Map<String, String> connectorConfigs, Config config) {
        PgSyncSinkConfig sinkConfig;
        try {
            sinkConfig = new PgSyncSinkConfig(connectorConfigs);
        } catch (ConfigException e) {
            value(config, PgSyncSinkConfig.CONNECTION_URL).addErrorMessage(e.getMessage());
            return;
        }
        try (Connection connection = sinkConfig.sessionSettings().open(sinkConfig.connectionUrl(),
                sinkConfig.connectionProperties())) {
            checkPrivileges(connection, connectorConfigs.get(PgSyncSinkConfig.CONNECTION_USER), config);
            sinkConfig.ddlOwnerRole().ifPresent(role -> checkOwnerRole(connection, role, config));
        } catch (SQLException e) {
            String state = e.getSQLState() == null ? "" : e.getSQLState();
            String message = String.valueOf(e.getMessage());
            boolean tls = message.contains("SSL") || message.contains("certificate");
            boolean login = !tls && state.startsWith("28");
            String key = login ? PgSyncSinkConfig.CONNECTION_PASSWORD : PgSyncSinkConfig.CONNECTION_URL;
            String fix = tls ? TLS_HINT
                    : login ? "The destination refused the login: set " + PgSyncSinkConfig.CONNECTION_USER
                    + " and " + PgSyncSinkConfig.CONNECTION_PASSWORD + " to a role that may log in there, or allow "
                    + "it in the destination's pg_hba.conf."
                    : state.equals("3D000") ? "Create the database or fix its name in " + PgSyncSinkConfig.CONNECTION_URL
                            + "."
                    : "Check the host and port in " + PgSyncSinkConfig.CONNECTION_URL + ", and that PostgreSQL runs "
                            + "there and listens on that address (listen_addresses, firewall).";
            value(config, key).addErrorMessage("Cannot connect to the destination "
                    + sinkConfig.connectionUrlForDisplay() + " as '" + connectorConfigs.get(PgSyncSinkConfig.CONNECTION_USER)
                    + "': " + message + " (SQLState " + state + "). " + fix);
        }
    }

    /**
     * The sink keeps its offsets in schema {@code pgsync} and creates the schemas of the tables it syncs, so it needs
     * CREATE on the database (or an existing {@code pgsync} schema it may use); and it writes as a replica
     * ({@code session_replication_role}), without which foreign keys would reject rows written set-wise.
     */
    private static void checkPrivileges(Connection connection, String user, Config config) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("""
                SELECT current_database(), current_user, r.rolsuper,
                       pg_catalog.has_database_privilege(current_database(), 'CREATE'),
                       pg_catalog.current_setting('server_version_num')::int
                  FROM pg_catalog.pg_roles r WHERE r.rolname = current_user""");
                ResultSet rs = ps.executeQuery()) {
            if (!rs.next() || rs.getBoolean(3)) {
                return;
            }
            String role = Identifiers.quote(rs.getString(2));
            if (!rs.getBoolean(4)) {
                value(config, PgSyncSinkConfig.CONNECTION_USER).addErrorMessage("User " + user + " may not create "
                        + "schemas in database " + rs.getString(1) + ", which the sink needs for its offsets (schema "
                        + "pgsync) and for the schemas of the synced tables: run GRANT CREATE ON DATABASE "
                        + Identifiers.quote(rs.getString(1)) + " TO " + role);
            }
            if (rs.getInt(5) < 150000 || !mayReplicate(connection)) {
                value(config, PgSyncSinkConfig.CONNECTION_USER).addErrorMessage("User " + user + " may not SET "
                        + "session_replication_role, so destination foreign keys and triggers would act on every "
                        + "applied row (and reject rows that the set-wise writes apply out of order): run GRANT SET "
                        + "ON PARAMETER session_replication_role TO " + role + " (PostgreSQL 15 or newer), or connect "
                        + "as a superuser");
            }
        }
    }

    /** The sink runs DDL after SET ROLE to the owner role, which needs membership in it. */
    private static void checkOwnerRole(Connection connection, String role, Config config) {
        try (PreparedStatement ps = connection.prepareStatement("""
                SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = ?),
                       pg_catalog.pg_has_role(current_user, r.oid, 'MEMBER'), current_user
                  FROM (SELECT (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = ?) AS oid) r""")) {
            ps.setString(1, role);
            ps.setString(2, role);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                ConfigValue value = value(config, PgSyncSinkConfig.DDL_OWNER_ROLE);
                if (!rs.getBoolean(1)) {
                    value.addErrorMessage("Role " + Identifiers.quote(role) + " does not exist at the destination: "
                            + "create it (CREATE ROLE " + Identifiers.quote(role) + " NOLOGIN), grant it to the sink's "
                            + "user, or leave " + PgSyncSinkConfig.DDL_OWNER_ROLE + " empty");
                } else if (!rs.getBoolean(2)) {
                    value.addErrorMessage("The sink's user " + Identifiers.quote(rs.getString(3)) + " is no member of "
                            + Identifiers.quote(role) + ", so it cannot SET ROLE to it to run DDL: run GRANT "
                            + Identifiers.quote(role) + " TO " + Identifiers.quote(rs.getString(3)));
                }
            }
        } catch (SQLException e) {
            value(config, PgSyncSinkConfig.DDL_OWNER_ROLE).addErrorMessage("Cannot check role " + role + ": "
                    + e.getMessage());
        }
    }

    private static boolean mayReplicate(Connection connection) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(
                "SELECT pg_catalog.has_parameter_privilege('session_replication_role', 'SET')");
                ResultSet rs = ps.executeQuery()) {
            return rs.next() && rs.getBoolean(1);
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
