package io.pgsync.common.type;

import java.util.List;

import org.apache.kafka.connect.data.Schema;

/**
 * Arrays of any element type as a PostgreSQL array literal: every element rendered by its own family, double-quoted
 * and escaped, NULL for null, nested lists as nested braces.
 */
final class ArrayType implements ValueType {

    @Override
    public boolean handles(Schema schema, String sourceType) {
        return schema.type() == Schema.Type.ARRAY;
    }

    @Override
    public String text(Schema schema, String sourceType, Object value) {
        return array(schema.valueSchema(), sourceType, (List<?>) value);
    }

    private static String array(Schema elementSchema, String elementType, List<?> elements) {
        StringBuilder out = new StringBuilder("{");
        for (int i = 0; i < elements.size(); i++) {
            if (i > 0) {
                out.append(',');
            }
            Object element = elements.get(i);
            if (element == null) {
                out.append("NULL");
            } else if (elementSchema.type() == Schema.Type.ARRAY) {
                out.append(array(elementSchema.valueSchema(), elementType, (List<?>) element));
            } else {
                String text = TypeRegistry.text(elementSchema, elementType, element);
                out.append('"').append(text.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
            }
        }
        return out.append('}').toString();
    }
}
