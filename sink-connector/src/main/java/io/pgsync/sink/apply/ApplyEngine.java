package io.pgsync.sink.apply;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTaskContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.pgsync.common.event.DdlEvent;
import io.pgsync.common.event.RowChunk;
import io.pgsync.common.event.SchemaObject;
import io.pgsync.common.event.SequencePosition;
import io.pgsync.common.event.TypedColumns;
import io.pgsync.common.event.SourcePosition;
import io.pgsync.common.pg.Identifiers;
import io.pgsync.common.pg.TableRef;
import io.pgsync.sink.PgSyncSinkConfig;
import io.pgsync.sink.ddl.DdlPolicy;
import io.pgsync.sink.ddl.DdlTranslator;
import io.pgsync.sink.mapping.NameMapping;
import io.pgsync.sink.metrics.PgSyncSinkMetrics;
import io.pgsync.sink.offset.AppliedOffset;
import io.pgsync.sink.offset.OffsetStore;
import io.pgsync.sink.offset.StatusStore;
import io.pgsync.sink.schema.DestinationCatalog;
import io.pgsync.sink.schema.DestinationTable;
import io.pgsync.sink.schema.RowShape;
import io.pgsync.sink.sql.SqlBuilder;

/**
 * Applies change records to the destination with the guarantees of logical replication: whole source transactions,
 * in commit order, each exactly once.
 *
 * <p>Records are read in order; their changes are buffered and written set-wise into one open destination
 * transaction, which is committed only where every assigned partition is between two source transactions (after an
 * END marker, or after a record outside any transaction). A commit writes, in the same transaction, the offset and
 * source position of the last record of each partition to {@code pgsync.applied_offsets}. On start the task seeks
 * there; a change whose source position is not past the applied one is a duplicate from a source restart and is
 * skipped. When a write fails transiently, the open transaction is rolled back, the consumer is rewound to the last
 * committed offsets, and the records are read again after a backoff.
 *
 * <p>The engine prepares each batch (collapsing, building parameters) and hands its statements and the commits to a
 * {@link WriteQueue}, which runs them on a thread of its own while the engine prepares the next batch; a failed
 * write is seen, and handled as above, when the engine next submits or waits.
 */
public final class ApplyEngine implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ApplyEngine.class);
    private static final long FIRST_BACKOFF_MS = 100;
    /** SQLSTATEs of "already exists": duplicate table, object, function, schema. */
    private static final Set<String> ALREADY_EXISTS = Set.of("42P07", "42710", "42723", "42P06");

    private final PgSyncSinkConfig config;
    private final int batchMaxRecords;
    private final SinkTaskContext context;
    private final PgSyncSinkMetrics metrics;
    private final Properties connectionProperties;
    private final DestinationCatalog catalog;
    private final WriteErrors writeErrors;
    private final OffsetStore offsets;
    private final Map<TopicPartition, PartitionState> partitions = new HashMap<>();
    private final Map<TopicPartition, Long> rewinds = new HashMap<>();
    /** What {@link #committedOffsets} returns; written on the engine's thread only. */
    private volatile Map<TopicPartition, OffsetAndMetadata> published = Map.of();
    private final WriteQueue writes;
    private final StatusStore status;
    private final NameMapping mapping;
    private final DdlPolicy ddlPolicy;
    /** What the open destination transaction applied last: schema, full or incremental (for pgsync.status). */
    private String phase = "incremental";
    /** Whether the last commit's lag was over lag.alert.threshold.ms; touched only on the write thread. */
    private boolean lagAlert;
    private List<Change> buffer = new ArrayList<>();
    /** Sequences found missing at the destination, each reported once; touched only on the write thread. */
    private final Set<TableRef> missingSequences = new HashSet<>();

    private Connection connection;
    private SetWriter setWriter;
    private OrderedWriter orderedWriter;
    private CopyWriter copyWriter;
    private boolean offsetsLoaded;
    private int uncommittedChanges;
    private int uncommittedTransactions;
    /**
     * Whether the open transaction holds DDL, which is committed at the next source transaction boundary: its locks
     * are released and an enum value it added may be used.
     */
    private boolean ddlUncommitted;
    private long latestSourceTimeMs = -1;
    private long transactionStartNanos;
    private long failingSinceMs = -1;
    private int failures;

    /**
     * @param task the task's number, for {@code pgsync.status}
     * @param writeThreadName the name of the thread that runs the destination writes
     */
    public ApplyEngine(PgSyncSinkConfig config, int task, SinkTaskContext context, PgSyncSinkMetrics metrics,
            String writeThreadName) {
        this.config = config;
        this.batchMaxRecords = config.batchMaxRecords();
        this.context = context;
        this.metrics = metrics;
        this.connectionProperties = config.connectionProperties();
        this.ddlPolicy = new DdlPolicy(config.ddlOwnerRole(), config.ddlSecurityDefinerEnabled(), metrics);
        this.catalog = new DestinationCatalog(config.tableCreateEnabled(), config.columnAddEnabled(), ddlPolicy);
        this.writeErrors = new WriteErrors(catalog, config.connectionUser());
        this.offsets = new OffsetStore(config.connectorName());
        this.writes = new WriteQueue(writeThreadName);
        this.status = new StatusStore(config.connectorName(), task);
        this.mapping = config.nameMapping();
    }

    /**
     * Takes on partitions: their applied offsets are read from the destination and the consumer seeks there. When the
     * destination cannot be read yet, the first delivery retries; when it refuses the login (a password changed under
     * the task), the task fails now, not at the next change.
     */
    public void open(Collection<TopicPartition> assigned) {
        for (TopicPartition tp : assigned) {
            partitions.put(tp, new PartitionState());
        }
        offsetsLoaded = false;
        try {
            loadOffsets(assigned);
        } catch (SQLException e) {
            if (Failures.classify(e) == Failures.Kind.DESTINATION) {
                abort();
                discardConnection();
                throw new ConnectException(failureMessage(e), e);
            }
            log.warn("Cannot read applied offsets from the destination yet ({}); the first batch will retry",
                    Failures.message(e));
            abort();
            discardConnection();
        }
    }

    /** Gives up partitions: uncommitted work is rolled back and the remaining partitions re-read from their offsets. */
    public void close(Collection<TopicPartition> revoked) {
        revoked.forEach(partitions::remove);
        publish();
        try {
            writes.drain();
        } catch (SQLException | RuntimeException e) {
            log.warn("A destination write failed before partitions were revoked ({}); rolled back",
                    e.getMessage());
            abort();
            return;
        }
        if (uncommittedChanges > 0 || !buffer.isEmpty()) {
            abort();
        }
    }

    /**
     * Returns and forgets the offsets the consumer must seek to before the next delivery: after {@link #open}, and
     * after a failed write was rolled back. Records of the partitions already read past those offsets must not be
     * applied; Connect re-delivers them after the seek.
     */
    public Map<TopicPartition, Long> takeRewinds() {
        Map<TopicPartition, Long> taken = Map.copyOf(rewinds);
        rewinds.clear();
        return taken;
    }

    /**
     * Returns, per partition, the offset of the next record to read after what the destination has committed, as of
     * the last commit that succeeded; callable from any thread, without waiting for the queued writes. Connect's own
     * offsets may therefore lag the destination's, which stay authoritative: {@link #open} seeks to those.
     */
    public Map<TopicPartition, OffsetAndMetadata> committedOffsets() {
        return published;
    }

    /** Makes the committed offsets of the current partitions visible to {@link #committedOffsets}. */
    private void publish() {
        Map<TopicPartition, OffsetAndMetadata> result = new HashMap<>();
        partitions.forEach((tp, state) -> {
            if (state.committedOffset >= 0) {
                result.put(tp, new OffsetAndMetadata(state.committedOffset + 1));
            }
        });
        published = Map.copyOf(result);
    }

    /**
     * Applies the records in order; commits at the last source transaction boundary of the delivery, and earlier at a
     * boundary once {@code apply.batch.max.records} changes are uncommitted.
     *
     * @throws ConnectException when the destination rejects a change for good (and errors are not tolerated), or
     *     stays unreachable beyond the retry timeout; the message names the table, key, record and SQL error
     */
    void apply(Delivery delivery) {
        try {
            connection();
            if (!offsetsLoaded) {
                resumeLate(delivery.records);
                return;
            }
            List<SinkRecord> batch = delivery.records;
            Records.Marker[] markers = delivery.markers;
            int lastBoundary = lastBoundary(batch, markers);
            for (int i = 0; i < batch.size(); i++) {
                SinkRecord record = batch.get(i);
                PartitionState state = state(record);
                if (state.firstOffset < 0) {
                    state.firstOffset = record.kafkaOffset();
                }
                if (record.kafkaOffset() <= state.offset) {
                    continue;
                }
                accept(record, state, markers[i], delivery.contents[i]);
                state.offset = record.kafkaOffset();
                if (buffer.size() >= batchMaxRecords) {
                    flush();
                }
                if ((i + 1 == lastBoundary || uncommittedChanges >= batchMaxRecords || ddlUncommitted)
                        && atBoundary()) {
                    commit();
                }
            }
            if (atBoundary()) {
                commit();
            } else {
                flush();
            }
        } catch (SQLException e) {
            retryOrFail(e);
        } catch (RuntimeException e) {
            abort();
            throw e;
        }
    }

    /**
     * Waits for the queued writes when no records came, so a write that failed is retried, or fails the task, now
     * rather than with the next delivery.
     */
    void idle() {
        try {
            writes.drain();
        } catch (SQLException e) {
            retryOrFail(e);
        } catch (RuntimeException e) {
            abort();
            recordError(e.getMessage());
            throw e;
        }
    }

    /** Writes the error to {@code pgsync.status}, if the destination can still be reached; after a rollback. */
    private void recordError(String message) {
        if (connection == null) {
            return;
        }
        try {
            status.failed(connection, message);
        } catch (SQLException e) {
            log.debug("Cannot record the error in pgsync.status: {}", e.getMessage());
            try {
                connection.rollback();
            } catch (SQLException ignored) {
                discardConnection();
            }
        }
    }

    private PartitionState state(SinkRecord record) {
        return partitions.computeIfAbsent(new TopicPartition(record.topic(), record.kafkaPartition()),
                tp -> new PartitionState());
    }

    /**
     * Returns how many leading records of the delivery end where every partition is between source transactions
     * (0 when none does). The engine commits there: a delivery that ends inside a transaction still makes every
     * transaction before it visible at once, instead of waiting for a later delivery that happens to end on a
     * boundary. Example: the delivery {@code c9 END(t1) BEGIN(t2) c1 c2} returns 2, so t1 is committed right after its
     * END marker and t2 with a later delivery.
     */
    private int lastBoundary(List<SinkRecord> batch, Records.Marker[] markers) {
        Map<TopicPartition, Boolean> inTransaction = new HashMap<>();
        int open = 0;
        for (Map.Entry<TopicPartition, PartitionState> entry : partitions.entrySet()) {
            inTransaction.put(entry.getKey(), entry.getValue().inTransaction);
            open += entry.getValue().inTransaction ? 1 : 0;
        }
        int last = 0;
        for (int i = 0; i < batch.size(); i++) {
            SinkRecord record = batch.get(i);
            Records.Marker marker = markers[i];
            if (marker != null && record.kafkaOffset() > state(record).offset) {
                TopicPartition tp = new TopicPartition(record.topic(), record.kafkaPartition());
                boolean now = marker == Records.Marker.BEGIN;
                Boolean before = inTransaction.put(tp, now);
                if (before == null || before != now) {
                    open += now ? 1 : (before == null ? 0 : -1);
                }
            }
            if (open == 0) {
                last = i + 1;
            }
        }
        return last;
    }

    private void accept(SinkRecord record, PartitionState state, Records.Marker marker, Object content)
            throws SQLException {
        if (marker != null) {
            state.inTransaction = marker == Records.Marker.BEGIN;
            if (marker == Records.Marker.END) {
                uncommittedTransactions++;
            }
            return;
        }
        if (content instanceof ConnectException unreadable) {
            reportOrFail(record, unreadable);
            return;
        }
        if (content instanceof RowChunk chunk) {
            phase = "full";
            copy(record, chunk);
            return;
        }
        if (content instanceof SchemaObject object) {
            phase = "schema";
            create(record, object);
            return;
        }
        if (content instanceof SequencePosition position) {
            advance(position);
            return;
        }
        if (content instanceof DdlEvent event) {
            alter(record, state, event);
            return;
        }
        if (!(content instanceof ChangeEvent event)) {
            return;
        }
        phase = "incremental";
        if (isDuplicate(state, event.position())) {
            return;
        }
        if (transactionStartNanos == 0) {
            transactionStartNanos = System.nanoTime();
        }
        latestSourceTimeMs = Math.max(latestSourceTimeMs, event.sourceTimeMs());
        uncommittedChanges++;
        if (event.op() == ChangeEvent.Op.TRUNCATE) {
            flush();
            String truncate = SqlBuilder.truncate(resolve(event.table(), null)).sql();
            Connection conn = connection;
            writes.submit(() -> {
                try (var statement = conn.createStatement()) {
                    statement.execute(truncate);
                }
                return null;
            });
            return;
        }
        Change change;
        try {
            DestinationTable table = resolve(event.table(), event.shape());
            change = Change.of(event, table);
        } catch (ConnectException e) {
            reportOrFail(record, e);
            return;
        }
        buffer.add(change);
    }

    /**
     * Creates an object of the schema sync, after the queued writes and inside the open transaction. A table that
     * exists with other columns fails the task when {@code schema.sync.conflict=precheck}.
     */
    private void create(SinkRecord record, SchemaObject object) throws SQLException {
        flush();
        writes.drain();
        if (object.table() != null && config.schemaConflictFails()) {
            checkConflict(object);
        }
        List<DdlTranslator.Step> steps = new ArrayList<>();
        if (object.table() != null && !mapping.isNone()) {
            steps.add(new DdlTranslator.Step("schema of " + object.identity(), "CREATE SCHEMA IF NOT EXISTS "
                    + Identifiers.quote(mapping.table(object.table()).schema())));
        }
        for (String sql : object.statements()) {
            Optional<String> rewritten = mapping.rewrite(sql, object.table());
            if (rewritten.isPresent()) {
                steps.add(new DdlTranslator.Step(object.kind() + " " + object.identity(), rewritten.get()));
            } else {
                log.warn("Not created at the destination under the naming rules (it needs a column that "
                        + "columns.exclude leaves out, or ties a sequence to a table in another schema): {}", sql);
            }
        }
        runDdl(record, steps);
    }

    /**
     * Applies a DDL command captured on the source while streaming, in its place in the stream: after the queued
     * writes and inside the open transaction. A duplicate a source restart re-sent is skipped by its position.
     */
    private void alter(SinkRecord record, PartitionState state, DdlEvent event) throws SQLException {
        if (isDuplicate(state, event.position())) {
            return;
        }
        phase = "incremental";
        latestSourceTimeMs = Math.max(latestSourceTimeMs, event.sourceTimeMs());
        List<DdlTranslator.Step> steps;
        try {
            steps = DdlTranslator.translate(event, mapping);
        } catch (DdlTranslator.UntranslatableDdlException | DataException e) {
            reportOrFail(record, new ConnectException("Cannot apply DDL from " + Records.position(record) + ": "
                    + e.getMessage(), e));
            return;
        }
        flush();
        writes.drain();
        runDdl(record, steps);
        ddlUncommitted = true;
    }

    /**
     * Whether a streamed record's source position is not past the partition's last applied one: a duplicate a source
     * restart re-sent, counted and skipped. Otherwise the position becomes the partition's last one.
     */
    private boolean isDuplicate(PartitionState state, SourcePosition position) {
        if (position == null) {
            return false;
        }
        if (state.position != null && !position.isAfter(state.position)) {
            metrics.duplicateSkipped();
            return true;
        }
        state.position = position;
        return false;
    }

    /**
     * Runs DDL statements in order, each under a savepoint with {@code check_function_bodies = off}; one that fails
     * because the object already exists counts as done, so a restarted schema sync creates nothing twice. Any other
     * failure is reported as the record's, naming the object and the statement.
     */
    private void runDdl(SinkRecord record, List<DdlTranslator.Step> steps) throws SQLException {
        Connection conn = connection();
        try (DdlPolicy.Session ddl = ddlPolicy.enter(conn)) {
            for (DdlTranslator.Step step : steps) {
                Savepoint savepoint = conn.setSavepoint();
                try {
                    ddl.execute(ddlPolicy.apply(step.object(), step.sql()));
                    conn.releaseSavepoint(savepoint);
                } catch (SQLException e) {
                    conn.rollback(savepoint);
                    if (ALREADY_EXISTS.contains(e.getSQLState())) {
                        log.debug("{} already exists at the destination: {}", step.object(), e.getMessage());
                        continue;
                    }
                    Failures.Kind kind = Failures.classify(e);
                    if (kind == Failures.Kind.CONNECTION || kind == Failures.Kind.TRANSIENT) {
                        throw e;
                    }
                    catalog.invalidate();
                    reportOrFail(record, new ConnectException("Cannot apply DDL to " + step.object()
                            + " at the destination (" + Failures.message(e) + "); statement: " + step.sql()
                            + "; from " + Records.position(record), e));
                    return;
                }
            }
        }
        catalog.invalidate();
        metrics.ddlApplied();
        uncommittedChanges++;
        if (transactionStartNanos == 0) {
            transactionStartNanos = System.nanoTime();
        }
    }

    /**
     * Queues moving a destination sequence to the source's position, never backwards: a sequence the destination
     * has already moved as far or further (e.g. by writing with it) keeps its value. A sequence missing at the
     * destination is reported once, with the fix.
     */
    private void advance(SequencePosition position) throws SQLException {
        Connection conn = connection();
        writes.submit(() -> {
            try (PreparedStatement ps = conn.prepareStatement("SELECT last_value FROM pg_catalog.pg_sequences "
                    + "WHERE schemaname = ? AND sequencename = ?")) {
                ps.setString(1, position.sequence().schema());
                ps.setString(2, position.sequence().table());
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        if (missingSequences.add(position.sequence())) {
                            log.warn("Sequence {} does not exist at the destination, so its position ({}) is not "
                                    + "applied; create it (the schema sync does), then its next position applies",
                                    position.sequence(), position.lastValue());
                        }
                        return null;
                    }
                    long current = rs.getLong(1);
                    boolean used = !rs.wasNull();
                    if (used && progress(current, true) >= progress(position.lastValue(), position.called())) {
                        return null;
                    }
                }
            }
            try (PreparedStatement ps = conn.prepareStatement("SELECT pg_catalog.setval(?::regclass, ?, ?)")) {
                ps.setString(1, position.sequence().quoted());
                ps.setLong(2, position.lastValue());
                ps.setBoolean(3, position.called());
                ps.execute();
            }
            return null;
        });
        uncommittedChanges++;
    }

    /**
     * Orders the positions of an ascending sequence: {@code (v, called)} has handed out {@code v}, {@code (v, not
     * called)} hands out {@code v} next.
     */
    private static long progress(long lastValue, boolean called) {
        return 2 * lastValue + (called ? 1 : 0);
    }

    /** Fails when the table exists at the destination with other columns or types than the source's. */
    private void checkConflict(SchemaObject object) throws SQLException {
        TableRef source = object.table();
        TableRef target = mapping.table(source);
        DestinationTable existing = catalog.existing(connection(), target).orElse(null);
        if (existing == null) {
            return;
        }
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < object.columns().size(); i++) {
            String column = object.columns().get(i);
            if (!mapping.excluded(source, column)) {
                expected.add(mapping.column(source, column) + " "
                        + unqualified(TypedColumns.type(object.types().get(i))));
            }
        }
        List<String> actual = new ArrayList<>();
        existing.columnTypes().forEach((column, type) -> actual.add(column + " " + unqualified(type)));
        if (!expected.equals(actual)) {
            throw new ConnectException("Destination table " + target + " already exists with columns "
                    + actual + ", but the source table has " + expected + "; drop or fix the destination table, or "
                    + "set " + PgSyncSinkConfig.SCHEMA_CONFLICT + "=" + PgSyncSinkConfig.SCHEMA_CONFLICT_IGNORE
                    + " to keep it and write the source rows into it");
        }
    }

    /** A type name without its schema, so that {@code public.mood} and {@code mood} compare equal. */
    private static String unqualified(String type) {
        return type.replaceFirst("^(\"(?:[^\"]|\"\")+\"|[^\".\\[( ]+)\\.", "");
    }

    /**
     * Returns the destination table for rows of the shape (null for a TRUNCATE); when that needs the destination
     * (a table not read yet, a column to add), the queued writes run first.
     */
    private DestinationTable resolve(TableRef table, RowShape shape) throws SQLException {
        DestinationTable known = catalog.cached(table, shape);
        if (known != null) {
            return known;
        }
        writes.drain();
        return catalog.resolve(connection(), table, shape);
    }

    /**
     * Queues a chunk of the full sync for COPY, after the buffered changes; a chunk the destination rejects is
     * reported as one record.
     */
    private void copy(SinkRecord record, RowChunk chunk) throws SQLException {
        flush();
        DestinationTable table;
        try {
            table = resolve(chunk.table(), ChangeReader.shapeOf(chunk));
        } catch (ConnectException e) {
            reportOrFail(record, e);
            return;
        }
        if (transactionStartNanos == 0) {
            transactionStartNanos = System.nanoTime();
        }
        uncommittedChanges += chunk.rows();
        Connection conn = connection;
        CopyWriter copier = copyWriter;
        writes.submit(() -> {
            Savepoint savepoint = conn.setSavepoint();
            try {
                copier.write(table, chunk);
                conn.releaseSavepoint(savepoint);
            } catch (SQLException e) {
                if (Failures.classify(e) != Failures.Kind.PERMANENT) {
                    throw writeErrors.explain(conn, savepoint, e, List.of(table));
                }
                conn.rollback(savepoint);
                reportOrFail(record, new ConnectException("Cannot copy " + chunk.rows() + " row(s) into "
                        + table.table() + " from " + Records.position(record) + ": " + Failures.message(e), e));
            }
            return null;
        });
    }

    private boolean atBoundary() {
        for (PartitionState state : partitions.values()) {
            if (state.inTransaction) {
                return false;
            }
        }
        return true;
    }

    /**
     * Queues the buffered changes for writing into the open transaction: set-wise, else in event order, else one by
     * one.
     */
    private void flush() throws SQLException {
        if (buffer.isEmpty()) {
            return;
        }
        List<Change> changes = buffer;
        buffer = new ArrayList<>();
        SetWriter.Prepared prepared = setWriter.prepare(changes);
        Connection conn = connection;
        OrderedWriter ordered = orderedWriter;
        writes.submit(() -> {
            Savepoint savepoint = conn.setSavepoint();
            try {
                try {
                    prepared.run();
                } catch (SQLException e) {
                    if (Failures.classify(e) != Failures.Kind.PERMANENT) {
                        throw e;
                    }
                    conn.rollback(savepoint);
                    log.debug("Set-wise write failed ({}); writing {} change(s) in event order", Failures.message(e),
                            changes.size());
                    writeInOrder(conn, ordered, changes);
                }
            } catch (SQLException e) {
                throw writeErrors.explain(conn, savepoint, e, changes);
            }
            conn.releaseSavepoint(savepoint);
            return null;
        });
    }

    private void writeInOrder(Connection conn, OrderedWriter ordered, List<Change> changes) throws SQLException {
        Savepoint savepoint = conn.setSavepoint();
        try {
            ordered.write(changes);
            conn.releaseSavepoint(savepoint);
            return;
        } catch (SQLException e) {
            if (Failures.classify(e) != Failures.Kind.PERMANENT) {
                throw e;
            }
            conn.rollback(savepoint);
        }
        for (Change change : changes) {
            Savepoint single = conn.setSavepoint();
            try {
                ordered.write(List.of(change));
                conn.releaseSavepoint(single);
            } catch (SQLException e) {
                if (Failures.classify(e) != Failures.Kind.PERMANENT) {
                    throw e;
                }
                conn.rollback(single);
                reportOrFail(change.event().record(), new ConnectException(describe(change, e)
                        + writeErrors.typeMismatch(conn, change, e), e));
            }
        }
    }

    private static String describe(Change change, SQLException e) {
        return "Cannot apply " + change.event().op() + " to " + change.table().table() + " key "
                + (change.key().isEmpty() ? "(none)" : change.table().keyColumns() + "=" + change.key()) + " from "
                + Records.position(change.event().record()) + ": " + Failures.message(e);
    }

    /** Sends a record that can never apply to the errant-record reporter, or fails the task when errors are not tolerated. */
    private void reportOrFail(SinkRecord record, ConnectException error) {
        if (!config.toleratesErrors() || context.errantRecordReporter() == null) {
            throw error;
        }
        log.warn("Skipping a record that cannot be applied (errors.tolerance=all): {}", error.getMessage());
        try {
            context.errantRecordReporter().report(record, error).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConnectException("Interrupted while reporting " + Records.position(record), e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new ConnectException("Cannot report errant record " + Records.position(record) + ": "
                    + e.getCause().getMessage(), e.getCause());
        }
        metrics.errantRecord();
    }

    /**
     * Queues the commit of the open transaction, with the offsets and source positions read so far; once it has
     * succeeded, they become the ones a rollback rewinds to.
     */
    private void commit() throws SQLException {
        flush();
        Map<TopicPartition, Mark> advanced = new HashMap<>();
        partitions.forEach((tp, state) -> {
            if (state.offset > state.submittedOffset) {
                advanced.put(tp, new Mark(state.offset, state.position));
                state.submittedOffset = state.offset;
            }
        });
        if (advanced.isEmpty() && uncommittedChanges == 0) {
            return;
        }
        Map<TopicPartition, AppliedOffset> applied = new HashMap<>();
        advanced.forEach((tp, mark) -> applied.put(tp, mark.applied()));
        int changes = uncommittedChanges;
        int transactions = uncommittedTransactions;
        long startNanos = transactionStartNanos;
        long sourceTimeMs = latestSourceTimeMs;
        String committedPhase = phase;
        Connection conn = connection;
        writes.submit(() -> {
            offsets.write(conn, applied);
            long lagMs = sourceTimeMs < 0 ? -1 : System.currentTimeMillis() - sourceTimeMs;
            status.committed(conn, committedPhase, lagMs, changes, transactions);
            conn.commit();
            long latencyMs = startNanos == 0 ? 0 : (System.nanoTime() - startNanos) / 1_000_000;
            metrics.committed(changes, transactions, latencyMs, lagMs);
            metrics.phase(committedPhase);
            checkLag(lagMs);
            return () -> committed(advanced);
        });
        uncommittedChanges = 0;
        uncommittedTransactions = 0;
        ddlUncommitted = false;
        latestSourceTimeMs = -1;
        transactionStartNanos = 0;
    }

    /**
     * Logs a warning, and raises the {@code lag-alert} metric, when a commit's end-to-end lag exceeds
     * {@code lag.alert.threshold.ms}; logs again when it is back under. Runs on the write thread.
     */
    private void checkLag(long lagMs) {
        long threshold = config.lagAlertThresholdMs();
        if (threshold <= 0 || lagMs < 0) {
            return;
        }
        boolean alert = lagMs > threshold;
        if (alert != lagAlert) {
            lagAlert = alert;
            metrics.lagAlert(alert);
            if (alert) {
                log.warn("End-to-end lag is {} ms, over {}={} ms", lagMs, PgSyncSinkConfig.LAG_ALERT_THRESHOLD_MS,
                        threshold);
            } else {
                log.info("End-to-end lag is back under {} ms ({} ms)", threshold, lagMs);
            }
        }
    }

    /** Records a commit the destination has made: a later rollback rewinds to these offsets, not before them. */
    private void committed(Map<TopicPartition, Mark> advanced) {
        advanced.forEach((tp, mark) -> {
            PartitionState state = partitions.get(tp);
            if (state != null) {
                state.committedOffset = mark.offset();
                state.committedPosition = mark.position();
            }
        });
        publish();
        failingSinceMs = -1;
        failures = 0;
    }

    /**
     * Handles a failed write: rolls back, rewinds every partition to its committed offset, and either returns after a
     * backoff (Connect then re-delivers from there) or, past the retry timeout or for a permanent error, fails.
     */
    private void retryOrFail(SQLException e) {
        Failures.Kind kind = Failures.classify(e);
        abort();
        // The destination's offsets are authoritative: after a crash (with synchronous_commit=off) or a failover to
        // a standby that lagged, it may have lost transactions it acknowledged. Read them again before applying.
        offsetsLoaded = false;
        String message = failureMessage(e);
        recordError(message);
        if (kind == Failures.Kind.PERMANENT || kind == Failures.Kind.DESTINATION) {
            throw new ConnectException(message, e);
        }
        long now = System.currentTimeMillis();
        if (failingSinceMs < 0) {
            failingSinceMs = now;
        }
        long limit = (kind == Failures.Kind.CONNECTION ? config.retryConnectionTimeout() : config.retryOtherTimeout())
                .toMillis();
        if (now - failingSinceMs >= limit) {
            throw new ConnectException(message + "; gave up after retrying for " + (now - failingSinceMs) + " ms ("
                    + (kind == Failures.Kind.CONNECTION ? PgSyncSinkConfig.RETRY_CONNECTION_TIMEOUT_MS
                            : PgSyncSinkConfig.RETRY_OTHER_TIMEOUT_MS) + "=" + limit + ")", e);
        }
        long backoff = Math.min(config.retryBackoffMax().toMillis(), FIRST_BACKOFF_MS << Math.min(failures, 20));
        failures++;
        metrics.retried();
        log.warn("{}; rolled back, will re-read from the last applied offsets in {} ms (retry {})", message, backoff,
                failures);
        try {
            Thread.sleep(backoff);
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Says that a write failed, where, why, and (for the errors a user must fix) what to do. */
    private String failureMessage(SQLException e) {
        String fix = e instanceof WriteErrors.Explained ? null : Failures.fix(e.getSQLState(), "the synced tables",
                Identifiers.quote(String.valueOf(config.connectionUser())));
        return "Cannot write to the destination " + config.connectionUrlForDisplay() + ": " + Failures.message(e)
                + (fix == null ? "" : "; " + fix);
    }

    /**
     * Waits for the queued writes, then rolls back the open transaction and rewinds every partition to just after
     * its last committed record.
     */
    private void abort() {
        writes.reset();
        buffer.clear();
        catalog.invalidate();
        uncommittedChanges = 0;
        uncommittedTransactions = 0;
        ddlUncommitted = false;
        latestSourceTimeMs = -1;
        transactionStartNanos = 0;
        if (connection != null) {
            try {
                connection.rollback();
            } catch (SQLException e) {
                discardConnection();
            }
        }
        partitions.forEach((tp, state) -> {
            long next = state.rewind();
            if (next >= 0) {
                rewinds.put(tp, next);
            }
        });
    }

    private Map<TopicPartition, AppliedOffset> loadOffsets(Collection<TopicPartition> assigned) throws SQLException {
        writes.drain();
        Connection conn = connection();
        Map<TopicPartition, AppliedOffset> applied = offsets.read(conn);
        conn.commit();
        for (TopicPartition tp : assigned) {
            AppliedOffset offset = applied.get(tp);
            PartitionState state = partitions.get(tp);
            if (offset != null && state != null) {
                state.load(offset);
                rewinds.put(tp, offset.offset() + 1);
            }
        }
        offsetsLoaded = true;
        publish();
        log.info("Resuming partition(s) {} from the offsets applied in the destination: {}", assigned, applied);
        return applied;
    }

    /**
     * Loads the applied offsets when {@link #open} could not, then sends every partition of the batch back to the
     * right place (its applied offset, or the batch's first record) without applying anything: Connect re-delivers.
     */
    private void resumeLate(Collection<SinkRecord> records) throws SQLException {
        Map<TopicPartition, Long> firstOffsets = new HashMap<>();
        for (SinkRecord record : records) {
            firstOffsets.merge(new TopicPartition(record.topic(), record.kafkaPartition()), record.kafkaOffset(),
                    Math::min);
        }
        Map<TopicPartition, Long> committedBefore = new HashMap<>();
        partitions.forEach((tp, state) -> committedBefore.put(tp, state.committedOffset));
        Map<TopicPartition, AppliedOffset> applied = loadOffsets(List.copyOf(partitions.keySet()));
        partitions.forEach((tp, state) -> {
            long before = committedBefore.get(tp);
            AppliedOffset now = applied.get(tp);
            if (before >= 0 && (now == null || now.offset() < before)) {
                log.warn("The destination lost transactions it had committed for {} (applied up to offset {}, now {}), "
                        + "as after a crash with synchronous_commit=off or a failover to a standby that lagged; "
                        + "applying them again", tp, before, now == null ? "none" : now.offset());
            }
            if (now == null) {
                long first = state.forget();
                Long batchFirst = firstOffsets.get(tp);
                if (first >= 0 || batchFirst != null) {
                    rewinds.put(tp, first >= 0 ? first : batchFirst);
                }
            }
        });
    }

    private Connection connection() throws SQLException {
        if (connection == null) {
            Connection conn = config.sessionSettings().open(config.connectionUrl(), connectionProperties);
            try {
                setReplicaRole(conn);
                conn.setAutoCommit(false);
                offsets.ensureTable(conn);
                status.ensureTable(conn);
                conn.commit();
            } catch (SQLException e) {
                conn.close();
                throw e;
            }
            StatementCache statements = new StatementCache(conn);
            orderedWriter = new OrderedWriter(statements);
            setWriter = new SetWriter(statements, orderedWriter);
            copyWriter = new CopyWriter(conn);
            catalog.invalidate();
            connection = conn;
        }
        return connection;
    }

    /**
     * Runs writes as a replica, as PostgreSQL's own logical replication does: destination triggers and foreign keys
     * do not fire for rows the source already checked. Needs superuser or {@code GRANT SET ON PARAMETER
     * session_replication_role}; without it the sink still works, but triggers fire and foreign keys are checked.
     */
    private static void setReplicaRole(Connection conn) {
        try (var statement = conn.createStatement()) {
            statement.execute("SET session_replication_role = replica");
        } catch (SQLException e) {
            log.warn("Cannot SET session_replication_role = replica ({}): destination triggers will fire and "
                    + "foreign keys will be checked for every applied row, so rows may be rejected or changed by "
                    + "the destination. Grant it with: GRANT SET ON PARAMETER session_replication_role TO <sink "
                    + "user> (PostgreSQL 15+), or connect as a superuser.", e.getMessage());
        }
    }

    private void discardConnection() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException e) {
                log.debug("Closing the destination connection failed: {}", e.getMessage());
            }
            connection = null;
        }
    }

    @Override
    public void close() {
        writes.close();
        buffer.clear();
        if (connection != null) {
            try {
                connection.rollback();
            } catch (SQLException e) {
                log.debug("Rollback on close failed: {}", e.getMessage());
            }
        }
        discardConnection();
    }

    /** The last record a commit covers in one partition: its offset and source position. */
    private record Mark(long offset, SourcePosition position) {
        AppliedOffset applied() {
            return new AppliedOffset(offset, position == null ? null : position.commitLsn(),
                    position == null ? null : position.lsn(), position == null ? null : position.order());
        }
    }

    /**
     * What the engine knows of one topic partition: read so far, covered by a queued commit, and committed in the
     * destination.
     */
    private static final class PartitionState {
        long offset = -1;
        SourcePosition position;
        boolean inTransaction;
        long submittedOffset = -1;
        long committedOffset = -1;
        SourcePosition committedPosition;
        long firstOffset = -1;

        void load(AppliedOffset applied) {
            committedOffset = applied.offset();
            submittedOffset = applied.offset();
            offset = applied.offset();
            committedPosition = applied.lsn() == null ? null
                    : new SourcePosition(applied.commitLsn() == null ? -1 : applied.commitLsn(), applied.lsn(),
                            applied.order() == null ? 0 : applied.order());
            position = committedPosition;
            inTransaction = false;
        }

        /**
         * Forgets every commit, for a destination that holds no applied offset of this partition; returns the first
         * offset read since the partition was opened, or -1 if none was.
         */
        long forget() {
            committedOffset = -1;
            committedPosition = null;
            rewind();
            return firstOffset;
        }

        /** Forgets what was read after the last commit; returns the offset to read next, or -1 if unknown. */
        long rewind() {
            inTransaction = false;
            position = committedPosition;
            offset = committedOffset;
            submittedOffset = committedOffset;
            return committedOffset >= 0 ? committedOffset + 1 : firstOffset;
        }
    }
}
