package io.pgsync.sink.apply;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.pgsync.common.event.SourcePosition;
import io.pgsync.sink.offset.AppliedOffset;

/**
 * Knows, per topic partition, what the engine has read, what a queued commit covers and what the destination has
 * committed: the offsets to seek to after a rollback, the duplicate test by source position, and the offsets that
 * Connect may commit. It does no I/O; the engine's thread owns it, except {@link #published}.
 */
final class PartitionLedger {

    private static final Logger log = LoggerFactory.getLogger(PartitionLedger.class);

    private final Map<TopicPartition, State> partitions = new HashMap<>();
    private final Map<TopicPartition, Long> rewinds = new HashMap<>();
    /** What {@link #published} returns; written on the engine's thread only. */
    private volatile Map<TopicPartition, OffsetAndMetadata> published = Map.of();

    /** The last record a commit covers in one partition: its offset and source position. */
    record Mark(long offset, SourcePosition position) {
        AppliedOffset applied() {
            return new AppliedOffset(offset, position == null ? null : position.commitLsn(),
                    position == null ? null : position.lsn(), position == null ? null : position.order());
        }
    }

    /** Takes on partitions, nothing known of them yet. */
    void open(Collection<TopicPartition> assigned) {
        assigned.forEach(tp -> partitions.put(tp, new State()));
    }

    /** Gives up partitions. */
    void close(Collection<TopicPartition> revoked) {
        revoked.forEach(partitions::remove);
        publish();
    }

    Collection<TopicPartition> partitions() {
        return List.copyOf(partitions.keySet());
    }

    /** Notes a record delivered from the partition: the first one since it was opened is where a rewind goes. */
    void delivered(TopicPartition tp, long offset) {
        State state = state(tp);
        if (state.firstOffset < 0) {
            state.firstOffset = offset;
        }
    }

    /** Whether the record was read before (a re-delivery after a rewind that did not reach back that far). */
    boolean isRead(TopicPartition tp, long offset) {
        State state = partitions.get(tp);
        return state != null && offset <= state.offset;
    }

    /** Notes the record as read: it is in the open transaction. */
    void read(TopicPartition tp, long offset) {
        state(tp).offset = offset;
    }

    /**
     * Whether a streamed record's source position is not past the partition's last applied one: a duplicate a source
     * restart re-sent. Otherwise the position becomes the partition's last one.
     */
    boolean isDuplicate(TopicPartition tp, SourcePosition position) {
        if (position == null) {
            return false;
        }
        State state = state(tp);
        if (state.position != null && !position.isAfter(state.position)) {
            return true;
        }
        state.position = position;
        return false;
    }

    /**
     * Returns, per partition read past what a queued commit covers, the last record read; a commit of these is
     * about to be queued.
     */
    Map<TopicPartition, Mark> advance() {
        Map<TopicPartition, Mark> advanced = new HashMap<>();
        partitions.forEach((tp, state) -> {
            if (state.offset > state.submittedOffset) {
                advanced.put(tp, new Mark(state.offset, state.position));
                state.submittedOffset = state.offset;
            }
        });
        return advanced;
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

    /** Forgets what was read after the last commit and asks for a seek of every partition to just after it. */
    void rollBack() {
        partitions.forEach((tp, state) -> {
            long next = state.rewind();
            if (next >= 0) {
                rewinds.put(tp, next);
            }
        });
    }

    /**
     * Takes the offsets the destination has applied for the given partitions: the engine reads on from there, after
     * a seek.
     */
    void load(Collection<TopicPartition> assigned, Map<TopicPartition, AppliedOffset> applied) {
        for (TopicPartition tp : assigned) {
            AppliedOffset offset = applied.get(tp);
            State state = partitions.get(tp);
            if (offset != null && state != null) {
                state.load(offset);
                rewinds.put(tp, offset.offset() + 1);
            }
        }
        publish();
    }

    /**
     * Takes the applied offsets read late (the destination could not be read when the partitions were opened), and
     * sends every partition back to the right place: its applied offset, or the first record delivered.
     *
     * @param firstOffsets per partition, the first offset of the delivery that could not be applied yet
     */
    void loadLate(Map<TopicPartition, AppliedOffset> applied, Map<TopicPartition, Long> firstOffsets) {
        Map<TopicPartition, Long> committedBefore = new HashMap<>();
        partitions.forEach((tp, state) -> committedBefore.put(tp, state.committedOffset));
        load(List.copyOf(partitions.keySet()), applied);
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

    /** Returns and forgets the seeks asked for since the last call. */
    Map<TopicPartition, Long> takeRewinds() {
        Map<TopicPartition, Long> taken = Map.copyOf(rewinds);
        rewinds.clear();
        return taken;
    }

    /**
     * Returns, per partition, the offset of the next record to read after what the destination has committed, as of
     * the last commit that succeeded; callable from any thread.
     */
    Map<TopicPartition, OffsetAndMetadata> published() {
        return published;
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

    private State state(TopicPartition tp) {
        return partitions.computeIfAbsent(tp, p -> new State());
    }

    /** What the ledger knows of one partition: read so far, covered by a queued commit, committed. */
    private static final class State {
        long offset = -1;
        SourcePosition position;
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
        }

        long forget() {
            committedOffset = -1;
            committedPosition = null;
            rewind();
            return firstOffset;
        }

        long rewind() {
            position = committedPosition;
            offset = committedOffset;
            submittedOffset = committedOffset;
            return committedOffset >= 0 ? committedOffset + 1 : firstOffset;
        }
    }
}
