package io.pgsync.sink.apply;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.apache.kafka.common.TopicPartition;

import io.pgsync.sink.offset.AppliedOffset;

/**
 * The destination database of the model: the tables {@code kv} and {@code log}, {@code pgsync.applied_offsets} (offsets
 * and claim epochs), and
 * sessions with an open transaction each. It can be down (every call fails as a lost connection does) and checks,
 * at every commit, what any reader of the destination may see: every source transaction whole or not at all, none
 * twice, none missing before the last one applied.
 */
final class ModelDatabase {

    private final ModelSource source;
    final Map<Integer, String> kv = new TreeMap<>();
    final List<String> log = new ArrayList<>();
    final Map<TopicPartition, AppliedOffset> offsets = new HashMap<>();
    /** Per partition, the epoch of the last claim. */
    final Map<TopicPartition, Long> epochs = new HashMap<>();
    final List<String> violations = new ArrayList<>();
    boolean down;
    int commits;

    ModelDatabase(ModelSource source) {
        this.source = source;
    }

    /** Throws what pgjdbc throws when the server cannot be reached. */
    void reachable() throws SQLException {
        if (down) {
            throw new SQLException("Connection to the model destination refused", "08001");
        }
    }

    /** Applies a transaction's writes and offsets at once, then checks what readers now see. */
    void commit(List<Write> writes, Map<TopicPartition, AppliedOffset> applied, String who) {
        for (Write write : writes) {
            write.apply(this);
        }
        offsets.putAll(applied);
        commits++;
        check(who + " commit " + commits);
    }

    /** One write in an open transaction. */
    interface Write {
        void apply(ModelDatabase db);
    }

    private void check(String when) {
        Map<String, Integer> seen = new HashMap<>();
        log.forEach(row -> seen.merge(row, 1, Integer::sum));
        int last = 0;
        for (ModelSource.Transaction tx : source.transactions) {
            int present = 0;
            for (String row : tx.logRows()) {
                int count = seen.getOrDefault(row, 0);
                if (count > 1) {
                    violations.add(when + ": log row " + row + " of transaction " + tx.number() + " applied "
                            + count + " times");
                }
                present += count > 0 ? 1 : 0;
            }
            if (present > 0 && present < tx.logRows().size()) {
                violations.add(when + ": transaction " + tx.number() + " half applied (" + present + " of "
                        + tx.logRows().size() + " log rows)");
            }
            if (present > 0) {
                last = tx.number();
            }
        }
        for (ModelSource.Transaction tx : source.transactions) {
            if (tx.number() < last && !seen.containsKey(tx.logRows().get(0))) {
                violations.add(when + ": transaction " + tx.number() + " missing before transaction " + last);
                break;
            }
        }
    }
}
