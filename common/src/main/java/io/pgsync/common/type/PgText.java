package io.pgsync.common.type;

import java.util.Locale;
import java.util.Map;

import org.apache.kafka.connect.data.Schema;

/**
 * Turns a Connect field value into PostgreSQL's text input form for that column, so the destination parses it with
 * the column type's own input function (the same text a source {@code row::text} shows).
 */
public final class PgText {

    /**
     * Name of a string schema whose value is the source column's value in PostgreSQL's text output form, as the
     * replication stream sent it; written as it is.
     */
    public static final String SOURCE_TEXT = "io.pgsync.SourceText";

    private PgText() {
    }

    /**
     * Returns the text form, or null for SQL NULL. The field's propagated source column type
     * ({@value ColumnTypes#SOURCE_TYPE}), when present, tells apart values that share a Connect type, e.g. bytea
     * from the text of a tsquery, or a numeric from a text column.
     *
     * @throws org.apache.kafka.connect.errors.DataException for a value of a type pgsync cannot write
     */
    public static String of(Schema schema, Object value) {
        if (value == null) {
            return null;
        }
        return TypeRegistry.text(schema, elementSourceType(schema), value);
    }

    /** The source type in upper case without the array mark: {@code _TSQUERY} is {@code TSQUERY}. */
    private static String elementSourceType(Schema schema) {
        Map<String, String> params = schema.parameters();
        String type = params == null ? null : params.get(ColumnTypes.SOURCE_TYPE);
        if (type == null || type.isBlank()) {
            return null;
        }
        String upper = type.trim().toUpperCase(Locale.ROOT);
        return upper.startsWith("_") ? upper.substring(1) : upper;
    }
}
