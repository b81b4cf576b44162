package io.pgsync.common.type;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.errors.DataException;

/**
 * bytea as {@code \x} hex, and the bytes Debezium sends for types it does not know ({@code include.unknown.datatypes}:
 * tsquery, multiranges, composite types, ...), which are the value's text in the database encoding (UTF-8).
 */
final class BinaryType implements ValueType {

    private static final HexFormat HEX = HexFormat.of();

    @Override
    public boolean handles(Schema schema, String sourceType) {
        return schema.type() == Schema.Type.BYTES;
    }

    @Override
    public String text(Schema schema, String sourceType, Object value) {
        byte[] bytes = bytes(value);
        if (sourceType == null || sourceType.equals("BYTEA")) {
            return "\\x" + HEX.formatHex(bytes);
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** The bytes of a Connect BYTES value, which is a byte array or a ByteBuffer (left unchanged). */
    static byte[] bytes(Object value) {
        if (value instanceof byte[] array) {
            return array;
        }
        if (value instanceof ByteBuffer buffer) {
            ByteBuffer copy = buffer.duplicate();
            byte[] array = new byte[copy.remaining()];
            copy.get(array);
            return array;
        }
        throw new DataException("Expected bytes but got " + (value == null ? "null" : value.getClass().getName()));
    }
}
