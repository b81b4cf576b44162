package io.pgsync.sink.schema;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.pgsync.common.pg.TableRef;

/**
 * A destination table as its catalog describes it.
 *
 * @param table the table name
 * @param columnTypes each column's type as {@code format_type} renders it (e.g. {@code numeric(12,2)},
 *     {@code text[]}, {@code public.mood}), in column order
 * @param keyColumns the primary-key columns in key order; empty when the table has no primary key
 */
public record DestinationTable(TableRef table, Map<String, String> columnTypes, List<String> keyColumns) {

    public DestinationTable {
        columnTypes = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(columnTypes));
        keyColumns = List.copyOf(keyColumns);
    }

    public boolean hasColumn(String column) {
        return columnTypes.containsKey(column);
    }

    public String typeOf(String column) {
        String type = columnTypes.get(column);
        if (type == null) {
            throw new IllegalArgumentException("Table " + table + " has no column " + column);
        }
        return type;
    }
}
