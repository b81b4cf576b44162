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

import io.pgsync.common.event.SourcePosition;
import io.pgsync.common.event.TransactionMarker;
import io.pgsync.common.pg.Identifiers;
import io.pgsync.sink.PgSyncSinkConfig;
import io.pgsync.sink.metrics.PgSyncSinkMetrics;
import io.pgsync.sink.offset.AppliedOffset;
import io.pgsync.sink.offset.FencedException;
import io.pgsync.sink.offset.PartitionClaim;

/**
 * Applies change records to the destination with the guarantees of logical replication: whole source transactions,
 * in commit order, each exactly once. It coordinates the parts that own those guarantees and does no I/O itself: the
 * {@link PartitionLedger} (offsets, seeks, gaps, duplicates by source position), the {@link TransactionBoundaries}
 * (where a commit may happen, and the barrier that makes one come), the {@link OpenTransaction} (what a commit
 * carries, and when one is due), the {@link RetryPolicy} and the {@link ErrantRecords}, over a {@link Destination}.
 *
 * <p>A task claims its partitions in the destination when it opens them, and reads what they have applied; a record
 * is applied only once that is known, and only if it is the one that comes next. Records go into one open destination
 * transaction, committed where every partition is between two source transactions, together with the offset and
 * source position of the last record of each partition, while the partitions are still this task's. When a write
 * fails transiently, the open transaction is rolled back, the applied offsets are read again, and the consumer is sent
 * back there after a backoff.
 */
public final class ApplyEngine implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ApplyEngine.class);

    /** What the engine needs to know besides its parts. */
    /**
     * @param skipGaps {@code apply.gap.policy=skip}
     * @param connectLeavesRecordsOut {@code errors.tolerance=all}: Connect sets aside records its converter or a
     *        transform cannot handle, so offsets missing from the deliveries are expected
     */
    record Settings(String connector, int batchMaxRecords, boolean skipGaps, boolean connectLeavesRecordsOut,
            String destinationName, String user) {
    }

    private final Destination destination;
    private final ErrantRecords errant;
    private final RetryPolicy retry;
    private final PgSyncSinkMetrics metrics;
    private final Settings settings;
    private final PartitionLedger ledger;
    private final TransactionBoundaries boundaries = new TransactionBoundaries();
    private final OpenTransaction transaction = new OpenTransaction();

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
                metrics, new Settings(config.connectorName(), config.batchMaxRecords(),
                        config.gapPolicy() == PgSyncSinkConfig.GapPolicy.SKIP, config.toleratesErrors(),
                        config.connectionUrlForDisplay(), config.connectionUser()));
    }

    /** An engine over any destination; visible for testing. */
    ApplyEngine(Destination destination, ErrantRecords errant, RetryPolicy retry, PgSyncSinkMetrics metrics,
            Settings settings) {
        this.destination = destination;
        this.errant = errant;
        this.retry = retry;
        this.metrics = metrics;
        this.settings = settings;
        this.ledger = new PartitionLedger(settings.connectLeavesRecordsOut());
    }

    /**
     * Takes on partitions: claims them in the destination (which fences any task that still holds them), reads what
     * they have applied, and asks for the seeks there, without touching the open transaction of the partitions the
     * task keeps. When the destination cannot be reached yet, the first delivery claims them; when it refuses the
     * login (a password changed under the task), the task fails now, not at the next change.
     */
    public void open(Collection<TopicPartition> assigned) {
        ledger.open(assigned);
        boundaries.add(assigned);
        try {
            claim(assigned);
        } catch (SQLException e) {
            if (Failures.classify(e) == Failures.Kind.DESTINATION) {
                throw new ConnectException(failureMessage(e), e);
            }
            log.warn("Cannot claim partition(s) {} in the destination yet ({}); the first delivery retries", assigned,
                    Failures.message(e));
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
     * Returns and forgets the seeks the consumer must make before its next deliveries, which the caller says take
     * effect from the delivery numbered {@code effectiveFrom} (deliveries are numbered by {@link Delivery#number}).
     * Records delivered before a seek took effect are not applied: the engine waits for the ones it needs.
     */
    public Map<TopicPartition, Long> takeSeeks(long effectiveFrom) {
        return ledger.takeSeeks(effectiveFrom);
    }

    /** Whether every partition of the task is claimed; visible for testing. */
    boolean claimedAll() {
        return ledger.unclaimed().isEmpty();
    }

    /** Notes that every seek taken so far takes effect from the delivery numbered {@code number} at the latest. */
    public void seeksMade(long number) {
        ledger.seeksMade(number);
    }

    /** Returns and forgets the partitions the consumer must pause: held at a barrier. */
    public List<TopicPartition> takePauses() {
        return ledger.takePauses();
    }

    /** Returns and forgets the partitions the consumer must resume. */
    public List<TopicPartition> takeResumes() {
        return ledger.takeResumes();
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
     * Applies the records in order; commits at the last source transaction boundary of the delivery, and at the first
     * boundary once a commit is due.
     *
     * @throws ConnectException when the destination rejects a change for good (and errors are not tolerated), stays
     *     unreachable beyond the retry timeout, or another task took the partitions over, and when the changelog
     *     lacks records the destination needs; the message names the table, key, record and SQL error, or the range
     */
    void apply(Delivery delivery) {
        ledger.startDelivery(delivery.number);
        try {
            openUnknown(delivery);
            load();
            destination.connect();
            int lastBoundary = boundaries.lastBoundary(delivery,
                    i -> delivery.records.get(i).kafkaOffset() > ledger.readOffset(delivery.partitions[i]));
            for (int i = 0; i < delivery.records.size(); i++) {
                SinkRecord record = delivery.records.get(i);
                TopicPartition tp = delivery.partitions[i];
                PartitionLedger.Admission admission = ledger.admit(tp, record.kafkaOffset());
                if (admission == PartitionLedger.Admission.GAP) {
                    admission = gap(tp);
                }
                if (admission != PartitionLedger.Admission.APPLY) {
                    continue;
                }
                accept(record, tp, delivery.entries[i]);
                ledger.read(tp, record.kafkaOffset());
                if (boundaries.atBoundary() && (i + 1 == lastBoundary || boundaries.barrier()
                        || transaction.due(settings.batchMaxRecords(), System.nanoTime()))) {
                    commit();
                } else if (boundaries.reachedBarrier(tp)) {
                    ledger.hold(tp);
                }
            }
            if (boundaries.atBoundary()) {
                commit();
            } else {
                destination.flush();
                if (!boundaries.barrier() && transaction.due(settings.batchMaxRecords(), System.nanoTime())) {
                    boundaries.raiseBarrier().forEach(ledger::hold);
                }
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
     * rather than with the next delivery; and reads the applied offsets of partitions rolled back, so that the
     * consumer is sent back to where they say even when no more records come.
     */
    void idle() {
        try {
            load();
            destination.drain();
        } catch (SQLException e) {
            retryOrFail(e);
        } catch (RuntimeException e) {
            abort();
            destination.recordError(e.getMessage());
            throw e;
        }
    }

    /** Opens partitions that records come from without Connect having opened them. */
    private void openUnknown(Delivery delivery) {
        TopicPartition last = null;
        for (TopicPartition tp : delivery.partitions) {
            if (tp != last && !ledger.isOpen(tp)) {
                ledger.open(List.of(tp));
                boundaries.add(List.of(tp));
            }
            last = tp;
        }
    }

    /**
     * Claims the partitions not claimed yet, and reads again what the others have applied after a rollback: the
     * destination's offsets are authoritative (after a crash with synchronous_commit=off or a failover to a standby
     * that lagged, it may have lost commits it acknowledged).
     *
     * @throws FencedException when another task claimed a partition since this one did
     */
    private void load() throws SQLException {
        List<TopicPartition> unclaimed = ledger.unclaimed();
        if (!unclaimed.isEmpty()) {
            claim(unclaimed);
        }
        List<TopicPartition> unloaded = ledger.unloaded();
        if (unloaded.isEmpty()) {
            return;
        }
        Map<TopicPartition, PartitionClaim> now = destination.read(unloaded);
        List<TopicPartition> lost = unloaded.stream()
                .filter(tp -> now.get(tp) == null || now.get(tp).epoch() != ledger.epoch(tp)).toList();
        if (!lost.isEmpty()) {
            throw new FencedException(settings.connector(), lost);
        }
        unloaded.forEach(tp -> ledger.reloaded(tp, now.get(tp).applied()));
    }

    private void claim(Collection<TopicPartition> partitions) throws SQLException {
        Map<TopicPartition, PartitionClaim> claims = destination.claim(partitions);
        claims.forEach(ledger::claimed);
        log.info("Claimed partition(s) {} in the destination; applied so far: {}", partitions, claims);
    }

    /** Fails on a gap in the changelog, or passes over it when the user chose so. */
    private PartitionLedger.Admission gap(TopicPartition tp) {
        PartitionLedger.Gap gap = ledger.gap(tp);
        String range = gap.found() > gap.expected()
                ? "offsets " + gap.expected() + ".." + (gap.found() - 1) + " of " + tp + " are no longer in the topic "
                        + "(it now starts at " + gap.found() + "): the topic's retention deleted them before this "
                        + "sink applied them"
                : tp + " delivers offset " + gap.found() + " where the destination needs offset " + gap.expected()
                        + ": the topic was deleted and created again, or its records were deleted";
        if (settings.skipGaps()) {
            log.warn("Passing over a gap in the changelog ({}={}): {}; the changes they held are not applied",
                    PgSyncSinkConfig.GAP_POLICY, PgSyncSinkConfig.GapPolicy.SKIP.text(), range);
            metrics.gapSkipped();
            ledger.passOver(tp);
            return PartitionLedger.Admission.APPLY;
        }
        if (settings.connectLeavesRecordsOut() && gap.found() > gap.expected()) {
            log.warn("Offsets {}..{} of {} did not reach the task: with errors.tolerance=all Connect sets aside the "
                    + "records its converter or a transform cannot handle (see the dead letter queue and the "
                    + "worker's log), or the topic's retention deleted them; reading on from offset {}",
                    gap.expected(), gap.found() - 1, tp, gap.found());
            metrics.gapSkipped();
            ledger.passOver(tp);
            return PartitionLedger.Admission.APPLY;
        }
        throw new ConnectException("The destination cannot be brought up to date from the changelog: " + range
                + ". Applied up to offset " + (gap.expected() - 1) + "; nothing after it was applied. Re-sync the "
                + "destination (see the README, 'Re-sync after a gap in the changelog'), and keep the changelog "
                + "longer than the sink may be stopped or behind (the topic's retention.ms). If the missing offsets "
                + "held no changes (an exactly-once source read with isolation.level=read_committed), set "
                + PgSyncSinkConfig.GAP_POLICY + "=" + PgSyncSinkConfig.GapPolicy.SKIP.text());
    }

    private void accept(SinkRecord record, TopicPartition tp, ChangelogEntry entry) throws SQLException {
        boundaries.read(tp, entry);
        if (entry instanceof ChangelogEntry.Marker marker) {
            boundaries.marker(tp, marker.status());
            if (marker.status() == TransactionMarker.Status.END) {
                transaction.transactionEnded();
            }
        } else if (entry instanceof ChangelogEntry.Piece piece) {
            destination.piece(record, piece.piece());
        } else if (entry instanceof ChangelogEntry.Row row) {
            transaction.phase(row.event().op() == ChangeEvent.Op.READ ? OpenTransaction.Phase.FULL
                    : OpenTransaction.Phase.INCREMENTAL);
            if (isDuplicate(tp, row.event().position())) {
                return;
            }
            boundaries.changed(tp, row.event().table());
            transaction.sourceTime(row.event().sourceTimeMs());
            transaction.changed(destination.row(row.event()));
        } else if (entry instanceof ChangelogEntry.Chunk chunk) {
            transaction.phase(OpenTransaction.Phase.FULL);
            if (chunk.chunk().reset()) {
                ledger.forgetPosition(tp);
                if (boundaries.fullSyncAgain(tp, chunk.chunk().table())) {
                    log.warn("The full sync starts again at offset {} of {} inside a source transaction whose end is "
                            + "not in the changelog (the source stopped while sending it): what of it was read is "
                            + "replaced by the full sync's copy of {}", record.kafkaOffset(), tp, chunk.chunk().table());
                    metrics.transactionUnfinished();
                }
            }
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

    private boolean isDuplicate(TopicPartition tp, SourcePosition position) {
        if (ledger.isDuplicate(tp, position)) {
            metrics.duplicateSkipped();
            return true;
        }
        return false;
    }

    /**
     * Queues the commit of the open transaction, with the offsets and source positions read so far; once it has
     * succeeded, they become the ones a rollback rewinds to. Partitions held at a barrier go on.
     */
    private void commit() throws SQLException {
        destination.flush();
        Map<TopicPartition, PartitionLedger.Mark> advanced = ledger.advance();
        boundaries.lowerBarrier();
        ledger.releaseHolds();
        if (advanced.isEmpty() && transaction.changes() == 0) {
            return;
        }
        Map<TopicPartition, AppliedOffset> applied = new HashMap<>();
        advanced.forEach((tp, mark) -> applied.put(tp, mark.applied()));
        destination.commit(applied, ledger.epochs(advanced.keySet()), transaction.commit(), () -> {
            ledger.committed(advanced);
            retry.succeeded();
        });
    }

    /**
     * Handles a failed write: rolls back, has every partition's applied offset read again, and either returns after
     * a backoff (Connect then re-delivers from there) or, past the retry timeout, for a permanent error, or when
     * another task took the partitions over, fails.
     */
    private void retryOrFail(SQLException e) {
        abort();
        if (e instanceof FencedException) {
            destination.disconnect();
            throw new ConnectException(e.getMessage(), e);
        }
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
                Identifiers.quote(String.valueOf(settings.user())));
        return "Cannot write to the destination " + settings.destinationName() + ": " + Failures.message(e)
                + (fix == null ? "" : "; " + fix);
    }

    /**
     * Rolls back the open transaction (after the queued writes); every partition is to be read again from its
     * applied offset.
     */
    private void abort() {
        destination.rollBack();
        transaction.clear();
        ledger.rollBack();
        boundaries.clear();
    }

    @Override
    public void close() {
        destination.close();
    }
}
