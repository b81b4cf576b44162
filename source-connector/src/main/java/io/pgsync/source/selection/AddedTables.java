package io.pgsync.source.selection;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;

import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.debezium.config.Configuration;
import io.debezium.connector.postgresql.PostgresConnectorConfig;
import io.pgsync.common.catalog.SchemaReader;
import io.pgsync.common.event.SchemaObject;
import io.pgsync.common.pg.Identifiers;
import io.pgsync.common.pg.TableRef;
import io.pgsync.source.PgSyncSourceConfig;
import io.pgsync.source.capture.ChangelogSource;
import io.pgsync.source.ddl.DdlCapture;
import io.pgsync.source.fullsync.SourceDatabase;

/**
 * Tables added to the selection of a running connector. The source keeps, per replication slot, the tables it
 * selected last ({@code pgsync.selection}); when the task starts with more (the connector's include list was
 * updated, or a new table matches it), it adds them to the publication, sends their schema to the changelog, and asks
 * Debezium for an incremental snapshot of just those tables by a signal row in {@code pgsync.signal}, Debezium's
 * signal table ({@code signal.data.collection}). Streaming goes on meanwhile; Debezium interleaves the snapshot's
 * chunks with the stream and drops snapshot rows that a streamed change has overtaken.
 *
 * <p>Example: a connector selecting {@code public.orders} is updated to {@code public.orders,public.refunds}; on the
 * restarted task, {@code public.refunds} is created at the destination and its existing rows arrive as snapshot reads,
 * while {@code public.orders} is not copied again.
 */
public final class AddedTables {

    /** The key of the source partition of the added tables' schema records, whose offsets are pgsync's. */
    public static final String PARTITION_KEY = "pgsync_added_tables";
    /** Debezium's signal table, in pgsync's schema. */
    public static final TableRef SIGNAL_TABLE = new TableRef("pgsync", "signal");

    private static final Logger log = LoggerFactory.getLogger(AddedTables.class);

    private static final String CREATE = """
            CREATE SCHEMA IF NOT EXISTS pgsync;
            CREATE TABLE IF NOT EXISTS pgsync.signal (id varchar(64) PRIMARY KEY, type varchar(32) NOT NULL,
                                                      data varchar(2048));
            CREATE TABLE IF NOT EXISTS pgsync.selection (slot_name text PRIMARY KEY, tables text[] NOT NULL)""";

    private static final String TABLES_SQL = """
            SELECT n.nspname, c.relname
              FROM pg_catalog.pg_class c
              JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind IN ('r', 'p') AND c.relpersistence = 'p' AND NOT c.relispartition
               AND\s""" + SchemaReader.USER_SCHEMA + " ORDER BY 1, 2";

    private AddedTables() {
    }

    /**
     * Records the selection, and when tables joined it since the last start, prepares their incremental snapshot.
     * Returns the source of the added tables' schema records, which go out once, before Debezium's records (a source
     * that has finished at once when no table joined).
     *
     * @param firstStart whether the connector has never streamed: its full sync covers every selected table
     */
    public static ChangelogSource start(Configuration config, PgSyncSourceConfig pgsync, boolean firstStart) {
        return new Schema(read(config, pgsync, firstStart));
    }

    /** The schema records of the tables that joined the selection, handed out once. */
    private static final class Schema implements ChangelogSource {

        private List<SourceRecord> pending;

        Schema(List<SourceRecord> records) {
            this.pending = records;
        }

        @Override
        public List<SourceRecord> poll() {
            List<SourceRecord> records = pending;
            pending = List.of();
            return records;
        }

        @Override
        public boolean exclusive() {
            return true;
        }

        @Override
        public boolean finished() {
            return pending.isEmpty();
        }

        @Override
        public boolean owns(SourceRecord record) {
            return ChangelogSource.hasPartitionKey(record, PARTITION_KEY);
        }
    }

    private static List<SourceRecord> read(Configuration config, PgSyncSourceConfig pgsync, boolean firstStart) {
        PostgresConnectorConfig debezium = new PostgresConnectorConfig(config);
        Predicate<TableRef> selected = PgSyncSourceConfig.tableSelection(debezium);
        SourceDatabase database = new SourceDatabase(config);
        String slot = debezium.slotName();
        try (Connection connection = database.connect()) {
            connection.setAutoCommit(false);
            try (Statement statement = connection.createStatement()) {
                statement.execute(CREATE);
                connection.commit();
                statement.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
            }
            Map<String, TableRef> current = new LinkedHashMap<>();
            try (PreparedStatement ps = connection.prepareStatement(TABLES_SQL); ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    TableRef table = new TableRef(rs.getString(1), rs.getString(2));
                    if (selected.test(table)) {
                        current.put(table.toString(), table);
                    }
                }
            }
            Set<String> added = new LinkedHashSet<>(current.keySet());
            List<String> stored = stored(connection, slot);
            if (stored == null || firstStart) {
                added.clear();
            } else {
                added.removeAll(stored);
            }
            List<SourceRecord> records = new ArrayList<>();
            List<TableRef> addedTables = added.stream().map(current::get).toList();
            List<TableRef> published = new ArrayList<>();
            published.add(SIGNAL_TABLE);
            if (selected.test(PgSyncSourceConfig.HEARTBEAT_TABLE) && exists(connection,
                    PgSyncSourceConfig.HEARTBEAT_TABLE)) {
                published.add(PgSyncSourceConfig.HEARTBEAT_TABLE);
            }
            if (pgsync.ddlCaptureEnabled()) {
                published.add(DdlCapture.LOG_TABLE);
            }
            published.addAll(addedTables);
            publish(connection, debezium.publicationName(), published);
            if (!added.isEmpty()) {
                records.addAll(schema(connection, config, pgsync, added));
                try (PreparedStatement ps = connection.prepareStatement(
                        "INSERT INTO pgsync.signal (id, type, data) VALUES (?, 'execute-snapshot', ?)")) {
                    ps.setString(1, UUID.randomUUID().toString());
                    ps.setString(2, snapshotSignal(addedTables));
                    ps.executeUpdate();
                }
                log.info("{} table(s) joined the selection of slot {}: {}; an incremental snapshot of them follows "
                        + "while streaming goes on", added.size(), slot, added);
            }
            try (PreparedStatement ps = connection.prepareStatement("INSERT INTO pgsync.selection (slot_name, tables) "
                    + "VALUES (?, ?) ON CONFLICT (slot_name) DO UPDATE SET tables = excluded.tables")) {
                ps.setString(1, slot);
                ps.setArray(2, connection.createArrayOf("text", current.keySet().toArray()));
                ps.executeUpdate();
            }
            connection.commit();
            return records;
        } catch (SQLException e) {
            throw new ConnectException("Cannot record the selected tables in pgsync.selection on "
                    + database.describe() + " (" + e.getMessage() + "); the user needs CREATE on the database, or "
                    + "create schema pgsync with tables signal and selection for it", e);
        }
    }

    /**
     * The data of Debezium's {@code execute-snapshot} signal for the tables. Each names its table quoted
     * ({@code "schema"."table"}): Debezium first matches an entry as a regular expression against the unquoted
     * {@code schema.table} of the tables it knows, which a quoted name never matches, and then parses it as a table
     * identifier, which only the quoted form survives when a name holds a double quote, a dot or a space.
     */
    static String snapshotSignal(List<TableRef> tables) { // visible for testing
        return "{\"data-collections\": [" + String.join(", ", tables.stream()
                .map(t -> "\"" + t.quoted().replace("\\", "\\\\").replace("\"", "\\\"") + "\"").toList())
                + "], \"type\": \"incremental\"}";
    }

    private static List<String> stored(Connection connection, String slot) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT tables FROM pgsync.selection "
                + "WHERE slot_name = ?")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                Array tables = rs.getArray(1);
                return List.of((String[]) tables.getArray());
            }
        }
    }

    /**
     * Adds the tables to the publication, when it lists tables or schemas and lacks them: a change is decoded only
     * through a publication that holds its table when it is written. A publication of all tables, or of whole
     * schemas that hold them, already does. Here: the signal table, the heartbeat table (when selected), the DDL
     * capture's log and the added tables.
     *
     * @throws ConnectException naming the statement to run when the connector's user may not add them
     */
    public static void publish(Connection connection, String publication, List<TableRef> tables)
            throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT puballtables FROM pg_catalog.pg_publication "
                + "WHERE pubname = ?")) {
            ps.setString(1, publication);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next() || rs.getBoolean(1)) {
                    return;
                }
            }
        }
        List<String> missing = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement("SELECT 1 FROM pg_catalog.pg_publication_tables "
                + "WHERE pubname = ? AND schemaname = ? AND tablename = ?")) {
            for (TableRef table : tables) {
                ps.setString(1, publication);
                ps.setString(2, table.schema());
                ps.setString(3, table.table());
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        missing.add(table.quoted());
                    }
                }
            }
        }
        if (!missing.isEmpty()) {
            String sql = "ALTER PUBLICATION " + Identifiers.quote(publication) + " ADD TABLE "
                    + String.join(", ", missing);
            try (Statement statement = connection.createStatement()) {
                statement.execute(sql);
            } catch (SQLException e) {
                throw new ConnectException("Cannot add " + String.join(", ", missing) + " to publication "
                        + publication + " (" + e.getMessage() + "): the connector's user must own the publication "
                        + "and those tables (pgsync.ddl_log belongs to whoever installed the DDL capture); run ALTER "
                        + "PUBLICATION " + Identifiers.quote(publication) + " OWNER TO <the connector's user>, or have "
                        + "a superuser run " + sql, e);
            }
            log.info("Added to publication {}: {}", publication, missing);
        }
    }

    private static boolean exists(Connection connection, TableRef table) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT pg_catalog.to_regclass(?) IS NOT NULL")) {
            ps.setString(1, table.quoted());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    /** The schema of the added tables (and of the objects of their schemas, which the sink finds existing). */
    private static List<SourceRecord> schema(Connection connection, Configuration config, PgSyncSourceConfig pgsync,
            Set<String> added) throws SQLException {
        if (!pgsync.schemaSyncEnabled()) {
            return List.of();
        }
        Map<String, String> partition = Map.of(PARTITION_KEY, config.getString("topic.prefix"));
        List<SourceRecord> records = new ArrayList<>();
        List<SchemaObject> objects = SchemaReader.read(connection, table -> added.contains(table.toString()));
        for (String phase : List.of(SchemaObject.PRE_DATA, SchemaObject.POST_DATA)) {
            for (SchemaObject object : objects) {
                if (object.phase().equals(phase)) {
                    records.add(new SourceRecord(partition, Map.of("tables", added.size()), pgsync.changelogTopic(),
                            0, null, null, SchemaObject.SCHEMA, object.toStruct()));
                }
            }
        }
        return records;
    }
}
