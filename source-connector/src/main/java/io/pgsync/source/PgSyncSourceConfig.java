package io.pgsync.source;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;

import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.Width;
import org.apache.kafka.common.config.ConfigException;

import io.debezium.connector.postgresql.PostgresConnectorConfig;
import io.debezium.relational.TableId;
import io.debezium.relational.Tables;
import io.pgsync.common.event.Changelog;
import io.pgsync.common.pg.QualifiedName;
import io.pgsync.common.pg.SessionSettings;
import io.pgsync.common.pg.TableRef;
import io.pgsync.source.capture.SourceTextConverter;

/**
 * The source connector's own keys (the changelog) and the Debezium defaults it applies for lossless
 * PostgreSQL-to-PostgreSQL capture; every other key is Debezium's PostgreSQL connector option.
 */
public final class PgSyncSourceConfig extends AbstractConfig {

    public static final String CHANGELOG_TOPIC = "changelog.topic";
    private static final String CHANGELOG_TOPIC_DOC = "Topic that receives every record of the database: snapshot "
            + "reads, inserts, updates, deletes, truncates and the transaction BEGIN/END markers, in source commit "
            + "order per partition. Default: '<topic.prefix>.changelog'.";

    public static final String CHANGELOG_PARTITIONS = "changelog.partitions";
    private static final String CHANGELOG_PARTITIONS_DOC = "Number of partitions of the changelog topic. 1 (the "
            + "default) keeps the whole database in source commit order, so a sink applies whole transactions in "
            + "order. N > 1 spreads tables over N partitions by a stable hash of the table name: order is kept per "
            + "table, transaction markers are copied to every partition, and up to N sink tasks apply in parallel. "
            + "Connect creates the topic from 'topic.creation.default.partitions', which must equal this value.";

    public static final String CHANGELOG_FORMAT = "changelog.format";
    public static final String FORMAT_PGSYNC = "pgsync";
    public static final String FORMAT_DEBEZIUM = "debezium";
    private static final String CHANGELOG_FORMAT_DOC = "Format of the row changes in the changelog. 'pgsync' (the "
            + "default): one small fixed schema for every table (io.pgsync.changelog.RowChange), with the column "
            + "names, the column types and the values in PostgreSQL's text form, which the sink writes unchanged; "
            + "several times cheaper to convert than Debezium's envelope, with JSON and with Avro. 'debezium': "
            + "Debezium's change-event envelope with a schema per table, for other consumers of the changelog. The "
            + "pgsync sink reads both. Transaction markers are Debezium's in both formats.";

    public static final String FULL_SYNC_MODE = "full.sync.mode";
    public static final String FULL_SYNC_COPY = "copy";
    public static final String FULL_SYNC_DEBEZIUM = "debezium";
    public static final String FULL_SYNC_NONE = "none";
    private static final String FULL_SYNC_MODE_DOC = "How the existing rows reach the changelog before streaming. "
            + "'copy' (the default with changelog.format=pgsync): pgsync creates the replication slot, reads every "
            + "selected table with COPY inside the slot's exported snapshot and sends the rows in chunks "
            + "(io.pgsync.changelog.RowChunk) that the sink writes with COPY; streaming then starts at the slot's "
            + "consistent point, so no change is lost or doubled. 'debezium': Debezium's own snapshot, as set by "
            + "snapshot.mode (the default when snapshot.mode is set or changelog.format=debezium). 'none': no full "
            + "sync, only changes from now on.";

    public static final String FULL_SYNC_CHUNK_BYTES = "full.sync.chunk.bytes";
    private static final String FULL_SYNC_CHUNK_BYTES_DOC = "With full.sync.mode=copy, the size of the COPY text "
            + "that one changelog record carries. A chunk is cut earlier where the next row would take it past the "
            + "record limit (the smallest of producer.override.max.request.size, producer.override.buffer.memory and "
            + "topic.creation.default.max.message.bytes, Kafka's 1 MB when none is set, less 64 KiB), and a row above "
            + "that limit travels on its own, in pieces. Default: 262144.";

    public static final String SCHEMA_SYNC_ENABLED = "schema.sync.enabled";
    private static final String SCHEMA_SYNC_ENABLED_DOC = "Whether the full sync starts with the schema: the DDL of "
            + "the selected tables and of the objects in their schemas (schemas, extensions, enum, composite and range "
            + "types, domains, functions, procedures, aggregates, sequences, tables with defaults, identity and "
            + "generated columns, keys and checks, partitions, views), generated from the source catalog in the full "
            + "sync's snapshot and sent before the rows (io.pgsync.changelog.SchemaObject); indexes, foreign keys, "
            + "triggers, rules, replica identities, sequence positions and comments follow the rows. The sink "
            + "creates them in that order and treats 'already exists' as done. Needs full.sync.mode=copy and "
            + "changelog.partitions=1. Default: true when both hold, else false.";

    public static final String THROTTLE_FULL_ROWS = "throttle.full.rows.per.second";
    public static final String THROTTLE_FULL_MB = "throttle.full.mb.per.second";
    public static final String THROTTLE_INCREMENTAL_ROWS = "throttle.incremental.rows.per.second";
    public static final String THROTTLE_INCREMENTAL_MB = "throttle.incremental.mb.per.second";
    private static final String THROTTLE_FULL_ROWS_DOC = "Most rows per second the COPY full sync reads from the "
            + "source (0: no limit), to spare a busy source.";
    private static final String THROTTLE_FULL_MB_DOC = "Most megabytes (10^6 bytes) of COPY text per second the COPY "
            + "full sync reads from the source (0: no limit).";
    private static final String THROTTLE_INCREMENTAL_ROWS_DOC = "Most row changes per second the incremental sync "
            + "hands to Kafka (0: no limit). Changes wait in the replication slot meanwhile, so the source retains "
            + "more WAL and the lag grows while the limit holds.";
    private static final String THROTTLE_INCREMENTAL_MB_DOC = "Most megabytes (10^6 bytes) per second of row values "
            + "(in PostgreSQL text form, as changelog.format=pgsync carries them) the incremental sync hands to Kafka "
            + "(0: no limit). Needs changelog.format=pgsync.";

    public static final String SEQUENCE_SYNC_INTERVAL_MS = "sequence.sync.interval.ms";
    private static final String SEQUENCE_SYNC_INTERVAL_MS_DOC = "How often the positions of the sequences in the "
            + "schemas of the selected tables are read and, when they moved, sent to the changelog "
            + "(io.pgsync.changelog.Sequence); the sink moves its sequences there, never backwards, so the destination "
            + "can take over writes without key collisions. 0 turns it off.";

    public static final String DDL_CAPTURE_ENABLED = "ddl.capture.enabled";
    private static final String DDL_CAPTURE_ENABLED_DOC = "Whether DDL run on the source while streaming is "
            + "replicated. The task installs, in schema pgsync of the source database, two event triggers "
            + "(ddl_command_end and sql_drop) that write each DDL command into pgsync.ddl_log, a table only they may "
            + "write, in the command's transaction; the changelog carries it (io.pgsync.changelog.Ddl) between the "
            + "changes committed before and after it, and the sink applies it there. Logical messages with pgsync's "
            + "prefix, which any role may emit, are dropped and counted (ddl-messages-rejected-total). Creating event "
            + "triggers needs a superuser (once: a capture a superuser installed is used by any user), and the "
            + "publication must carry pgsync.ddl_log. false runs without DDL capture: the sink then only adds "
            + "columns and tables it finds in the rows. Needs changelog.partitions=1: with more partitions a DDL record "
            + "would be ordered with one table's changes only (validation says so). Default: true.";

    public static final String REPLICA_IDENTITY_AUTO_ENABLED = "replica.identity.auto.enabled";
    private static final String REPLICA_IDENTITY_AUTO_ENABLED_DOC = "Whether selected tables without a usable "
            + "replica identity (no primary key with REPLICA IDENTITY DEFAULT, REPLICA IDENTITY NOTHING, or an index "
            + "identity whose index is gone) get REPLICA IDENTITY FULL, so that publishing them never makes the "
            + "source refuse a user's UPDATE or DELETE: existing ones when the task starts (the connector's user must "
            + "own them; validation names those it does not), and, with ddl.capture.enabled, tables created or "
            + "losing their key while streaming, from the DDL capture in the transaction of that DDL. Each change is "
            + "logged with the table's name and counted (replica-identity-full-set-total); FULL logs the whole old row "
            + "of every UPDATE and DELETE. false: validation refuses such tables, naming them and the fix, and "
            + "replica-identity-missing-tables counts the selected tables created without one while streaming. "
            + "Default: true.";

    public static final String SESSION_STATEMENT_TIMEOUT_MS = "session.statement.timeout.ms";
    private static final String SESSION_STATEMENT_TIMEOUT_MS_DOC = "The statement_timeout, in milliseconds, of "
            + "pgsync's own connections to the source (precheck, DDL capture install, added tables, sequence "
            + "positions, the schema sync's catalog reads): a statement running longer is cancelled and the task "
            + "fails saying so. The full sync's COPY of a table runs without one. 0 for no limit. Default: 3600000 "
            + "(1 hour).";
    public static final String SESSION_LOCK_TIMEOUT_MS = "session.lock.timeout.ms";
    private static final String SESSION_LOCK_TIMEOUT_MS_DOC = "The lock_timeout, in milliseconds, of pgsync's own "
            + "connections to the source: a statement that waits longer for a lock (installing the DDL capture, "
            + "adding a table to the publication) is cancelled instead of waiting silently, and making the "
            + "application's statements queue behind it. 0 for no limit. Default: 60000 (1 minute).";
    public static final String SESSION_SOCKET_TIMEOUT_MS = "session.socket.timeout.ms";
    private static final String SESSION_SOCKET_TIMEOUT_MS_DOC = "How long, in milliseconds, pgsync's own connections "
            + "wait for the source to answer before they fail (pgjdbc's socketTimeout, whole seconds); the full "
            + "sync's COPY connection waits as long as it takes. Must exceed session.statement.timeout.ms "
            + "(validation says so). 0 for no limit. Default: 3660000 (61 minutes).";
    public static final String SESSION_KEEPALIVE_MS = "session.keepalive.ms";
    private static final String SESSION_KEEPALIVE_MS_DOC = "Idle time, in milliseconds, after which TCP keepalive "
            + "probes start on pgsync's own connections to the source, from both ends (TCP_KEEPIDLE and "
            + "tcp_keepalives_idle), every third of it, 3 times: a connection whose peer is gone fails within twice "
            + "this time. 0 keeps keepalive on with the operating system's times. Debezium's connections keep "
            + "Debezium's settings (database.tcpKeepAlive). Default: 30000.";

    /** Prefix of the row filter keys: {@code filter.<schema>.<table>=<SQL condition>}. */
    public static final String FILTER_PREFIX = "filter.";

    static final String DBZ_SNAPSHOT_MODE = "snapshot.mode";

    /** Debezium's placeholder for unchanged TOASTed values, and its default. */
    static final String DBZ_UNAVAILABLE_PLACEHOLDER = "unavailable.value.placeholder";
    static final String DBZ_CONVERTERS = "converters";
    /** pgjdbc's setting, passed through Debezium to its JDBC sessions. */
    static final String DBZ_BINARY_TRANSFER = "database.binaryTransfer";
    static final String DBZ_UNAVAILABLE_PLACEHOLDER_DEFAULT = "__debezium_unavailable_value";

    public static final String TOPIC_CREATION_PARTITIONS = "topic.creation.default.partitions";
    public static final String TOPIC_CREATION_REPLICATION = "topic.creation.default.replication.factor";

    static final String GROUP = "Changelog";
    static final String FULL_SYNC_GROUP = "Full sync";
    static final String THROTTLE_GROUP = "Throttling";
    static final String SEQUENCE_GROUP = "Sequences";
    static final String DDL_GROUP = "DDL";
    static final String SESSION_GROUP = "Session";

    /** Debezium's heartbeat keys, and the query pgsync gives it: one row in {@code pgsync.heartbeat}. */
    static final String DBZ_HEARTBEAT_INTERVAL = "heartbeat.interval.ms";
    static final String DBZ_HEARTBEAT_QUERY = "heartbeat.action.query";
    public static final String HEARTBEAT_QUERY = "INSERT INTO pgsync.heartbeat (id, ts) VALUES (1, now()) "
            + "ON CONFLICT (id) DO UPDATE SET ts = excluded.ts";

    /** pgsync's own tables in Debezium's notation, kept out of Debezium's capture when no table list selects. */
    static final String INTERNAL_TABLES = "pgsync\\.ddl_objects,pgsync\\.selection,pgsync\\.capture_publications";

    /** Debezium's signal table, through which pgsync asks for an incremental snapshot of tables added later. */
    static final String DBZ_SIGNAL_DATA_COLLECTION = "signal.data.collection";
    static final String SIGNAL_TABLE = "pgsync.signal";

    /** Debezium's statements for each of its JDBC connections (not the replication one). */
    static final String DBZ_INITIAL_STATEMENTS = "database.initial.statements";

    /** Debezium keys pgsync sets unless the user sets them; see {@link #withDefaults(Map)}. */
    static final String DBZ_TOPIC_PREFIX = "topic.prefix";
    static final String DBZ_SLOT_NAME = "slot.name";
    static final String DBZ_PUBLICATION_NAME = "publication.name";

    public static final ConfigDef CONFIG_DEF = configDef();

    public PgSyncSourceConfig(Map<String, String> props) {
        super(CONFIG_DEF, props, false);
    }

    private static ConfigDef configDef() {
        int order = 0;
        return new ConfigDef()
                .define(CHANGELOG_TOPIC, Type.STRING, null, Importance.HIGH, CHANGELOG_TOPIC_DOC, GROUP, ++order,
                        Width.LONG, "Changelog topic")
                .define(CHANGELOG_PARTITIONS, Type.INT, 1, ConfigDef.Range.between(1, 10_000), Importance.MEDIUM,
                        CHANGELOG_PARTITIONS_DOC, GROUP, ++order, Width.SHORT, "Changelog partitions")
                .define(CHANGELOG_FORMAT, Type.STRING, FORMAT_PGSYNC,
                        ConfigDef.ValidString.in(FORMAT_PGSYNC, FORMAT_DEBEZIUM), Importance.MEDIUM,
                        CHANGELOG_FORMAT_DOC, GROUP, ++order, Width.SHORT, "Changelog format")
                .define(FULL_SYNC_MODE, Type.STRING, null,
                        ConfigDef.LambdaValidator.with((name, value) -> {
                            if (value != null && !List.of(FULL_SYNC_COPY, FULL_SYNC_DEBEZIUM, FULL_SYNC_NONE)
                                    .contains(value)) {
                                throw new ConfigException(name, value, "must be one of copy, debezium, none");
                            }
                        }, () -> "[copy, debezium, none]"),
                        Importance.MEDIUM, FULL_SYNC_MODE_DOC, FULL_SYNC_GROUP, 1, Width.SHORT, "Full sync mode")
                .define(FULL_SYNC_CHUNK_BYTES, Type.INT, 262_144, ConfigDef.Range.between(1024, 64 * 1024 * 1024),
                        Importance.LOW, FULL_SYNC_CHUNK_BYTES_DOC, FULL_SYNC_GROUP, 2, Width.SHORT,
                        "Full sync chunk bytes")
                .define(SCHEMA_SYNC_ENABLED, Type.BOOLEAN, null, Importance.MEDIUM, SCHEMA_SYNC_ENABLED_DOC,
                        FULL_SYNC_GROUP, 3, Width.SHORT, "Schema sync")
                .define(THROTTLE_FULL_ROWS, Type.DOUBLE, 0.0, ConfigDef.Range.atLeast(0), Importance.LOW,
                        THROTTLE_FULL_ROWS_DOC, THROTTLE_GROUP, 1, Width.SHORT, "Full sync rows/s")
                .define(THROTTLE_FULL_MB, Type.DOUBLE, 0.0, ConfigDef.Range.atLeast(0), Importance.LOW,
                        THROTTLE_FULL_MB_DOC, THROTTLE_GROUP, 2, Width.SHORT, "Full sync MB/s")
                .define(THROTTLE_INCREMENTAL_ROWS, Type.DOUBLE, 0.0, ConfigDef.Range.atLeast(0), Importance.LOW,
                        THROTTLE_INCREMENTAL_ROWS_DOC, THROTTLE_GROUP, 3, Width.SHORT, "Incremental rows/s")
                .define(THROTTLE_INCREMENTAL_MB, Type.DOUBLE, 0.0, ConfigDef.Range.atLeast(0), Importance.LOW,
                        THROTTLE_INCREMENTAL_MB_DOC, THROTTLE_GROUP, 4, Width.SHORT, "Incremental MB/s")
                .define(SEQUENCE_SYNC_INTERVAL_MS, Type.LONG, 5000L, ConfigDef.Range.atLeast(0), Importance.LOW,
                        SEQUENCE_SYNC_INTERVAL_MS_DOC, SEQUENCE_GROUP, 1, Width.SHORT, "Sequence sync interval (ms)")
                .define(DDL_CAPTURE_ENABLED, Type.BOOLEAN, true, Importance.MEDIUM, DDL_CAPTURE_ENABLED_DOC,
                        DDL_GROUP, 1, Width.SHORT, "DDL capture")
                .define(REPLICA_IDENTITY_AUTO_ENABLED, Type.BOOLEAN, true, Importance.MEDIUM,
                        REPLICA_IDENTITY_AUTO_ENABLED_DOC, DDL_GROUP, 2, Width.SHORT, "Replica identity FULL when none")
                .define(SESSION_STATEMENT_TIMEOUT_MS, Type.LONG, 3_600_000L, ConfigDef.Range.atLeast(0),
                        Importance.LOW, SESSION_STATEMENT_TIMEOUT_MS_DOC, SESSION_GROUP, 1, Width.MEDIUM,
                        "Statement timeout (ms)")
                .define(SESSION_LOCK_TIMEOUT_MS, Type.LONG, 60_000L, ConfigDef.Range.atLeast(0), Importance.LOW,
                        SESSION_LOCK_TIMEOUT_MS_DOC, SESSION_GROUP, 2, Width.MEDIUM, "Lock timeout (ms)")
                .define(SESSION_SOCKET_TIMEOUT_MS, Type.LONG, 3_660_000L, ConfigDef.Range.atLeast(0), Importance.LOW,
                        SESSION_SOCKET_TIMEOUT_MS_DOC, SESSION_GROUP, 3, Width.MEDIUM, "Socket timeout (ms)")
                .define(SESSION_KEEPALIVE_MS, Type.LONG, 30_000L, ConfigDef.Range.atLeast(0), Importance.LOW,
                        SESSION_KEEPALIVE_MS_DOC, SESSION_GROUP, 4, Width.MEDIUM, "TCP keepalive idle (ms)");
    }

    /** Returns the changelog topic: the configured one, else {@code <topic.prefix>.changelog}. */
    public String changelogTopic() {
        String topic = getString(CHANGELOG_TOPIC);
        if (topic != null && !topic.isBlank()) {
            return topic;
        }
        return Changelog.defaultTopic((String) originals().get(DBZ_TOPIC_PREFIX));
    }

    public int changelogPartitions() {
        return getInt(CHANGELOG_PARTITIONS);
    }

    /** Whether row changes go into the changelog in pgsync's own format rather than Debezium's envelope. */
    public boolean pgsyncFormat() {
        return FORMAT_PGSYNC.equals(getString(CHANGELOG_FORMAT));
    }

    /**
     * The full sync that runs: the configured {@value #FULL_SYNC_MODE}, else {@code debezium} when the user set
     * Debezium's {@code snapshot.mode} or chose Debezium's changelog format, else {@code copy}.
     */
    public String fullSyncMode() {
        return effectiveFullSyncMode(originalsStrings());
    }

    static String effectiveFullSyncMode(Map<String, String> props) {
        String mode = props.get(FULL_SYNC_MODE);
        if (mode != null && !mode.isBlank()) {
            return mode.trim();
        }
        boolean debeziumFormat = FORMAT_DEBEZIUM.equals(props.get(CHANGELOG_FORMAT));
        return props.containsKey(DBZ_SNAPSHOT_MODE) || debeziumFormat ? FULL_SYNC_DEBEZIUM : FULL_SYNC_COPY;
    }

    /**
     * Whether the full sync sends the schema first: the configured {@value #SCHEMA_SYNC_ENABLED}, else true when the
     * full sync is pgsync's COPY and the changelog has one partition.
     */
    public boolean schemaSyncEnabled() {
        Boolean configured = getBoolean(SCHEMA_SYNC_ENABLED);
        if (configured != null) {
            return configured;
        }
        return FULL_SYNC_COPY.equals(fullSyncMode()) && changelogPartitions() == 1;
    }

    /**
     * The row filters: per table, the SQL condition its rows must meet ({@code filter.public.orders=region = 'eu'});
     * a name with dots or double quotes is written as a quoted identifier ({@code filter."my.schema"."T"=...}).
     *
     * @throws ConfigException naming the key when it does not name one table
     */
    public Map<TableRef, String> rowFilters() {
        Map<TableRef, String> filters = new LinkedHashMap<>();
        originalsStrings().forEach((key, condition) -> {
            if (key.startsWith(FILTER_PREFIX)) {
                filters.put(filterTable(key), condition);
            }
        });
        return filters;
    }

    /**
     * The table a filter key names.
     *
     * @throws ConfigException when the key is not {@code filter.<schema>.<table>}
     */
    public static TableRef filterTable(String key) {
        List<String> parts = QualifiedName.split(key.substring(FILTER_PREFIX.length()));
        if (parts.size() != 2) {
            throw new ConfigException(key, null, "a row filter key names one table: filter.<schema>.<table>, "
                    + "with double quotes around a name that holds a dot, e.g. filter.public.orders or "
                    + "filter.\"my.schema\".\"Orders\"");
        }
        return new TableRef(parts.get(0), parts.get(1));
    }

    public boolean ddlCaptureEnabled() {
        return getBoolean(DDL_CAPTURE_ENABLED);
    }

    /** Whether selected tables without a usable replica identity get REPLICA IDENTITY FULL. */
    public boolean replicaIdentityAutoEnabled() {
        return getBoolean(REPLICA_IDENTITY_AUTO_ENABLED);
    }

    /** The settings of pgsync's own source sessions: fixed search_path, timeouts, keepalives. */
    public SessionSettings sessionSettings() {
        return new SessionSettings(Duration.ofMillis(getLong(SESSION_STATEMENT_TIMEOUT_MS)),
                Duration.ofMillis(getLong(SESSION_LOCK_TIMEOUT_MS)), Duration.ofMillis(getLong(SESSION_SOCKET_TIMEOUT_MS)),
                Duration.ofMillis(getLong(SESSION_KEEPALIVE_MS)));
    }

    /**
     * Why DDL capture cannot run with this changelog, or null when it can: a DDL record sits in one partition, so with
     * more than one it is ordered against that partition's changes only. {@code ALTER TABLE a RENAME TO b} could then
     * meet late rows of {@code a} on another partition that create a stray {@code a}, and rows written before a
     * {@code DROP TABLE a, b} could bring {@code b} back.
     */
    public String ddlCaptureConflict() {
        if (!ddlCaptureEnabled() || changelogPartitions() == 1) {
            return null;
        }
        return DDL_CAPTURE_ENABLED + "=true needs " + CHANGELOG_PARTITIONS + "=1, but it is " + changelogPartitions()
                + ": a DDL record goes to one partition, so it is ordered against that partition's changes only, and "
                + "the sink could apply rows of other tables written before it after it (an ALTER TABLE ... RENAME "
                + "meeting late rows of the old name creates a stray table; rows written before a DROP TABLE bring "
                + "the table back). Set " + CHANGELOG_PARTITIONS + "=1 to replicate DDL, or " + DDL_CAPTURE_ENABLED
                + "=false to keep the partitions and apply schema changes at the destination yourself (the sink "
                + "still adds the tables and columns it finds in the rows)";
    }

    public long sequenceSyncIntervalMs() {
        return getLong(SEQUENCE_SYNC_INTERVAL_MS);
    }

    /**
     * The tables Debezium's own table filter selects ({@code schema.include.list}, {@code table.include.list} and
     * their exclude lists), as a test on a table name; pgsync's own tables but the heartbeat are never selected.
     */
    public static Predicate<TableRef> tableSelection(PostgresConnectorConfig debezium) {
        Tables.TableFilter filter = debezium.getTableFilters().dataCollectionFilter();
        return table -> !isInternal(table) && filter.isIncluded(new TableId(null, table.schema(), table.table()));
    }

    /** The heartbeat table, the one table of schema {@code pgsync} that is synced (when selected). */
    public static final TableRef HEARTBEAT_TABLE = new TableRef("pgsync", "heartbeat");

    /**
     * Whether the table is one of pgsync's own on the source (the DDL capture's, the signal and selection tables):
     * never synced, whatever the include lists say.
     */
    public static boolean isInternal(TableRef table) {
        return table.schema().equals("pgsync") && !table.equals(HEARTBEAT_TABLE);
    }

    /** The pace of the COPY full sync. */
    public Throttle fullSyncThrottle() {
        return new Throttle(getDouble(THROTTLE_FULL_ROWS), getDouble(THROTTLE_FULL_MB));
    }

    /** The pace of the incremental sync. */
    public Throttle incrementalThrottle() {
        return new Throttle(getDouble(THROTTLE_INCREMENTAL_ROWS), getDouble(THROTTLE_INCREMENTAL_MB));
    }

    public int fullSyncChunkBytes() {
        return getInt(FULL_SYNC_CHUNK_BYTES);
    }

    /** Debezium's placeholder for an unchanged TOASTed value, as configured. */
    public String unavailablePlaceholder() {
        Object value = originals().get(DBZ_UNAVAILABLE_PLACEHOLDER);
        return value == null ? DBZ_UNAVAILABLE_PLACEHOLDER_DEFAULT : value.toString();
    }

    /**
     * Returns the connector configuration with pgsync's Debezium defaults added where the user set nothing:
     * <ul>
     *   <li>{@code plugin.name=pgoutput}, {@code publication.autocreate.mode=filtered}: the built-in decoder and a
     *       publication of just the selected tables;</li>
     *   <li>{@code slot.name} and {@code publication.name} derived from the connector name, so two connectors on one
     *       database never share a slot (e.g. connector "orders-sync" uses slot and publication
     *       {@code pgsync_orders_sync});</li>
     *   <li>{@code provide.transaction.metadata=true}: BEGIN/END markers with per-table event counts;</li>
     *   <li>{@code column.propagate.source.type=.*}: every field carries its source column type, length and scale,
     *       so the sink creates columns of the exact type;</li>
     *   <li>{@code decimal.handling.mode=string}: numeric of any scale, NaN and the infinities travel without
     *       loss;</li>
     *   <li>{@code time.precision.mode=structured}: date, time and timestamp values travel as their fields
     *       (infinities, BC years, microseconds, the original offset of a timetz) and an interval as its parts (months
     *       kept apart from days, each part with its own sign); {@code interval.handling.mode=string} keeps intervals
     *       exact if a user picks another time precision mode;</li>
     *   <li>{@code hstore.handling.mode=map}, {@code binary.handling.mode=bytes},
     *       {@code include.unknown.datatypes=true}: hstore as a map with NULL values, bytea as bytes, and types
     *       Debezium does not know (tsquery, multiranges, composite types) as the bytes of their text instead of being
     *       dropped;</li>
     *   <li>with changelog.format=pgsync, Debezium converter {@value SourceTextConverter#NAME}
     *       ({@link SourceTextConverter}) appended to {@code converters}: arrays, {@code time},
     *       {@code bit varying} and {@code polygon} travel in the text form PostgreSQL sent, which Debezium's
     *       mapping does not keep (multi-dimensional arrays, lower bounds, {@code NaN} in {@code numeric[]},
     *       {@code 24:00:00}, ...);</li>
     *   <li>{@code event.converting.failure.handling.mode=fail}: a value Debezium cannot convert stops the task,
     *       naming the table, column and type; Debezium's default ({@code warn}) would send NULL in its place and
     *       the destination would diverge with nothing but a log line;</li>
     *   <li>{@code database.binaryTransfer=false}: Debezium's JDBC sessions (its snapshots, and the incremental
     *       snapshot of tables added to the selection) read every value as text; pgjdbc otherwise reads the results of
     *       a statement run more than five times in binary, and an array read so lost its lower bounds;</li>
     *   <li>{@code poll.interval.ms=50}: Debezium hands over a batch once it is full or this long after the poll
     *       began (500 ms by default), which bounds the lag of a lightly loaded database;</li>
     *   <li>{@code extended.headers.enabled=false}: no Debezium context headers on every record; the sink would only
     *       spend time converting them (15% of its conversion work in a profile);</li>
     *   <li>{@code snapshot.mode=no_data} unless Debezium does the full sync ({@link #fullSyncMode()}): pgsync copies
     *       the existing rows itself, or there is no full sync;</li>
     *   <li>without {@code table.include.list}, {@code table.exclude.list} also holds the DDL capture's and the
     *       selection's tables of schema {@code pgsync}: Debezium does not capture pgsync's bookkeeping;</li>
     *   <li>{@code signal.data.collection=pgsync.signal}: the signal table (created by the task) through which
     *       pgsync starts an incremental snapshot of tables added to the selection later;</li>
     *   <li>{@code database.initial.statements=SET search_path = pg_catalog, pg_temp}: Debezium's own JDBC sessions
     *       find no function or type that another role created in {@code public};</li>
     *   <li>{@code skipped.operations=none}: TRUNCATE is captured; {@code tombstones.on.delete=false}: the changelog
     *       is a log, not a compacted table, so deletes need no tombstone;</li>
     *   <li>with {@code heartbeat.interval.ms} set, {@code heartbeat.action.query} updates the row of
     *       {@code pgsync.heartbeat}, and that table joins {@code table.include.list} (or {@code schema.include.list}),
     *       so each heartbeat is a change that moves the slot forward on an idle or filtered database and gives the
     *       sink an end-to-end lag;</li>
     *   <li>with DDL capture on (the default), {@code pgsync.ddl_log}, the table the capture writes each DDL command
     *       into, joins {@code table.include.list} (or {@code schema.include.list}) the same way: its inserts are how
     *       DDL reaches the connector.</li>
     * </ul>
     */
    public static Map<String, String> withDefaults(Map<String, String> props) {
        Map<String, String> result = new LinkedHashMap<>(props);
        String connectorName = props.getOrDefault("name", props.getOrDefault(DBZ_TOPIC_PREFIX, "pgsync"));
        String objectName = replicationObjectName(connectorName);
        result.putIfAbsent("plugin.name", "pgoutput");
        result.putIfAbsent("publication.autocreate.mode", "filtered");
        result.putIfAbsent(DBZ_SLOT_NAME, objectName);
        result.putIfAbsent(DBZ_PUBLICATION_NAME, objectName);
        result.putIfAbsent("provide.transaction.metadata", "true");
        result.putIfAbsent("column.propagate.source.type", ".*");
        result.putIfAbsent("decimal.handling.mode", "string");
        result.putIfAbsent("time.precision.mode", "structured");
        result.putIfAbsent("interval.handling.mode", "string");
        result.putIfAbsent("hstore.handling.mode", "map");
        result.putIfAbsent("binary.handling.mode", "bytes");
        result.putIfAbsent("skipped.operations", "none");
        result.putIfAbsent("tombstones.on.delete", "false");
        result.putIfAbsent("include.unknown.datatypes", "true");
        result.putIfAbsent("event.converting.failure.handling.mode", "fail");
        result.putIfAbsent(DBZ_BINARY_TRANSFER, "false");
        result.putIfAbsent("poll.interval.ms", "50");
        result.putIfAbsent("extended.headers.enabled", "false");
        result.putIfAbsent(DBZ_SIGNAL_DATA_COLLECTION, SIGNAL_TABLE);
        result.putIfAbsent(DBZ_INITIAL_STATEMENTS, "SET search_path = " + SessionSettings.SEARCH_PATH);
        String heartbeat = props.get(DBZ_HEARTBEAT_INTERVAL);
        if (heartbeat != null && !heartbeat.isBlank() && !"0".equals(heartbeat.trim())) {
            result.putIfAbsent(DBZ_HEARTBEAT_QUERY, HEARTBEAT_QUERY);
            if (HEARTBEAT_QUERY.equals(result.get(DBZ_HEARTBEAT_QUERY))) {
                appendToList(result, "table.include.list", "pgsync\\.heartbeat");
                appendToList(result, "schema.include.list", "pgsync");
            }
        }
        if (!"false".equalsIgnoreCase(String.valueOf(props.get(DDL_CAPTURE_ENABLED)).trim())) {
            appendToList(result, "table.include.list", "pgsync\\.ddl_log");
            appendToList(result, "schema.include.list", "pgsync");
        }
        String tables = result.get("table.include.list");
        if (tables == null || tables.isBlank()) {
            appendToList(result, "table.exclude.list", INTERNAL_TABLES, true);
        }
        if (FORMAT_PGSYNC.equals(props.getOrDefault(CHANGELOG_FORMAT, FORMAT_PGSYNC).trim())) {
            appendToList(result, DBZ_CONVERTERS, SourceTextConverter.NAME, true);
            result.put(SourceTextConverter.NAME + ".type", SourceTextConverter.class.getName());
            result.put(SourceTextConverter.NAME + "." + SourceTextConverter.PLACEHOLDER,
                    props.getOrDefault(DBZ_UNAVAILABLE_PLACEHOLDER, DBZ_UNAVAILABLE_PLACEHOLDER_DEFAULT));
        }
        String fullSync = effectiveFullSyncMode(props);
        result.put(FULL_SYNC_MODE, fullSync);
        if (!FULL_SYNC_DEBEZIUM.equals(fullSync)) {
            result.put(DBZ_SNAPSHOT_MODE, "no_data");
        }
        return result;
    }

    /** The entries of a {@code table.exclude.list} other than the ones pgsync adds for its own tables. */
    public static List<String> userTableExcludeList(String list) {
        List<String> internal = List.of(INTERNAL_TABLES.split(","));
        return List.of(list.split(",")).stream().map(String::trim)
                .filter(entry -> !entry.isEmpty() && !internal.contains(entry)).toList();
    }

    /** Adds an entry to a comma-separated list the user set; a list not set selects everything already. */
    private static void appendToList(Map<String, String> config, String key, String entry) {
        appendToList(config, key, entry, false);
    }

    /** Adds an entry to a comma-separated list; with {@code create}, also to a list not set. */
    private static void appendToList(Map<String, String> config, String key, String entry, boolean create) {
        String list = config.get(key);
        if (list == null || list.isBlank()) {
            if (create) {
                config.put(key, entry);
            }
        } else if (!List.of(list.split(",")).contains(entry)) {
            config.put(key, list + "," + entry);
        }
    }

    /** Whether the heartbeat writes pgsync's own table, which the task then creates. */
    public boolean pgsyncHeartbeat() {
        Object interval = originals().get(DBZ_HEARTBEAT_INTERVAL);
        return interval != null && !"0".equals(interval.toString().trim())
                && HEARTBEAT_QUERY.equals(originals().get(DBZ_HEARTBEAT_QUERY));
    }

    /**
     * Turns a connector name into a valid replication slot name (lowercase letters, digits and underscores, at most
     * 63 bytes), prefixed with {@code pgsync_}. Names that would be cut, and names with characters outside ASCII
     * (which all become {@code _}, so that "заказы-source" and "товары-source" would otherwise share
     * {@code pgsync________source}), end in a hash of the full name instead, so that they still get distinct slots.
     */
    public static String replicationObjectName(String connectorName) {
        String sanitized = ("pgsync_" + connectorName.toLowerCase(Locale.ROOT)).replaceAll("[^a-z0-9_]", "_");
        boolean ascii = connectorName.chars().allMatch(c -> c < 128);
        if (sanitized.length() <= 63 && ascii) {
            return sanitized;
        }
        return sanitized.substring(0, Math.min(sanitized.length(), 54)) + '_'
                + sha256Hex(connectorName).substring(0, 8);
    }

    private static String sha256Hex(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }
}
