package io.pgsync.sink.apply;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import io.pgsync.common.event.RowChunk;
import io.pgsync.common.event.SequencePosition;
import io.pgsync.common.pg.TableRef;
import io.pgsync.sink.mapping.NameMapping;
import io.pgsync.sink.schema.RowShape;

/**
 * Puts the sink's naming rules on what a record carries: a row change, a chunk of the full sync or a sequence
 * position is addressed to its destination table, with its columns renamed and the excluded ones left out. Example:
 * with {@code mapping.columns=public.orders.note:remark} and {@code columns.exclude=public.orders.secret}, the chunk
 * of {@code public.orders} with columns {@code [id, note, secret]} and the line {@code 1\tx\ty} becomes columns
 * {@code [id, remark]} and {@code 1\tx}.
 */
final class MappedContent {

    private MappedContent() {
    }

    /** Returns the change under the rules (the same object when none applies). */
    static ChangeEvent of(ChangeEvent event, NameMapping mapping) {
        if (mapping.isNone()) {
            return event;
        }
        TableRef source = event.table();
        TableRef target = mapping.table(source);
        if (!mapping.hasColumnRules(source)) {
            return target.equals(source) ? event : new ChangeEvent(event.op(), target, event.shape(), event.row(),
                    event.columns(), event.key(), event.oldRow(), event.position(), event.sourceTimeMs(),
                    event.record(), event.movedTo(), event.assembled());
        }
        Supplier<Map<String, String>> oldRow = event.oldRow() == null ? null : () -> {
            Map<String, String> old = event.oldRow().get();
            return old == null ? null : row(old, source, mapping);
        };
        List<String> columns = new ArrayList<>();
        for (String column : event.columns()) {
            if (!mapping.excluded(source, column)) {
                columns.add(mapping.column(source, column));
            }
        }
        return new ChangeEvent(event.op(), target, event.shape() == null ? null
                : new Shape(event.shape(), source, mapping), row(event.row(), source, mapping), columns,
                row(event.key(), source, mapping), oldRow, event.position(), event.sourceTimeMs(), event.record(),
                event.movedTo() == null ? null : row(event.movedTo(), source, mapping),
                event.assembled().stream().filter(c -> !mapping.excluded(source, c)).map(c -> mapping.column(source, c))
                        .toList());
    }

    /** Returns the sequence position under the rules. */
    static SequencePosition of(SequencePosition position, NameMapping mapping) {
        return mapping.isNone() ? position
                : new SequencePosition(mapping.table(position.sequence()), position.lastValue(), position.called());
    }

    private static Map<String, String> row(Map<String, String> row, TableRef source, NameMapping mapping) {
        Map<String, String> mapped = new LinkedHashMap<>(row.size() * 2);
        row.forEach((column, value) -> {
            if (!mapping.excluded(source, column)) {
                mapped.put(mapping.column(source, column), value);
            }
        });
        return mapped;
    }

    /** Returns the chunk under the rules (the same object when none applies). */
    static RowChunk of(RowChunk chunk, NameMapping mapping) {
        if (mapping.isNone()) {
            return chunk;
        }
        TableRef source = chunk.table();
        TableRef target = mapping.table(source);
        if (!mapping.hasColumnRules(source)) {
            return target.equals(source) ? chunk : new RowChunk(target, chunk.columns(), chunk.types(), chunk.key(),
                    chunk.rows(), chunk.copy(), chunk.reset());
        }
        List<String> columns = new ArrayList<>();
        List<String> types = new ArrayList<>();
        boolean[] kept = new boolean[chunk.columns().size()];
        for (int i = 0; i < kept.length; i++) {
            String column = chunk.columns().get(i);
            kept[i] = !mapping.excluded(source, column);
            if (kept[i]) {
                columns.add(mapping.column(source, column));
                types.add(chunk.types().get(i));
            }
        }
        List<String> key = new ArrayList<>();
        for (String column : chunk.key()) {
            if (!mapping.excluded(source, column)) {
                key.add(mapping.column(source, column));
            }
        }
        String copy = columns.size() == kept.length ? chunk.copy() : withoutColumns(chunk.copy(), kept);
        return new RowChunk(target, columns, types, key, chunk.rows(), copy, chunk.reset());
    }

    /**
     * Leaves columns out of COPY text. A value's own tabs and newlines are escaped in that format, so every raw tab
     * separates two columns and every raw newline ends a row.
     */
    private static String withoutColumns(String copy, boolean[] kept) {
        StringBuilder out = new StringBuilder(copy.length());
        int column = 0;
        int start = 0;
        boolean first = true;
        for (int i = 0; i <= copy.length(); i++) {
            char c = i < copy.length() ? copy.charAt(i) : '\n';
            if (c != '\t' && c != '\n') {
                continue;
            }
            if (i == copy.length() && start == i) {
                break;
            }
            if (column < kept.length && kept[column]) {
                out.append(first ? "" : "\t").append(copy, start, i);
                first = false;
            }
            column++;
            start = i + 1;
            if (c == '\n') {
                out.append('\n');
                column = 0;
                first = true;
            }
        }
        return out.toString();
    }

    /** A row shape seen through the rules: destination column names, excluded columns left out. */
    private static final class Shape implements RowShape {
        private final RowShape shape;
        private final List<String> columns = new ArrayList<>();
        private final List<String> keyColumns = new ArrayList<>();
        private final Map<String, String> sourceNames = new HashMap<>();

        Shape(RowShape shape, TableRef source, NameMapping mapping) {
            this.shape = shape;
            for (String column : shape.columns()) {
                if (!mapping.excluded(source, column)) {
                    String name = mapping.column(source, column);
                    columns.add(name);
                    sourceNames.put(name, column);
                }
            }
            for (String column : shape.keyColumns()) {
                if (!mapping.excluded(source, column)) {
                    keyColumns.add(mapping.column(source, column));
                }
            }
        }

        @Override
        public List<String> columns() {
            return columns;
        }

        @Override
        public String ddlType(String column) {
            return shape.ddlType(sourceNames.getOrDefault(column, column));
        }

        @Override
        public boolean nullable(String column) {
            return shape.nullable(sourceNames.getOrDefault(column, column));
        }

        @Override
        public List<String> keyColumns() {
            return keyColumns;
        }
    }
}
