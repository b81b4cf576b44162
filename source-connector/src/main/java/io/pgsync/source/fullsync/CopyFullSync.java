package io.pgsync.source.fullsync;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.StringJoiner;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Pattern;

import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.storage.OffsetStorageReader;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyOut;
import org.postgresql.replication.ReplicationSlotInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.debezium.config.Configuration;
import io.debezium.connector.postgresql.PostgresConnectorConfig;
import io.pgsync.common.catalog.SchemaReader;
import io.pgsync.common.event.Changelog;
import io.pgsync.common.event.RowChange;
import io.pgsync.common.event.RowChunk;
import io.pgsync.common.event.SchemaObject;
import io.pgsync.common.event.TypedColumns;
import io.pgsync.common.pg.Identifiers;
import io.pgsync.common.pg.TableRef;
import io.pgsync.source.PgSyncSourceConfig;
import io.pgsync.source.capture.ChangelogSource;
import io.pgsync.source.capture.EncodedSize;
import io.pgsync.source.capture.RecordLimit;
import io.pgsync.source.ddl.DdlCapture;
import io.pgsync.source.selection.AddedTables;
import io.pgsync.source.Throttle;

/**
 * pgsync's full sync ({@code full.sync.mode=copy}): the existing rows of the selected tables, read with COPY in the
 * snapshot that the replication slot exports when it is created, sent to the changelog in chunks before any streamed
 * change. Debezium then streams from the slot's consistent point ({@code snapshot.mode=no_data} on an existing
 * slot), so every change committed after the snapshot is streamed and none before it.
 *
 * <p>Steps, before Debezium starts: make sure the publication exists (pgoutput decodes a change only if the
 * publication existed when it was written), drop a slot an unfinished full sync left behind, create the slot with
 * {@code EXPORT_SNAPSHOT} on a replication connection, import that snapshot into a REPEATABLE READ transaction, then
 * copy table by table on a thread of its own. The task returns the chunks from {@link #poll()} and Debezium's records
 * only after the last one. Progress is a source offset of its own ({@link #PARTITION_KEY}); a task restarted before
 * the end starts the full sync again, with the first chunk of each table marked {@code reset} so that the sink empties
 * the table first (rows deleted in between must not stay behind); one restarted after it goes straight to streaming.
 */
public final class CopyFullSync implements ChangelogSource {

    /** The key of the source partition under which the full sync's progress is stored. */
    public static final String PARTITION_KEY = "pgsync_full_sync";

    private static final Logger log = LoggerFactory.getLogger(CopyFullSync.class);
    private static final String DONE = "done";
    private static final int QUEUED_CHUNKS = 16;
    private static final int MAX_CHUNKS_PER_POLL = 64;
    private static final long POLL_WAIT_MS = 100;
    private static final long SLOT_RELEASE_SECONDS = 60;
    private static final Pattern SNAPSHOT_NAME = Pattern.compile("[0-9A-Fa-f-]+");

    private static final String TABLES_SQL = """
            SELECT n.nspname, c.relname
              FROM pg_catalog.pg_class c
              JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind = 'r' AND c.relpersistence = 'p'
               AND\s""" + SchemaReader.USER_SCHEMA + " ORDER BY 1, 2";

    private static final String COLUMNS_SQL = """
            SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull
              FROM pg_catalog.pg_attribute a
             WHERE a.attrelid = ?::regclass AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
             ORDER BY a.attnum""";

    /** The primary key's columns: indkey lists its INCLUDE columns after the indnkeyatts key columns. */
    private static final String KEY_SQL = """
            SELECT a.attname
              FROM pg_catalog.pg_index i
              JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, position) ON true
              JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
             WHERE i.indrelid = ?::regclass AND i.indisprimary AND k.position <= i.indnkeyatts
             ORDER BY k.position""";

    private final Map<String, String> partition;
    private final String topic;
    private final int partitions;
    private final int chunkBytes;
    /** The encoded size a chunk record may take ({@link RecordLimit#budget}); a row above it travels in pieces. */
    private final long recordBudget;
    private final Connection connection;
    private final List<TableRef> tables;
    private final Predicate<TableRef> selected;
    private final boolean schemaSync;
    private final Throttle throttle;
    private final Map<TableRef, String> filters;
    private final boolean again;
    private final BlockingQueue<SourceRecord> queue = new ArrayBlockingQueue<>(QUEUED_CHUNKS);
    private final Thread reader;
    private volatile Throwable failure;
    private boolean finished;

    private CopyFullSync(Map<String, String> partition, PgSyncSourceConfig pgsync, Connection connection,
            List<TableRef> tables, Predicate<TableRef> selected, boolean again, String threadName) {
        this.partition = partition;
        this.topic = pgsync.changelogTopic();
        this.partitions = pgsync.changelogPartitions();
        this.chunkBytes = pgsync.fullSyncChunkBytes();
        this.recordBudget = RecordLimit.of(pgsync.originalsStrings()).budget();
        this.connection = connection;
        this.tables = tables;
        this.selected = selected;
        this.schemaSync = pgsync.schemaSyncEnabled();
        this.throttle = pgsync.fullSyncThrottle();
        this.filters = pgsync.rowFilters();
        this.again = again;
        this.reader = new Thread(this::copyAll, threadName);
        this.reader.setDaemon(true);
    }

    /**
     * Prepares the full sync and starts copying, or returns empty when there is nothing to do: the full sync
     * finished before, or Debezium has already streamed (its own offsets exist).
     */
    public static Optional<CopyFullSync> start(Configuration config, PgSyncSourceConfig pgsync,
            OffsetStorageReader offsets) {
        String prefix = config.getString("topic.prefix");
        Map<String, String> partition = Map.of(PARTITION_KEY, prefix);
        Map<String, Object> progress = offsets.offset(partition);
        if (progress != null && Boolean.TRUE.equals(progress.get(DONE))) {
            log.info("The full sync of {} finished before; streaming", prefix);
            return Optional.empty();
        }
        if (offsets.offset(Map.of("server", prefix)) != null) {
            log.info("Debezium has streamed for {} before; no full sync", prefix);
            return Optional.empty();
        }
        PostgresConnectorConfig debezium = new PostgresConnectorConfig(config);
        SourceDatabase database = new SourceDatabase(config);
        try {
            Connection connection = database.connect();
            try {
                Predicate<TableRef> selected = PgSyncSourceConfig.tableSelection(debezium);
                List<TableRef> tables = selectedTables(connection, selected);
                ensurePublication(connection, debezium.publicationName(),
                        config.getString("publication.autocreate.mode", "all_tables"), tables, pgsync.rowFilters(),
                        schemaLevelSelection(connection, config, selected));
                if (pgsync.ddlCaptureEnabled()) {
                    // before the slot: DDL run from its consistent point on must be decoded through the publication
                    AddedTables.publish(connection, debezium.publicationName(), List.of(DdlCapture.LOG_TABLE));
                    // and tables created from then on join it, with a replica identity, in their own transaction
                    DdlCapture.register(connection, config, pgsync);
                }
                tables.remove(AddedTables.SIGNAL_TABLE);
                boolean again = dropUnfinishedSlot(connection, debezium.slotName());
                String snapshot = createSlot(database, connection, debezium.slotName(),
                        debezium.plugin().getPostgresPluginName());
                CopyFullSync sync = new CopyFullSync(partition, pgsync, connection, tables, selected, again,
                        "pgsync-full-sync-" + prefix);
                log.info("Full sync of {} table(s) of {} in snapshot {} (slot {}): {}", tables.size(),
                        database.describe(), snapshot, debezium.slotName(), tables);
                sync.reader.start();
                return Optional.of(sync);
            } catch (SQLException | RuntimeException e) {
                connection.close();
                throw e;
            }
        } catch (SQLException e) {
            throw new ConnectException("Cannot start the full sync of " + database.describe() + ": "
                    + e.getMessage(), e);
        }
    }

    /** The tables this full sync copies, in order. */
    public List<TableRef> tables() {
        return List.copyOf(tables);
    }

    /** The time the full sync's throttle has made it wait so far, in milliseconds. */
    public long throttledMillis() {
        return throttle.waitedMillis();
    }

    /** The full sync's records carry pgsync's offsets, not Debezium's. */
    @Override
    public boolean owns(SourceRecord record) {
        return ChangelogSource.hasPartitionKey(record, PARTITION_KEY);
    }

    /** Debezium's records wait until the last chunk has been handed out. */
    @Override
    public boolean exclusive() {
        return true;
    }

    @Override
    public boolean finished() {
        return finished;
    }

    /** Returns the chunks copied so far (waiting briefly when there are none). */
    @Override
    public List<SourceRecord> poll() throws InterruptedException {
        List<SourceRecord> records = new ArrayList<>();
        SourceRecord first = queue.poll(POLL_WAIT_MS, TimeUnit.MILLISECONDS);
        if (first == null) {
            Throwable error = failure;
            if (error != null) {
                throw new ConnectException("The full sync failed: " + error.getMessage(), error);
            }
            return records;
        }
        records.add(first);
        queue.drainTo(records, MAX_CHUNKS_PER_POLL - 1);
        SourceRecord last = records.get(records.size() - 1);
        finished = Boolean.TRUE.equals(last.sourceOffset().get(DONE));
        return records;
    }

    /** Stops copying: closing the connection also ends a COPY that waits for the database. */
    @Override
    public void close() {
        reader.interrupt();
        try {
            connection.close();
        } catch (SQLException e) {
            log.debug("Closing the full sync connection failed: {}", e.getMessage());
        }
        try {
            reader.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void copyAll() {
        try {
            List<SchemaObject> schema = schemaSync ? SchemaReader.read(connection, selected) : List.of();
            sendSchema(schema, SchemaObject.PRE_DATA);
            for (TableRef table : tables) {
                copy(table);
            }
            sendSchema(schema, SchemaObject.POST_DATA);
            connection.commit();
            queue.put(new SourceRecord(partition, Map.of(DONE, true), topic, 0, null, null, null, null));
            log.info("Full sync finished: {} table(s); streaming follows", tables.size());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (SQLException | RuntimeException e) {
            if (reader.isInterrupted()) {
                log.info("Full sync stopped with the task");
                return;
            }
            log.error("The full sync failed: {}", e.getMessage(), e);
            failure = e;
        } finally {
            try {
                connection.close();
            } catch (SQLException e) {
                log.debug("Closing the full sync connection failed: {}", e.getMessage());
            }
        }
    }

    /** Queues the schema objects of one phase, in order, on the first partition. */
    private void sendSchema(List<SchemaObject> schema, String phase) throws InterruptedException {
        Map<String, Object> offset = Map.of("schema", phase, DONE, false);
        int sent = 0;
        for (SchemaObject object : schema) {
            if (object.phase().equals(phase)) {
                queue.put(new SourceRecord(partition, offset, topic, 0, null, null, SchemaObject.SCHEMA,
                        object.toStruct()));
                sent++;
            }
        }
        if (schemaSync) {
            log.info("Schema sync: {} object(s) {} the rows", sent, SchemaObject.PRE_DATA.equals(phase) ? "before"
                    : "after");
        }
    }

    private void copy(TableRef table) throws SQLException, InterruptedException {
        long start = System.nanoTime();
        List<String> columns = new ArrayList<>();
        List<String> types = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement(COLUMNS_SQL)) {
            ps.setString(1, table.quoted());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    columns.add(rs.getString(1));
                    types.add(TypedColumns.listed(rs.getString(2), !rs.getBoolean(3)));
                }
            }
        }
        List<String> key = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement(KEY_SQL)) {
            ps.setString(1, table.quoted());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    key.add(rs.getString(1));
                }
            }
        }
        StringJoiner names = new StringJoiner(", ");
        columns.forEach(c -> names.add(Identifiers.quote(c)));
        CopyOut copy = connection.unwrap(PGConnection.class).getCopyAPI()
                .copyOut(filters.containsKey(table)
                        ? "COPY (SELECT " + names + " FROM " + table.quoted() + " WHERE (" + filters.get(table)
                                + ")) TO STDOUT"
                        : "COPY " + table.quoted() + " (" + names + ") TO STDOUT");
        int partitionOfTable = Changelog.partitionFor(table, partitions);
        Map<String, Object> offset = Map.of("table", table.toString(), DONE, false);
        ByteArrayOutputStream chunk = new ByteArrayOutputStream(chunkBytes + 1024);
        long chunkSize = 0;
        int rows = 0;
        long total = 0;
        boolean reset = again;
        try {
            byte[] row;
            while ((row = copy.readFromCopy()) != null) {
                throttle.acquire(1, row.length, () -> false);
                long size = EncodedSize.ofUtf8(row, row.length);
                if (rows > 0 && chunkSize + size > recordBudget) {
                    queue.put(chunkRecord(table, columns, types, key, rows, chunk, reset, partitionOfTable, offset));
                    reset = false;
                    total += rows;
                    rows = 0;
                    chunk.reset();
                    chunkSize = 0;
                }
                if (size > recordBudget) {
                    if (reset) {
                        queue.put(chunkRecord(table, columns, types, key, 0, chunk, true, partitionOfTable, offset));
                        reset = false;
                    }
                    queue.put(largeRow(table, columns, types, key, row, partitionOfTable, offset));
                    total++;
                    continue;
                }
                chunk.write(row, 0, row.length);
                chunkSize += size;
                rows++;
                if (chunk.size() >= chunkBytes) {
                    queue.put(chunkRecord(table, columns, types, key, rows, chunk, reset, partitionOfTable, offset));
                    reset = false;
                    total += rows;
                    rows = 0;
                    chunk.reset();
                    chunkSize = 0;
                }
            }
        } finally {
            if (copy.isActive()) {
                copy.cancelCopy();
            }
        }
        if (rows > 0 || reset) {
            queue.put(chunkRecord(table, columns, types, key, rows, chunk, reset, partitionOfTable, offset));
            total += rows;
        }
        log.info("Full sync of {}: {} rows in {} ms", table, total, (System.nanoTime() - start) / 1_000_000);
    }

    /**
     * A row too large for a chunk record: sent as a row change (op {@code r}), which the task then sends in pieces
     * ({@link RecordLimit}) and the sink writes like a streamed one.
     */
    private SourceRecord largeRow(TableRef table, List<String> columns, List<String> types, List<String> key,
            byte[] row, int partitionOfTable, Map<String, Object> offset) {
        RowChange change = new RowChange("r", table, columns, types, key, CopyLine.values(row), null, List.of(),
                null, -1);
        return new SourceRecord(partition, offset, topic, partitionOfTable, null, null, RowChange.SCHEMA,
                change.toStruct());
    }

    private SourceRecord chunkRecord(TableRef table, List<String> columns, List<String> types, List<String> key,
            int rows, ByteArrayOutputStream chunk, boolean reset, int partitionOfTable, Map<String, Object> offset) {
        RowChunk value = new RowChunk(table, columns, types, key, rows, chunk.toString(StandardCharsets.UTF_8),
                reset);
        return new SourceRecord(partition, offset, topic, partitionOfTable, null, null, RowChunk.SCHEMA,
                value.toStruct());
    }

    private static List<TableRef> selectedTables(Connection connection, Predicate<TableRef> selected)
            throws SQLException {
        List<TableRef> tables = new ArrayList<>();
        try (Statement statement = connection.createStatement(); ResultSet rs = statement.executeQuery(TABLES_SQL)) {
            while (rs.next()) {
                TableRef table = new TableRef(rs.getString(1), rs.getString(2));
                if (selected.test(table)) {
                    tables.add(table);
                }
            }
        }
        return tables;
    }

    /**
     * Creates the publication as Debezium would when it is missing, before the slot: pgoutput decodes a change only
     * through a publication that existed when the change was written. With row filters, the publication carries them
     * (PostgreSQL 15 publication row filters), and an existing one is set to exactly the selected tables and filters.
     */
    private static void ensurePublication(Connection connection, String name, String mode, List<TableRef> tables,
            Map<TableRef, String> filters, List<String> schemas) throws SQLException {
        boolean exists;
        try (PreparedStatement ps = connection.prepareStatement("SELECT 1 FROM pg_catalog.pg_publication "
                + "WHERE pubname = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                exists = rs.next();
            }
        }
        if (exists && filters.isEmpty()) {
            return;
        }
        String sql;
        if ("filtered".equalsIgnoreCase(mode) && !exists && !schemas.isEmpty()) {
            StringJoiner list = new StringJoiner(", ");
            schemas.forEach(schema -> list.add(Identifiers.quote(schema)));
            sql = "CREATE PUBLICATION " + Identifiers.quote(name) + " FOR TABLES IN SCHEMA " + list;
        } else if ("filtered".equalsIgnoreCase(mode)) {
            if (tables.isEmpty()) {
                return;
            }
            StringJoiner list = new StringJoiner(", ");
            tables.forEach(t -> list.add(t.quoted() + (filters.containsKey(t) ? " WHERE (" + filters.get(t) + ")"
                    : "")));
            sql = (exists ? "ALTER PUBLICATION " + Identifiers.quote(name) + " SET TABLE "
                    : "CREATE PUBLICATION " + Identifiers.quote(name) + " FOR TABLE ") + list;
        } else if (exists) {
            return;
        } else if ("all_tables".equalsIgnoreCase(mode)) {
            sql = "CREATE PUBLICATION " + Identifiers.quote(name) + " FOR ALL TABLES";
        } else {
            return;
        }
        try (Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
        log.info("{} publication {}: {}", exists ? "Set" : "Created", name, sql);
    }

    /**
     * Returns the schemas to publish whole when the selection is by schema only ({@code schema.include.list} or
     * {@code schema.exclude.list}, or no list at all; no table or column filter, no row filter) on PostgreSQL 15 or
     * newer: a publication {@code FOR TABLES IN SCHEMA} also carries the changes of tables created in them later.
     * Schema {@code pgsync} is not one of them (its heartbeat table is added on its own). Else empty: the publication
     * lists the selected tables.
     */
    private static List<String> schemaLevelSelection(Connection connection, Configuration config,
            Predicate<TableRef> selected) throws SQLException {
        boolean byTable = !config.getString("table.include.list", "").isBlank()
                || !PgSyncSourceConfig.userTableExcludeList(config.getString("table.exclude.list", "")).isEmpty()
                || !config.getString("column.include.list", "").isBlank()
                || !config.getString("column.exclude.list", "").isBlank()
                || config.asMap().keySet().stream().anyMatch(k -> k.startsWith(PgSyncSourceConfig.FILTER_PREFIX));
        if (byTable || connection.getMetaData().getDatabaseMajorVersion() < 15) {
            return List.of();
        }
        List<String> schemas = new ArrayList<>();
        try (Statement statement = connection.createStatement(); ResultSet rs = statement.executeQuery(
                "SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname NOT IN ('pg_catalog', "
                        + "'information_schema') AND nspname NOT LIKE 'pg\\_%' ORDER BY 1")) {
            while (rs.next()) {
                String schema = rs.getString(1);
                if (selected.test(new TableRef(schema, "pgsync_any_table"))) {
                    schemas.add(schema);
                }
            }
        }
        return schemas;
    }

    /**
     * Returns whether the slot exists, after waiting for a previous task of this connector to let go of it.
     *
     * @throws ConnectException when something else keeps using it, or when the slot is not a logical slot of this
     *     database: slot names are unique in the whole server, so it is another database's (or a physical standby's)
     *     and must be neither dropped nor shared
     */
    private static boolean awaitInactiveSlot(Connection connection, String slot) throws SQLException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SLOT_RELEASE_SECONDS);
        try (PreparedStatement ps = connection.prepareStatement("SELECT active, database, "
                + "pg_catalog.current_database() FROM pg_catalog.pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, slot);
            while (true) {
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return false;
                    }
                    if (!rs.getString(3).equals(rs.getString(2))) {
                        throw new ConnectException("Replication slot " + slot + " belongs to "
                                + (rs.getString(2) == null ? "a physical replica" : "database " + rs.getString(2))
                                + ", not to " + rs.getString(3) + "; slot names are unique in the whole server. "
                                + "Set slot.name to a name of its own for this connector (pgsync derives "
                                + "pgsync_<connector name> from the connector name, with every character other "
                                + "than a-z, 0-9 and _ turned into _)");
                    }
                    if (!rs.getBoolean(1)) {
                        return true;
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new ConnectException("Replication slot " + slot + " is still in use by another connection "
                            + "after " + SLOT_RELEASE_SECONDS + " s; stop whatever uses it, or give this connector "
                            + "another slot.name");
                }
                try {
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new ConnectException("Interrupted while waiting for replication slot " + slot, e);
                }
            }
        }
    }

    /**
     * Drops the slot a full sync that did not finish left behind (or one whose offsets were reset); returns whether
     * there was one, in which case this full sync empties each destination table before its rows.
     */
    private static boolean dropUnfinishedSlot(Connection connection, String slot) throws SQLException {
        if (!awaitInactiveSlot(connection, slot)) {
            return false;
        }
        log.warn("Dropping replication slot {}, left by a full sync that did not finish; the full sync starts again "
                + "and empties each destination table before copying it", slot);
        try (PreparedStatement drop = connection.prepareStatement("SELECT pg_catalog.pg_drop_replication_slot(?)")) {
            drop.setString(1, slot);
            drop.execute();
        }
        return true;
    }

    /**
     * Creates the slot and imports its exported snapshot into a REPEATABLE READ transaction on the connection;
     * returns the snapshot's name.
     */
    private static String createSlot(SourceDatabase database, Connection connection, String slot, String plugin)
            throws SQLException {
        try (Connection replication = database.connectForReplication()) {
            ReplicationSlotInfo info = replication.unwrap(PGConnection.class).getReplicationAPI()
                    .createReplicationSlot().logical().withSlotName(slot).withOutputPlugin(plugin).make();
            String snapshot = info.getSnapshotName();
            if (snapshot == null || !SNAPSHOT_NAME.matcher(snapshot).matches()) {
                throw new ConnectException("Creating replication slot " + slot + " exported no usable snapshot ("
                        + snapshot + ")");
            }
            connection.setAutoCommit(false);
            connection.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            connection.setReadOnly(true);
            try (Statement statement = connection.createStatement()) {
                statement.execute("SET TRANSACTION SNAPSHOT '" + snapshot + "'");
                // a table's COPY is one statement that takes as long as the table is large
                statement.execute("SET LOCAL statement_timeout = 0");
            }
            connection.setNetworkTimeout(Runnable::run, 0);
            log.info("Created replication slot {} at {}", slot, info.getConsistentPoint());
            return snapshot;
        }
    }
}
