package io.pgsync.common.type;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.DataException;

/**
 * point, line, lseg, box, path, polygon and circle from Debezium's geometric values: coordinates as exact doubles,
 * lseg/box/path/polygon decoded from their WKB with the native type and the path's open/closed flag taken from the
 * value's extensions.
 */
final class GeometricType implements ValueType {

    static final String POINT = "io.debezium.data.geometry.Point";
    static final String LINE = "io.debezium.data.geometry.Line";
    static final String CIRCLE = "io.debezium.data.geometry.Circle";
    static final String GEOMETRY = "io.debezium.data.geometry.Geometry";

    private static final int WKB_POINT = 1;
    private static final int WKB_LINE_STRING = 2;
    private static final int WKB_POLYGON = 3;

    @Override
    public boolean handles(Schema schema, String sourceType) {
        String name = schema.name();
        return POINT.equals(name) || LINE.equals(name) || CIRCLE.equals(name) || GEOMETRY.equals(name);
    }

    @Override
    public String text(Schema schema, String sourceType, Object value) {
        Struct struct = (Struct) value;
        return switch (schema.name()) {
            case POINT -> point((Struct) value);
            case LINE -> "{" + struct.get("a") + "," + struct.get("b") + "," + struct.get("c") + "}";
            case CIRCLE -> "<" + point(struct.getStruct("center")) + "," + struct.get("radius") + ">";
            default -> geometry(struct, sourceType);
        };
    }

    private static String point(Struct point) {
        return "(" + point.get("x") + "," + point.get("y") + ")";
    }

    /**
     * Debezium writes a box as the closed ring (x1,y1),(x1,y2),(x2,y2),(x2,y1),(x1,y1) and a polygon as its ring
     * closed by repeating the first point when the source did not; the repeated point is dropped again here, so a
     * polygon whose source already ended on its first point loses that last point.
     */
    private static String geometry(Struct struct, String sourceType) {
        Map<?, ?> extensions = struct.schema().field("extensions") == null ? null : struct.getMap("extensions");
        Object kind = extensions == null ? null : extensions.get("type");
        String type = kind != null ? kind.toString() : sourceType == null ? "" : sourceType.toLowerCase(Locale.ROOT);
        List<double[]> points = wkbPoints(BinaryType.bytes(struct.get("wkb")));
        return switch (type) {
            case "lseg" -> "[" + points(points) + "]";
            case "box" -> points(points.subList(0, 1)) + "," + points(points.subList(2, 3));
            case "path" -> "true".equals(String.valueOf(extensions == null ? null : extensions.get("closed")))
                    ? "(" + points(points) + ")" : "[" + points(points) + "]";
            case "polygon" -> {
                int size = points.size();
                boolean closedByDebezium = size >= 3 && points.get(0)[0] == points.get(size - 1)[0]
                        && points.get(0)[1] == points.get(size - 1)[1];
                yield "(" + points(closedByDebezium ? points.subList(0, size - 1) : points) + ")";
            }
            default -> throw new DataException("pgsync cannot write a geometry of type '" + type + "'"
                    + (sourceType == null ? "" : " from a source column of type " + sourceType)
                    + "; it writes point, line, lseg, box, path, polygon and circle");
        };
    }

    private static String points(List<double[]> points) {
        StringJoiner out = new StringJoiner(",");
        for (double[] p : points) {
            out.add("(" + p[0] + "," + p[1] + ")");
        }
        return out.toString();
    }

    /** Reads the points of a 2D WKB point, line string or polygon (all rings in order), in either byte order. */
    private static List<double[]> wkbPoints(byte[] wkb) {
        ByteBuffer in = ByteBuffer.wrap(wkb);
        in.order(in.get() == 0 ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        int type = in.getInt() & 0xFF;
        List<double[]> points = new ArrayList<>();
        switch (type) {
            case WKB_POINT -> points.add(new double[] {in.getDouble(), in.getDouble()});
            case WKB_LINE_STRING -> readPoints(in, points);
            case WKB_POLYGON -> {
                int rings = in.getInt();
                for (int r = 0; r < rings; r++) {
                    readPoints(in, points);
                }
            }
            default -> throw new DataException("pgsync cannot read WKB geometry type " + type
                    + "; it reads points, line strings and polygons");
        }
        return points;
    }

    private static void readPoints(ByteBuffer in, List<double[]> points) {
        int count = in.getInt();
        for (int i = 0; i < count; i++) {
            points.add(new double[] {in.getDouble(), in.getDouble()});
        }
    }
}
