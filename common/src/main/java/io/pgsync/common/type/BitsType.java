package io.pgsync.common.type;

import java.util.Map;

import org.apache.kafka.connect.data.Schema;

/**
 * bit(n) and bit varying from Debezium's bits (bit i of the little-endian bytes is the i-th character from the right)
 * and bit(1) from a boolean.
 */
final class BitsType implements ValueType {

    static final String BITS = "io.debezium.data.Bits";

    /** Longer than any bit string PostgreSQL stores: Debezium's length for bit varying without a limit. */
    private static final int NO_LENGTH = Integer.MAX_VALUE;

    @Override
    public boolean handles(Schema schema, String sourceType) {
        return BITS.equals(schema.name())
                || schema.type() == Schema.Type.BOOLEAN && ("BIT".equals(sourceType) || "VARBIT".equals(sourceType));
    }

    @Override
    public String text(Schema schema, String sourceType, Object value) {
        if (value instanceof Boolean bit) {
            return bit ? "1" : "0";
        }
        byte[] bytes = BinaryType.bytes(value);
        int length = "VARBIT".equals(sourceType) ? NO_LENGTH : length(schema);
        int bits = length == NO_LENGTH ? highestBit(bytes) + 1 : length;
        StringBuilder out = new StringBuilder(bits);
        for (int i = bits - 1; i >= 0; i--) {
            int index = i / Byte.SIZE;
            boolean set = index < bytes.length && (bytes[index] & (1 << (i % Byte.SIZE))) != 0;
            out.append(set ? '1' : '0');
        }
        return out.toString();
    }

    /**
     * The declared number of bits of bit(n); for bit varying Debezium sends only the bits up to the highest one set,
     * so leading zeros are not known and the value is written without them.
     */
    private static int length(Schema schema) {
        Map<String, String> params = schema.parameters();
        String length = params == null ? null : params.get("length");
        try {
            return length == null ? NO_LENGTH : Integer.parseInt(length.trim());
        } catch (NumberFormatException e) {
            return NO_LENGTH;
        }
    }

    private static int highestBit(byte[] bytes) {
        for (int i = bytes.length * Byte.SIZE - 1; i >= 0; i--) {
            if ((bytes[i / Byte.SIZE] & (1 << (i % Byte.SIZE))) != 0) {
                return i;
            }
        }
        return -1;
    }
}
