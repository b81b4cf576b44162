package io.pgsync.sink.apply;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.sink.SinkRecord;

import io.pgsync.common.event.DebeziumEnvelope;
import io.pgsync.common.event.RowChange;
import io.pgsync.common.event.RowChunk;
import io.pgsync.common.event.SourcePosition;
import io.pgsync.common.event.TypedColumns;
import io.pgsync.common.pg.TableRef;
import io.pgsync.common.type.ColumnTypes;
import io.pgsync.common.type.PgText;
import io.pgsync.sink.schema.RowShape;

/**
 * Reads row changes from records in either format the sink accepts: pgsync's {@link RowChange} (the changelog of
 * pgsync's source connector, values already in text form) and Debezium's change-event envelope (plain Debezium
 * topics, or a changelog with {@code changelog.format=debezium}), whose values it converts with {@link PgText}.
 */
final class ChangeReader {

    private static final int MAX_CACHED_SHAPES = 10_000;

    private final String placeholder;
    private final Map<Schema, EnvelopeShape> shapes = new IdentityHashMap<>();
    private final Map<TableRef, List<String>> columnLists = new HashMap<>();

    /** The columns a full-sync chunk carries. */
    static RowShape shapeOf(RowChunk chunk) {
        return new ListedShape(chunk.table(), chunk.columns(), chunk.types(), chunk.key());
    }

    /** @param placeholder Debezium's {@code unavailable.value.placeholder}, for Debezium envelopes */
    ChangeReader(String placeholder) {
        this.placeholder = placeholder;
    }

    /**
     * Returns one shared, immutable instance for every record of a table that lists the same columns, so that the
     * engine can group changes and check a table's columns by identity instead of comparing names per change.
     */
    private List<String> columnList(TableRef table, List<String> columns) {
        List<String> known = columnLists.get(table);
        if (known != null && known.equals(columns)) {
            return known;
        }
        if (columnLists.size() >= MAX_CACHED_SHAPES) {
            columnLists.clear();
        }
        List<String> copy = List.copyOf(columns);
        columnLists.put(table, copy);
        return copy;
    }

    /**
     * Returns the change a record in pgsync's format carries.
     *
     * @throws DataException when the change cannot be read
     */
    ChangeEvent read(RowChange change, SinkRecord record) {
        ChangeEvent.Op op = ChangeEvent.Op.of(change.op(), record);
        if (op == ChangeEvent.Op.TRUNCATE) {
            return new ChangeEvent(op, change.table(), null, Map.of(), List.of(), Map.of(), () -> null,
                    change.position(), change.sourceTimeMs(), record, null);
        }
        List<String> image = op.writesRow() ? change.after() : change.before();
        if (image == null) {
            throw new DataException("Change event " + op + " on " + change.table() + " at "
                    + Records.position(record) + " carries no row image");
        }
        List<String> names = columnList(change.table(), change.columns());
        if (!change.pieced().isEmpty()) {
            image = new ArrayList<>(image);
            for (String column : change.pieced()) {
                int index = names.indexOf(column);
                if (index < 0 || image.get(index) != null) {
                    throw new DataException("Malformed row change at " + Records.position(record) + ": pieced column "
                            + column + " is not a column of the row without a value");
                }
                image.set(index, AssembledRows.ref(record.kafkaPartition(), column));
            }
        }
        Map<String, String> row = toMap(names, image, change.unchanged(), record);
        List<String> before = change.before();
        List<String> columns = change.unchanged().isEmpty() ? names : List.copyOf(row.keySet());
        RowShape shape = new ListedShape(change.table(), names, change.types(), change.key());
        return new ChangeEvent(op, change.table(), shape, row, columns, Map.of(),
                () -> before == null ? null : toMap(names, before, List.of(), record), change.position(),
                change.sourceTimeMs(), record, movedTo(change, op, record), change.pieced());
    }

    /** The new key of the DELETE half of a primary-key change, by key column; null for any other change. */
    private static Map<String, String> movedTo(RowChange change, ChangeEvent.Op op, SinkRecord record) {
        if (change.movedTo() == null || op != ChangeEvent.Op.DELETE) {
            return null;
        }
        return toMap(change.key(), change.movedTo(), List.of(), record);
    }

    private static Map<String, String> toMap(List<String> columns, List<String> values, List<String> unchanged,
            SinkRecord record) {
        if (columns.size() != values.size()) {
            throw new DataException("Malformed row change at " + Records.position(record) + ": " + columns.size()
                    + " columns but " + values.size() + " values");
        }
        Map<String, String> row = new LinkedHashMap<>(columns.size() * 2);
        for (int i = 0; i < columns.size(); i++) {
            String column = columns.get(i);
            if (unchanged.isEmpty() || !unchanged.contains(column)) {
                row.put(column, values.get(i));
            }
        }
        return Collections.unmodifiableMap(row);
    }

    /**
     * Whether a record that names no table is broken rather than one to pass over (a heartbeat, a tombstone): a value
     * that is not a struct or map, or a change operation without its source block.
     */
    private static boolean malformed(Object value) {
        if (value == null) {
            return false;
        }
        if (value instanceof Struct struct) {
            return struct.schema().field(DebeziumEnvelope.FIELD_OP) != null
                    && struct.schema().field(DebeziumEnvelope.FIELD_SOURCE) == null;
        }
        if (value instanceof Map<?, ?> map) {
            return map.containsKey(DebeziumEnvelope.FIELD_OP) && !map.containsKey(DebeziumEnvelope.FIELD_SOURCE);
        }
        return true;
    }

    /**
     * Returns the change carried by a record in Debezium's envelope, or empty for records that change no row:
     * heartbeats, tombstones, and Debezium's "m" (logical message) events.
     *
     * @throws DataException when the record is a change event that cannot be read
     */
    Optional<ChangeEvent> readEnvelope(SinkRecord record) {
        Schema valueSchema = record.valueSchema();
        if (valueSchema == null && record.value() instanceof Map<?, ?> map && map.containsKey("op")
                && map.containsKey("source")) {
            throw new DataException("The change event at " + Records.position(record) + " is in Debezium's envelope "
                    + "without a schema, so the column types are unknown. Use JSON with schemas "
                    + "(value.converter.schemas.enable=true) or Avro for Debezium's envelope; schemaless JSON works "
                    + "only with pgsync's changelog format (changelog.format=pgsync)");
        }
        Optional<TableRef> table = DebeziumEnvelope.tableOf(valueSchema, record.value());
        if (table.isEmpty()) {
            if (malformed(record.value())) {
                throw new DataException("The record at " + Records.position(record) + " is not a change event, "
                        + "schema object, sequence position or DDL that pgsync can read (a "
                        + (valueSchema == null ? record.value().getClass().getSimpleName() : valueSchema.type())
                        + " value" + (record.value() instanceof Struct || record.value() instanceof Map<?, ?>
                                ? " with an op field but no source" : "") + "); it was not written by pgsync's or "
                        + "Debezium's source connector. To set such records aside, set errors.tolerance=all and "
                        + "errors.deadletterqueue.topic.name, then restart the task");
            }
            return Optional.empty();
        }
        Struct value = (Struct) record.value();
        String code = value.getString(DebeziumEnvelope.FIELD_OP);
        if ("m".equals(code)) {
            return Optional.empty();
        }
        ChangeEvent.Op op = ChangeEvent.Op.of(code, record);
        Struct source = value.getStruct(DebeziumEnvelope.FIELD_SOURCE);
        Object tsMs = source.schema().field("ts_ms") == null ? null : source.get("ts_ms");
        Struct transaction = value.schema().field("transaction") == null ? null : value.getStruct("transaction");
        SourcePosition position = SourcePosition.of(source, transaction);
        long sourceTimeMs = tsMs instanceof Number n ? n.longValue() : -1;
        if (op == ChangeEvent.Op.TRUNCATE) {
            return Optional.of(new ChangeEvent(op, table.get(), null, Map.of(), List.of(), Map.of(), () -> null,
                    position, sourceTimeMs, record, null));
        }
        Struct row = op.writesRow() ? value.getStruct(DebeziumEnvelope.FIELD_AFTER)
                : value.getStruct(DebeziumEnvelope.FIELD_BEFORE);
        if (row == null) {
            throw new DataException("Change event " + op + " on " + table.get() + " at " + Records.position(record)
                    + " carries no row image");
        }
        Struct key = record.key() instanceof Struct s ? s : null;
        Map<String, String> keyValues = op == ChangeEvent.Op.DELETE && key != null ? image(key, null) : Map.of();
        Struct before = op == ChangeEvent.Op.UPDATE ? value.getStruct(DebeziumEnvelope.FIELD_BEFORE) : null;
        EnvelopeShape shape = shape(row.schema(), record.keySchema());
        Map<String, String> values = image(row, op.writesRow() ? placeholder : null);
        List<String> columns = values.size() == shape.columns().size() ? shape.columns()
                : List.copyOf(values.keySet());
        return Optional.of(new ChangeEvent(op, table.get(), shape, values, columns, keyValues,
                () -> before == null ? null : image(before, null), position, sourceTimeMs, record, null));
    }

    private EnvelopeShape shape(Schema row, Schema key) {
        EnvelopeShape shape = shapes.get(row);
        if (shape == null || shape.key != key) {
            if (shapes.size() >= MAX_CACHED_SHAPES) {
                shapes.clear();
            }
            shape = new EnvelopeShape(row, key);
            shapes.put(row, shape);
        }
        return shape;
    }

    /** The row's values in text form, without the columns that carry the placeholder (when one is given). */
    private static Map<String, String> image(Struct row, String placeholder) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Field field : row.schema().fields()) {
            Object value = DebeziumEnvelope.value(row, field);
            if (placeholder != null && DebeziumEnvelope.isUnavailable(value, placeholder)) {
                continue;
            }
            out.put(field.name(), PgText.of(field.schema(), value));
        }
        return Collections.unmodifiableMap(out);
    }

    /**
     * The columns of a pgsync changelog record ({@link RowChange}, {@link RowChunk}) as the source listed them. A type
     * came through Kafka, so it is checked to be a type name before it enters DDL.
     */
    private record ListedShape(TableRef table, List<String> columns, List<String> types, List<String> keyColumns)
            implements RowShape {

        @Override
        public String ddlType(String column) {
            String type = TypedColumns.type(types.get(index(column)));
            if (type == null) {
                throw new DataException("Column " + column + " of " + table + " has a source type pgsync cannot "
                        + "create (the source connector logged which); create the destination column yourself");
            }
            return ColumnTypes.catalogType(column, type);
        }

        @Override
        public boolean nullable(String column) {
            return TypedColumns.nullable(types.get(index(column)));
        }

        private int index(String column) {
            int index = columns.indexOf(column);
            if (index < 0) {
                throw new IllegalArgumentException("No column " + column + " in the record of " + table);
            }
            return index;
        }
    }

    /** A Debezium row schema, with the source column types in its field parameters, and its key schema. */
    private static final class EnvelopeShape implements RowShape {
        private final Schema row;
        private final Schema key;
        private final List<String> columns;

        EnvelopeShape(Schema row, Schema key) {
            this.row = row;
            this.key = key;
            this.columns = row.fields().stream().map(Field::name).toList();
        }

        @Override
        public List<String> columns() {
            return columns;
        }

        @Override
        public String ddlType(String column) {
            return ColumnTypes.ddlType(column, row.field(column).schema());
        }

        @Override
        public boolean nullable(String column) {
            return row.field(column).schema().isOptional();
        }

        @Override
        public List<String> keyColumns() {
            return key == null ? List.of() : key.fields().stream().map(Field::name).toList();
        }
    }
}
