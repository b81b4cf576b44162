package io.pgsync.source.capture;

import java.util.List;

/**
 * Bounds the bytes a text takes in a serialized changelog record, whichever converter writes it: its UTF-8 length,
 * with JSON's escapes ({@code \"}, {@code \\}, {@code \n} take 2 bytes, other control characters 6, as
 * {@code \u0001}). Avro writes the plain UTF-8, which is never longer. It also cuts a text into pieces within a bound.
 *
 * <p>Example: {@code "a\tb"} counts 4, {@code "é"} 2, {@code "表"} 3, {@code "😀"} 4.
 */
public final class EncodedSize {

    private EncodedSize() {
    }

    /** The encoded size of UTF-8 text: each byte counts 1, but for JSON's escapes. */
    public static long ofUtf8(byte[] text, int length) {
        long size = 0;
        for (int i = 0; i < length; i++) {
            byte b = text[i];
            size += b >= 0 && b < 0x80 ? of((char) b) : 1;
        }
        return size;
    }

    /** The encoded size of the text; 0 for null. */
    static long of(String text) {
        if (text == null) {
            return 0;
        }
        long size = 0;
        for (int i = 0; i < text.length(); i++) {
            size += of(text.charAt(i));
        }
        return size;
    }

    /** The encoded size of the texts, with a few bytes each for the list's punctuation. */
    static long of(List<String> texts) {
        long size = 0;
        if (texts != null) {
            for (String text : texts) {
                size += of(text) + 4;
            }
        }
        return size;
    }

    /** The encoded size of one UTF-16 unit: each half of a surrogate pair counts 2 (the pair's 4 bytes of UTF-8). */
    private static int of(char c) {
        if (c < 0x20) {
            return c == '\n' || c == '\t' || c == '\r' || c == '\b' || c == '\f' ? 2 : 6;
        }
        if (c == '"' || c == '\\') {
            return 2;
        }
        if (c < 0x80) {
            return 1;
        }
        if (c < 0x800 || Character.isSurrogate(c)) {
            return 2;
        }
        return 3;
    }

    /**
     * Returns where the piece of the text that starts at {@code start} ends: as far as {@code bound} encoded bytes
     * reach (at least one character), never between the two halves of a surrogate pair.
     */
    static int cut(String text, int start, long bound) {
        long size = 0;
        int i = start;
        while (i < text.length()) {
            char c = text.charAt(i);
            boolean pair = Character.isHighSurrogate(c) && i + 1 < text.length()
                    && Character.isLowSurrogate(text.charAt(i + 1));
            int step = pair ? of(c) + of(text.charAt(i + 1)) : of(c);
            if (size + step > bound && i > start) {
                break;
            }
            size += step;
            i += pair ? 2 : 1;
        }
        return i;
    }

    /** The number of pieces {@link #cut} makes of the text. */
    static int pieces(String text, long bound) {
        int pieces = 0;
        int start = 0;
        do {
            start = cut(text, start, bound);
            pieces++;
        } while (start < text.length());
        return pieces;
    }
}
