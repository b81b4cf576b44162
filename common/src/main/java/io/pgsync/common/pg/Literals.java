package io.pgsync.common.pg;

/**
 * Quotes text as a PostgreSQL constant, for the few statements pgsync builds that cannot take a bound parameter (the
 * body of a {@code DO} block, say). The sessions pgsync opens run with {@code standard_conforming_strings = on}.
 */
public final class Literals {

    private Literals() {
    }

    /** The text as a string constant: in single quotes, inner single quotes doubled. */
    public static String quote(String text) {
        if (text.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("A PostgreSQL string cannot contain a NUL character");
        }
        return '\'' + text.replace("'", "''") + '\'';
    }

    /**
     * The text as a dollar-quoted constant, with a tag ({@code $pgsync$}, {@code $pgsync1$}, ...) that the text does
     * not contain, so that no text can end it early.
     */
    public static String dollarQuote(String text) {
        String tag = "$pgsync$";
        for (int i = 1; text.contains(tag) || text.endsWith(tag.substring(0, tag.length() - 1)); i++) {
            tag = "$pgsync" + i + "$";
        }
        return tag + text + tag;
    }
}
