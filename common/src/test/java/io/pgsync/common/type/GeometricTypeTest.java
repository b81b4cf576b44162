package io.pgsync.common.type;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.DataException;
import org.junit.jupiter.api.Test;

class GeometricTypeTest {

    private static final Schema POINT = SchemaBuilder.struct().name(GeometricType.POINT).optional()
            .field("x", Schema.FLOAT64_SCHEMA).field("y", Schema.FLOAT64_SCHEMA)
            .field("wkb", Schema.OPTIONAL_BYTES_SCHEMA).field("srid", Schema.OPTIONAL_INT32_SCHEMA).build();
    private static final Schema LINE = SchemaBuilder.struct().name(GeometricType.LINE).optional()
            .field("a", Schema.FLOAT64_SCHEMA).field("b", Schema.FLOAT64_SCHEMA).field("c", Schema.FLOAT64_SCHEMA)
            .build();
    private static final Schema CIRCLE = SchemaBuilder.struct().name(GeometricType.CIRCLE).optional()
            .field("center", POINT).field("radius", Schema.FLOAT64_SCHEMA).build();
    private static final Schema GEOMETRY = SchemaBuilder.struct().name(GeometricType.GEOMETRY).optional()
            .field("wkb", Schema.BYTES_SCHEMA).field("srid", Schema.OPTIONAL_INT32_SCHEMA)
            .field("extensions", SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.STRING_SCHEMA).optional().build())
            .build();

    private static Struct point(double x, double y) {
        return new Struct(POINT).put("x", x).put("y", y);
    }

    /** WKB of a line string (type 2) or a one-ring polygon (type 3) in the given byte order. */
    private static byte[] wkb(ByteOrder order, int type, double... xy) {
        ByteBuffer out = ByteBuffer.allocate(1 + 4 + (type == 3 ? 4 : 0) + 4 + xy.length * 8).order(order);
        out.put((byte) (order == ByteOrder.LITTLE_ENDIAN ? 1 : 0)).putInt(type);
        if (type == 3) {
            out.putInt(1);
        }
        out.putInt(xy.length / 2);
        for (double d : xy) {
            out.putDouble(d);
        }
        return out.array();
    }

    private static Struct geometry(Map<String, String> extensions, byte[] wkb) {
        return new Struct(GEOMETRY).put("wkb", wkb).put("extensions", extensions);
    }

    @Test
    void pointsLinesAndCirclesKeepExactDoubles() {
        assertThat(PgText.of(POINT, point(1e300, -1e-300))).isEqualTo("(1.0E300,-1.0E-300)");
        assertThat(PgText.of(POINT, point(-0.0, 0.1))).isEqualTo("(-0.0,0.1)");
        assertThat(PgText.of(LINE, new Struct(LINE).put("a", 1.1).put("b", 2.2).put("c", -3.3)))
                .isEqualTo("{1.1,2.2,-3.3}");
        assertThat(PgText.of(CIRCLE, new Struct(CIRCLE).put("center", point(1e-10, -3)).put("radius", 0.0)))
                .isEqualTo("<(1.0E-10,-3.0),0.0>");
    }

    @Test
    void segmentsBoxesAndPathsComeBackFromTheirWkb() {
        assertThat(PgText.of(GEOMETRY, geometry(Map.of("type", "lseg"),
                wkb(ByteOrder.LITTLE_ENDIAN, 2, -1.5, 2, 3, -4.25)))).isEqualTo("[(-1.5,2.0),(3.0,-4.25)]");
        assertThat(PgText.of(GEOMETRY, geometry(Map.of("type", "box"),
                wkb(ByteOrder.BIG_ENDIAN, 3, 3, 4, 3, -2, -1, -2, -1, 4, 3, 4)))).isEqualTo("(3.0,4.0),(-1.0,-2.0)");
        assertThat(PgText.of(GEOMETRY, geometry(Map.of("type", "path", "closed", "false"),
                wkb(ByteOrder.LITTLE_ENDIAN, 2, 0, 0, 1, 1, 2, 0)))).isEqualTo("[(0.0,0.0),(1.0,1.0),(2.0,0.0)]");
        assertThat(PgText.of(GEOMETRY, geometry(Map.of("type", "path", "closed", "true"),
                wkb(ByteOrder.LITTLE_ENDIAN, 2, 5, 5)))).isEqualTo("((5.0,5.0))");
    }

    @Test
    void polygonsDropTheClosingPointDebeziumAdded() {
        assertThat(PgText.of(GEOMETRY, geometry(Map.of("type", "polygon"),
                wkb(ByteOrder.LITTLE_ENDIAN, 3, 0, 0, 1, 1, 2, 0, 0, 0)))).isEqualTo("((0.0,0.0),(1.0,1.0),(2.0,0.0))");
        assertThat(PgText.of(GEOMETRY, geometry(Map.of("type", "polygon"),
                wkb(ByteOrder.LITTLE_ENDIAN, 3, 0, 0, 0, 0)))).isEqualTo("((0.0,0.0),(0.0,0.0))");
        assertThat(PgText.of(GEOMETRY, geometry(Map.of("type", "polygon"),
                wkb(ByteOrder.LITTLE_ENDIAN, 3, 1, 2)))).isEqualTo("((1.0,2.0))");
    }

    @Test
    void geometriesOfOtherKindsAreRefused() {
        assertThatThrownBy(() -> PgText.of(GEOMETRY, geometry(Map.of(), wkb(ByteOrder.LITTLE_ENDIAN, 2, 0, 0))))
                .isInstanceOf(DataException.class).hasMessageContaining("geometry");
    }
}
