package io.pgsync.sink.apply;

import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.pgsync.common.pg.TableRef;
import io.pgsync.sink.schema.DestinationTable;

/**
 * The net effect of a batch of changes, per table: the last change of each key wins. It decides what to write and
 * does no I/O.
 *
 * <p>Example: {@code INSERT k1, UPDATE k1, INSERT k2, DELETE k2, INSERT k3} on one table becomes a delete of
 * {@code k2} and an upsert of {@code k1} (its updated row) and {@code k3}. An UPDATE whose unchanged TOASTed columns
 * were left out takes them from an earlier upsert of the same key in the batch. Tables without primary key keep
 * every change, in order, and so does a table with a primary-key change in the batch (its row moves to the new key,
 * which only the exact order of the changes to both keys gets right).
 */
final class CollapsedBatch {

    private final Map<TableRef, TableChanges> tables = new LinkedHashMap<>();

    static CollapsedBatch of(List<Change> changes) {
        CollapsedBatch batch = new CollapsedBatch();
        for (Change change : changes) {
            batch.tables.computeIfAbsent(change.table().table(), t -> new TableChanges(change.table())).add(change);
        }
        return batch;
    }

    /** The tables in the order their first change appeared. */
    Collection<TableChanges> tables() {
        return tables.values();
    }

    /** The collapsed changes of one table. */
    static final class TableChanges {
        private DestinationTable table;
        private final Map<List<String>, Change> deletes = new LinkedHashMap<>();
        private final Map<List<String>, Change> upserts = new LinkedHashMap<>();
        private final List<Change> inOrder = new ArrayList<>();
        /** Every change of a table with key, in order, until the batch turns out to need them in order. */
        private final List<Change> all = new ArrayList<>();
        private boolean ordered;

        private TableChanges(DestinationTable table) {
            this.table = table;
        }

        private void add(Change change) {
            table = change.table();
            if (change.keyless() || ordered) {
                inOrder.add(change);
                return;
            }
            all.add(change);
            if (change.isMove()) {
                ordered = true;
                inOrder.addAll(all);
                all.clear();
                deletes.clear();
                upserts.clear();
            } else if (change.isUpsert()) {
                deletes.remove(change.key());
                Change earlier = upserts.remove(change.key());
                upserts.put(change.key(), earlier == null ? change : change.filledFrom(earlier));
            } else {
                upserts.remove(change.key());
                deletes.put(change.key(), change);
            }
        }

        /** The table as the latest change saw it (columns added during the batch included). */
        DestinationTable table() {
            return table;
        }

        /** Changes of a table without primary key, in event order. */
        List<Change> inOrder() {
            return inOrder;
        }

        /** The keys whose last change deletes the row. */
        Collection<Change> deletes() {
            return deletes.values();
        }

        /**
         * The rows to upsert, grouped by the list of columns they carry (one statement per group). Lists are compared
         * by identity: the reader shares one list per table and column set, and two groups with equal lists would
         * only mean two statements.
         */
        Map<List<String>, List<Change>> upsertsByColumns() {
            Map<List<String>, List<Change>> groups = new IdentityHashMap<>();
            for (Change change : upserts.values()) {
                groups.computeIfAbsent(change.columns(), c -> new ArrayList<>()).add(change);
            }
            return groups;
        }
    }
}
