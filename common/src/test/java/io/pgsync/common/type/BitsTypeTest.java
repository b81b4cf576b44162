package io.pgsync.common.type;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.junit.jupiter.api.Test;

class BitsTypeTest {

    private static Schema bits(String sourceType, int length) {
        return SchemaBuilder.bytes().name(BitsType.BITS).optional().parameter("length", Integer.toString(length))
                .parameter(ColumnTypes.SOURCE_TYPE, sourceType).build();
    }

    @Test
    void fixedLengthBitsKeepLeadingZeros() {
        assertThat(PgText.of(bits("BIT", 5), new byte[] {0x15})).isEqualTo("10101");
        assertThat(PgText.of(bits("BIT", 5), new byte[] {0x01})).isEqualTo("00001");
        assertThat(PgText.of(bits("BIT", 5), new byte[0])).isEqualTo("00000");
        assertThat(PgText.of(bits("BIT", 19), new byte[] {0x01, 0x00, 0x04})).isEqualTo("1000000000000000001");
    }

    @Test
    void varyingBitsStartAtTheHighestBitDebeziumSent() {
        assertThat(PgText.of(bits("VARBIT", Integer.MAX_VALUE), new byte[] {0x01, 0x00, 0x04}))
                .isEqualTo("1000000000000000001");
        assertThat(PgText.of(bits("VARBIT", 10), new byte[] {0x01})).isEqualTo("1");
        assertThat(PgText.of(bits("VARBIT", 10), new byte[0])).isEqualTo("");
    }

    @Test
    void singleBitsArriveAsBooleans() {
        assertThat(PgText.of(Schemas.source(Schema.Type.BOOLEAN, "BIT"), true)).isEqualTo("1");
        assertThat(PgText.of(Schemas.source(Schema.Type.BOOLEAN, "BIT"), false)).isEqualTo("0");
        assertThat(PgText.of(Schemas.source(Schema.Type.BOOLEAN, "BOOL"), false)).isEqualTo("false");
    }
}
