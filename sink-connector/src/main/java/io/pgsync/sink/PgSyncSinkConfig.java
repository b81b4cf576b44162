package io.pgsync.sink;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.NonEmptyString;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.Width;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

import io.pgsync.common.pg.JdbcUrls;
import io.pgsync.common.pg.SessionSettings;
import io.pgsync.sink.mapping.NameMapping;

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

    public static final String STATEMENT_TIMEOUT_MS = "connection.statement.timeout.ms";
    private static final String STATEMENT_TIMEOUT_MS_DOC = "The destination session's statement_timeout, in "
            + "milliseconds: the server cancels a statement that runs longer (a set-wise write, a COPY chunk, a DDL "
            + "statement such as an index build of the schema sync), and the task retries it as a transient error "
            + "(SQLState 57014, for retry.other.timeout.ms). Raise it for index builds on very large tables. 0 for "
            + "no limit. Must stay below connection.socket.timeout.ms. Default: 3600000 (1 hour).";

    public static final String LOCK_TIMEOUT_MS = "connection.lock.timeout.ms";
    private static final String LOCK_TIMEOUT_MS_DOC = "The destination session's lock_timeout, in milliseconds: a "
            + "statement that waits longer for a lock another session holds (a long query on a table a replicated ALTER "
            + "TABLE must lock, say) is cancelled, rolled back and retried (SQLState 55P03, for "
            + "retry.other.timeout.ms), instead of waiting, and making every later query of that table wait behind "
            + "it. 0 for no limit. Default: 60000 (1 minute).";

    public static final String SOCKET_TIMEOUT_MS = "connection.socket.timeout.ms";
    private static final String SOCKET_TIMEOUT_MS_DOC = "How long, in milliseconds, the sink waits for the destination "
            + "to answer before it closes the connection and retries as a lost connection (pgjdbc's socketTimeout, "
            + "in whole seconds; retry.connection.timeout.ms applies): a server that stops answering never leaves "
            + "the task waiting silently. Must exceed connection.statement.timeout.ms, so that the server cancels a "
            + "slow statement first (validation says so). 0 for no limit. Default: 3660000 (61 minutes).";

    public static final String KEEPALIVE_MS = "connection.keepalive.ms";
    private static final String KEEPALIVE_MS_DOC = "Idle time, in milliseconds, after which TCP keepalive probes "
            + "start on the destination connection, from both ends (the socket's TCP_KEEPIDLE and the session's "
            + "tcp_keepalives_idle), probing every third of it, 3 times: a connection whose peer is gone fails within "
            + "twice this time, even in the middle of a long statement. 0 keeps keepalive on with the operating "
            + "system's times (2 hours on Linux). Default: 30000.";

    public static final String TABLE_CREATE_ENABLED = "apply.table.create.enabled";
    private static final String TABLE_CREATE_ENABLED_DOC = "Create a destination table (and its schema) that "
            + "does not exist yet, from the record schema: the source column types carried in the record "
            + "(exact type, length, precision and scale), NOT NULL where the source column is, and the primary "
            + "key from the record key. When false, a record for a missing table fails the task with an error "
            + "naming the table. Default: true.";

    public static final String COLUMN_ADD_ENABLED = "apply.column.add.enabled";
    private static final String COLUMN_ADD_ENABLED_DOC = "Add a column that a record carries and the destination "
            + "table lacks (ALTER TABLE ... ADD COLUMN IF NOT EXISTS, type from the record schema as for created "
            + "tables), e.g. for plain Debezium topics whose source table gained a column. When false, such a record "
            + "fails the task with an error naming the column. Default: true.";

    public static final String BATCH_MAX_RECORDS = "apply.batch.max.records";
    private static final String BATCH_MAX_RECORDS_DOC = "Row changes buffered in memory before they are written, "
            + "set-wise, into the open destination transaction; also the size at which the destination transaction is "
            + "committed at the next source transaction boundary (small source transactions are grouped up to this "
            + "size; a larger source transaction is streamed into one destination transaction in chunks of this "
            + "size). Memory is bounded by a small multiple of it: at most six batches queued for the destination, "
            + "plus two deliveries. Connect hands the task at most the consumer's max.poll.records (500 by default; "
            + "raise it with consumer.override.max.poll.records) records per call, and the task commits at the end of "
            + "each call that ends on a transaction boundary. Default: 10000.";

    public static final String TOAST_PLACEHOLDER = "apply.toast.placeholder";
    private static final String TOAST_PLACEHOLDER_DOC = "In records in Debezium's envelope (plain Debezium topics, "
            + "or changelog.format=debezium), the value the source sends for a TOASTed column whose value did not "
            + "change in an UPDATE (Debezium's unavailable.value.placeholder). Such columns are never written: the "
            + "destination keeps its value. Must match the source connector's setting. pgsync's own changelog format "
            + "names such columns and needs no placeholder. Default: __debezium_unavailable_value.";

    public static final String SCHEMA_CONFLICT = "schema.sync.conflict";
    public static final String SCHEMA_CONFLICT_PRECHECK = "precheck";
    public static final String SCHEMA_CONFLICT_IGNORE = "ignore";
    private static final String SCHEMA_CONFLICT_DOC = "What the schema sync does when a table it creates already "
            + "exists at the destination with other columns or column types: 'precheck' fails the task, naming the "
            + "table and the difference, before any of its rows are written (drop or fix the destination table, or "
            + "choose 'ignore'); 'ignore' keeps the existing table and its rows, and the full and incremental sync "
            + "write into it (rows with the same key are overwritten). An existing table with the same structure "
            + "is used either way.";

    public static final String GAP_POLICY = "apply.gap.policy";
    private static final String GAP_POLICY_DOC = "What the task does when the changelog no longer holds the record "
            + "it must apply next (the next offset after what the destination applied, or offset 0 for a partition "
            + "the destination has applied nothing of): 'fail' (the default) fails the task, naming the missing "
            + "offsets and the re-sync that brings the destination back; this is what the topic's retention does "
            + "to a sink stopped or behind for longer than retention.ms. 'skip' logs a WARN, counts the gap in the "
            + "gaps-skipped metric and applies from the first record the topic holds: only for missing offsets that "
            + "held no changes, e.g. an exactly-once source's aborted transactions read with "
            + "isolation.level=read_committed. A single missing offset (an exactly-once source's transaction "
            + "marker) is never a gap. With errors.tolerance=all, offsets that do not reach the task are passed "
            + "over as with 'skip' (Connect sets aside the records its converter or a transform cannot handle, in "
            + "the dead letter queue when one is set), so a gap left by retention is then only reported by the WARN "
            + "and the metric.";

    /** What the task does about a gap in the changelog ({@value #GAP_POLICY}). */
    public enum GapPolicy {
        FAIL, SKIP;

        /** The name in the configuration. */
        public String text() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public static final String LAG_ALERT_THRESHOLD_MS = "lag.alert.threshold.ms";
    private static final String LAG_ALERT_THRESHOLD_MS_DOC = "End-to-end lag (destination commit time minus source "
            + "commit time) above which the task logs a WARN and sets the lag-alert metric to 1, until a commit is "
            + "back under it. 0 turns the alert off.";

    public static final String MAPPING_SCHEMAS = "mapping.schemas";
    private static final String MAPPING_SCHEMAS_DOC = "Source schemas written into other destination schemas, as a "
            + "list of source:destination, e.g. 'public:sales'. Applies to rows, to the schema sync and to "
            + "replicated DDL (names in SQL text are rewritten). Names are taken literally; write a name holding a "
            + "dot, a colon or a double quote between double quotes.";
    public static final String MAPPING_TABLES = "mapping.tables";
    private static final String MAPPING_TABLES_DOC = "Source tables written into other destination tables, as a list "
            + "of schema.table:schema.table, e.g. 'public.orders:sales.orders_v2'. Takes precedence over "
            + "mapping.schemas. Also renames a sequence or view of that name in DDL.";
    public static final String MAPPING_COLUMNS = "mapping.columns";
    private static final String MAPPING_COLUMNS_DOC = "Source columns written into other destination columns, as a "
            + "list of schema.table.column:column (source names), e.g. 'public.orders.note:comment'.";
    public static final String COLUMNS_EXCLUDE = "columns.exclude";
    private static final String COLUMNS_EXCLUDE_DOC = "Source columns left out of the destination, as a list of "
            + "schema.table.column (source names). Their values are not written, the destination table is created "
            + "without them, and DDL that needs them (an index on the column, say) is skipped with a warning. Do "
            + "not exclude a key column.";

    public static final String DDL_OWNER_ROLE = "ddl.owner.role";
    private static final String DDL_OWNER_ROLE_DOC = "The role that owns what the schema sync and replicated DDL create "
            + "at the destination (tables, functions, views, triggers, types): the sink runs that DDL after SET ROLE "
            + "to it, so the DDL also runs with that role's privileges only, and a function, view or trigger a "
            + "source user defines runs with them when called. connection.user must be a member of it (GRANT <role> "
            + "TO <sink user>; validation checks). Empty: connection.user itself. Use a role with no more rights "
            + "than the synced schemas need, never a superuser.";

    public static final String DDL_SECURITY_DEFINER_ENABLED = "ddl.security.definer.enabled";
    private static final String DDL_SECURITY_DEFINER_ENABLED_DOC = "Whether a function or procedure the source "
            + "defines as SECURITY DEFINER is created as such at the destination, where it runs with the rights of "
            + "its owner (ddl.owner.role) for whoever calls it. When false (the default), it is created SECURITY "
            + "INVOKER instead, with a WARN naming it, and counted in the ddl-security-definer-downgraded-total "
            + "metric: a source user who may create functions cannot plant one that runs with the sink's rights.";

    public static final String RETRY_CONNECTION_TIMEOUT_MS = "retry.connection.timeout.ms";
    private static final String RETRY_CONNECTION_TIMEOUT_MS_DOC = "How long, in milliseconds, the task keeps retrying "
            + "(with backoff up to retry.backoff.max.ms) while the destination is unreachable (SQLState class 08, "
            + "server shutting down). Uncommitted work is rolled back and re-read from the last applied offset, so "
            + "nothing is lost or applied twice. After this time the task fails. Default: 43200000 (12 hours).";

    public static final String RETRY_OTHER_TIMEOUT_MS = "retry.other.timeout.ms";
    private static final String RETRY_OTHER_TIMEOUT_MS_DOC = "How long, in milliseconds, the task keeps retrying "
            + "other transient errors: serialization failure (40001), deadlock (40P01), lock timeout (55P03), "
            + "statement cancelled (57014), too many connections (53300). Must be shorter than "
            + "retry.connection.timeout.ms. Default: 600000 (10 minutes).";

    public static final String RETRY_BACKOFF_MAX_MS = "retry.backoff.max.ms";
    private static final String RETRY_BACKOFF_MAX_MS_DOC = "Longest wait, in milliseconds, between two retries; the "
            + "wait starts at 100 ms and doubles. Default: 10000.";

    static final String GROUP_CONNECTION = "Connection";
    static final String GROUP_APPLY = "Apply";
    static final String GROUP_MAPPING = "Mapping";
    static final String GROUP_RETRIES = "Retries";
    static final String GROUP_DDL = "DDL";

    public static final ConfigDef CONFIG_DEF = configDef();

    public PgSyncSinkConfig(Map<?, ?> props) {
        super(CONFIG_DEF, props, false);
        if (!connectionUrl().startsWith("jdbc:postgresql:")) {
            throw new ConfigException(CONNECTION_URL, connectionUrl(),
                    "Must be a PostgreSQL JDBC URL starting with 'jdbc:postgresql:', e.g. "
                            + "'jdbc:postgresql://localhost:5432/shop'");
        }
    }

    private static ConfigDef configDef() {
        int connection = 0;
        int apply = 0;
        int retries = 0;
        return new ConfigDef()
                .define(CONNECTION_URL, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new NonEmptyString(), Importance.HIGH,
                        CONNECTION_URL_DOC, GROUP_CONNECTION, ++connection, Width.LONG, "JDBC URL")
                .define(CONNECTION_USER, Type.STRING, null, Importance.HIGH, CONNECTION_USER_DOC, GROUP_CONNECTION,
                        ++connection, Width.MEDIUM, "User")
                .define(CONNECTION_PASSWORD, Type.PASSWORD, null, Importance.HIGH, CONNECTION_PASSWORD_DOC,
                        GROUP_CONNECTION, ++connection, Width.MEDIUM, "Password")
                .define(STATEMENT_TIMEOUT_MS, Type.LONG, 3_600_000L, ConfigDef.Range.atLeast(0), Importance.LOW,
                        STATEMENT_TIMEOUT_MS_DOC, GROUP_CONNECTION, ++connection, Width.MEDIUM,
                        "Statement timeout (ms)")
                .define(LOCK_TIMEOUT_MS, Type.LONG, 60_000L, ConfigDef.Range.atLeast(0), Importance.LOW,
                        LOCK_TIMEOUT_MS_DOC, GROUP_CONNECTION, ++connection, Width.MEDIUM, "Lock timeout (ms)")
                .define(SOCKET_TIMEOUT_MS, Type.LONG, 3_660_000L, ConfigDef.Range.atLeast(0), Importance.LOW,
                        SOCKET_TIMEOUT_MS_DOC, GROUP_CONNECTION, ++connection, Width.MEDIUM, "Socket timeout (ms)")
                .define(KEEPALIVE_MS, Type.LONG, 30_000L, ConfigDef.Range.atLeast(0), Importance.LOW,
                        KEEPALIVE_MS_DOC, GROUP_CONNECTION, ++connection, Width.MEDIUM, "TCP keepalive idle (ms)")
                .define(TABLE_CREATE_ENABLED, Type.BOOLEAN, true, Importance.MEDIUM, TABLE_CREATE_ENABLED_DOC,
                        GROUP_APPLY, ++apply, Width.SHORT, "Create missing tables")
                .define(COLUMN_ADD_ENABLED, Type.BOOLEAN, true, Importance.MEDIUM, COLUMN_ADD_ENABLED_DOC,
                        GROUP_APPLY, ++apply, Width.SHORT, "Add missing columns")
                .define(BATCH_MAX_RECORDS, Type.INT, 10_000, ConfigDef.Range.between(1, 1_000_000), Importance.MEDIUM,
                        BATCH_MAX_RECORDS_DOC, GROUP_APPLY, ++apply, Width.SHORT, "Batch size")
                .define(TOAST_PLACEHOLDER, Type.STRING, "__debezium_unavailable_value", new NonEmptyString(),
                        Importance.LOW, TOAST_PLACEHOLDER_DOC, GROUP_APPLY, ++apply, Width.LONG,
                        "Unchanged TOAST placeholder")
                .define(SCHEMA_CONFLICT, Type.STRING, SCHEMA_CONFLICT_PRECHECK,
                        ConfigDef.ValidString.in(SCHEMA_CONFLICT_PRECHECK, SCHEMA_CONFLICT_IGNORE), Importance.MEDIUM,
                        SCHEMA_CONFLICT_DOC, GROUP_APPLY, ++apply, Width.SHORT, "Existing table conflict")
                .define(GAP_POLICY, Type.STRING, GapPolicy.FAIL.text(),
                        ConfigDef.ValidString.in(GapPolicy.FAIL.text(), GapPolicy.SKIP.text()), Importance.LOW,
                        GAP_POLICY_DOC, GROUP_APPLY, ++apply, Width.SHORT, "Changelog gap policy")
                .define(LAG_ALERT_THRESHOLD_MS, Type.LONG, 0L, ConfigDef.Range.atLeast(0), Importance.LOW,
                        LAG_ALERT_THRESHOLD_MS_DOC, GROUP_APPLY, ++apply, Width.SHORT, "Lag alert threshold (ms)")
                .define(MAPPING_SCHEMAS, Type.LIST, "", mappingValidator(MAPPING_SCHEMAS), Importance.MEDIUM,
                        MAPPING_SCHEMAS_DOC, GROUP_MAPPING, 1, Width.LONG, "Schema mapping")
                .define(MAPPING_TABLES, Type.LIST, "", mappingValidator(MAPPING_TABLES), Importance.MEDIUM,
                        MAPPING_TABLES_DOC, GROUP_MAPPING, 2, Width.LONG, "Table mapping")
                .define(MAPPING_COLUMNS, Type.LIST, "", mappingValidator(MAPPING_COLUMNS), Importance.MEDIUM,
                        MAPPING_COLUMNS_DOC, GROUP_MAPPING, 3, Width.LONG, "Column mapping")
                .define(COLUMNS_EXCLUDE, Type.LIST, "", mappingValidator(COLUMNS_EXCLUDE), Importance.MEDIUM,
                        COLUMNS_EXCLUDE_DOC, GROUP_MAPPING, 4, Width.LONG, "Excluded columns")
                .define(DDL_OWNER_ROLE, Type.STRING, "", Importance.MEDIUM, DDL_OWNER_ROLE_DOC, GROUP_DDL, 1,
                        Width.MEDIUM, "Owner of created objects")
                .define(DDL_SECURITY_DEFINER_ENABLED, Type.BOOLEAN, false, Importance.MEDIUM,
                        DDL_SECURITY_DEFINER_ENABLED_DOC, GROUP_DDL, 2, Width.SHORT, "Keep SECURITY DEFINER")
                .define(RETRY_CONNECTION_TIMEOUT_MS, Type.LONG, 12 * 3_600_000L, ConfigDef.Range.atLeast(0),
                        Importance.MEDIUM, RETRY_CONNECTION_TIMEOUT_MS_DOC, GROUP_RETRIES, ++retries, Width.MEDIUM,
                        "Connection retry timeout (ms)")
                .define(RETRY_OTHER_TIMEOUT_MS, Type.LONG, 600_000L, ConfigDef.Range.atLeast(0), Importance.MEDIUM,
                        RETRY_OTHER_TIMEOUT_MS_DOC, GROUP_RETRIES, ++retries, Width.MEDIUM, "Other retry timeout (ms)")
                .define(RETRY_BACKOFF_MAX_MS, Type.LONG, 10_000L, ConfigDef.Range.atLeast(1), Importance.LOW,
                        RETRY_BACKOFF_MAX_MS_DOC, GROUP_RETRIES, ++retries, Width.MEDIUM, "Retry backoff max (ms)");
    }

    /** Checks one mapping key's entries by reading them as the only rules. */
    private static ConfigDef.Validator mappingValidator(String key) {
        return (name, value) -> {
            @SuppressWarnings("unchecked")
            List<String> entries = value == null ? List.of() : (List<String>) value;
            mapping(key, entries);
        };
    }

    private static NameMapping mapping(String only, List<String> entries) {
        return NameMapping.of(MAPPING_SCHEMAS, only.equals(MAPPING_SCHEMAS) ? entries : List.of(),
                MAPPING_TABLES, only.equals(MAPPING_TABLES) ? entries : List.of(),
                MAPPING_COLUMNS, only.equals(MAPPING_COLUMNS) ? entries : List.of(),
                COLUMNS_EXCLUDE, only.equals(COLUMNS_EXCLUDE) ? entries : List.of());
    }

    /** The naming rules: schema, table and column renames and excluded columns. */
    public NameMapping nameMapping() {
        return NameMapping.of(MAPPING_SCHEMAS, getList(MAPPING_SCHEMAS), MAPPING_TABLES, getList(MAPPING_TABLES),
                MAPPING_COLUMNS, getList(MAPPING_COLUMNS), COLUMNS_EXCLUDE, getList(COLUMNS_EXCLUDE));
    }

    public String connectionUrl() {
        return getString(CONNECTION_URL);
    }

    /** The connection URL as messages and logs show it: passwords in it masked ({@link JdbcUrls#forDisplay}). */
    public String connectionUrlForDisplay() {
        return JdbcUrls.forDisplay(connectionUrl());
    }

    /** The settings of every destination session: fixed search_path, timeouts, keepalives. */
    public SessionSettings sessionSettings() {
        return new SessionSettings(Duration.ofMillis(getLong(STATEMENT_TIMEOUT_MS)),
                Duration.ofMillis(getLong(LOCK_TIMEOUT_MS)), Duration.ofMillis(getLong(SOCKET_TIMEOUT_MS)),
                Duration.ofMillis(getLong(KEEPALIVE_MS)));
    }

    /** The role that owns, and runs, the DDL the sink applies; empty for connection.user. */
    public Optional<String> ddlOwnerRole() {
        String role = getString(DDL_OWNER_ROLE);
        return role == null || role.isBlank() ? Optional.empty() : Optional.of(role.trim());
    }

    /** Whether replicated SECURITY DEFINER functions keep that property. */
    public boolean ddlSecurityDefinerEnabled() {
        return getBoolean(DDL_SECURITY_DEFINER_ENABLED);
    }

    public String connectionUser() {
        return getString(CONNECTION_USER);
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

    /** Whether an existing destination table with another structure fails the schema sync. */
    public boolean schemaConflictFails() {
        return SCHEMA_CONFLICT_PRECHECK.equals(getString(SCHEMA_CONFLICT));
    }

    public GapPolicy gapPolicy() {
        return GapPolicy.valueOf(getString(GAP_POLICY).toUpperCase(Locale.ROOT));
    }

    public long lagAlertThresholdMs() {
        return getLong(LAG_ALERT_THRESHOLD_MS);
    }

    public boolean columnAddEnabled() {
        return getBoolean(COLUMN_ADD_ENABLED);
    }

    public int batchMaxRecords() {
        return getInt(BATCH_MAX_RECORDS);
    }

    public String toastPlaceholder() {
        return getString(TOAST_PLACEHOLDER);
    }

    public Duration retryConnectionTimeout() {
        return Duration.ofMillis(getLong(RETRY_CONNECTION_TIMEOUT_MS));
    }

    public Duration retryOtherTimeout() {
        return Duration.ofMillis(getLong(RETRY_OTHER_TIMEOUT_MS));
    }

    public Duration retryBackoffMax() {
        return Duration.ofMillis(getLong(RETRY_BACKOFF_MAX_MS));
    }

    /** True when Connect's errors.tolerance is 'all': records that can never apply go to the errant-record reporter. */
    public boolean toleratesErrors() {
        Object tolerance = originals().get("errors.tolerance");
        return tolerance != null && "all".equalsIgnoreCase(tolerance.toString().trim());
    }

    /** The connector's name, which keys its rows in pgsync.applied_offsets. */
    public String connectorName() {
        Object name = originals().get("name");
        return name == null ? "pgsync-sink" : name.toString();
    }
}
