package io.pgsync.source.ddl;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;

import io.debezium.config.Configuration;
import io.debezium.connector.postgresql.PostgresConnectorConfig;
import io.pgsync.common.event.Changelog;
import io.pgsync.common.event.DdlEvent;
import io.pgsync.common.event.SourcePosition;
import io.pgsync.common.pg.TableRef;
import io.pgsync.source.PgSyncSourceConfig;
import io.pgsync.source.fullsync.SourceDatabase;

/**
 * DDL capture on the source: installs the event triggers of {@code capture.sql} in schema {@code pgsync}, and turns
 * the logical messages they emit (prefix {@code pgsync}), which Debezium hands over as message events, into
 * {@link DdlEvent} records of the changelog, keeping only what concerns the selected tables and their schemas.
 *
 * <p>Example: {@code ALTER TABLE app.orders ADD COLUMN note text} on a source whose selection includes
 * {@code app.orders} becomes a DDL record with tag {@code ALTER TABLE} and the table's definitions before and after,
 * in the changelog partition of {@code app.orders}, between the changes committed before and after it.
 */
public final class DdlCapture {

    /** The prefix of pgsync's logical messages. */
    public static final String MESSAGE_PREFIX = "pgsync";
    /** The event triggers the capture installs. */
    public static final List<String> EVENT_TRIGGERS = List.of("pgsync_ddl_command_end", "pgsync_ddl_sql_drop");

    private static final Logger log = LoggerFactory.getLogger(DdlCapture.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SCRIPT = "capture.sql";
    private final String topic;
    private final int partitions;
    private final Predicate<TableRef> selected;
    private final Set<String> schemas;

    private DdlCapture(String topic, int partitions, Predicate<TableRef> selected, Set<String> schemas) {
        this.topic = topic;
        this.partitions = partitions;
        this.selected = selected;
        this.schemas = schemas;
    }

    /**
     * Installs (or updates) the capture in the source database and returns the converter of its messages. A user
     * who is not a superuser cannot create event triggers; the capture a superuser installed is then used as it is.
     *
     * @throws ConnectException naming the fix when the capture is neither installed nor installable
     */
    public static DdlCapture start(Configuration config, PgSyncSourceConfig pgsync) {
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
            } else {
                log.info("DDL capture: using the event triggers a superuser installed on {}", database.describe());
            }
            schemas.addAll(SourceDatabase.selectedSchemas(connection, selected));
        } catch (SQLException e) {
            throw new ConnectException("Cannot install DDL capture on " + database.describe() + ": "
                    + e.getMessage() + ". Run the connector as a superuser, or set "
                    + PgSyncSourceConfig.DDL_CAPTURE_ENABLED + "=false to run without DDL capture", e);
        }
        return new DdlCapture(pgsync.changelogTopic(), pgsync.changelogPartitions(), selected, schemas);
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
            statement.execute("SELECT pg_catalog.pg_advisory_xact_lock(hashtext('pgsync.ddl_capture'))");
            statement.execute(script);
            connection.commit();
        } catch (SQLException e) {
            connection.rollback();
            throw e;
        } finally {
            connection.setAutoCommit(autoCommit);
        }
    }

    /** Whether the record is one of Debezium's logical message events with pgsync's prefix. */
    public static boolean isCaptureMessage(SourceRecord record) {
        return content(record) != null;
    }

    /**
     * Returns the records with each of pgsync's DDL messages replaced by a DDL record addressed to the changelog, or
     * dropped when nothing in it concerns the selection; other records are kept as they are.
     */
    public List<SourceRecord> convert(List<SourceRecord> records) {
        if (records == null || records.isEmpty()) {
            return records;
        }
        List<SourceRecord> converted = null;
        for (int i = 0; i < records.size(); i++) {
            SourceRecord record = records.get(i);
            String content = content(record);
            if (content == null) {
                if (converted != null) {
                    converted.add(record);
                }
                continue;
            }
            if (converted == null) {
                converted = new ArrayList<>(records.subList(0, i));
            }
            SourceRecord ddl = toDdlRecord(record, content);
            if (ddl != null) {
                converted.add(ddl);
            }
        }
        return converted == null ? records : converted;
    }

    private SourceRecord toDdlRecord(SourceRecord record, String content) {
        JsonNode message;
        try {
            message = JSON.readTree(content);
        } catch (JsonProcessingException e) {
            throw new ConnectException("A pgsync DDL message at " + record.sourceOffset() + " is not valid JSON ("
                    + e.getOriginalMessage() + "); was capture.sql changed by hand?", e);
        }
        ArrayNode kept = JSON.createArrayNode();
        TableRef first = null;
        for (JsonNode command : message.path("commands")) {
            TableRef table = null;
            boolean chosen;
            if ("table".equals(command.path("kind").asText())) {
                TableRef before = tableOf(command.get("before"));
                TableRef after = tableOf(command.get("after"));
                chosen = before != null && selected.test(before) || after != null && selected.test(after);
                table = after != null ? after : before;
                if (chosen && after != null) {
                    schemas.add(after.schema());
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
        DdlEvent event = new DdlEvent(message.path("tag").asText(), message.path("query").asText(""), kept.toString(),
                SourcePosition.of(source, transaction), tsMs instanceof Number n ? n.longValue() : -1);
        int partition = first == null ? 0 : Changelog.partitionFor(first, partitions);
        return record.newRecord(topic, partition, null, null, DdlEvent.SCHEMA, event.toStruct(), record.timestamp(),
                record.headers());
    }

    private static TableRef tableOf(JsonNode definition) {
        if (definition == null || definition.isNull()) {
            return null;
        }
        return new TableRef(definition.path("schema").asText(), definition.path("name").asText());
    }

    /** The content of a pgsync logical message event, or null for any other record. */
    private static String content(SourceRecord record) {
        if (!(record.value() instanceof Struct value) || value.schema().field("message") == null) {
            return null;
        }
        Object message = value.get("message");
        if (!(message instanceof Struct struct) || struct.schema().field("prefix") == null
                || struct.schema().field("content") == null || !MESSAGE_PREFIX.equals(struct.get("prefix"))) {
            return null;
        }
        Object content = struct.get("content");
        if (content instanceof byte[] bytes) {
            return new String(bytes, StandardCharsets.UTF_8);
        }
        if (content instanceof ByteBuffer buffer) {
            return StandardCharsets.UTF_8.decode(buffer.duplicate()).toString();
        }
        return content == null ? null : content.toString();
    }

    private static Struct field(Struct value, String name) {
        Schema schema = value.schema();
        return schema.field(name) == null ? null : value.getStruct(name);
    }
}
