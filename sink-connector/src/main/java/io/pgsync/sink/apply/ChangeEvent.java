package io.pgsync.sink.apply;

import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.sink.SinkRecord;

import io.pgsync.common.event.SourcePosition;
import io.pgsync.common.pg.TableRef;
import io.pgsync.sink.schema.RowShape;

/**
 * One row change with its values in PostgreSQL text form, read by {@link ChangeReader} from a pgsync row-change
 * record or a Debezium change event.
 *
 * @param op what happened to the row
 * @param table the source table
 * @param shape the columns the record carries (to create or extend the destination table); null for TRUNCATE
 * @param row column to text value (null for SQL NULL): the new row for READ/CREATE/UPDATE, without unchanged
 *     TOASTed columns; the old row (at least its key) for DELETE; empty for TRUNCATE
 * @param columns the columns of {@code row}, in its order
 * @param key the record key's column values, when the record has a key apart from its row; else empty
 * @param oldRow the old row of an UPDATE (every column, with REPLICA IDENTITY FULL), or null when the event has none;
 *     read only for tables without key, hence lazy
 * @param position where the change sits in the source's commit order, null for snapshot reads
 * @param sourceTimeMs the source commit time, or -1 when absent
 * @param record the record it came from, for error messages and the errant-record reporter
 * @param movedTo for the DELETE half of a primary-key change, the new key (column to text value): the row is moved
 *     there, so the CREATE half that follows keeps the unchanged TOASTed values it does not carry; else null
 * @param assembled the columns of {@code row} whose values came in pieces ({@link io.pgsync.common.event.ValuePiece})
 *     and wait in the destination session: {@code row} holds their reference ({@link AssembledRows#ref}) instead
 *     of a value; else empty
 */
record ChangeEvent(Op op, TableRef table, RowShape shape, Map<String, String> row, List<String> columns,
        Map<String, String> key, Supplier<Map<String, String>> oldRow, SourcePosition position, long sourceTimeMs,
        SinkRecord record, Map<String, String> movedTo, List<String> assembled) {

    /** A change whose values all came in its own record. */
    ChangeEvent(Op op, TableRef table, RowShape shape, Map<String, String> row, List<String> columns,
            Map<String, String> key, Supplier<Map<String, String>> oldRow, SourcePosition position, long sourceTimeMs,
            SinkRecord record, Map<String, String> movedTo) {
        this(op, table, shape, row, columns, key, oldRow, position, sourceTimeMs, record, movedTo, List.of());
    }

    enum Op {
        READ, CREATE, UPDATE, DELETE, TRUNCATE;

        static Op of(String code, SinkRecord record) {
            return switch (code) {
                case "r" -> READ;
                case "c" -> CREATE;
                case "u" -> UPDATE;
                case "d" -> DELETE;
                case "t" -> TRUNCATE;
                default -> throw new DataException("Unknown change operation '" + code + "' in "
                        + Records.position(record) + "; expected one of r, c, u, d, t");
            };
        }

        boolean writesRow() {
            return this == READ || this == CREATE || this == UPDATE;
        }
    }

    /** The text value of a key column: from the record key, else from the row. */
    String keyValue(String column, String keyColumns) {
        if (key.containsKey(column)) {
            return key.get(column);
        }
        if (row.containsKey(column)) {
            return row.get(column);
        }
        throw new ConnectException("Cannot apply " + op + " to " + table + " from " + Records.position(record)
                + ": the record has no value for key column " + column + " of the destination table's primary key "
                + keyColumns);
    }
}
