package io.pgsync.source.capture;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.header.Header;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.pgsync.common.event.DebeziumEnvelope;
import io.pgsync.common.event.RowChange;
import io.pgsync.common.event.SourcePosition;
import io.pgsync.common.event.TypedColumns;
import io.pgsync.common.pg.TableRef;
import io.pgsync.common.type.ColumnTypes;
import io.pgsync.common.type.PgText;

/**
 * Turns Debezium's change events into pgsync's {@link RowChange} records: values in PostgreSQL text form, column
 * names and types as lists, no key. A change whose values pgsync cannot put in text form is passed on in Debezium's
 * envelope instead, so the sink reports it (dead-letter queue or a failure naming the table and key) and nothing is
 * lost at the source.
 *
 * <p>Example: Debezium's {@code {"op":"u","after":{"aid":7,"bid":1,"abalance":-25,"filler":"…"},"source":{…}}} for
 * {@code public.accounts} becomes op {@code u}, columns {@code [aid, bid, abalance, filler]}, after
 * {@code ["7","1","-25","…"]}, with the LSNs and commit time from the source block. An UPDATE that changes the primary
 * key reaches it as a delete of the old key (with Debezium's {@value #NEW_KEY_HEADER} header) and a create of the new
 * one; the delete carries the new key in {@code moved_to}, so the sink moves the row and keeps the TOASTed values the
 * create does not carry.
 */
public final class RowChangeEncoder {

    private static final Logger log = LoggerFactory.getLogger(RowChangeEncoder.class);
    /** The header Debezium puts on the delete half of a primary-key change: the new key. */
    static final String NEW_KEY_HEADER = "__debezium.newkey";
    private static final int MAX_CACHED_SHAPES = 10_000;

    private final String placeholder;
    private final Map<Schema, Shape> shapes = new IdentityHashMap<>();

    /** @param placeholder Debezium's {@code unavailable.value.placeholder} */
    public RowChangeEncoder(String placeholder) {
        this.placeholder = placeholder;
    }

    /**
     * Returns the change event of the table as the value of a row-change record ({@link RowChange#SCHEMA}), or null
     * when it cannot be one, so that it travels in Debezium's envelope.
     */
    public Struct encode(SourceRecord record, TableRef table) {
        Struct value = (Struct) record.value();
        String op = value.getString(DebeziumEnvelope.FIELD_OP);
        if (!"rcudt".contains(op) || op.length() != 1) {
            return null;
        }
        Struct source = value.getStruct(DebeziumEnvelope.FIELD_SOURCE);
        Struct transaction = struct(value, "transaction");
        Object tsMs = source.schema().field("ts_ms") == null ? null : source.get("ts_ms");
        SourcePosition position = SourcePosition.of(source, transaction);
        long sourceTimeMs = tsMs instanceof Number n ? n.longValue() : -1;
        if (op.equals("t")) {
            return new RowChange(op, table, List.of(), List.of(), List.of(), null, null, List.of(), position,
                    sourceTimeMs).toStruct();
        }
        Struct after = struct(value, DebeziumEnvelope.FIELD_AFTER);
        Struct before = struct(value, DebeziumEnvelope.FIELD_BEFORE);
        Struct image = after != null ? after : before;
        if (image == null) {
            return null;
        }
        Shape shape = shape(image.schema(), record.keySchema(), table);
        try {
            List<String> unchanged = new ArrayList<>(0);
            List<String> afterText = after == null ? null : text(after, shape, unchanged);
            boolean needsBefore = op.equals("d") || (op.equals("u") && shape.key.isEmpty());
            List<String> beforeText = before == null || !needsBefore || before.schema() != image.schema() ? null
                    : text(before, shape, null);
            return new RowChange(op, table, shape.columns, shape.types, shape.key, afterText, beforeText, unchanged,
                    position, sourceTimeMs, op.equals("d") ? movedTo(record, shape) : null).toStruct();
        } catch (DataException e) {
            log.warn("A change of {} has a value pgsync cannot put in text form ({}); it goes into the changelog in "
                    + "Debezium's format and the sink reports it", table, e.getMessage());
            return null;
        }
    }

    /**
     * The new key of the delete half of a primary-key change, in the order of the key columns; null for a delete
     * that is one.
     */
    private static List<String> movedTo(SourceRecord record, Shape shape) {
        Header header = record.headers().lastWithName(NEW_KEY_HEADER);
        if (header == null || !(header.value() instanceof Struct key) || shape.key.isEmpty()) {
            return null;
        }
        List<String> values = new ArrayList<>(shape.key.size());
        for (String column : shape.key) {
            Field field = key.schema().field(column);
            if (field == null) {
                return null;
            }
            values.add(PgText.of(field.schema(), DebeziumEnvelope.value(key, field)));
        }
        return values;
    }

    private static Struct struct(Struct value, String field) {
        return value.schema().field(field) == null ? null : value.getStruct(field);
    }

    private List<String> text(Struct row, Shape shape, List<String> unchanged) {
        String[] values = new String[shape.fields.size()];
        for (int i = 0; i < values.length; i++) {
            Field field = shape.fields.get(i);
            Object value = DebeziumEnvelope.value(row, field);
            if (unchanged != null && value != null && DebeziumEnvelope.isUnavailable(value, placeholder)) {
                unchanged.add(field.name());
            } else {
                values[i] = PgText.of(field.schema(), value);
            }
        }
        return Arrays.asList(values);
    }

    private Shape shape(Schema row, Schema key, TableRef table) {
        Shape shape = shapes.get(row);
        if (shape == null || shape.keySchema != key) {
            if (shapes.size() >= MAX_CACHED_SHAPES) {
                shapes.clear();
            }
            shape = new Shape(row, key, table);
            shapes.put(row, shape);
        }
        return shape;
    }

    /** The column names and creatable types of one row schema, computed once per schema. */
    private static final class Shape {
        final Schema keySchema;
        final List<Field> fields;
        final List<String> columns;
        final List<String> types;
        final List<String> key;

        Shape(Schema row, Schema keySchema, TableRef table) {
            this.keySchema = keySchema;
            this.fields = row.fields();
            this.columns = fields.stream().map(Field::name).toList();
            List<String> typeList = new ArrayList<>(fields.size());
            for (Field field : fields) {
                String type;
                try {
                    type = TypedColumns.listed(ColumnTypes.ddlType(field.name(), field.schema()),
                            field.schema().isOptional());
                } catch (DataException e) {
                    log.warn("Column {} of {}: {}. The sink can write it only into an existing column", field.name(),
                            table, e.getMessage());
                    type = null;
                }
                typeList.add(type);
            }
            this.types = Collections.unmodifiableList(typeList);
            this.key = keySchema == null ? List.of() : keySchema.fields().stream().map(Field::name).toList();
        }
    }
}
