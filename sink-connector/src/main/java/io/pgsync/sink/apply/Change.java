package io.pgsync.sink.apply;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.connect.errors.ConnectException;

import io.pgsync.sink.schema.DestinationTable;

/**
 * A change ready to write: its values already in PostgreSQL text form, unchanged TOASTed columns left out.
 *
 * @param event the change event it comes from
 * @param table the destination table
 * @param key the key values in the table's key order (text form), empty for a table without primary key
 * @param values column to text value: the new row for an upsert (without unavailable columns), the row to match
 *     for a delete (key columns, or every column of a keyless table)
 * @param columns the columns of {@code values}, in its order (upserts carrying the same columns are written by one
 *     statement)
 * @param oldValues for an UPDATE of a keyless table, every column of the old row (to find it); else empty
 */
record Change(ChangeEvent event, DestinationTable table, List<String> key, Map<String, String> values,
        List<String> columns,
        Map<String, String> oldValues) {

    boolean isUpsert() {
        return event.op().writesRow();
    }

    boolean keyless() {
        return table.keyColumns().isEmpty();
    }

    /**
     * Whether this is the DELETE half of a primary-key change that moves the row to its new key (which
     * {@link ChangeEvent#movedTo} names) instead of deleting it.
     */
    boolean isMove() {
        return event.movedTo() != null && !keyless();
    }

    /** Returns this upsert with the columns it lacks (unchanged TOASTed values) taken from an earlier upsert. */
    Change filledFrom(Change earlier) {
        if (!earlier.isUpsert() || values.keySet().containsAll(earlier.values.keySet())) {
            return this;
        }
        Map<String, String> merged = new LinkedHashMap<>();
        for (String column : earlier.values.keySet()) {
            merged.put(column, values.containsKey(column) ? values.get(column) : earlier.values.get(column));
        }
        values.forEach(merged::putIfAbsent);
        return new Change(event, table, key, Collections.unmodifiableMap(merged), List.copyOf(merged.keySet()),
                oldValues);
    }

    /** Prepares an event for the given destination table. */
    static Change of(ChangeEvent event, DestinationTable table) {
        Map<String, String> values;
        Map<String, String> oldValues = Map.of();
        if (event.op().writesRow()) {
            values = event.row();
            if (table.keyColumns().isEmpty() && event.op() == ChangeEvent.Op.UPDATE) {
                oldValues = event.oldRow().get();
                if (oldValues == null) {
                    throw new ConnectException("Cannot apply UPDATE to " + event.table() + " from "
                            + Records.position(event.record()) + ": the table has no primary key and the event has "
                            + "no old row; set REPLICA IDENTITY FULL on the source table (ALTER TABLE "
                            + event.table().quoted() + " REPLICA IDENTITY FULL) or add a primary key");
                }
            }
        } else if (table.keyColumns().isEmpty()) {
            values = event.row();
        } else {
            values = new LinkedHashMap<>();
            for (String column : table.keyColumns()) {
                values.put(column, event.keyValue(column, table.keyColumns().toString()));
            }
            values = Collections.unmodifiableMap(values);
        }
        List<String> key = new ArrayList<>(table.keyColumns().size());
        for (String column : table.keyColumns()) {
            key.add(event.op().writesRow() ? event.keyValue(column, table.keyColumns().toString())
                    : values.get(column));
        }
        List<String> columns = values == event.row() ? event.columns() : List.copyOf(values.keySet());
        return new Change(event, table, Collections.unmodifiableList(key), values, columns, oldValues);
    }
}
