package io.pgsync.sink.apply;

import java.util.Optional;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.sink.SinkRecord;

import io.pgsync.common.event.DebeziumEnvelope;
import io.pgsync.common.pg.TableRef;

/**
 * One row change read from a Debezium change-event record.
 *
 * @param op what happened to the row
 * @param table the source table
 * @param key the primary-key values (Debezium's record key), null for a table without key and for TRUNCATE
 * @param row the row values: the new row for READ/CREATE/UPDATE, the old row (at least its key) for DELETE,
 *     null for TRUNCATE
 * @param position where the change sits in the source's commit order, null for snapshot reads
 * @param sourceTimeMs the source commit time (Debezium's {@code source.ts_ms}), or -1 when absent
 * @param record the record it came from, for error messages and the errant-record reporter
 */
record ChangeEvent(Op op, TableRef table, Struct key, Struct row, SourcePosition position, long sourceTimeMs,
        SinkRecord record) {

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

    /**
     * Returns the change carried by the record, or empty for records that change no row: transaction markers,
     * heartbeats, tombstones, and Debezium's "m" (logical message) events.
     */
    static Optional<ChangeEvent> of(SinkRecord record) {
        Schema valueSchema = record.valueSchema();
        Optional<TableRef> table = DebeziumEnvelope.tableOf(valueSchema, record.value());
        if (table.isEmpty()) {
            return Optional.empty();
        }
        Struct value = (Struct) record.value();
        String code = value.getString(DebeziumEnvelope.FIELD_OP);
        if ("m".equals(code)) {
            return Optional.empty();
        }
        Op op = Op.of(code, record);
        Struct row = switch (op) {
            case READ, CREATE, UPDATE -> value.getStruct(DebeziumEnvelope.FIELD_AFTER);
            case DELETE -> value.getStruct(DebeziumEnvelope.FIELD_BEFORE);
            case TRUNCATE -> null;
        };
        if (row == null && op != Op.TRUNCATE) {
            throw new DataException("Change event " + op + " on " + table.get() + " at " + Records.position(record)
                    + " carries no row image");
        }
        Struct key = record.key() instanceof Struct s ? s : null;
        Struct source = value.getStruct(DebeziumEnvelope.FIELD_SOURCE);
        Object tsMs = source.schema().field("ts_ms") == null ? null : source.get("ts_ms");
        Struct transaction = value.schema().field("transaction") == null ? null : value.getStruct("transaction");
        return Optional.of(new ChangeEvent(op, table.get(), key, row, SourcePosition.of(source, transaction),
                tsMs instanceof Number n ? n.longValue() : -1, record));
    }
}
