package io.pgsync.source.ddl;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.source.SourceRecord;
import org.postgresql.replication.LogSequenceNumber;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;

import io.debezium.config.Configuration;
import io.debezium.connector.postgresql.PostgresConnectorConfig;
import io.debezium.util.Strings;
import io.pgsync.common.event.Changelog;
import io.pgsync.common.event.DdlEvent;
import io.pgsync.common.event.DebeziumEnvelope;
import io.pgsync.common.event.SourcePosition;
import io.pgsync.common.pg.Identifiers;
import io.pgsync.common.pg.TableRef;
import io.pgsync.source.PgSyncSourceConfig;
import io.pgsync.source.fullsync.SourceDatabase;
import io.pgsync.source.metrics.PgSyncSourceMetrics;

/**
 * DDL capture on the source: installs the event triggers of {@code capture.sql} in schema {@code pgsync}, and turns
 * the rows they write into {@code pgsync.ddl_log}, which Debezium hands over as inserts, into {@link DdlEvent}
 * records of the changelog, keeping only what concerns the selected tables and their schemas.
 *
 * <p>Only the capture speaks: a row of {@code pgsync.ddl_log} is written by the capture's {@code SECURITY DEFINER}
 * trigger functions in the DDL's own transaction, and no other role may write that table, so its insert in the
 * decoded stream proves that the capture wrote it there. Logical messages prove nothing (every role may call
 * {@code pg_logical_emit_message}, with any prefix and content, transactional or not, or replay a captured message in
 * another transaction): a message with pgsync's prefix is dropped, logged with its LSN and transaction, and counted
 * ({@code ddl-messages-rejected-total}); the capture never writes one.
 *
 * <p>Example: {@code ALTER TABLE app.orders ADD COLUMN note text} on a source whose selection includes
 * {@code app.orders} becomes a DDL record with tag {@code ALTER TABLE} and the table's definitions before and after,
 * in the changelog partition of {@code app.orders}, between the changes committed before and after it.
 *
 * <p>The capture also keeps the connector's publication fit for what the DDL made ({@link #register}): a table
 * created in the selection joins a publication of listed tables, and a published table without a usable replica
 * identity gets REPLICA IDENTITY FULL, both in the DDL's transaction; the capture reports each such change in an
 * entry of kind {@code applied}, which is logged and counted here and never sent on.
 */
public final class DdlCapture {

    /** The prefix logical messages of pgsync's capture carried in earlier versions, which nothing may use now. */
    public static final String MESSAGE_PREFIX = "pgsync";
    /** The table the capture writes each DDL command into, in the command's transaction. */
    public static final TableRef LOG_TABLE = new TableRef("pgsync", "ddl_log");
    /** The event triggers the capture installs. */
    public static final List<String> EVENT_TRIGGERS = List.of("pgsync_ddl_command_end", "pgsync_ddl_sql_drop");

    private static final Logger log = LoggerFactory.getLogger(DdlCapture.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SCRIPT = "capture.sql";
    private final String topic;
    private final int partitions;
    private final Predicate<TableRef> selected;
    private final Set<String> schemas;
    private final PgSyncSourceMetrics metrics;
    private final String publication;
    private final boolean identityAuto;

    private DdlCapture(String topic, int partitions, Predicate<TableRef> selected, Set<String> schemas,
            PgSyncSourceMetrics metrics, String publication, boolean identityAuto) {
        this.topic = topic;
        this.partitions = partitions;
        this.selected = selected;
        this.schemas = schemas;
        this.metrics = metrics;
        this.publication = publication;
        this.identityAuto = identityAuto;
    }

    /**
     * Installs (or updates) the capture in the source database and returns the converter of its messages. A user
     * who is not a superuser cannot create event triggers; the capture a superuser installed is then used as it is.
     *
     * @throws ConnectException naming the fix when the capture is neither installed nor installable, or when the
     *     installed one predates {@code pgsync.ddl_log}
     */
    public static DdlCapture start(Configuration config, PgSyncSourceConfig pgsync, PgSyncSourceMetrics metrics) {
        SourceDatabase database = new SourceDatabase(config);
        Predicate<TableRef> selected = PgSyncSourceConfig.tableSelection(new PostgresConnectorConfig(config));
        Set<String> schemas = new HashSet<>();
        try (Connection connection = database.connect()) {
            if (superuser(connection)) {
                install(connection);
            } else if (!installed(connection)) {
                throw new ConnectException("DDL capture needs event triggers on " + database.describe()
                        + ", and only a superuser may create them: run the connector as a superuser once, or set "
                        + PgSyncSourceConfig.DDL_CAPTURE_ENABLED + "=false to run without DDL capture");
            } else if (!current(connection)) {
                throw new ConnectException("The DDL capture installed on " + database.describe() + " is from an "
                        + "older pgsync and writes no pgsync.ddl_log, so its DDL could not be told from a forged "
                        + "message: have a superuser run this version's capture.sql there (see the README), or set "
                        + PgSyncSourceConfig.DDL_CAPTURE_ENABLED + "=false");
            } else {
                log.info("DDL capture: using the event triggers a superuser installed on {}", database.describe());
            }
            schemas.addAll(SourceDatabase.selectedSchemas(connection, selected));
        } catch (SQLException e) {
            throw new ConnectException("Cannot install DDL capture on " + database.describe() + ": "
                    + e.getMessage() + ". Run the connector as a superuser, or set "
                    + PgSyncSourceConfig.DDL_CAPTURE_ENABLED + "=false to run without DDL capture", e);
        }
        return new DdlCapture(pgsync.changelogTopic(), pgsync.changelogPartitions(), selected, schemas, metrics,
                new PostgresConnectorConfig(config).publicationName(), pgsync.replicaIdentityAutoEnabled());
    }

    /** A capture converting for an installed one, without a database: for tests of the conversion. */
    static DdlCapture converting(String topic, int partitions, Predicate<TableRef> selected,
            PgSyncSourceMetrics metrics, String publication, boolean identityAuto) { // visible for testing
        return new DdlCapture(topic, partitions, selected, new HashSet<>(), metrics, publication, identityAuto);
    }

    /**
     * Registers the connector's publication with the capture ({@code pgsync.capture_publications}): from then on,
     * in the transaction of each DDL, a table the selection takes joins the publication when it lists tables, and,
     * with {@code replica.identity.auto.enabled}, a table it publishes without a usable replica identity gets REPLICA
     * IDENTITY FULL. The selection goes as Debezium's include and exclude lists, which the capture matches with
     * PostgreSQL's regular expressions (the same syntax for the usual patterns), whole and case-insensitively.
     *
     * @throws ConnectException naming the fix when the publication does not exist or the user may not register it
     */
    public static void register(Connection connection, Configuration config, PgSyncSourceConfig pgsync) {
        String name = new PostgresConnectorConfig(config).publicationName();
        try (PreparedStatement ps = connection.prepareStatement(
                "SELECT pgsync.capture_register(?, ?, ?::text[], ?::text[], ?::text[], ?::text[])")) {
            ps.setString(1, name);
            ps.setBoolean(2, pgsync.replicaIdentityAutoEnabled());
            int index = 3;
            for (String key : List.of("schema.include.list", "schema.exclude.list", "table.include.list",
                    "table.exclude.list")) {
                String list = config.getString(key);
                ps.setArray(index++, list == null || list.isBlank() ? null : connection.createArrayOf("text",
                        Strings.listOfRegex(list, Pattern.CASE_INSENSITIVE).stream().map(Pattern::pattern).toArray()));
            }
            ps.execute();
        } catch (SQLException e) {
            throw new ConnectException("Cannot register publication " + name + " with the DDL capture ("
                    + e.getMessage() + "); without it, tables created while streaming would neither join the "
                    + "publication nor get a replica identity. The publication must exist and belong to the connector's user (ALTER "
                    + "PUBLICATION " + Identifiers.quote(name) + " OWNER TO <the connector's user>), and each pattern "
                    + "of schema.include.list, schema.exclude.list, table.include.list and table.exclude.list must "
                    + "also be a PostgreSQL regular expression; or set " + PgSyncSourceConfig.DDL_CAPTURE_ENABLED
                    + "=false", e);
        }
    }

    /** Whether the connection's user is a superuser, the only kind of user PostgreSQL lets create event triggers. */
    public static boolean superuser(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery("SELECT rolsuper FROM pg_catalog.pg_roles "
                        + "WHERE rolname = current_user")) {
            return rs.next() && rs.getBoolean(1);
        }
    }

    /** Whether both event triggers of the capture exist in the connection's database. */
    public static boolean installed(Connection connection) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT count(*) FROM pg_catalog.pg_event_trigger "
                + "WHERE evtname = ANY (?) AND evtenabled <> 'D'")) {
            ps.setArray(1, connection.createArrayOf("text", EVENT_TRIGGERS.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getInt(1) == EVENT_TRIGGERS.size();
            }
        }
    }

    /**
     * Whether the installed capture is this version's: it writes {@code pgsync.ddl_log} and takes the registration
     * of publications ({@code pgsync.capture_register}).
     */
    public static boolean current(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery("SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c "
                        + "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                        + "WHERE n.nspname = 'pgsync' AND c.relname = 'ddl_log') "
                        + "AND EXISTS (SELECT 1 FROM pg_catalog.pg_proc p "
                        + "JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace "
                        + "WHERE n.nspname = 'pgsync' AND p.proname = 'capture_register')")) {
            return rs.next() && rs.getBoolean(1);
        }
    }

    private static void install(Connection connection) throws SQLException {
        String script;
        try (InputStream in = DdlCapture.class.getResourceAsStream(SCRIPT)) {
            if (in == null) {
                throw new IllegalStateException(SCRIPT + " is missing from the plugin");
            }
            script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("Cannot read " + SCRIPT + " from the plugin", e);
        }
        boolean autoCommit = connection.getAutoCommit();
        connection.setAutoCommit(false);
        try (Statement statement = connection.createStatement()) {
            statement.execute("SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('pgsync.ddl_capture'))");
            statement.execute(script);
            connection.commit();
        } catch (SQLException e) {
            connection.rollback();
            throw e;
        } finally {
            connection.setAutoCommit(autoCommit);
        }
    }

    /**
     * Returns what becomes of one streamed record: an insert into {@code pgsync.ddl_log} becomes a DDL record
     * addressed to the changelog (or null when nothing in it concerns the selection), the table's deletes and every
     * logical message with pgsync's prefix (as forged) become null; any other record is returned as it is.
     *
     * @param table the record's table ({@link DebeziumEnvelope#tableOf}): empty for a record of no table, and of an
     *     empty name for a logical message (Debezium's source block names no table there)
     */
    public SourceRecord convert(SourceRecord record, Optional<TableRef> table) {
        if (table.isPresent() && !table.get().table().isEmpty()) {
            if (!table.get().equals(LOG_TABLE)) {
                return record;
            }
            String content = loggedContent(record);
            return content == null ? null : toDdlRecord(record, content);
        }
        if (isPgsyncMessage(record)) {
            reject(record);
            return null;
        }
        return record;
    }

    /**
     * Drops a logical message with pgsync's prefix: whoever can connect to the source may emit one, in a transaction
     * of their own or next to real DDL, so it is never taken for DDL.
     */
    private void reject(SourceRecord record) {
        Struct source = field((Struct) record.value(), "source");
        Object lsn = source != null && source.schema().field("lsn") != null ? source.get("lsn") : null;
        Object xid = source != null && source.schema().field("txId") != null ? source.get("txId") : null;
        metrics.ddlMessageRejected();
        log.warn("Dropped a logical message with prefix '{}' at LSN {} (transaction {}): pgsync's DDL capture writes "
                + "pgsync.ddl_log and never emits messages, and any role on the source may call "
                + "pg_logical_emit_message, so this one is not applied. Look for who emitted it (pg_stat_statements, "
                + "the server log with log_statement=all)", MESSAGE_PREFIX,
                lsn instanceof Number n ? LogSequenceNumber.valueOf(n.longValue()).asString() : "unknown", xid == null ? "none" : xid);
    }

    private SourceRecord toDdlRecord(SourceRecord record, String content) {
        JsonNode message;
        try {
            message = JSON.readTree(content);
        } catch (JsonProcessingException e) {
            throw new ConnectException("A row of pgsync.ddl_log at " + record.sourceOffset() + " is not valid JSON ("
                    + e.getOriginalMessage() + "); was capture.sql changed by hand?", e);
        }
        ArrayNode kept = JSON.createArrayNode();
        TableRef first = null;
        for (JsonNode command : message.path("commands")) {
            TableRef table = null;
            boolean chosen;
            if ("applied".equals(command.path("kind").asText())) {
                applied(command, message.path("tag").asText());
                continue;
            }
            if ("table".equals(command.path("kind").asText())) {
                TableRef before = tableOf(command.get("before"));
                TableRef after = tableOf(command.get("after"));
                chosen = before != null && selected.test(before) || after != null && selected.test(after);
                table = after != null ? after : before;
                if (chosen && after != null) {
                    schemas.add(after.schema());
                }
                if (chosen) {
                    trackIdentity(before, command.get("after"), message.path("tag").asText());
                }
            } else if (tableOf(command.get("table")) != null) {
                // an index, constraint, trigger or rule: it goes with its table
                table = tableOf(command.get("table"));
                chosen = selected.test(table);
            } else {
                String schema = command.path("schema").isNull() ? null : command.path("schema").asText(null);
                boolean isSchema = "schema".equals(command.path("type").asText());
                chosen = schema == null && !isSchema || schema != null && (schemas.contains(schema)
                        || selected.test(new TableRef(schema, "\u0000")));
            }
            if (chosen) {
                kept.add(command);
                if (first == null) {
                    first = table;
                }
            }
        }
        if (kept.isEmpty()) {
            return null;
        }
        Struct value = (Struct) record.value();
        Struct source = field(value, "source");
        Struct transaction = field(value, "transaction");
        Object tsMs = source != null && source.schema().field("ts_ms") != null ? source.get("ts_ms") : null;
        DdlEvent event = new DdlEvent(message.path("tag").asText(), message.path("statement").asText(""),
                kept.toString(), SourcePosition.of(source, transaction), tsMs instanceof Number n ? n.longValue() : -1);
        int partition = first == null ? 0 : Changelog.partitionFor(first, partitions);
        return record.newRecord(topic, partition, null, null, DdlEvent.SCHEMA, event.toStruct(), record.timestamp(),
                record.headers());
    }

    /**
     * Logs and counts a change the capture made for this connector's publication in the DDL's transaction: a table
     * that joined it, or one given REPLICA IDENTITY FULL.
     */
    private void applied(JsonNode command, String tag) {
        TableRef table = tableOf(command.get("table"));
        boolean ours = false;
        for (JsonNode name : command.path("publications")) {
            ours |= publication.equals(name.asText());
        }
        if (table == null || !ours) {
            return;
        }
        if ("failed".equals(command.path("action").asText())) {
            metrics.publicationFitFailed();
            log.error("DDL capture: could not make {} fit publication {} in the transaction of its {} ({}); the DDL "
                    + "itself went through. If the table belongs to the selection, fix the cause and restart the "
                    + "task: it adds the table to the publication and snapshots it (see Adding tables in the README)",
                    table.quoted(), publication, tag, command.path("error").asText());
        } else if ("publication".equals(command.path("action").asText())) {
            metrics.publicationTableAdded();
            log.info("DDL capture: {} joined publication {} in the transaction of its {}, as it belongs to the "
                    + "selection: its rows stream from then on", table.quoted(), publication, tag);
        } else if ("replica identity full".equals(command.path("action").asText()) && selected.test(table)) {
            metrics.replicaIdentitySet(table);
            log.info("DDL capture: set REPLICA IDENTITY FULL on {} in the transaction of its {}: it is published and "
                    + "had no primary key or other replica identity ({}=true), so its UPDATE and DELETE would have "
                    + "failed at the source", table.quoted(), tag, PgSyncSourceConfig.REPLICA_IDENTITY_AUTO_ENABLED);
        }
    }

    /**
     * With {@code replica.identity.auto.enabled=false}, keeps the count of selected tables without a usable replica
     * identity, and warns when the DDL left one without.
     */
    private void trackIdentity(TableRef before, JsonNode after, String tag) {
        if (identityAuto) {
            return;
        }
        if (after == null || after.isNull()) {
            metrics.replicaIdentityMissing(before, false);
            return;
        }
        TableRef table = tableOf(after);
        if (before != null && !before.equals(table)) {
            metrics.replicaIdentityMissing(before, false);
        }
        boolean missing = "r".equals(after.path("kind").asText()) && !hasReplicaIdentity(after);
        metrics.replicaIdentityMissing(table, missing);
        if (missing) {
            log.warn("{} left the selected table {} without a primary key or other replica identity: once published, "
                    + "the source refuses its UPDATE and DELETE. Run ALTER TABLE {} REPLICA IDENTITY FULL or add a "
                    + "primary key, or set {}=true to have that done in the transaction of such DDL", tag,
                    table.quoted(), table.quoted(), PgSyncSourceConfig.REPLICA_IDENTITY_AUTO_ENABLED);
        }
    }

    /** Whether a table definition of the capture has a replica identity that lets UPDATE and DELETE be published. */
    static boolean hasReplicaIdentity(JsonNode definition) { // visible for testing
        return switch (definition.path("replicaIdentity").asText()) {
            case "f" -> true;
            case "i" -> !definition.path("replicaIdentityIndex").isNull()
                    && !definition.path("replicaIdentityIndex").isMissingNode();
            case "d" -> {
                boolean key = false;
                for (JsonNode constraint : definition.path("constraints")) {
                    key |= "p".equals(constraint.path("type").asText());
                }
                yield key;
            }
            default -> false;
        };
    }

    private static TableRef tableOf(JsonNode definition) {
        if (definition == null || definition.isNull()) {
            return null;
        }
        return new TableRef(definition.path("schema").asText(), definition.path("name").asText());
    }

    /** The JSON a capture row carries: the {@code content} of an insert into {@code pgsync.ddl_log}; else null. */
    private static String loggedContent(SourceRecord record) {
        Struct value = (Struct) record.value();
        if (!"c".equals(value.get(DebeziumEnvelope.FIELD_OP))) {
            return null;
        }
        Struct after = field(value, DebeziumEnvelope.FIELD_AFTER);
        return after == null || after.schema().field("content") == null ? null : after.getString("content");
    }

    /** Whether the record is one of Debezium's logical message events with pgsync's prefix. */
    private static boolean isPgsyncMessage(SourceRecord record) {
        if (!(record.value() instanceof Struct value) || value.schema().field("message") == null) {
            return false;
        }
        Object message = value.get("message");
        return message instanceof Struct struct && struct.schema().field("prefix") != null
                && MESSAGE_PREFIX.equals(struct.get("prefix"));
    }

    private static Struct field(Struct value, String name) {
        Schema schema = value.schema();
        return schema.field(name) == null ? null : value.getStruct(name);
    }
}
