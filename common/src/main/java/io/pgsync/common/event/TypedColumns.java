package io.pgsync.common.event;

import java.util.function.Function;

import org.apache.kafka.connect.errors.DataException;

/**
 * Helpers for the column lists of pgsync's changelog records ({@link RowChange}, {@link RowChunk}): a listed type is
 * the type to create the column with, followed by {@value #NOT_NULL} when the column is NOT NULL, e.g.
 * {@code numeric(12,2) not null}.
 */
public final class TypedColumns {

    public static final String NOT_NULL = " not null";

    private TypedColumns() {
    }

    /** The listed type without the NOT NULL suffix; null stays null (a type pgsync cannot create). */
    public static String type(String listed) {
        return listed != null && listed.endsWith(NOT_NULL) ? listed.substring(0, listed.length() - NOT_NULL.length())
                : listed;
    }

    /** Whether the listed column may be NULL. */
    public static boolean nullable(String listed) {
        return listed == null || !listed.endsWith(NOT_NULL);
    }

    /** The listed type of a column: {@code type}, with the NOT NULL suffix when it may not be NULL. */
    public static String listed(String type, boolean nullable) {
        return nullable ? type : type + NOT_NULL;
    }

    /** A record field that must be present, from a struct or a schemaless map. */
    @SuppressWarnings("unchecked")
    static <T> T required(Function<String, Object> fields, String name) {
        Object value = fields.apply(name);
        if (value == null) {
            throw new DataException("field '" + name + "' is missing");
        }
        return (T) value;
    }
}
