package io.pgsync.sink;

import java.util.Map;
import java.util.Properties;

import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.NonEmptyString;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.Width;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

/** Configuration of the sink connector: where the destination is and how changes are applied. */
public class PgSyncSinkConfig extends AbstractConfig {

    public static final String CONNECTION_URL = "connection.url";
    private static final String CONNECTION_URL_DOC = "JDBC URL of the destination PostgreSQL database, e.g. "
            + "'jdbc:postgresql://db.example.com:5432/shop'. pgjdbc URL parameters (sslmode, ...) are passed "
            + "through. Put credentials in connection.user and connection.password, not in the URL.";

    public static final String CONNECTION_USER = "connection.user";
    private static final String CONNECTION_USER_DOC = "Role the sink connects as. It needs CREATE on the "
            + "database (to create missing schemas) and on the target schemas (to create missing tables), and "
            + "INSERT, UPDATE, DELETE and TRUNCATE on the tables it writes.";

    public static final String CONNECTION_PASSWORD = "connection.password";
    private static final String CONNECTION_PASSWORD_DOC = "Password of connection.user. Stored and shown as a "
            + "Connect password (hidden in REST responses and logs); use a config provider such as "
            + "${file:/etc/pgsync/secrets.properties:password} to keep it out of the connector config.";

    public static final String TABLE_CREATE_ENABLED = "apply.table.create.enabled";
    private static final String TABLE_CREATE_ENABLED_DOC = "Create a destination table (and its schema) that "
            + "does not exist yet, from the record schema: the source column types carried in the record "
            + "(exact type, length, precision and scale), NOT NULL where the source column is, and the primary "
            + "key from the record key. When false, a record for a missing table fails the task with an error "
            + "naming the table. Default: true.";

    static final String GROUP_CONNECTION = "Connection";
    static final String GROUP_APPLY = "Apply";

    public static final ConfigDef CONFIG_DEF = configDef();

    public PgSyncSinkConfig(Map<?, ?> props) {
        super(CONFIG_DEF, props);
        if (!connectionUrl().startsWith("jdbc:postgresql:")) {
            throw new ConfigException(CONNECTION_URL, connectionUrl(),
                    "Must be a PostgreSQL JDBC URL starting with 'jdbc:postgresql:', e.g. "
                            + "'jdbc:postgresql://localhost:5432/shop'");
        }
    }

    private static ConfigDef configDef() {
        int connection = 0;
        int apply = 0;
        return new ConfigDef()
                .define(CONNECTION_URL, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new NonEmptyString(), Importance.HIGH,
                        CONNECTION_URL_DOC, GROUP_CONNECTION, ++connection, Width.LONG, "JDBC URL")
                .define(CONNECTION_USER, Type.STRING, null, Importance.HIGH, CONNECTION_USER_DOC, GROUP_CONNECTION,
                        ++connection, Width.MEDIUM, "User")
                .define(CONNECTION_PASSWORD, Type.PASSWORD, null, Importance.HIGH, CONNECTION_PASSWORD_DOC,
                        GROUP_CONNECTION, ++connection, Width.MEDIUM, "Password")
                .define(TABLE_CREATE_ENABLED, Type.BOOLEAN, true, Importance.MEDIUM, TABLE_CREATE_ENABLED_DOC,
                        GROUP_APPLY, ++apply, Width.SHORT, "Create missing tables");
    }

    public String connectionUrl() {
        return getString(CONNECTION_URL);
    }

    /** Returns the JDBC connection properties: user and password, never logged. */
    public Properties connectionProperties() {
        Properties props = new Properties();
        String user = getString(CONNECTION_USER);
        if (user != null) {
            props.setProperty("user", user);
        }
        Password password = getPassword(CONNECTION_PASSWORD);
        if (password != null && password.value() != null) {
            props.setProperty("password", password.value());
        }
        props.setProperty("ApplicationName", "pgsync-sink");
        return props;
    }

    public boolean tableCreateEnabled() {
        return getBoolean(TABLE_CREATE_ENABLED);
    }
}
