package io.pgsync.sink.apply;

import java.sql.SQLException;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTaskContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.pgsync.common.event.TransactionMarker;
import io.pgsync.common.pg.Identifiers;
import io.pgsync.sink.PgSyncSinkConfig;
import io.pgsync.sink.metrics.PgSyncSinkMetrics;
import io.pgsync.sink.offset.AppliedOffset;

/**
 * Applies change records to the destination with the guarantees of logical replication: whole source transactions,
 * in commit order, each exactly once. It coordinates the parts that own those guarantees and does no I/O itself: the
 * {@link PartitionLedger} (offsets, rewinds, duplicates by source position), the {@link TransactionBoundaries} (where
 * a commit may happen), the {@link OpenTransaction} (what a commit carries), the {@link RetryPolicy} and the
 * {@link ErrantRecords}, over a {@link Destination}.
 *
 * <p>Records are read in order into one open destination transaction, which is committed only where every assigned
 * partition is between two source transactions, together with the offset and source position of the last record of
 * each partition. On start the task seeks there. When a write fails transiently, the open transaction is rolled back,
 * the consumer is rewound to the last committed offsets, and the records are read again after a backoff.
 */
public final class ApplyEngine implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ApplyEngine.class);

    private final Destination destination;
    private final ErrantRecords errant;
    private final RetryPolicy retry;
    private final PgSyncSinkMetrics metrics;
    private final int batchMaxRecords;
    private final String destinationName;
    private final String user;
    private final PartitionLedger ledger = new PartitionLedger();
    private final TransactionBoundaries boundaries = new TransactionBoundaries();
    private final OpenTransaction transaction = new OpenTransaction();
    private boolean offsetsLoaded;

    /**
     * @param task the task's number, for {@code pgsync.status}
     * @param writeThreadName the name of the thread that runs the destination writes
     */
    public ApplyEngine(PgSyncSinkConfig config, int task, SinkTaskContext context, PgSyncSinkMetrics metrics,
            String writeThreadName) {
        this(config, metrics, new ErrantRecords(config.toleratesErrors(), context.errantRecordReporter(), metrics),
                task, writeThreadName);
    }

    private ApplyEngine(PgSyncSinkConfig config, PgSyncSinkMetrics metrics, ErrantRecords errant, int task,
            String writeThreadName) {
        this(new JdbcDestination(config, task, errant, metrics, writeThreadName), errant,
                new RetryPolicy(config.retryConnectionTimeout(), config.retryOtherTimeout(), config.retryBackoffMax()),
                metrics, config.batchMaxRecords(), config.connectionUrlForDisplay(), config.connectionUser());
    }

    /** An engine over any destination; visible for testing. */
    ApplyEngine(Destination destination, ErrantRecords errant, RetryPolicy retry, PgSyncSinkMetrics metrics,
            int batchMaxRecords, String destinationName, String user) {
        this.destination = destination;
        this.errant = errant;
        this.retry = retry;
        this.metrics = metrics;
        this.batchMaxRecords = batchMaxRecords;
        this.destinationName = destinationName;
        this.user = user;
    }

    /**
     * Takes on partitions: their applied offsets are read from the destination and the consumer seeks there. When the
     * destination cannot be read yet, the first delivery retries; when it refuses the login (a password changed under
     * the task), the task fails now, not at the next change.
     */
    public void open(Collection<TopicPartition> assigned) {
        ledger.open(assigned);
        boundaries.add(assigned);
        offsetsLoaded = false;
        try {
            loadOffsets(assigned);
        } catch (SQLException e) {
            if (Failures.classify(e) == Failures.Kind.DESTINATION) {
                abort();
                destination.disconnect();
                throw new ConnectException(failureMessage(e), e);
            }
            log.warn("Cannot read applied offsets from the destination yet ({}); the first batch will retry",
                    Failures.message(e));
            abort();
            destination.disconnect();
        }
    }

    /** Gives up partitions: uncommitted work is rolled back and the remaining partitions re-read from their offsets. */
    public void close(Collection<TopicPartition> revoked) {
        ledger.close(revoked);
        boundaries.remove(revoked);
        try {
            destination.drain();
        } catch (SQLException | RuntimeException e) {
            log.warn("A destination write failed before partitions were revoked ({}); rolled back",
                    e.getMessage());
            abort();
            return;
        }
        if (transaction.changes() > 0) {
            abort();
        }
    }

    /**
     * Returns and forgets the offsets the consumer must seek to before the next delivery: after {@link #open}, and
     * after a failed write was rolled back. Records of the partitions already read past those offsets must not be
     * applied; Connect re-delivers them after the seek.
     */
    public Map<TopicPartition, Long> takeRewinds() {
        return ledger.takeRewinds();
    }

    /**
     * Returns, per partition, the offset of the next record to read after what the destination has committed, as of
     * the last commit that succeeded; callable from any thread, without waiting for the queued writes. Connect's own
     * offsets may therefore lag the destination's, which stay authoritative: {@link #open} seeks to those.
     */
    public Map<TopicPartition, OffsetAndMetadata> committedOffsets() {
        return ledger.published();
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
            destination.connect();
            if (!offsetsLoaded) {
                resumeLate(delivery.records);
                return;
            }
            int lastBoundary = boundaries.lastBoundary(delivery, r -> !ledger.isRead(partition(r), r.kafkaOffset()));
            for (int i = 0; i < delivery.records.size(); i++) {
                SinkRecord record = delivery.records.get(i);
                TopicPartition tp = partition(record);
                ledger.delivered(tp, record.kafkaOffset());
                if (ledger.isRead(tp, record.kafkaOffset())) {
                    continue;
                }
                accept(record, tp, delivery.entries[i]);
                ledger.read(tp, record.kafkaOffset());
                if ((i + 1 == lastBoundary || transaction.changes() >= batchMaxRecords || transaction.holdsDdl())
                        && boundaries.atBoundary()) {
                    commit();
                }
            }
            if (boundaries.atBoundary()) {
                commit();
            } else {
                destination.flush();
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
            destination.drain();
        } catch (SQLException e) {
            retryOrFail(e);
        } catch (RuntimeException e) {
            abort();
            destination.recordError(e.getMessage());
            throw e;
        }
    }

    private void accept(SinkRecord record, TopicPartition tp, ChangelogEntry entry) throws SQLException {
        if (entry instanceof ChangelogEntry.Marker marker) {
            boundaries.marker(tp, marker.status());
            if (marker.status() == TransactionMarker.Status.END) {
                transaction.transactionEnded();
            }
        } else if (entry instanceof ChangelogEntry.Row row) {
            transaction.phase(OpenTransaction.Phase.INCREMENTAL);
            if (isDuplicate(tp, row.event().position())) {
                return;
            }
            transaction.sourceTime(row.event().sourceTimeMs());
            transaction.changed(1);
            destination.row(row.event());
        } else if (entry instanceof ChangelogEntry.Chunk chunk) {
            transaction.phase(OpenTransaction.Phase.FULL);
            transaction.changed(destination.chunk(record, chunk.chunk()));
        } else if (entry instanceof ChangelogEntry.Schema schema) {
            transaction.phase(OpenTransaction.Phase.SCHEMA);
            transaction.changed(destination.schemaObject(record, schema.object()));
        } else if (entry instanceof ChangelogEntry.Sequence sequence) {
            transaction.changed(destination.sequence(sequence.position()));
        } else if (entry instanceof ChangelogEntry.Ddl ddl) {
            if (isDuplicate(tp, ddl.event().position())) {
                return;
            }
            transaction.phase(OpenTransaction.Phase.INCREMENTAL);
            transaction.sourceTime(ddl.event().sourceTimeMs());
            transaction.changed(destination.ddl(record, ddl.event()));
            transaction.ddl();
        } else if (entry instanceof ChangelogEntry.Unreadable unreadable) {
            errant.reportOrFail(record, unreadable.error());
        }
    }

    private boolean isDuplicate(TopicPartition tp, io.pgsync.common.event.SourcePosition position) {
        if (ledger.isDuplicate(tp, position)) {
            metrics.duplicateSkipped();
            return true;
        }
        return false;
    }

    /**
     * Queues the commit of the open transaction, with the offsets and source positions read so far; once it has
     * succeeded, they become the ones a rollback rewinds to.
     */
    private void commit() throws SQLException {
        destination.flush();
        Map<TopicPartition, PartitionLedger.Mark> advanced = ledger.advance();
        if (advanced.isEmpty() && transaction.changes() == 0) {
            return;
        }
        Map<TopicPartition, AppliedOffset> applied = new HashMap<>();
        advanced.forEach((tp, mark) -> applied.put(tp, mark.applied()));
        destination.commit(applied, transaction.commit(), () -> {
            ledger.committed(advanced);
            retry.succeeded();
        });
    }

    /**
     * Handles a failed write: rolls back, rewinds every partition to its committed offset, and either returns after a
     * backoff (Connect then re-delivers from there) or, past the retry timeout or for a permanent error, fails.
     */
    private void retryOrFail(SQLException e) {
        abort();
        // The destination's offsets are authoritative: after a crash (with synchronous_commit=off) or a failover to
        // a standby that lagged, it may have lost transactions it acknowledged. Read them again before applying.
        offsetsLoaded = false;
        String message = failureMessage(e);
        destination.recordError(message);
        RetryPolicy.Decision decision = retry.failed(e, System.currentTimeMillis());
        if (!decision.retry()) {
            throw new ConnectException(message + decision.reason(), e);
        }
        metrics.retried();
        log.warn("{}; rolled back, will re-read from the last applied offsets in {} ms (retry {})", message,
                decision.backoffMs(), retry.retries());
        try {
            Thread.sleep(decision.backoffMs());
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Says that a write failed, where, why, and (for the errors a user must fix) what to do. */
    private String failureMessage(SQLException e) {
        String fix = e instanceof WriteErrors.Explained ? null : Failures.fix(e.getSQLState(), "the synced tables",
                Identifiers.quote(String.valueOf(user)));
        return "Cannot write to the destination " + destinationName + ": " + Failures.message(e)
                + (fix == null ? "" : "; " + fix);
    }

    /**
     * Rolls back the open transaction (after the queued writes) and rewinds every partition to just after its last
     * committed record.
     */
    private void abort() {
        destination.rollBack();
        transaction.clear();
        ledger.rollBack();
        boundaries.clear();
    }

    private void loadOffsets(Collection<TopicPartition> assigned) throws SQLException {
        Map<TopicPartition, AppliedOffset> applied = destination.readOffsets();
        ledger.load(assigned, applied);
        assigned.stream().filter(applied::containsKey).forEach(boundaries::between);
        offsetsLoaded = true;
        log.info("Resuming partition(s) {} from the offsets applied in the destination: {}", assigned, applied);
    }

    /**
     * Loads the applied offsets when {@link #open} could not, then sends every partition of the batch back to the
     * right place (its applied offset, or the batch's first record) without applying anything: Connect re-delivers.
     */
    private void resumeLate(List<SinkRecord> records) throws SQLException {
        Map<TopicPartition, Long> firstOffsets = new HashMap<>();
        for (SinkRecord record : records) {
            firstOffsets.merge(partition(record), record.kafkaOffset(), Math::min);
        }
        Map<TopicPartition, AppliedOffset> applied = destination.readOffsets();
        ledger.loadLate(applied, firstOffsets);
        boundaries.clear();
        offsetsLoaded = true;
        log.info("Resuming partition(s) {} from the offsets applied in the destination: {}", ledger.partitions(),
                applied);
    }

    private static TopicPartition partition(SinkRecord record) {
        return new TopicPartition(record.topic(), record.kafkaPartition());
    }

    @Override
    public void close() {
        destination.close();
    }
}
