package io.pgsync.common.type;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.DataException;
import org.junit.jupiter.api.Test;

class PgTextTest {

    private static Schema named(Schema.Type type, String name) {
        return new SchemaBuilder(type).name(name).optional().build();
    }

    @Test
    void nullStaysNull() {
        assertThat(PgText.of(Schema.OPTIONAL_STRING_SCHEMA, null)).isNull();
    }

    @Test
    void debeziumTemporalTypesBecomePostgresLiterals() {
        assertThat(PgText.of(named(Schema.Type.INT32, "io.debezium.time.Date"), 19782)).isEqualTo("2024-02-29");
        assertThat(PgText.of(named(Schema.Type.INT32, "io.debezium.time.Date"), -1)).isEqualTo("1969-12-31");
        assertThat(PgText.of(named(Schema.Type.INT64, "io.debezium.time.MicroTimestamp"), 1_709_251_199_123_456L))
                .isEqualTo("2024-02-29T23:59:59.123456");
        assertThat(PgText.of(named(Schema.Type.INT64, "io.debezium.time.MicroTimestamp"), -1L))
                .isEqualTo("1969-12-31T23:59:59.999999");
        assertThat(PgText.of(named(Schema.Type.INT64, "io.debezium.time.Timestamp"), 0L)).isEqualTo("1970-01-01T00:00");
        assertThat(PgText.of(named(Schema.Type.INT64, "io.debezium.time.MicroTime"), 3_723_000_001L))
                .isEqualTo("01:02:03.000001");
        assertThat(PgText.of(named(Schema.Type.INT64, "io.debezium.time.MicroTime"), 86_400_000_000L))
                .isEqualTo("24:00:00");
        assertThat(PgText.of(named(Schema.Type.STRING, "io.debezium.time.ZonedTimestamp"), "2024-02-29T18:29:59.5Z"))
                .isEqualTo("2024-02-29T18:29:59.5Z");
    }

    @Test
    void numbersKeepEveryDigitAndSpecialValues() {
        assertThat(PgText.of(Decimal.schema(2), new BigDecimal("1234567890.12"))).isEqualTo("1234567890.12");
        assertThat(PgText.of(Decimal.schema(0), new BigDecimal("1E+3"))).isEqualTo("1000");
        assertThat(PgText.of(Schema.FLOAT64_SCHEMA, Double.NaN)).isEqualTo("NaN");
        assertThat(PgText.of(Schema.FLOAT64_SCHEMA, Double.NEGATIVE_INFINITY)).isEqualTo("-Infinity");
        assertThat(PgText.of(Schema.FLOAT32_SCHEMA, 0.1f)).isEqualTo("0.1");
        assertThat(PgText.of(Schema.INT64_SCHEMA, Long.MIN_VALUE)).isEqualTo("-9223372036854775808");
        Schema variable = SchemaBuilder.struct().name("io.debezium.data.VariableScaleDecimal")
                .field("scale", Schema.INT32_SCHEMA).field("value", Schema.BYTES_SCHEMA).build();
        Struct value = new Struct(variable).put("scale", 3).put("value", new BigDecimal("-12.345").unscaledValue().toByteArray());
        assertThat(PgText.of(variable, value)).isEqualTo("-12.345");
    }

    @Test
    void bytesBecomeHexWhetherArrayOrBuffer() {
        assertThat(PgText.of(Schema.BYTES_SCHEMA, new byte[] {0, (byte) 0xff, 0x10})).isEqualTo("\\x00ff10");
        assertThat(PgText.of(Schema.BYTES_SCHEMA, ByteBuffer.wrap(new byte[] {1, 2}))).isEqualTo("\\x0102");
        assertThat(PgText.of(Schema.BYTES_SCHEMA, new byte[0])).isEqualTo("\\x");
    }

    @Test
    void arraysQuoteEveryElementAndNestDimensions() {
        Schema texts = SchemaBuilder.array(Schema.OPTIONAL_STRING_SCHEMA).build();
        assertThat(PgText.of(texts, Arrays.asList("x", "y z", null, "quote\"d", "back\\slash", "{brace}", "NULL")))
                .isEqualTo("{\"x\",\"y z\",NULL,\"quote\\\"d\",\"back\\\\slash\",\"{brace}\",\"NULL\"}");
        assertThat(PgText.of(texts, List.of())).isEqualTo("{}");
        Schema matrix = SchemaBuilder.array(SchemaBuilder.array(Schema.OPTIONAL_INT32_SCHEMA).build()).build();
        assertThat(PgText.of(matrix, List.of(List.of(1, 2), Arrays.asList(3, null)))).isEqualTo("{{\"1\",\"2\"},{\"3\",NULL}}");
    }

    @Test
    void unknownStructuresAreRefusedWithTheirType() {
        Schema struct = SchemaBuilder.struct().name("x.Unknown").field("a", Schema.INT32_SCHEMA).build();
        assertThatThrownBy(() -> PgText.of(struct, new Struct(struct).put("a", 1)))
                .isInstanceOf(DataException.class).hasMessageContaining("STRUCT").hasMessageContaining("x.Unknown");
    }
}
