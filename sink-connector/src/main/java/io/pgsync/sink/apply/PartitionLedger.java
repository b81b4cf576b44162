package io.pgsync.sink.apply;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.pgsync.common.event.SourcePosition;
import io.pgsync.sink.offset.AppliedOffset;
import io.pgsync.sink.offset.PartitionClaim;

/**
 * Knows, per topic partition, what the destination has committed, what the engine has read into the open transaction
 * and where the consumer must be: it decides for every delivered record whether to apply it, skip it or wait for a
 * seek, asks for the seeks (and pauses), tests changes for duplicates by source position, and publishes the offsets
 * Connect may commit. It does no I/O; the engine's thread owns it, except {@link #published}.
 *
 * <p>The destination's offsets are authoritative. A partition is applied only once they are known: read when it is
 * claimed, and again after any rollback. Then the consumer is sent to the record after the last one applied (the
 * first record of the topic when none was), and the first record it delivers after the seek must be that one. Seeks
 * take effect a few deliveries later ({@link #takeSeeks} says from which one), so deliveries numbered before that
 * are set aside unless they happen to start at the right record. Example: applied up to 41, so the engine asks for a
 * seek to 42, effective from delivery 8. Delivery 7 (offsets 50..55) is set aside; delivery 8 starts at 42 and is
 * applied. Had retention deleted 42..99, delivery 8 would start at 100: the seek is asked for again, and when the
 * delivery after it starts at 100 too, that is a gap, reported by {@link Admission#GAP} (a single missing offset, 42
 * alone, is taken for the transaction marker of an exactly-once source and passed over).
 *
 * <p>When Connect itself may leave records out ({@code errors.tolerance=all}: a record its converter or a transform
 * cannot handle goes to the dead letter queue and never reaches the task), a jump in the offsets of a partition read
 * on is expected and not checked by a seek back, which would only make Connect report those records again.
 */
final class PartitionLedger {

    private static final Logger log = LoggerFactory.getLogger(PartitionLedger.class);

    /** What to do with a delivered record. */
    enum Admission {
        /** Apply it: it is the next record of its partition. */
        APPLY,
        /** It was read before (a re-delivery): pass over it. */
        SKIP,
        /** Not now: a seek has been asked for, and the consumer re-delivers it (or the right record) later. */
        WAIT,
        /** The record the partition needs next is not in the topic any more: see {@link #gap}. */
        GAP
    }

    /** The last record a commit covers in one partition: its offset and source position. */
    record Mark(long offset, SourcePosition position) {
        AppliedOffset applied() {
            return new AppliedOffset(offset, position == null ? null : position.commitLsn(),
                    position == null ? null : position.lsn(), position == null ? null : position.order());
        }
    }

    /** Offsets a partition needed and did not get: {@code expected} up to (not including) {@code found}. */
    record Gap(TopicPartition partition, long expected, long found) {
    }

    /** Whether Connect may leave records out of the deliveries (errors.tolerance=all). */
    private final boolean connectLeavesRecordsOut;
    private final Map<TopicPartition, State> partitions = new HashMap<>();
    private final Map<TopicPartition, Long> seeks = new HashMap<>();
    private final Set<TopicPartition> pauses = new HashSet<>();
    private final Set<TopicPartition> resumes = new HashSet<>();
    /** Partitions set aside in the current delivery: their later records wait too. */
    private final Set<TopicPartition> waiting = new HashSet<>();
    /** The number of the current delivery. */
    private long delivery;
    /** What {@link #published} returns; written on the engine's thread only. */
    private volatile Map<TopicPartition, OffsetAndMetadata> published = Map.of();

    /** @param connectLeavesRecordsOut whether Connect may leave records out of the deliveries (errors.tolerance=all) */
    PartitionLedger(boolean connectLeavesRecordsOut) {
        this.connectLeavesRecordsOut = connectLeavesRecordsOut;
    }

    /** Takes on partitions, nothing known of them yet. */
    void open(Collection<TopicPartition> assigned) {
        assigned.forEach(tp -> partitions.put(tp, new State()));
    }

    /** Gives up partitions. */
    void close(Collection<TopicPartition> revoked) {
        revoked.forEach(tp -> {
            partitions.remove(tp);
            seeks.remove(tp);
            pauses.remove(tp);
            resumes.remove(tp);
        });
        publish();
    }

    boolean isOpen(TopicPartition tp) {
        return partitions.containsKey(tp);
    }

    /** The partitions not claimed yet. */
    List<TopicPartition> unclaimed() {
        return partitions.entrySet().stream().filter(e -> e.getValue().epoch < 0).map(Map.Entry::getKey).toList();
    }

    /** The claimed partitions whose applied offsets must be read (again) before anything of them is applied. */
    List<TopicPartition> unloaded() {
        return partitions.entrySet().stream().filter(e -> e.getValue().epoch >= 0 && !e.getValue().loaded)
                .map(Map.Entry::getKey).toList();
    }

    /** The epoch of the partition's claim, or -1 when it is not claimed. */
    long epoch(TopicPartition tp) {
        State state = partitions.get(tp);
        return state == null ? -1 : state.epoch;
    }

    /** Takes a claim this task made: the epoch to commit under, and what was applied. */
    void claimed(TopicPartition tp, PartitionClaim claim) {
        State state = partitions.get(tp);
        if (state != null) {
            state.epoch = claim.epoch();
            load(tp, state, claim.applied());
        }
    }

    /**
     * Takes what the destination holds for a claimed partition, read again after a rollback; the caller has checked
     * that the epoch is still this task's.
     */
    void reloaded(TopicPartition tp, AppliedOffset applied) {
        State state = partitions.get(tp);
        if (state != null) {
            load(tp, state, applied);
        }
    }

    private void load(TopicPartition tp, State state, AppliedOffset applied) {
        long before = state.committedOffset;
        if (before >= 0 && (applied == null || applied.offset() < before)) {
            log.warn("The destination lost transactions it had committed for {} (applied up to offset {}, now {}), as "
                    + "after a crash with synchronous_commit=off or a failover to a standby that lagged; applying them "
                    + "again", tp, before, applied == null ? "none" : applied.offset());
        }
        state.loaded = true;
        state.committedOffset = applied == null ? -1 : applied.offset();
        state.committedPosition = applied == null || applied.lsn() == null ? null
                : new SourcePosition(applied.commitLsn() == null ? -1 : applied.commitLsn(), applied.lsn(),
                        applied.order() == null ? 0 : applied.order());
        state.rewind();
        expect(tp, state, state.committedOffset + 1);
        publish();
    }

    /**
     * Starts a delivery: no partition is set aside yet.
     *
     * @param number the delivery's number, counted as {@link #takeSeeks} counts
     */
    void startDelivery(long number) {
        waiting.clear();
        delivery = number;
    }

    /**
     * Decides about a delivered record of the current delivery; asks for the seeks it needs. Records must be given
     * in delivery order.
     */
    Admission admit(TopicPartition tp, long offset) {
        State state = partitions.get(tp);
        if (state == null || waiting.contains(tp)) {
            return Admission.WAIT;
        }
        if (delivery >= state.seekFrom) {
            // the seek asked for last has taken effect: the same one again would be a new one
            state.pendingSeek = -1;
        }
        if (!state.loaded) {
            return Admission.WAIT;
        }
        if (state.heldFrom >= 0) {
            waiting.add(tp);
            requestSeek(tp, state, state.heldFrom);
            return Admission.WAIT;
        }
        if (state.expected < 0 && offset > state.readOffset + 2 && connectLeavesRecordsOut && state.readOffset >= 0) {
            log.warn("Offsets {}..{} of {} did not reach the task: with errors.tolerance=all Connect sets aside the "
                    + "records its converter or a transform cannot handle (see the dead letter queue and the worker's "
                    + "log), or the topic's retention deleted them; reading on from offset {}",
                    state.readOffset + 1, offset - 1, tp, offset);
        }
        if (state.expected < 0 && offset > state.readOffset + 2 && !connectLeavesRecordsOut) {
            // the consumer jumped further than a transaction marker: make sure nothing is missing in between
            expect(tp, state, state.readOffset + 1);
        }
        if (state.expected >= 0) {
            if (offset == state.expected || offset == state.expected + 1 && offset == state.mismatch) {
                if (offset != state.expected) {
                    log.info("Offset {} of {} is not in the topic (the transaction marker of an exactly-once "
                            + "source); reading on from {}", state.expected, tp, offset);
                }
                state.expected = -1;
                state.mismatch = -1;
                state.pendingSeek = -1;
                return Admission.APPLY;
            }
            if (delivery < state.seekFrom) {
                waiting.add(tp);
                return Admission.WAIT;
            }
            if (offset == state.mismatch) {
                return Admission.GAP;
            }
            state.mismatch = offset;
            waiting.add(tp);
            state.pendingSeek = -1;
            requestSeek(tp, state, state.expected);
            return Admission.WAIT;
        }
        return offset <= state.readOffset ? Admission.SKIP : Admission.APPLY;
    }

    /** The gap that {@link #admit} reported for the partition. */
    Gap gap(TopicPartition tp) {
        State state = partitions.get(tp);
        return new Gap(tp, state.expected, state.mismatch);
    }

    /** Passes over a gap, by the user's policy: the partition is read on from the first record the topic has. */
    void passOver(TopicPartition tp) {
        State state = partitions.get(tp);
        state.expected = -1;
        state.mismatch = -1;
        state.pendingSeek = -1;
    }

    /** Notes the record as read: it is in the open transaction. */
    void read(TopicPartition tp, long offset) {
        partitions.get(tp).readOffset = offset;
    }

    /** The last offset read of the partition, -1 when none; for predictions that must not change anything. */
    long readOffset(TopicPartition tp) {
        State state = partitions.get(tp);
        return state == null ? Long.MAX_VALUE : state.readOffset;
    }

    /**
     * Whether a streamed record's source position is not past the partition's last applied one: a duplicate a source
     * restart re-sent. Otherwise the position becomes the partition's last one.
     */
    boolean isDuplicate(TopicPartition tp, SourcePosition position) {
        if (position == null) {
            return false;
        }
        State state = partitions.get(tp);
        if (state.position != null && !position.isAfter(state.position)) {
            return true;
        }
        state.position = position;
        return false;
    }

    /**
     * Forgets the partition's source position: the full sync ran again, so every change after it is new, whatever
     * position a source whose offsets were lost gives it.
     */
    void forgetPosition(TopicPartition tp) {
        partitions.get(tp).position = null;
    }

    /**
     * Holds a partition back at a source transaction boundary until the others reach one too: its further records
     * wait, and the consumer pauses it.
     */
    void hold(TopicPartition tp) {
        State state = partitions.get(tp);
        if (state != null && state.heldFrom < 0) {
            state.heldFrom = state.readOffset + 1;
            waiting.add(tp);
            requestSeek(tp, state, state.heldFrom);
            pauses.add(tp);
            resumes.remove(tp);
        }
    }

    /** Lets the held partitions go on, from where they were held. */
    void releaseHolds() {
        partitions.forEach((tp, state) -> {
            if (state.heldFrom >= 0) {
                expect(tp, state, state.heldFrom);
                state.heldFrom = -1;
                resumes.add(tp);
                pauses.remove(tp);
            }
        });
    }

    /**
     * Returns, per partition read past what a queued commit covers, the last record read; a commit of these is
     * about to be queued.
     */
    Map<TopicPartition, Mark> advance() {
        Map<TopicPartition, Mark> advanced = new HashMap<>();
        partitions.forEach((tp, state) -> {
            if (state.readOffset > state.submittedOffset) {
                advanced.put(tp, new Mark(state.readOffset, state.position));
                state.submittedOffset = state.readOffset;
            }
        });
        return advanced;
    }

    /** The epochs of the given partitions' claims. */
    Map<TopicPartition, Long> epochs(Collection<TopicPartition> tps) {
        Map<TopicPartition, Long> epochs = new HashMap<>();
        tps.forEach(tp -> epochs.put(tp, epoch(tp)));
        return epochs;
    }

    /** Records a commit the destination has made: a later rollback rewinds to these offsets, not before them. */
    void committed(Map<TopicPartition, Mark> marks) {
        marks.forEach((tp, mark) -> {
            State state = partitions.get(tp);
            if (state != null) {
                state.committedOffset = mark.offset();
                state.committedPosition = mark.position();
            }
        });
        publish();
    }

    /**
     * Forgets what was read after the last commit: the applied offsets are to be read again before anything is
     * applied (the destination may have lost commits it acknowledged, or made one whose answer was lost), and the
     * seek goes where they say. No seek is asked for before that: one to an offset known before the read could take
     * effect after the right one and look like a gap.
     */
    void rollBack() {
        partitions.forEach((tp, state) -> {
            state.rewind();
            state.loaded = false;
            state.expected = -1;
            state.mismatch = -1;
            if (state.heldFrom >= 0) {
                state.heldFrom = -1;
                resumes.add(tp);
                pauses.remove(tp);
            }
        });
    }

    /**
     * Returns and forgets the seeks asked for since the last call: the consumer makes them before the delivery
     * numbered {@code effectiveFrom}.
     */
    Map<TopicPartition, Long> takeSeeks(long effectiveFrom) {
        Map<TopicPartition, Long> taken = Map.copyOf(seeks);
        seeks.clear();
        taken.keySet().forEach(tp -> partitions.get(tp).seekFrom = effectiveFrom);
        return taken;
    }

    /** Notes that every seek taken so far takes effect before the delivery numbered {@code number} at the latest. */
    void seeksMade(long number) {
        partitions.values().forEach(state -> {
            if (state.seekFrom != Long.MAX_VALUE && state.seekFrom > number) {
                state.seekFrom = number;
            }
        });
    }

    /** Returns and forgets the partitions to pause since the last call. */
    List<TopicPartition> takePauses() {
        List<TopicPartition> taken = new ArrayList<>(pauses);
        pauses.clear();
        return taken;
    }

    /** Returns and forgets the partitions to resume since the last call. */
    List<TopicPartition> takeResumes() {
        List<TopicPartition> taken = new ArrayList<>(resumes);
        resumes.clear();
        return taken;
    }

    /**
     * Returns, per partition, the offset of the next record to read after what the destination has committed, as of
     * the last commit that succeeded; callable from any thread.
     */
    Map<TopicPartition, OffsetAndMetadata> published() {
        return published;
    }

    private void expect(TopicPartition tp, State state, long offset) {
        state.expected = offset;
        state.mismatch = -1;
        requestSeek(tp, state, offset);
    }

    /** Asks for a seek, unless the same one is already on its way. */
    private void requestSeek(TopicPartition tp, State state, long offset) {
        if (state.pendingSeek != offset) {
            state.pendingSeek = offset;
            state.seekFrom = Long.MAX_VALUE;
            seeks.put(tp, offset);
        }
    }

    private void publish() {
        Map<TopicPartition, OffsetAndMetadata> result = new HashMap<>();
        partitions.forEach((tp, state) -> {
            if (state.committedOffset >= 0) {
                result.put(tp, new OffsetAndMetadata(state.committedOffset + 1));
            }
        });
        published = Map.copyOf(result);
    }

    /** What the ledger knows of one partition. */
    private static final class State {
        /** The epoch of this task's claim, -1 before it is claimed. */
        long epoch = -1;
        /** Whether the applied offsets were read since the partition was opened or last rolled back. */
        boolean loaded;
        /** The last committed record, -1 when none. */
        long committedOffset = -1;
        SourcePosition committedPosition;
        /** The last record read into the open transaction. */
        long readOffset = -1;
        SourcePosition position;
        /** The last record a queued commit covers. */
        long submittedOffset = -1;
        /** The offset the next record must have after a seek, -1 when any next record will do. */
        long expected = -1;
        /** The first offset delivered instead of {@link #expected} after the last seek, -1 when none. */
        long mismatch = -1;
        /** The seek asked for and not yet seen to take effect, -1 when none. */
        long pendingSeek = -1;
        /** The first delivery that the last seek asked for takes effect in; {@code MAX_VALUE} until it is taken. */
        long seekFrom;
        /** Where a held partition goes on from, -1 when it is not held. */
        long heldFrom = -1;

        /** Forgets what was read after the last commit. */
        void rewind() {
            readOffset = committedOffset;
            submittedOffset = committedOffset;
            position = committedPosition;
        }
    }
}
