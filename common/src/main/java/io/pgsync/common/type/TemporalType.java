package io.pgsync.common.type;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.Locale;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.DataException;

/**
 * date, time, timetz, timestamp and timestamptz from Debezium's structured values (year to nanosecond fields, the
 * original time zone offset, infinities, BC years) and from its epoch-based values (days, milli-, micro- or
 * nanoseconds).
 */
final class TemporalType implements ValueType {

    static final String STRUCTURED_DATE = "io.debezium.time.StructuredDate";
    static final String STRUCTURED_TIME = "io.debezium.time.StructuredTime";
    static final String STRUCTURED_ZONED_TIME = "io.debezium.time.StructuredZonedTime";
    static final String STRUCTURED_TIMESTAMP = "io.debezium.time.StructuredTimestamp";
    static final String STRUCTURED_ZONED_TIMESTAMP = "io.debezium.time.StructuredZonedTimestamp";

    private static final long MICROS_PER_SECOND = 1_000_000L;
    private static final long MICROS_PER_DAY = 24L * 3600 * MICROS_PER_SECOND;

    @Override
    public boolean handles(Schema schema, String sourceType) {
        String name = schema.name();
        return name != null && switch (name) {
            case STRUCTURED_DATE, STRUCTURED_TIME, STRUCTURED_ZONED_TIME, STRUCTURED_TIMESTAMP,
                    STRUCTURED_ZONED_TIMESTAMP,
                    "io.debezium.time.Date", "org.apache.kafka.connect.data.Date",
                    "io.debezium.time.Time", "io.debezium.time.MicroTime", "io.debezium.time.NanoTime",
                    "org.apache.kafka.connect.data.Time",
                    "io.debezium.time.Timestamp", "io.debezium.time.MicroTimestamp", "io.debezium.time.NanoTimestamp",
                    "org.apache.kafka.connect.data.Timestamp" -> true;
            default -> false;
        };
    }

    @Override
    public String text(Schema schema, String sourceType, Object value) {
        return switch (schema.name()) {
            case STRUCTURED_DATE, STRUCTURED_TIMESTAMP, STRUCTURED_ZONED_TIMESTAMP ->
                structuredDateTime((Struct) value);
            case STRUCTURED_TIME, STRUCTURED_ZONED_TIME -> structuredTime((Struct) value);
            case "io.debezium.time.Date" -> LocalDate.ofEpochDay(TypeRegistry.number(value)).toString();
            case "org.apache.kafka.connect.data.Date" ->
                LocalDate.ofInstant(((java.util.Date) value).toInstant(), ZoneOffset.UTC).toString();
            case "io.debezium.time.Time" -> time(TypeRegistry.number(value) * 1_000L);
            case "io.debezium.time.MicroTime" -> time(TypeRegistry.number(value));
            case "io.debezium.time.NanoTime" -> time(TypeRegistry.number(value) / 1_000L);
            case "org.apache.kafka.connect.data.Time" -> time(((java.util.Date) value).getTime() * 1_000L);
            case "io.debezium.time.Timestamp" -> timestamp(TypeRegistry.number(value) * 1_000L);
            case "io.debezium.time.MicroTimestamp" -> timestamp(TypeRegistry.number(value));
            case "io.debezium.time.NanoTimestamp" -> timestamp(Math.floorDiv(TypeRegistry.number(value), 1_000L));
            default -> timestamp(((java.util.Date) value).getTime() * 1_000L);
        };
    }

    /**
     * A structured date or timestamp, e.g. {@code 0044-03-15 12:34:56.789012+01:00:00 BC}: the offset when the struct
     * has one (timestamptz), the era last, as PostgreSQL writes it. Year 0 is 1 BC, year -43 is 44 BC.
     */
    private static String structuredDateTime(Struct struct) {
        String special = (String) struct.get("specialValue");
        if (special != null) {
            return switch (special) {
                case "POSITIVE_INFINITY" -> "infinity";
                case "NEGATIVE_INFINITY" -> "-infinity";
                default -> throw new DataException(
                        "Unknown special value '" + special + "' of " + struct.schema().name());
            };
        }
        long year = TypeRegistry.number(struct.get("year"));
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "%04d-%02d-%02d", year > 0 ? year : 1 - year,
                TypeRegistry.number(struct.get("month")), TypeRegistry.number(struct.get("day"))));
        if (struct.schema().field("hour") != null) {
            out.append(' ').append(clock(struct));
        }
        out.append(offset(struct));
        if (year <= 0) {
            out.append(" BC");
        }
        return out.toString();
    }

    /** A structured time or timetz, e.g. {@code 24:00:00+05:30:00}, with the offset the source value had. */
    private static String structuredTime(Struct struct) {
        return clock(struct) + offset(struct);
    }

    private static String clock(Struct struct) {
        return String.format(Locale.ROOT, "%02d:%02d:%02d", TypeRegistry.number(struct.get("hour")),
                TypeRegistry.number(struct.get("minute")), TypeRegistry.number(struct.get("second")))
                + fraction(TypeRegistry.number(struct.get("nanos")));
    }

    /** Returns {@code .123456} for 123456000 nanoseconds, nothing for none. */
    static String fraction(long nanos) {
        if (nanos == 0) {
            return "";
        }
        String digits = String.format(Locale.ROOT, "%09d", Math.abs(nanos));
        int end = digits.length();
        while (digits.charAt(end - 1) == '0') {
            end--;
        }
        return "." + digits.substring(0, end);
    }

    /** Returns the struct's offset as {@code +05:30:00}, or nothing when it has none (timestamp, time). */
    private static String offset(Struct struct) {
        if (struct.schema().field("offsetSeconds") == null || struct.get("offsetSeconds") == null) {
            return "";
        }
        long seconds = TypeRegistry.number(struct.get("offsetSeconds"));
        long abs = Math.abs(seconds);
        return String.format(Locale.ROOT, "%s%02d:%02d:%02d", seconds < 0 ? "-" : "+", abs / 3600, abs / 60 % 60,
                abs % 60);
    }

    private static String time(long micros) {
        if (micros == MICROS_PER_DAY) {
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
}
