package io.pgsync.common.type;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;

/** Connect schemas and values shaped like the ones Debezium's PostgreSQL connector sends, for the type tests. */
final class Schemas {

    private Schemas() {
    }

    /** An optional schema of the given type carrying the propagated source column type. */
    static Schema source(Schema.Type type, String sourceType) {
        return new SchemaBuilder(type).optional().parameter(ColumnTypes.SOURCE_TYPE, sourceType).build();
    }

    /** An optional schema with a logical name. */
    static Schema named(Schema.Type type, String name) {
        return new SchemaBuilder(type).name(name).optional().build();
    }

    static final Schema STRUCTURED_DATE = SchemaBuilder.struct().name(TemporalType.STRUCTURED_DATE).optional()
            .field("year", Schema.OPTIONAL_INT32_SCHEMA).field("month", Schema.OPTIONAL_INT8_SCHEMA)
            .field("day", Schema.OPTIONAL_INT8_SCHEMA).field("specialValue", Schema.OPTIONAL_STRING_SCHEMA).build();

    static final Schema STRUCTURED_TIMESTAMP = timestampSchema(TemporalType.STRUCTURED_TIMESTAMP, false);

    static final Schema STRUCTURED_ZONED_TIMESTAMP = timestampSchema(TemporalType.STRUCTURED_ZONED_TIMESTAMP, true);

    static final Schema STRUCTURED_TIME = timeSchema(TemporalType.STRUCTURED_TIME, false);

    static final Schema STRUCTURED_ZONED_TIME = timeSchema(TemporalType.STRUCTURED_ZONED_TIME, true);

    static final Schema STRUCTURED_DURATION = SchemaBuilder.struct().name(IntervalType.STRUCTURED_DURATION).optional()
            .field("years", Schema.OPTIONAL_INT32_SCHEMA).field("months", Schema.OPTIONAL_INT32_SCHEMA)
            .field("days", Schema.OPTIONAL_INT32_SCHEMA).field("hours", Schema.OPTIONAL_INT32_SCHEMA)
            .field("minutes", Schema.OPTIONAL_INT32_SCHEMA).field("seconds", Schema.OPTIONAL_INT64_SCHEMA)
            .field("nanos", Schema.OPTIONAL_INT32_SCHEMA).field("precision", Schema.OPTIONAL_INT8_SCHEMA).build();

    static Struct date(int year, int month, int day) {
        return new Struct(STRUCTURED_DATE).put("year", year).put("month", (byte) month).put("day", (byte) day);
    }

    static Struct special(Schema schema, String value) {
        return new Struct(schema).put("specialValue", value);
    }

    static Struct timestamp(Schema schema, int year, int month, int day, int hour, int minute, int second, int nanos) {
        return new Struct(schema).put("year", year).put("month", (byte) month).put("day", (byte) day)
                .put("hour", (byte) hour).put("minute", (byte) minute).put("second", (byte) second).put("nanos", nanos)
                .put("precision", (byte) 6);
    }

    static Struct time(Schema schema, int hour, int minute, int second, int nanos) {
        return new Struct(schema).put("hour", (byte) hour).put("minute", (byte) minute).put("second", (byte) second)
                .put("nanos", nanos).put("precision", (byte) 6);
    }

    static Struct duration(int years, int months, int days, int hours, int minutes, long seconds, int nanos) {
        return new Struct(STRUCTURED_DURATION).put("years", years).put("months", months).put("days", days)
                .put("hours", hours).put("minutes", minutes).put("seconds", seconds).put("nanos", nanos)
                .put("precision", (byte) 6);
    }

    private static Schema timestampSchema(String name, boolean zoned) {
        SchemaBuilder builder = SchemaBuilder.struct().name(name).optional()
                .field("year", Schema.OPTIONAL_INT32_SCHEMA).field("month", Schema.OPTIONAL_INT8_SCHEMA)
                .field("day", Schema.OPTIONAL_INT8_SCHEMA).field("hour", Schema.OPTIONAL_INT8_SCHEMA)
                .field("minute", Schema.OPTIONAL_INT8_SCHEMA).field("second", Schema.OPTIONAL_INT8_SCHEMA)
                .field("nanos", Schema.OPTIONAL_INT32_SCHEMA);
        if (zoned) {
            builder.field("offsetSeconds", Schema.OPTIONAL_INT32_SCHEMA).field("zoneId", Schema.OPTIONAL_STRING_SCHEMA);
        }
        return builder.field("specialValue", Schema.OPTIONAL_STRING_SCHEMA)
                .field("precision", Schema.OPTIONAL_INT8_SCHEMA).build();
    }

    private static Schema timeSchema(String name, boolean zoned) {
        SchemaBuilder builder = SchemaBuilder.struct().name(name).optional()
                .field("hour", Schema.OPTIONAL_INT8_SCHEMA).field("minute", Schema.OPTIONAL_INT8_SCHEMA)
                .field("second", Schema.OPTIONAL_INT8_SCHEMA).field("nanos", Schema.OPTIONAL_INT32_SCHEMA);
        if (zoned) {
            builder.field("offsetSeconds", Schema.OPTIONAL_INT32_SCHEMA);
        }
        return builder.field("precision", Schema.OPTIONAL_INT8_SCHEMA).build();
    }
}
