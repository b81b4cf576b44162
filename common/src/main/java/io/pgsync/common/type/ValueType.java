package io.pgsync.common.type;

import org.apache.kafka.connect.data.Schema;

/**
 * Renders the values of one family of PostgreSQL types in the type's text input form.
 *
 * <p>Implementations are stateless, thread-safe and do no I/O; they never return null for a non-null value and throw
 * {@link org.apache.kafka.connect.errors.DataException} for a value they cannot render.
 */
interface ValueType {

    /**
     * True when this family renders values of the schema.
     *
     * @param sourceType the source column type in upper case without the array mark (e.g. {@code NUMERIC},
     *     {@code TSQUERY}), or null when the record does not carry it
     */
    boolean handles(Schema schema, String sourceType);

    /** Returns the text input form of a non-null value of a schema this family {@link #handles handles}. */
    String text(Schema schema, String sourceType, Object value);
}
