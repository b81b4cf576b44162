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
import io.pgsync.common.pg.TableRef;

/**
 * Knows, per partition, whether the records read so far end inside a source transaction (after a BEGIN marker) or
 * between two; the open destination transaction may be committed only where every partition is between two. When a
 * commit is due and some partitions are inside a transaction, a barrier holds back each partition that reaches a
 * boundary until all have, so that a commit point comes however the partitions' transactions interleave. It does no
 * I/O.
 *
 * <p>The pieces of a large row ({@link ChangelogEntry.Piece}) and its change count as one more transaction inside
 * (or outside) the source's: from the first piece to the next record that is not a piece (the row's change), the
 * partition is not between two, so no commit falls between the pieces of a row, also in the full sync, which has no
 * transactions.
 *
 * <p>A full sync has no transactions. When its first chunk of a table comes while a partition is inside a transaction,
 * the source stopped while it was sending that transaction (its worker was killed before Connect flushed its offsets)
 * and runs its full sync again: that transaction never ends in the changelog. It is given up, and the full sync's copy
 * replaces what of it was read: no commit comes until every table it wrote has had its first chunk (which empties the
 * table), or until the partition's next transaction begins (the full sync is over).
 *
 * <p>Example: {@code BEGIN(t7) kv-change log-change}, the source's worker killed, then the full sync
 * {@code kv-chunk(reset) log-chunk(reset)}: after the kv chunk no commit may come (the log change of t7 alone would be
 * visible); after the log chunk one may.
 *
 * <p>Example with two partitions, the commit due: p0 ends transaction t7 while p1 is inside t8. p0 is held at its
 * boundary (its later records wait, the consumer pauses it); when p1 reads t8's END, both are between transactions:
 * the engine commits, and p0 goes on.
 */
final class TransactionBoundaries {

    private final Map<TopicPartition, Boolean> inside = new HashMap<>();
    /** Per partition inside a transaction: the tables its changes read so far write. */
    private final Map<TopicPartition, Set<TableRef>> written = new HashMap<>();
    /** Per partition: the tables of a transaction given up that the full sync running again has not emptied yet. */
    private final Map<TopicPartition, Set<TableRef>> unfinished = new HashMap<>();
    /** The partitions whose last record read is a piece of a large row. */
    private final Set<TopicPartition> inRow = new HashSet<>();
    private final Set<TopicPartition> held = new HashSet<>();
    private boolean barrier;

    /** Starts tracking partitions, between two transactions. */
    void add(Collection<TopicPartition> partitions) {
        partitions.forEach(tp -> inside.put(tp, false));
    }

    void remove(Collection<TopicPartition> partitions) {
        partitions.forEach(tp -> {
            inside.remove(tp);
            written.remove(tp);
            unfinished.remove(tp);
            inRow.remove(tp);
            held.remove(tp);
        });
    }

    /** Applies a marker read from the partition. */
    void marker(TopicPartition tp, TransactionMarker.Status status) {
        boolean begin = status == TransactionMarker.Status.BEGIN;
        boolean wasInside = Boolean.TRUE.equals(inside.put(tp, begin));
        if (!wasInside || !begin) {
            written.remove(tp);
        }
        if (begin) {
            unfinished.remove(tp);
        }
    }

    /** Notes a change to the table read from the partition. */
    void changed(TopicPartition tp, TableRef table) {
        if (Boolean.TRUE.equals(inside.get(tp))) {
            written.computeIfAbsent(tp, p -> new HashSet<>()).add(table);
        }
    }

    /**
     * Notes the first chunk of the table in a full sync that runs again, read from the partition; returns whether the
     * partition was inside a transaction, now given up.
     */
    boolean fullSyncAgain(TopicPartition tp, TableRef table) {
        boolean wasInside = Boolean.TRUE.equals(inside.put(tp, false));
        if (wasInside) {
            Set<TableRef> tables = written.remove(tp);
            unfinished.put(tp, tables == null ? new HashSet<>() : tables);
        }
        Set<TableRef> pending = unfinished.get(tp);
        if (pending != null) {
            pending.remove(table);
            if (pending.isEmpty()) {
                unfinished.remove(tp);
            }
        }
        return wasInside;
    }

    /**
     * Notes a record read from the partition: a piece of a large row, or any other record, which ends the row being
     * read: its change, or what came instead when the change was left out ({@code columns.exclude} on the pieced
     * column, a record the task could not read under {@code errors.tolerance=all}) or never came (the source stopped
     * between the pieces and sends the row again from its first piece, or something else).
     */
    void read(TopicPartition tp, ChangelogEntry entry) {
        if (entry instanceof ChangelogEntry.Piece) {
            inRow.add(tp);
        } else {
            inRow.remove(tp);
        }
    }

    /** Forgets every partially read transaction, and the barrier: the partitions are read again from a commit. */
    void clear() {
        inside.replaceAll((tp, in) -> false);
        written.clear();
        unfinished.clear();
        inRow.clear();
        held.clear();
        barrier = false;
    }

    /**
     * Whether every partition is between two source transactions, and no transaction given up has rows the full sync
     * has not replaced yet.
     */
    boolean atBoundary() {
        return !inside.containsValue(true) && unfinished.isEmpty() && inRow.isEmpty();
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
        return inside.keySet().stream().filter(tp -> between(tp) && held.add(tp)).toList();
    }

    /** Whether the partition is to be held after the record just read: the barrier is up and it reached a boundary. */
    boolean reachedBarrier(TopicPartition tp) {
        return barrier && between(tp) && held.add(tp);
    }

    /**
     * Whether the partition is between two transactions, with nothing of one given up left to replace, and not
     * between the pieces of a large row.
     */
    private boolean between(TopicPartition tp) {
        return !inside.getOrDefault(tp, false) && !unfinished.containsKey(tp) && !inRow.contains(tp);
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
        Set<TopicPartition> rows = new HashSet<>(inRow);
        int last = 0;
        for (int i = 0; i < delivery.records.size(); i++) {
            TopicPartition tp = delivery.partitions[i];
            ChangelogEntry entry = delivery.entries[i];
            if (unread.test(i)) {
                if (entry instanceof ChangelogEntry.Marker marker) {
                    state.put(tp, marker.status() == TransactionMarker.Status.BEGIN);
                }
                if (entry instanceof ChangelogEntry.Piece) {
                    rows.add(tp);
                } else {
                    rows.remove(tp);
                }
            }
            if (rows.isEmpty() && !state.containsValue(true)) {
                last = i + 1;
            }
        }
        return last;
    }
}
