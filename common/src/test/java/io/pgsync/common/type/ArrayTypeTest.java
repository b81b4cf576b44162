package io.pgsync.common.type;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.junit.jupiter.api.Test;

class ArrayTypeTest {

    private static Schema array(Schema element, String sourceType) {
        return SchemaBuilder.array(element).optional().parameter(ColumnTypes.SOURCE_TYPE, sourceType).build();
    }

    @Test
    void elementsAreRenderedByTheirOwnFamily() {
        assertThat(PgText.of(array(Schemas.STRUCTURED_DATE, "_DATE"), Arrays.asList(
                Schemas.special(Schemas.STRUCTURED_DATE, "POSITIVE_INFINITY"), Schemas.date(-43, 3, 15), null)))
                .isEqualTo("{\"infinity\",\"0044-03-15 BC\",NULL}");
        assertThat(PgText.of(array(Schema.OPTIONAL_STRING_SCHEMA, "_NUMERIC"), Arrays.asList("1.50", null, "-999.99")))
                .isEqualTo("{\"1.50\",NULL,\"-999.99\"}");
        assertThat(PgText.of(array(Schema.OPTIONAL_FLOAT64_SCHEMA, "_FLOAT8"), Arrays.asList(Double.NaN, -0.0, null)))
                .isEqualTo("{\"NaN\",\"-0.0\",NULL}");
    }

    @Test
    void byteElementsAreHexForByteaAndTextOtherwise() {
        assertThat(PgText.of(array(Schema.OPTIONAL_BYTES_SCHEMA, "_BYTEA"), Arrays.asList(new byte[] {0}, null,
                new byte[0]))).isEqualTo("{\"\\\\x00\",NULL,\"\\\\x\"}");
        assertThat(PgText.of(array(Schema.BYTES_SCHEMA, "_TSQUERY"), Arrays.asList(
                "'fat' & !'rat'".getBytes(StandardCharsets.UTF_8)))).isEqualTo("{\"'fat' & !'rat'\"}");
    }

    @Test
    void textElementsAreQuotedAndEscaped() {
        assertThat(PgText.of(array(Schema.OPTIONAL_STRING_SCHEMA, "_TEXT"), Arrays.asList("quo\"te", "back\\slash",
                "{brace}", null, "NULL", "", "a,b", " space ")))
                .isEqualTo("{\"quo\\\"te\",\"back\\\\slash\",\"{brace}\",NULL,\"NULL\",\"\",\"a,b\",\" space \"}");
    }
}
