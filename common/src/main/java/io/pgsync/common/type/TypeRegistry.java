package io.pgsync.common.type;

import java.util.List;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.errors.DataException;

/** Finds the type family that renders a value; the first family that handles the schema wins. */
final class TypeRegistry {

    private static final List<ValueType> TYPES = List.of(
            new SourceTextType(),
            new NumericType(),
            new TemporalType(),
            new IntervalType(),
            new BitsType(),
            new GeometricType(),
            new HstoreType(),
            new BinaryType(),
            new ArrayType(),
            new PlainType());

    private TypeRegistry() {
    }

    /** Returns the text input form of a non-null value, rendered by the first family that handles its schema. */
    static String text(Schema schema, String sourceType, Object value) {
        for (ValueType type : TYPES) {
            if (type.handles(schema, sourceType)) {
                return type.text(schema, sourceType, value);
            }
        }
        throw new DataException("pgsync cannot write a value of Connect type " + schema.type()
                + (schema.name() == null ? "" : " (" + schema.name() + ")")
                + (sourceType == null ? "" : " from a source column of type " + sourceType));
    }

    /** Casts a struct field or a number-like value to a long, accepting every Connect integer width. */
    static long number(Object value) {
        if (value instanceof Number n) {
            return n.longValue();
        }
        throw new DataException("Expected a number but got " + (value == null ? "null" : value.getClass().getName()));
    }
}
