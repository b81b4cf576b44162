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
import io.pgsync.source.capture.ChangelogSource;
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
    /** The full sync ({@link #sources}' first), null without one; kept for its throttle's waits. */
    private volatile CopyFullSync fullSync;
    private volatile Throttle throttle;
    private volatile DdlCapture ddl;
    private volatile RecordLimit recordLimit;
    /** Stamps the changes of a stream that started without Debezium offsets; null when it had offsets. */
    private volatile StreamStart streamStart;
    /**
     * Where the records come from, asked in this order: the full sync, the schema of tables that joined the
     * selection, Debezium's stream, the sequence positions.
     */
    private volatile List<ChangelogSource> sources = List.of();
    private volatile boolean stopping;
    private volatile PgSyncSourceMetrics metrics;

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
        List<ChangelogSource> all = new ArrayList<>();
        if (fullSync != null) {
            all.add(fullSync);
        }
        all.add(AddedTables.start(config, pgsync, firstStart));
        ChangeEventSourceCoordinator<PostgresPartition, PostgresOffsetContext> coordinator = super.start(config);
        if (ddl != null) {
            registerPublication(config, pgsync);
        }
        streamStart = fresh ? streamStart(config) : null;
        all.add(new DebeziumStream());
        if (pgsync.sequenceSyncIntervalMs() > 0) {
            all.add(new SequenceSync(config, pgsync));
        }
        sources = List.copyOf(all);
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
     * Returns what the {@link #sources} have ready, fitted within the producer's limits: a row too large for one
     * record goes out in pieces over several calls, before any later record ({@link RecordLimit}).
     */
    @Override
    public List<SourceRecord> doPoll() throws InterruptedException {
        RecordLimit limit = recordLimit;
        if (!limit.hasNext()) {
            limit.add(nextRecords());
        }
        List<SourceRecord> records = limit.next();
        PgSyncSourceMetrics taskMetrics = metrics;
        if (taskMetrics != null) {
            taskMetrics.sent(records);
        }
        return records;
    }

    /**
     * Asks the sources in order, each that has not finished; an exclusive one that has not finished ends the batch.
     */
    private List<SourceRecord> nextRecords() throws InterruptedException {
        List<SourceRecord> records = new ArrayList<>();
        for (ChangelogSource source : sources) {
            if (!source.finished()) {
                records.addAll(source.poll());
                if (source.exclusive()) {
                    break;
                }
            }
        }
        return records;
    }

    /**
     * Debezium's records re-addressed to the changelog, with the DDL capture's rows as DDL records, paced by the
     * incremental throttle.
     */
    private final class DebeziumStream implements ChangelogSource {

        @Override
        public List<SourceRecord> poll() throws InterruptedException {
            PgSyncSourceMetrics taskMetrics = metrics;
            if (taskMetrics != null) {
                taskMetrics.streaming();
            }
            List<SourceRecord> polled = PgSyncSourceTask.super.doPoll();
            StreamStart start = streamStart;
            if (start != null) {
                polled = start.apply(polled);
            }
            if (polled == null) {
                return List.of();
            }
            List<SourceRecord> records = toChangelog(polled, ddl);
            if (throttle.limits()) {
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
            return records;
        }
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
     * Keeps the offsets of the sources' own records (the full sync's chunks, the added tables' schema, sequence
     * positions), and the placeholders of the pieces of large rows, from Debezium, which commits the offsets of its
     * own records to the slot. The sources stay listed after the task stopped: records sent before are acknowledged
     * later.
     */
    @Override
    public void commitRecord(SourceRecord record, RecordMetadata metadata) throws InterruptedException {
        if (RecordLimit.isPiece(record)) {
            return;
        }
        for (ChangelogSource source : sources) {
            if (source.owns(record)) {
                return;
            }
        }
        super.commitRecord(record, metadata);
    }

    /** The time the full sync's and the incremental sync's throttles have made the task wait, in milliseconds. */
    private long throttledMillis() {
        CopyFullSync sync = fullSync;
        Throttle incremental = throttle;
        return (sync == null ? 0 : sync.throttledMillis()) + (incremental == null ? 0 : incremental.waitedMillis());
    }

    @Override
    protected void doStop() {
        stopping = true;
        sources.forEach(ChangelogSource::close);
        CopyFullSync sync = fullSync;
        if (sync != null && !sources.contains(sync)) {
            sync.close();
        }
        super.doStop();
        PgSyncSourceMetrics taskMetrics = metrics;
        if (taskMetrics != null) {
            taskMetrics.close();
            metrics = null;
        }
    }
}
