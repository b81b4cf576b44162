package io.pgsync.sink.apply;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.ConnectException;

import io.pgsync.sink.schema.DestinationTable;
import io.pgsync.sink.type.PgText;

/**
 * A change ready to write: its values already in PostgreSQL text form, unchanged TOASTed columns left out.
 *
 * @param event the change event it comes from
 * @param table the destination table
 * @param key the key values in the table's key order (text form), empty for a table without primary key
 * @param values column to text value: the new row for an upsert (without unavailable columns), the row to match
 *     for a delete (key columns, or every column of a keyless table)
 * @param oldValues for an UPDATE of a keyless table, every column of the old row (to find it); else empty
 */
record Change(ChangeEvent event, DestinationTable table, List<String> key, Map<String, String> values,
        Map<String, String> oldValues) {

    boolean isUpsert() {
        return event.op().writesRow();
    }

    boolean keyless() {
        return table.keyColumns().isEmpty();
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
        return new Change(event, table, key, Collections.unmodifiableMap(merged), oldValues);
    }

    /**
     * Converts an event for the given destination table.
     *
     * @param placeholder the value Debezium sends for a TOASTed column whose value did not change
     */
    static Change of(ChangeEvent event, DestinationTable table, String placeholder) {
        Map<String, String> values = new LinkedHashMap<>();
        Map<String, String> oldValues = Map.of();
        if (event.op().writesRow()) {
            image(event.row(), placeholder, values);
            if (table.keyColumns().isEmpty() && event.op() == ChangeEvent.Op.UPDATE) {
                Struct before = before(event);
                oldValues = new LinkedHashMap<>();
                image(before, null, oldValues);
            }
        } else if (table.keyColumns().isEmpty()) {
            image(event.row(), null, values);
        } else {
            for (String column : table.keyColumns()) {
                values.put(column, keyValue(event, table, column));
            }
        }
        List<String> key = new ArrayList<>(table.keyColumns().size());
        for (String column : table.keyColumns()) {
            key.add(event.op().writesRow() ? values.get(column) : keyValue(event, table, column));
        }
        return new Change(event, table, Collections.unmodifiableList(key), Collections.unmodifiableMap(values),
                oldValues);
    }

    private static void image(Struct row, String placeholder, Map<String, String> out) {
        for (Field field : row.schema().fields()) {
            Object value = row.get(field);
            if (placeholder != null && isPlaceholder(value, placeholder)) {
                continue;
            }
            out.put(field.name(), PgText.of(field.schema(), value));
        }
    }

    private static Struct before(ChangeEvent event) {
        Struct envelope = (Struct) event.record().value();
        Struct before = envelope.getStruct("before");
        if (before == null) {
            throw new ConnectException("Cannot apply UPDATE to " + event.table() + " from "
                    + Records.position(event.record()) + ": the table has no primary key and the event has no old "
                    + "row; set REPLICA IDENTITY FULL on the source table (ALTER TABLE " + event.table().quoted()
                    + " REPLICA IDENTITY FULL) or add a primary key");
        }
        return before;
    }

    private static String keyValue(ChangeEvent event, DestinationTable table, String column) {
        Struct source = event.key() != null && event.key().schema().field(column) != null ? event.key() : event.row();
        Field field = source == null ? null : source.schema().field(column);
        if (field == null) {
            throw new ConnectException("Cannot apply " + event.op() + " to " + table.table() + " from "
                    + Records.position(event.record()) + ": the record has no value for key column " + column
                    + " of the destination table's primary key " + table.keyColumns());
        }
        return PgText.of(field.schema(), source.get(field));
    }

    /** Debezium's placeholder for an unchanged TOASTed value: as a string, as its bytes, or as a one-element array. */
    static boolean isPlaceholder(Object value, String placeholder) {
        if (value instanceof String s) {
            return s.equals(placeholder);
        }
        if (value instanceof byte[] bytes) {
            return Arrays.equals(bytes, placeholder.getBytes(StandardCharsets.UTF_8));
        }
        if (value instanceof ByteBuffer buffer) {
            return buffer.equals(ByteBuffer.wrap(placeholder.getBytes(StandardCharsets.UTF_8)));
        }
        if (value instanceof List<?> list && list.size() == 1) {
            return isPlaceholder(list.get(0), placeholder);
        }
        return false;
    }
}
