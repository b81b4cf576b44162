package io.pgsync.common.type;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import org.apache.kafka.connect.data.Schema;
import org.junit.jupiter.api.Test;

class BinaryTypeTest {

    @Test
    void byteaIsHexWithZeroBytesAndEmpty() {
        Schema bytea = Schemas.source(Schema.Type.BYTES, "BYTEA");
        assertThat(PgText.of(bytea, new byte[] {0, (byte) 0xff, 0, (byte) 0xde})).isEqualTo("\\x00ff00de");
        assertThat(PgText.of(bytea, new byte[] {0})).isEqualTo("\\x00");
        assertThat(PgText.of(bytea, ByteBuffer.wrap(new byte[0]))).isEqualTo("\\x");
    }

    @Test
    void typesDebeziumDoesNotKnowArriveAsTheirUtf8Text() {
        String tsquery = "'fat' & ( 'rat' | !'cät' ) <-> 'mat':*A";
        assertThat(PgText.of(Schemas.source(Schema.Type.BYTES, "TSQUERY"), tsquery.getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(tsquery);
        assertThat(PgText.of(Schemas.source(Schema.Type.BYTES, "int4multirange"), "{[1,3),[5,7)}".getBytes(
                StandardCharsets.UTF_8))).isEqualTo("{[1,3),[5,7)}");
        assertThat(PgText.of(Schemas.source(Schema.Type.BYTES, "PAIR"), "(1,\"x \"\"y\"\"\",)".getBytes(
                StandardCharsets.UTF_8))).isEqualTo("(1,\"x \"\"y\"\"\",)");
    }
}
