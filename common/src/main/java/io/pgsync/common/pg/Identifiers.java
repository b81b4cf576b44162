package io.pgsync.common.pg;

/** Quotes PostgreSQL identifiers; the only way an identifier may enter SQL text in pgsync. */
public final class Identifiers {

    /** PostgreSQL truncates identifiers longer than this many bytes (NAMEDATALEN - 1). */
    public static final int MAX_IDENTIFIER_BYTES = 63;

    private Identifiers() {
    }

    /**
     * Returns the identifier as a quoted PostgreSQL identifier: wrapped in double quotes, inner double quotes
     * doubled, so any name (mixed case, reserved words, spaces, quotes, unicode) is taken literally.
     *
     * @throws IllegalArgumentException if the name is null, empty or contains a NUL character, which PostgreSQL
     *     cannot store in an identifier
     */
    public static String quote(String identifier) {
        if (identifier == null || identifier.isEmpty()) {
            throw new IllegalArgumentException("A PostgreSQL identifier cannot be null or empty");
        }
        if (identifier.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("A PostgreSQL identifier cannot contain a NUL character: "
                    + identifier.replace("\0", "\\0"));
        }
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }
}
