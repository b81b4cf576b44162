package io.pgsync.source;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.RetriableException;
import org.apache.kafka.connect.source.SourceRecord;
import org.postgresql.replication.LogSequenceNumber;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.debezium.config.Configuration;
import io.debezium.connector.postgresql.PostgresConnectorConfig;
import io.debezium.connector.postgresql.PostgresConnectorTask;
import io.debezium.connector.postgresql.PostgresOffsetContext;
import io.debezium.connector.postgresql.PostgresPartition;
import io.debezium.pipeline.ChangeEventSourceCoordinator;
import io.pgsync.common.Version;
import io.pgsync.common.event.DebeziumEnvelope;
import io.pgsync.common.event.RowChange;
import io.pgsync.common.pg.TableRef;
import io.pgsync.source.capture.ChangelogRouter;
import io.pgsync.source.capture.RecordLimit;
import io.pgsync.source.capture.RowChangeEncoder;
import io.pgsync.source.capture.StreamStart;
import io.pgsync.source.ddl.DdlCapture;
import io.pgsync.source.fullsync.CopyFullSync;
import io.pgsync.source.fullsync.SourceDatabase;
import io.pgsync.source.metrics.ExpectedRows;
import io.pgsync.source.metrics.PgSyncSourceMetrics;
import io.pgsync.source.precheck.SourcePrecheck;
import io.pgsync.source.selection.AddedTables;
import io.pgsync.source.selection.ReplicaIdentity;
import io.pgsync.source.sequence.SequenceSync;

/**
 * Runs Debezium's PostgreSQL capture unchanged and hands Connect its records re-addressed to the changelog, with
 * the DDL capture's rows turned into DDL records ({@link DdlCapture}).
 *
 * <p>It extends {@link PostgresConnectorTask} rather than wrapping it: Debezium's lifecycle (start, the final
 * {@code poll()} with its commit and error handling, offset commit to the slot) stays Debezium's own, and pgsync
 * only overrides the one step that produces records.
 */
public class PgSyncSourceTask extends PostgresConnectorTask {

    private static final Logger log = LoggerFactory.getLogger(PgSyncSourceTask.class);

    private volatile ChangelogRouter router;
    /** Finds the table of Debezium's records on the task thread. */
    private final DebeziumEnvelope.TableReader tables = new DebeziumEnvelope.TableReader();
    private volatile CopyFullSync fullSync;
    private volatile Throttle throttle;
    private volatile SequenceSync sequences;
    private volatile DdlCapture ddl;
    private volatile RecordLimit recordLimit;
    /** Stamps the changes of a stream that started without Debezium offsets; null when it had offsets. */
    private volatile StreamStart streamStart;
    /** The schema of tables that joined the selection, sent before Debezium's records; emptied once sent. */
    private volatile List<SourceRecord> addedTablesSchema = List.of();
    private volatile boolean stopping;
    private volatile PgSyncSourceMetrics metrics;
    /** The full sync's throttle waits, kept when the full sync is over. */
    private volatile long fullSyncThrottledMs;

    /**
     * Starts Debezium's capture, after checking that the source takes the connection (else fails naming the key to
     * fix, e.g. a password changed under the task); with {@code full.sync.mode=copy}, first creates the slot and
     * starts copying the existing rows ({@link CopyFullSync}), so Debezium streams from that slot's consistent point.
     */
    @Override
    public ChangeEventSourceCoordinator<PostgresPartition, PostgresOffsetContext> start(Configuration config) {
        List<SourcePrecheck.Failure> unreachable = SourcePrecheck.connectivity(config.asMap());
        if (!unreachable.isEmpty()) {
            SourcePrecheck.Failure failure = unreachable.get(0);
            if (failure.outage()) {
                throw new RetriableException("Cannot start capturing yet: " + failure.message() + ". The task tries "
                        + "again every " + PostgresConnectorConfig.RETRIABLE_RESTART_WAIT.name() + " ("
                        + config.getLong(PostgresConnectorConfig.RETRIABLE_RESTART_WAIT) + " ms) while the source "
                        + "is down, starting or out of connections; streaming resumes from the replication "
                        + "slot, so no change is lost meanwhile");
            }
            throw new ConnectException("Cannot start capturing: " + failure.message() + "; then restart the task. "
                    + "Streaming resumes from the replication slot, so no change is lost meanwhile");
        }
        PgSyncSourceConfig pgsync = new PgSyncSourceConfig(config.asMap());
        String ddlConflict = pgsync.ddlCaptureConflict();
        if (ddlConflict != null) {
            throw new ConnectException("Cannot start capturing: " + ddlConflict + "; then restart the task");
        }
        throttle = pgsync.incrementalThrottle();
        recordLimit = RecordLimit.of(config.asMap());
        sequences = pgsync.sequenceSyncIntervalMs() > 0 ? new SequenceSync(config, pgsync) : null;
        if (pgsync.pgsyncHeartbeat()) {
            Heartbeat.ensureTable(config);
        }
        metrics = new PgSyncSourceMetrics(config.getString("name", config.getString("topic.prefix")), 0,
                this::throttledMillis);
        ReplicaIdentity.start(config, pgsync, metrics);
        ddl = pgsync.ddlCaptureEnabled() ? DdlCapture.start(config, pgsync, metrics) : null;
        stopping = false;
        router = new ChangelogRouter(pgsync.changelogTopic(), pgsync.changelogPartitions(),
                pgsync.pgsyncFormat() ? new RowChangeEncoder(pgsync.unavailablePlaceholder()) : null);
        boolean fresh = context.offsetStorageReader().offset(Map.of("server", config.getString("topic.prefix")))
                == null;
        boolean firstStart;
        if (PgSyncSourceConfig.FULL_SYNC_COPY.equals(pgsync.fullSyncMode())) {
            fullSync = CopyFullSync.start(config, pgsync, context.offsetStorageReader()).orElse(null);
            firstStart = fullSync != null;
            if (fullSync != null) {
                try (Connection connection = new SourceDatabase(config).connect()) {
                    metrics.fullSyncStarted(ExpectedRows.read(connection, fullSync.tables()));
                } catch (SQLException e) {
                    log.warn("Cannot read the full sync's expected rows for its progress metrics: {}", e.getMessage());
                }
            }
        } else {
            firstStart = fresh;
        }
        addedTablesSchema = new ArrayList<>(AddedTables.start(config, pgsync, firstStart));
        ChangeEventSourceCoordinator<PostgresPartition, PostgresOffsetContext> coordinator = super.start(config);
        if (ddl != null) {
            registerPublication(config, pgsync);
        }
        streamStart = fresh ? streamStart(config) : null;
        return coordinator;
    }

    /** Registers the publication with the DDL capture, once Debezium made sure that it exists. */
    private static void registerPublication(Configuration config, PgSyncSourceConfig pgsync) {
        SourceDatabase database = new SourceDatabase(config);
        try (Connection connection = database.connect()) {
            DdlCapture.register(connection, config, pgsync);
        } catch (SQLException e) {
            throw new ConnectException("Cannot connect to " + database.describe() + " to register the publication "
                    + "with the DDL capture: " + e.getMessage() + "; then restart the task", e);
        }
    }

    /**
     * Reads where a stream without Debezium offsets starts, once the slot exists (created by the full sync or by
     * Debezium's start) and before anything streamed from it was confirmed.
     */
    private static StreamStart streamStart(Configuration config) {
        String slot = new PostgresConnectorConfig(config).slotName();
        try (Connection connection = new SourceDatabase(config).connect()) {
            Long lsn = StreamStart.of(connection, slot);
            if (lsn == null) {
                throw new ConnectException("Replication slot " + slot + " is missing after the start of the capture");
            }
            log.info("Streaming from replication slot {} starts at {} without Debezium offsets: changes before its "
                    + "first commit are placed after {}", slot, LogSequenceNumber.valueOf(lsn), lsn);
            return new StreamStart(lsn);
        } catch (SQLException e) {
            throw new ConnectException("Cannot read where replication slot " + slot + " starts: " + e.getMessage()
                    + "; then restart the task", e);
        }
    }

    @Override
    public String version() {
        return Version.get();
    }

    /**
     * Returns the full sync's chunks while it runs, then Debezium's records re-addressed to the changelog, paced by
     * the incremental throttle; a row too large for one record goes out in pieces over several calls, before any
     * later record ({@link RecordLimit}).
     */
    @Override
    public List<SourceRecord> doPoll() throws InterruptedException {
        RecordLimit limit = recordLimit;
        List<SourceRecord> records;
        if (limit.hasNext()) {
            records = limit.next();
        } else {
            List<SourceRecord> polled = nextRecords();
            if (polled == null) {
                return null;
            }
            limit.add(polled);
            records = limit.next();
        }
        PgSyncSourceMetrics taskMetrics = metrics;
        if (taskMetrics != null) {
            taskMetrics.sent(records);
        }
        return records;
    }

    private List<SourceRecord> nextRecords() throws InterruptedException {
        CopyFullSync sync = fullSync;
        if (sync != null) {
            if (!sync.finished()) {
                return sync.poll();
            }
            sync.close();
            fullSyncThrottledMs = sync.throttledMillis();
            fullSync = null;
        }
        PgSyncSourceMetrics taskMetrics = metrics;
        if (taskMetrics != null) {
            taskMetrics.streaming();
        }
        if (!addedTablesSchema.isEmpty()) {
            List<SourceRecord> schema = addedTablesSchema;
            addedTablesSchema = List.of();
            return schema;
        }
        DdlCapture capture = ddl;
        StreamStart start = streamStart;
        List<SourceRecord> polled = super.doPoll();
        if (start != null) {
            polled = start.apply(polled);
        }
        List<SourceRecord> records = polled == null ? null : toChangelog(polled, capture);
        if (records != null && throttle.limits()) {
            long rows = 0;
            long bytes = 0;
            for (SourceRecord record : records) {
                long size = rowSize(record);
                if (size >= 0) {
                    rows++;
                    bytes += size;
                }
            }
            throttle.acquire(rows, bytes, () -> stopping);
        }
        SequenceSync positions = sequences;
        if (positions != null) {
            List<SourceRecord> moved = positions.poll();
            if (!moved.isEmpty()) {
                List<SourceRecord> all = new ArrayList<>(records == null ? List.of() : records);
                all.addAll(moved);
                return all;
            }
        }
        return records;
    }

    /**
     * Debezium's records in one pass, each record's table read once: the DDL capture's rows become DDL records, the
     * changes of pgsync's own tables (Debezium's signal table, the DDL capture's) are left out as the source's
     * bookkeeping, and the rest is re-addressed to the changelog.
     */
    private List<SourceRecord> toChangelog(List<SourceRecord> polled, DdlCapture capture) {
        List<SourceRecord> records = new ArrayList<>(polled.size());
        for (SourceRecord record : polled) {
            Optional<TableRef> table = tables.tableOf(record.valueSchema(), record.value());
            SourceRecord kept = capture == null ? record : capture.convert(record, table);
            if (kept != null && (kept != record || !table.map(PgSyncSourceConfig::isInternal).orElse(false))) {
                router.route(kept, table, records);
            }
        }
        return records;
    }

    /**
     * The size of a row change's values in text form (what the incremental MB/s limit counts): 0 for a change in
     * Debezium's envelope, -1 for a record that is not a row change (a transaction marker, a heartbeat).
     */
    private long rowSize(SourceRecord record) {
        if (record.valueSchema() != null && RowChange.SCHEMA_NAME.equals(record.valueSchema().name())
                && record.value() instanceof Struct struct) {
            return textLength(struct.getArray("after")) + textLength(struct.getArray("before"));
        }
        return tables.tableOf(record.valueSchema(), record.value()).isPresent() ? 0 : -1;
    }

    private static long textLength(List<Object> values) {
        long length = 0;
        if (values != null) {
            for (Object value : values) {
                length += value == null ? 0 : value.toString().length();
            }
        }
        return length;
    }

    /**
     * Keeps the full sync's offsets, and the placeholders of the pieces of large rows, from Debezium, which commits the
     * offsets of its own records to the slot.
     */
    @Override
    public void commitRecord(SourceRecord record, RecordMetadata metadata) throws InterruptedException {
        if (!CopyFullSync.isFullSyncRecord(record) && !SequenceSync.isSequenceRecord(record)
                && !AddedTables.isAddedTablesRecord(record) && !RecordLimit.isPiece(record)) {
            super.commitRecord(record, metadata);
        }
    }

    /** The time the full sync's and the incremental sync's throttles have made the task wait, in milliseconds. */
    private long throttledMillis() {
        CopyFullSync sync = fullSync;
        Throttle incremental = throttle;
        return (sync == null ? fullSyncThrottledMs : sync.throttledMillis())
                + (incremental == null ? 0 : incremental.waitedMillis());
    }

    @Override
    protected void doStop() {
        stopping = true;
        SequenceSync positions = sequences;
        if (positions != null) {
            positions.close();
            sequences = null;
        }
        CopyFullSync sync = fullSync;
        if (sync != null) {
            sync.close();
            fullSync = null;
        }
        super.doStop();
        PgSyncSourceMetrics taskMetrics = metrics;
        if (taskMetrics != null) {
            taskMetrics.close();
            metrics = null;
        }
    }
}
