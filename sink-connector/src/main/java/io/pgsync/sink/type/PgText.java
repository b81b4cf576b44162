package io.pgsync.sink.type;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.List;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.DataException;

/**
 * Turns a Connect field value into PostgreSQL's text input form for that column, so the destination parses it with
 * the column type's own input function (the same text a source {@code row::text} shows).
 */
public final class PgText {

    private static final long MICROS_PER_SECOND = 1_000_000L;
    private static final HexFormat HEX = HexFormat.of();

    private PgText() {
    }

    /** Returns the text form, or null for SQL NULL. */
    public static String of(Schema schema, Object value) {
        if (value == null) {
            return null;
        }
        String logical = schema.name();
        if (logical != null) {
            String text = logical(logical, value);
            if (text != null) {
                return text;
            }
        }
        return switch (schema.type()) {
            case INT8, INT16, INT32, INT64, BOOLEAN, STRING -> value.toString();
            case FLOAT32, FLOAT64 -> floating(((Number) value).doubleValue(), schema.type() == Schema.Type.FLOAT32
                    ? Float.toString(((Number) value).floatValue()) : value.toString());
            case BYTES -> "\\x" + HEX.formatHex(bytes(value));
            case ARRAY -> array(schema.valueSchema(), (List<?>) value);
            default -> throw new DataException("pgsync cannot write a value of Connect type " + schema.type()
                    + (logical == null ? "" : " (" + logical + ")"));
        };
    }

    private static String logical(String name, Object value) {
        return switch (name) {
            case "org.apache.kafka.connect.data.Decimal" -> ((BigDecimal) value).toPlainString();
            case "io.debezium.data.VariableScaleDecimal" -> {
                Struct struct = (Struct) value;
                yield new BigDecimal(new BigInteger(bytes(struct.get("value"))), struct.getInt32("scale"))
                        .toPlainString();
            }
            case "io.debezium.time.Date" -> LocalDate.ofEpochDay(((Number) value).longValue()).toString();
            case "org.apache.kafka.connect.data.Date" ->
                LocalDate.ofInstant(((java.util.Date) value).toInstant(), ZoneOffset.UTC).toString();
            case "io.debezium.time.Time" -> time(((Number) value).longValue() * 1_000L);
            case "io.debezium.time.MicroTime" -> time(((Number) value).longValue());
            case "io.debezium.time.NanoTime" -> time(((Number) value).longValue() / 1_000L);
            case "org.apache.kafka.connect.data.Time" -> time(((java.util.Date) value).getTime() * 1_000L);
            case "io.debezium.time.Timestamp" -> timestamp(((Number) value).longValue() * 1_000L);
            case "io.debezium.time.MicroTimestamp" -> timestamp(((Number) value).longValue());
            case "io.debezium.time.NanoTimestamp" -> timestamp(Math.floorDiv(((Number) value).longValue(), 1_000L));
            case "org.apache.kafka.connect.data.Timestamp" -> timestamp(((java.util.Date) value).getTime() * 1_000L);
            case "io.debezium.data.geometry.Point" -> {
                Struct struct = (Struct) value;
                yield "(" + struct.getFloat64("x") + "," + struct.getFloat64("y") + ")";
            }
            default -> null;
        };
    }

    private static String time(long micros) {
        if (micros == 24L * 3600 * MICROS_PER_SECOND) {
            return "24:00:00";
        }
        return LocalTime.ofNanoOfDay(micros * 1_000L).toString();
    }

    private static String timestamp(long micros) {
        Instant instant = Instant.ofEpochSecond(Math.floorDiv(micros, MICROS_PER_SECOND),
                Math.floorMod(micros, MICROS_PER_SECOND) * 1_000L);
        LocalDateTime local = LocalDateTime.ofInstant(instant, ZoneOffset.UTC);
        return local.getYear() <= 0 ? local.withYear(1 - local.getYear()) + " BC" : local.toString();
    }

    private static String floating(double value, String text) {
        if (Double.isNaN(value)) {
            return "NaN";
        }
        if (Double.isInfinite(value)) {
            return value > 0 ? "Infinity" : "-Infinity";
        }
        return text;
    }

    private static byte[] bytes(Object value) {
        if (value instanceof byte[] array) {
            return array;
        }
        if (value instanceof ByteBuffer buffer) {
            ByteBuffer copy = buffer.duplicate();
            byte[] array = new byte[copy.remaining()];
            copy.get(array);
            return array;
        }
        throw new DataException("Expected bytes but got " + value.getClass().getName());
    }

    /** Renders a PostgreSQL array literal: every element double-quoted and escaped, NULL for null, nested braces. */
    private static String array(Schema elementSchema, List<?> elements) {
        StringBuilder out = new StringBuilder("{");
        for (int i = 0; i < elements.size(); i++) {
            if (i > 0) {
                out.append(',');
            }
            Object element = elements.get(i);
            if (element == null) {
                out.append("NULL");
            } else if (elementSchema.type() == Schema.Type.ARRAY) {
                out.append(array(elementSchema.valueSchema(), (List<?>) element));
            } else {
                String text = of(elementSchema, element);
                out.append('"').append(text.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
            }
        }
        return out.append('}').toString();
    }
}
