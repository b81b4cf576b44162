package io.pgsync.common.type;

import java.math.BigDecimal;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;

/**
 * interval from Debezium's structured value (years, months, days, hours, minutes, seconds and nanoseconds, each with
 * its own sign), its ISO-8601 string, or its approximate microseconds.
 */
final class IntervalType implements ValueType {

    static final String STRUCTURED_DURATION = "io.debezium.time.StructuredDuration";
    static final String MICRO_DURATION = "io.debezium.time.MicroDuration";
    static final String NANO_DURATION = "io.debezium.time.NanoDuration";

    @Override
    public boolean handles(Schema schema, String sourceType) {
        String name = schema.name();
        return STRUCTURED_DURATION.equals(name) || MICRO_DURATION.equals(name) || NANO_DURATION.equals(name);
    }

    @Override
    public String text(Schema schema, String sourceType, Object value) {
        return switch (schema.name()) {
            case STRUCTURED_DURATION -> structured((Struct) value);
            case MICRO_DURATION -> TypeRegistry.number(value) + " microseconds";
            default -> TypeRegistry.number(value) / 1_000L + " microseconds";
        };
    }

    /**
     * Writes every part with an explicit sign, e.g. {@code +1 years +2 mons -3 days +4 hours +5 mins +6.789 secs}:
     * PostgreSQL reads that the same under every {@code IntervalStyle}, while an unsigned part after a negative one
     * would take its sign under {@code sql_standard}.
     */
    private static String structured(Struct struct) {
        BigDecimal seconds = BigDecimal.valueOf(TypeRegistry.number(struct.get("seconds")))
                .add(BigDecimal.valueOf(TypeRegistry.number(struct.get("nanos")), 9));
        return signed(TypeRegistry.number(struct.get("years"))) + " years "
                + signed(TypeRegistry.number(struct.get("months"))) + " mons "
                + signed(TypeRegistry.number(struct.get("days"))) + " days "
                + signed(TypeRegistry.number(struct.get("hours"))) + " hours "
                + signed(TypeRegistry.number(struct.get("minutes"))) + " mins "
                + (seconds.signum() < 0 ? "" : "+") + seconds.stripTrailingZeros().toPlainString() + " secs";
    }

    private static String signed(long value) {
        return value < 0 ? Long.toString(value) : "+" + value;
    }
}
