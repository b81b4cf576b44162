package io.pgsync.common.type;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;

import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class NumericTypeTest {

    @ParameterizedTest
    @CsvSource({
        "NUMERIC,NAN,NaN",
        "NUMERIC,POSITIVE_INFINITY,Infinity",
        "NUMERIC,NEGATIVE_INFINITY,-Infinity",
        "NUMERIC,-12345678901234567890.12345678901234567890,-12345678901234567890.12345678901234567890",
        "NUMERIC,0.000,0.000",
        "DECIMAL,NAN,NaN",
        "MONEY,-92233720368547758.08,-92233720368547758.08",
        "TEXT,NAN,NAN",
        "VARCHAR,POSITIVE_INFINITY,POSITIVE_INFINITY"
    })
    void stringModeSpecialValuesBecomePostgresSpellingOnlyForNumericColumns(String type, String value, String text) {
        assertThat(PgText.of(Schemas.source(Schema.Type.STRING, type), value)).isEqualTo(text);
    }

    @Test
    void hugeAndTinyScalesKeepEveryDigit() {
        String tiny = "0." + "0".repeat(99) + "1";
        String huge = "1" + "0".repeat(100);
        Schema numeric = Schemas.source(Schema.Type.STRING, "NUMERIC");
        assertThat(PgText.of(numeric, tiny)).isEqualTo(tiny);
        assertThat(PgText.of(numeric, huge)).isEqualTo(huge);
        assertThat(PgText.of(Decimal.schema(100), new BigDecimal("1E-100"))).isEqualTo(tiny);
    }

    @Test
    void floatingPointKeepsSignedZeroExtremesAndSpecials() {
        assertThat(PgText.of(Schema.FLOAT64_SCHEMA, -0.0)).isEqualTo("-0.0");
        assertThat(PgText.of(Schema.FLOAT32_SCHEMA, -0.0f)).isEqualTo("-0.0");
        assertThat(PgText.of(Schema.FLOAT64_SCHEMA, Double.MAX_VALUE)).isEqualTo("1.7976931348623157E308");
        assertThat(PgText.of(Schema.FLOAT64_SCHEMA, Double.MIN_VALUE)).isEqualTo("4.9E-324");
        assertThat(PgText.of(Schema.FLOAT32_SCHEMA, Float.MAX_VALUE)).isEqualTo("3.4028235E38");
        assertThat(PgText.of(Schema.FLOAT32_SCHEMA, Float.MIN_VALUE)).isEqualTo("1.4E-45");
        assertThat(PgText.of(Schema.FLOAT32_SCHEMA, 1e-38f)).isEqualTo("1.0E-38");
        assertThat(PgText.of(Schema.FLOAT32_SCHEMA, Float.NaN)).isEqualTo("NaN");
        assertThat(PgText.of(Schema.FLOAT32_SCHEMA, Float.POSITIVE_INFINITY)).isEqualTo("Infinity");
        assertThat(PgText.of(Schema.FLOAT64_SCHEMA, Double.NEGATIVE_INFINITY)).isEqualTo("-Infinity");
    }

    @Test
    void variableScaleDecimalKeepsItsScale() {
        Schema variable = SchemaBuilder.struct().name(NumericType.VARIABLE_SCALE_DECIMAL)
                .field("scale", Schema.INT32_SCHEMA).field("value", Schema.BYTES_SCHEMA).build();
        BigDecimal value = new BigDecimal("1.500");
        assertThat(PgText.of(variable, new Struct(variable).put("scale", 3)
                .put("value", value.unscaledValue().toByteArray()))).isEqualTo("1.500");
    }
}
