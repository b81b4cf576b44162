package io.pgsync.source.fullsync;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads one line of PostgreSQL's COPY text format (as {@code COPY ... TO STDOUT} writes it, in UTF-8) into the
 * values' text forms: fields separated by tabs, {@code \N} for NULL, backslash escapes for the characters that would
 * end a field or a line.
 *
 * <p>Example: the bytes {@code 1}, tab, {@code a\nb} (a backslash and an n), tab, {@code \N}, newline read as
 * {@code "1"}, {@code "a"} + newline + {@code "b"}, and null.
 */
final class CopyLine {

    private CopyLine() {
    }

    /** The line's values, null for SQL NULL. */
    static List<String> values(byte[] line) {
        List<String> values = new ArrayList<>();
        int end = line.length > 0 && line[line.length - 1] == '\n' ? line.length - 1 : line.length;
        int start = 0;
        while (start <= end) {
            int stop = start;
            while (stop < end && line[stop] != '\t') {
                stop++;
            }
            values.add(field(line, start, stop));
            start = stop + 1;
        }
        return values;
    }

    /** The value of the field between {@code start} and {@code stop}, unescaped; null for {@code \N}. */
    private static String field(byte[] line, int start, int stop) {
        if (stop - start == 2 && line[start] == '\\' && line[start + 1] == 'N') {
            return null;
        }
        byte[] out = new byte[stop - start];
        int n = 0;
        for (int i = start; i < stop; i++) {
            byte c = line[i];
            if (c != '\\' || i + 1 == stop) {
                out[n++] = c;
                continue;
            }
            c = line[++i];
            switch (c) {
                case 'b' -> out[n++] = '\b';
                case 'f' -> out[n++] = '\f';
                case 'n' -> out[n++] = '\n';
                case 'r' -> out[n++] = '\r';
                case 't' -> out[n++] = '\t';
                case 'v' -> out[n++] = 0x0b;
                default -> {
                    int radix = c >= '0' && c <= '7' ? 8 : c == 'x' && i + 1 < stop
                            && Character.digit(line[i + 1], 16) >= 0 ? 16 : 0;
                    if (radix == 0) {
                        out[n++] = c;
                        continue;
                    }
                    int j = radix == 16 ? i + 1 : i;
                    int limit = j + (radix == 16 ? 2 : 3);
                    int value = 0;
                    while (j < stop && j < limit && Character.digit(line[j], radix) >= 0) {
                        value = value * radix + Character.digit(line[j++], radix);
                    }
                    out[n++] = (byte) value;
                    i = j - 1;
                }
            }
        }
        return new String(out, 0, n, StandardCharsets.UTF_8);
    }
}
