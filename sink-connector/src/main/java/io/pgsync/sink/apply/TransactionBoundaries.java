package io.pgsync.sink.apply;

import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntPredicate;

import org.apache.kafka.common.TopicPartition;

import io.pgsync.common.event.TransactionMarker;

/**
 * Knows, per partition, whether the records read so far end inside a source transaction (after a BEGIN marker) or
 * between two; the open destination transaction may be committed only where every partition is between two. When a
 * commit is due and some partitions are inside a transaction, a barrier holds back each partition that reaches a
 * boundary until all have, so that a commit point comes however the partitions' transactions interleave. It does no
 * I/O.
 *
 * <p>Example with two partitions, the commit due: p0 ends transaction t7 while p1 is inside t8. p0 is held at its
 * boundary (its later records wait, the consumer pauses it); when p1 reads t8's END, both are between transactions:
 * the engine commits, and p0 goes on.
 */
final class TransactionBoundaries {

    private final Map<TopicPartition, Boolean> inside = new HashMap<>();
    private final Set<TopicPartition> held = new HashSet<>();
    private boolean barrier;

    /** Starts tracking partitions, between two transactions. */
    void add(Collection<TopicPartition> partitions) {
        partitions.forEach(tp -> inside.put(tp, false));
    }

    void remove(Collection<TopicPartition> partitions) {
        partitions.forEach(tp -> {
            inside.remove(tp);
            held.remove(tp);
        });
    }

    /** Applies a marker read from the partition. */
    void marker(TopicPartition tp, TransactionMarker.Status status) {
        inside.put(tp, status == TransactionMarker.Status.BEGIN);
    }

    /** Forgets every partially read transaction, and the barrier: the partitions are read again from a commit. */
    void clear() {
        inside.replaceAll((tp, in) -> false);
        held.clear();
        barrier = false;
    }

    /** Whether every partition is between two source transactions. */
    boolean atBoundary() {
        return !inside.containsValue(true);
    }

    /** Whether a barrier waits for every partition to reach a boundary. */
    boolean barrier() {
        return barrier;
    }

    /**
     * Raises the barrier; returns the partitions to hold now (those already between transactions).
     */
    List<TopicPartition> raiseBarrier() {
        barrier = true;
        return inside.entrySet().stream().filter(e -> !e.getValue() && held.add(e.getKey())).map(Map.Entry::getKey)
                .toList();
    }

    /** Whether the partition is to be held after the record just read: the barrier is up and it reached a boundary. */
    boolean reachedBarrier(TopicPartition tp) {
        return barrier && !inside.getOrDefault(tp, false) && held.add(tp);
    }

    /** Lowers the barrier after a commit: the held partitions go on. */
    void lowerBarrier() {
        barrier = false;
        held.clear();
    }

    /**
     * Returns how many leading records of the delivery end where every partition is between source transactions
     * (0 when none does). The engine commits there: a delivery that ends inside a transaction still makes every
     * transaction before it visible at once, instead of waiting for a later delivery that happens to end on a
     * boundary. Example: the delivery {@code c9 END(t1) BEGIN(t2) c1 c2} returns 2, so t1 is committed right after its
     * END marker and t2 with a later delivery.
     *
     * @param unread which records, by index, the engine will read (not those it has read before)
     */
    int lastBoundary(Delivery delivery, IntPredicate unread) {
        Map<TopicPartition, Boolean> state = new HashMap<>(inside);
        int open = 0;
        for (boolean in : state.values()) {
            open += in ? 1 : 0;
        }
        int last = 0;
        for (int i = 0; i < delivery.records.size(); i++) {
            if (delivery.entries[i] instanceof ChangelogEntry.Marker marker && unread.test(i)) {
                TopicPartition tp = delivery.partitions[i];
                boolean now = marker.status() == TransactionMarker.Status.BEGIN;
                Boolean before = state.put(tp, now);
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
}
