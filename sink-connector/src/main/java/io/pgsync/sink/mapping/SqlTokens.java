package io.pgsync.sink.mapping;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Splits SQL text into the tokens that name rewriting needs: identifiers (bare ones folded to lower case, as
 * PostgreSQL folds them; quoted ones unescaped), dots, parentheses and commas; string literals, dollar-quoted bodies,
 * comments and everything else pass through untouched. Joining the tokens' texts gives the input back.
 *
 * <p>Example: {@code CREATE INDEX i ON public."Orders" (note)} gives identifiers {@code create}, {@code index},
 * {@code i}, {@code on}, {@code public}, a dot, {@code Orders} (quoted), an opening parenthesis, {@code note} and a
 * closing one, with the spaces between them as other tokens.
 */
final class SqlTokens {

    enum Kind { IDENTIFIER, DOT, OPEN, CLOSE, COMMA, OTHER }

    /**
     * One token.
     *
     * @param name for an identifier, the name it denotes; else null
     */
    record Token(Kind kind, String text, String name) {
    }

    private SqlTokens() {
    }

    static List<Token> of(String sql) {
        List<Token> tokens = new ArrayList<>();
        int i = 0;
        int n = sql.length();
        while (i < n) {
            char c = sql.charAt(i);
            int end;
            if (c == '\'' || (isStringPrefix(c) && i + 1 < n && sql.charAt(i + 1) == '\'')) {
                end = stringEnd(sql, c == '\'' ? i : i + 1, c == 'e' || c == 'E');
                tokens.add(new Token(Kind.OTHER, sql.substring(i, end), null));
            } else if (c == '"') {
                end = i + 1;
                StringBuilder name = new StringBuilder();
                while (end < n) {
                    if (sql.charAt(end) == '"') {
                        if (end + 1 < n && sql.charAt(end + 1) == '"') {
                            name.append('"');
                            end += 2;
                            continue;
                        }
                        end++;
                        break;
                    }
                    name.append(sql.charAt(end++));
                }
                tokens.add(new Token(Kind.IDENTIFIER, sql.substring(i, end), name.toString()));
            } else if (c == '$' && dollarTagEnd(sql, i) > 0) {
                int tagEnd = dollarTagEnd(sql, i);
                String tag = sql.substring(i, tagEnd);
                int close = sql.indexOf(tag, tagEnd);
                end = close < 0 ? n : close + tag.length();
                tokens.add(new Token(Kind.OTHER, sql.substring(i, end), null));
            } else if (c == '-' && i + 1 < n && sql.charAt(i + 1) == '-') {
                int newline = sql.indexOf('\n', i);
                end = newline < 0 ? n : newline;
                tokens.add(new Token(Kind.OTHER, sql.substring(i, end), null));
            } else if (c == '/' && i + 1 < n && sql.charAt(i + 1) == '*') {
                int close = sql.indexOf("*/", i + 2);
                end = close < 0 ? n : close + 2;
                tokens.add(new Token(Kind.OTHER, sql.substring(i, end), null));
            } else if (Character.isLetter(c) || c == '_') {
                end = i + 1;
                while (end < n && (Character.isLetterOrDigit(sql.charAt(end)) || sql.charAt(end) == '_'
                        || sql.charAt(end) == '$')) {
                    end++;
                }
                String text = sql.substring(i, end);
                tokens.add(new Token(Kind.IDENTIFIER, text, text.toLowerCase(Locale.ROOT)));
            } else {
                end = i + 1;
                Kind kind = switch (c) {
                    case '.' -> Kind.DOT;
                    case '(' -> Kind.OPEN;
                    case ')' -> Kind.CLOSE;
                    case ',' -> Kind.COMMA;
                    default -> Kind.OTHER;
                };
                if (kind == Kind.DOT && end < n && Character.isDigit(sql.charAt(end))) {
                    kind = Kind.OTHER;
                }
                tokens.add(new Token(kind, sql.substring(i, end), null));
            }
            i = end;
        }
        return tokens;
    }

    private static boolean isStringPrefix(char c) {
        return c == 'e' || c == 'E' || c == 'b' || c == 'B' || c == 'x' || c == 'X' || c == 'n' || c == 'N';
    }

    /** The end of a string literal starting at its opening quote; with backslash escapes for E'...'. */
    private static int stringEnd(String sql, int quote, boolean backslashEscapes) {
        int i = quote + 1;
        while (i < sql.length()) {
            char c = sql.charAt(i);
            if (backslashEscapes && c == '\\') {
                i += 2;
                continue;
            }
            if (c == '\'') {
                if (i + 1 < sql.length() && sql.charAt(i + 1) == '\'') {
                    i += 2;
                    continue;
                }
                return i + 1;
            }
            i++;
        }
        return sql.length();
    }

    /** The end of a dollar-quote tag ({@code $$} or {@code $tag$}) starting at the index, or -1 when there is none. */
    private static int dollarTagEnd(String sql, int start) {
        int i = start + 1;
        while (i < sql.length() && (Character.isLetterOrDigit(sql.charAt(i)) || sql.charAt(i) == '_')) {
            if (i == start + 1 && Character.isDigit(sql.charAt(i))) {
                return -1;
            }
            i++;
        }
        return i < sql.length() && sql.charAt(i) == '$' ? i + 1 : -1;
    }
}
