package io.pgsync.sink.apply;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Predicate;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.sink.SinkRecord;

import io.pgsync.common.event.TransactionMarker;

/**
 * Knows, per partition, whether the records read so far end inside a source transaction (after a BEGIN marker) or
 * between two; the open destination transaction may be committed only where every partition is between two. It does
 * no I/O.
 */
final class TransactionBoundaries {

    private final Map<TopicPartition, Boolean> inside = new HashMap<>();

    /** Starts tracking partitions, between two transactions. */
    void add(Collection<TopicPartition> partitions) {
        partitions.forEach(tp -> inside.put(tp, false));
    }

    void remove(Collection<TopicPartition> partitions) {
        partitions.forEach(inside::remove);
    }

    /** Applies a marker read from the partition. */
    void marker(TopicPartition tp, TransactionMarker.Status status) {
        inside.put(tp, status == TransactionMarker.Status.BEGIN);
    }

    /** Forgets a partially read transaction: the partition is read again from a boundary. */
    void between(TopicPartition tp) {
        inside.put(tp, false);
    }

    /** Forgets every partially read transaction: the partitions are read again from their last commit. */
    void clear() {
        inside.replaceAll((tp, in) -> false);
    }

    /** Whether every partition is between two source transactions. */
    boolean atBoundary() {
        return !inside.containsValue(true);
    }

    /**
     * Returns how many leading records of the delivery end where every partition is between source transactions
     * (0 when none does). The engine commits there: a delivery that ends inside a transaction still makes every
     * transaction before it visible at once, instead of waiting for a later delivery that happens to end on a
     * boundary. Example: the delivery {@code c9 END(t1) BEGIN(t2) c1 c2} returns 2, so t1 is committed right after its
     * END marker and t2 with a later delivery.
     *
     * @param unread which records the engine will read (not those it has read before)
     */
    int lastBoundary(Delivery delivery, Predicate<SinkRecord> unread) {
        Map<TopicPartition, Boolean> state = new HashMap<>(inside);
        int open = 0;
        for (boolean in : state.values()) {
            open += in ? 1 : 0;
        }
        int last = 0;
        for (int i = 0; i < delivery.records.size(); i++) {
            SinkRecord record = delivery.records.get(i);
            if (delivery.entries[i] instanceof ChangelogEntry.Marker marker && unread.test(record)) {
                TopicPartition tp = new TopicPartition(record.topic(), record.kafkaPartition());
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
