package io.pgsync.common.type;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Set;

import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;

/**
 * numeric, money, real and double precision: every digit and scale kept, NaN and the infinities spelled as
 * PostgreSQL reads them.
 */
final class NumericType implements ValueType {

    static final String VARIABLE_SCALE_DECIMAL = "io.debezium.data.VariableScaleDecimal";

    /** Source types Debezium sends as strings with {@code decimal.handling.mode=string}. */
    private static final Set<String> DECIMAL_SOURCE_TYPES = Set.of("NUMERIC", "DECIMAL", "MONEY");

    @Override
    public boolean handles(Schema schema, String sourceType) {
        return switch (schema.type()) {
            case FLOAT32, FLOAT64 -> true;
            case BYTES -> Decimal.LOGICAL_NAME.equals(schema.name());
            case STRUCT -> VARIABLE_SCALE_DECIMAL.equals(schema.name());
            case STRING -> schema.name() == null && sourceType != null && DECIMAL_SOURCE_TYPES.contains(sourceType);
            default -> false;
        };
    }

    @Override
    public String text(Schema schema, String sourceType, Object value) {
        return switch (schema.type()) {
            case FLOAT32 -> floating(((Number) value).floatValue());
            case FLOAT64 -> floating(((Number) value).doubleValue());
            case BYTES -> ((BigDecimal) value).toPlainString();
            case STRUCT -> variableScale((Struct) value);
            default -> decimalString((String) value);
        };
    }

    /**
     * Debezium's string mode spells the special values as Java enum names ({@code NAN}, {@code POSITIVE_INFINITY},
     * {@code NEGATIVE_INFINITY}); every other value is a plain decimal.
     */
    private static String decimalString(String value) {
        return switch (value) {
            case "NAN" -> "NaN";
            case "POSITIVE_INFINITY" -> "Infinity";
            case "NEGATIVE_INFINITY" -> "-Infinity";
            default -> value;
        };
    }

    private static String variableScale(Struct struct) {
        return new BigDecimal(new BigInteger(BinaryType.bytes(struct.get("value"))),
                (int) TypeRegistry.number(struct.get("scale"))).toPlainString();
    }

    private static String floating(float value) {
        return Float.isNaN(value) || Float.isInfinite(value) ? special(value) : Float.toString(value);
    }

    private static String floating(double value) {
        return Double.isNaN(value) || Double.isInfinite(value) ? special(value) : Double.toString(value);
    }

    private static String special(double value) {
        if (Double.isNaN(value)) {
            return "NaN";
        }
        return value > 0 ? "Infinity" : "-Infinity";
    }
}
