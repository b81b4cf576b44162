package io.pgsync.common.pg;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a dotted name as users write it in configuration keys and values: parts separated by dots, a part with a dot
 * or a double quote written between double quotes (inner quotes doubled), every part taken literally (no case
 * folding). Example: {@code "my.schema"."Orders".note} is {@code [my.schema, Orders, note]}.
 */
public final class QualifiedName {

    private QualifiedName() {
    }

    /** Returns the parts, or an empty list when the text is not a dotted name (an unclosed quote, an empty part). */
    public static List<String> split(String text) {
        List<String> parts = new ArrayList<>();
        StringBuilder part = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '"' && quoted && i + 1 < text.length() && text.charAt(i + 1) == '"') {
                part.append('"');
                i++;
            } else if (c == '"') {
                quoted = !quoted;
            } else if (c == '.' && !quoted) {
                parts.add(part.toString());
                part.setLength(0);
            } else {
                part.append(c);
            }
        }
        parts.add(part.toString());
        if (quoted || parts.stream().anyMatch(String::isEmpty)) {
            return List.of();
        }
        return parts;
    }
}
