package io.pgsync.common.sql;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Splits PostgreSQL SQL text into tokens by the rules of PostgreSQL's own scanner ({@code scan.l}): words (keywords
 * and unquoted identifiers, folded to lower case), quoted identifiers, string constants (standard, {@code E''} with
 * backslash escapes, {@code B''}, {@code X''}, {@code N''}, {@code U&''}; backslash escapes in standard strings too
 * when {@code standard_conforming_strings} is off), dollar-quoted strings ({@code $$...$$}, {@code $tag$...$tag$}),
 * numbers, positional parameters, operators, punctuation, comments ({@code --} to the end of the line, and
 * {@code /* *}{@code /} nested) and whitespace. Joining the tokens' texts gives the input back.
 *
 * <p>Example: {@code ALTER TABLE t ALTER n TYPE bigint -- USING n*0} gives the words {@code alter}, {@code table},
 * {@code t}, {@code alter}, {@code n}, {@code type}, {@code bigint} with whitespace between them and one comment
 * token {@code -- USING n*0}: the {@code USING} is no word of the statement.
 */
public final class SqlLexer {

    /** What a token is. */
    public enum Kind {
        /** A keyword or an unquoted identifier; its value is folded to lower case as PostgreSQL folds it. */
        WORD,
        /** A double-quoted identifier ({@code "Orders"}, {@code U&"..."}); its value is the name. */
        QUOTED_IDENTIFIER,
        /** A string constant in single quotes, with any prefix ({@code E}, {@code B}, {@code X}, {@code N}, {@code U&}). */
        STRING,
        /** A dollar-quoted string constant. */
        DOLLAR_STRING,
        NUMBER,
        /** {@code $1}, {@code $2}, ... */
        PARAMETER,
        /** An operator ({@code =}, {@code <>}, {@code ||}), including {@code ::}, {@code :=} and {@code =>}. */
        OPERATOR,
        /** One of {@code ( ) [ ] , ; . :}. */
        PUNCTUATION,
        COMMENT,
        WHITESPACE
    }

    /**
     * One token.
     *
     * @param start its offset in the text
     * @param value for a word, its lower-case form; for a quoted identifier, the name; for a standard string
     *     constant without prefix, its content with doubled quotes undone; else the text
     */
    public record Token(Kind kind, String text, int start, String value) {

        public int end() {
            return start + text.length();
        }

        /** Whether the token means something to the parser: neither whitespace nor a comment. */
        public boolean significant() {
            return kind != Kind.WHITESPACE && kind != Kind.COMMENT;
        }

        /** Whether it is the unquoted word, compared in lower case (a keyword, say). */
        public boolean isWord(String lowerCase) {
            return kind == Kind.WORD && value.equals(lowerCase);
        }

        /** Whether it is the punctuation or operator. */
        public boolean is(String symbol) {
            return (kind == Kind.PUNCTUATION || kind == Kind.OPERATOR) && text.equals(symbol);
        }

        /** Whether it names something: a word or a quoted identifier. */
        public boolean isName() {
            return kind == Kind.WORD || kind == Kind.QUOTED_IDENTIFIER;
        }
    }

    /**
     * The tokens of a text.
     *
     * @param complete false when the text ends inside a string, quoted identifier, dollar quote or comment
     */
    public record Lexed(String sql, List<Token> tokens, boolean complete) {

        /**
         * The statements, split at each {@code ;} outside strings, identifiers and comments: for each, its tokens from
         * the first to the last significant one. Statements holding nothing but whitespace and comments are left out.
         */
        public List<List<Token>> statements() {
            List<List<Token>> statements = new ArrayList<>();
            int first = -1;
            int last = -1;
            for (int i = 0; i <= tokens.size(); i++) {
                Token token = i < tokens.size() ? tokens.get(i) : null;
                if (token == null || token.is(";")) {
                    if (first >= 0) {
                        statements.add(List.copyOf(tokens.subList(first, last + 1)));
                    }
                    first = -1;
                    last = -1;
                } else if (token.significant()) {
                    if (first < 0) {
                        first = i;
                    }
                    last = i;
                }
            }
            return statements;
        }

        /**
         * The text of the only statement, without the comments and whitespace around it and without a closing
         * {@code ;}; empty when the text holds no statement, more than one, or ends inside a string or comment.
         */
        public Optional<String> singleStatement() {
            List<List<Token>> statements = statements();
            if (!complete || statements.size() != 1) {
                return Optional.empty();
            }
            List<Token> statement = statements.get(0);
            return Optional.of(sql.substring(statement.get(0).start(), statement.get(statement.size() - 1).end()));
        }
    }

    private static final String OPERATOR_CHARS = "~!@#^&|`?+-*/%<>=";

    private final String sql;
    private final boolean standardConformingStrings;
    private final List<Token> tokens = new ArrayList<>();
    private boolean complete = true;

    private SqlLexer(String sql, boolean standardConformingStrings) {
        this.sql = sql;
        this.standardConformingStrings = standardConformingStrings;
    }

    /** Lexes the text as PostgreSQL does with {@code standard_conforming_strings} on (its default). */
    public static Lexed lex(String sql) {
        return lex(sql, true);
    }

    /**
     * Lexes the text.
     *
     * @param standardConformingStrings the session's {@code standard_conforming_strings}: when off, a backslash
     *     escapes the next character in plain string constants too
     */
    public static Lexed lex(String sql, boolean standardConformingStrings) {
        SqlLexer lexer = new SqlLexer(sql, standardConformingStrings);
        lexer.run();
        return new Lexed(sql, List.copyOf(lexer.tokens), lexer.complete);
    }

    private void run() {
        int i = 0;
        int n = sql.length();
        while (i < n) {
            char c = sql.charAt(i);
            char next = i + 1 < n ? sql.charAt(i + 1) : '\0';
            if (isSpace(c)) {
                int end = i;
                while (end < n && isSpace(sql.charAt(end))) {
                    end++;
                }
                add(Kind.WHITESPACE, i, end, null);
                i = end;
            } else if (c == '-' && next == '-') {
                int end = sql.indexOf('\n', i);
                end = end < 0 ? n : end;
                add(Kind.COMMENT, i, end, null);
                i = end;
            } else if (c == '/' && next == '*') {
                i = blockComment(i);
            } else if (c == '\'') {
                i = string(i, i, !standardConformingStrings);
            } else if ((c == 'e' || c == 'E') && next == '\'') {
                i = string(i, i + 1, true);
            } else if ((c == 'b' || c == 'B' || c == 'x' || c == 'X') && next == '\'') {
                i = string(i, i + 1, false);
            } else if ((c == 'n' || c == 'N') && next == '\'') {
                i = string(i, i + 1, !standardConformingStrings);
            } else if ((c == 'u' || c == 'U') && next == '&' && i + 2 < n && sql.charAt(i + 2) == '\'') {
                i = string(i, i + 2, false);
            } else if ((c == 'u' || c == 'U') && next == '&' && i + 2 < n && sql.charAt(i + 2) == '"') {
                i = quotedIdentifier(i, i + 2);
            } else if (c == '"') {
                i = quotedIdentifier(i, i);
            } else if (isIdentifierStart(c)) {
                int end = i + 1;
                while (end < n && isIdentifierPart(sql.charAt(end))) {
                    end++;
                }
                add(Kind.WORD, i, end, lowerCase(sql.substring(i, end)));
                i = end;
            } else if (c == '$') {
                i = dollar(i);
            } else if (isDigit(c) || c == '.' && isDigit(next)) {
                i = number(i);
            } else if (c == ':') {
                int end = next == ':' || next == '=' ? i + 2 : i + 1;
                add(end == i + 2 ? Kind.OPERATOR : Kind.PUNCTUATION, i, end, null);
                i = end;
            } else if ("()[],;.".indexOf(c) >= 0) {
                add(Kind.PUNCTUATION, i, i + 1, null);
                i++;
            } else if (OPERATOR_CHARS.indexOf(c) >= 0) {
                int end = i + 1;
                while (end < n && OPERATOR_CHARS.indexOf(sql.charAt(end)) >= 0 && !commentStart(end)) {
                    end++;
                }
                add(Kind.OPERATOR, i, end, null);
                i = end;
            } else {
                add(Kind.OPERATOR, i, i + 1, null);
                i++;
            }
        }
    }

    private boolean commentStart(int i) {
        return i + 1 < sql.length() && (sql.charAt(i) == '-' && sql.charAt(i + 1) == '-'
                || sql.charAt(i) == '/' && sql.charAt(i + 1) == '*');
    }

    /** A block comment from {@code /*} to its matching end: comments nest in PostgreSQL. */
    private int blockComment(int start) {
        int depth = 0;
        int i = start;
        int n = sql.length();
        while (i < n) {
            if (sql.startsWith("/*", i)) {
                depth++;
                i += 2;
            } else if (sql.startsWith("*/", i)) {
                depth--;
                i += 2;
                if (depth == 0) {
                    add(Kind.COMMENT, start, i, null);
                    return i;
                }
            } else {
                i++;
            }
        }
        complete = false;
        add(Kind.COMMENT, start, n, null);
        return n;
    }

    /**
     * A string constant whose opening quote is at {@code quote} (after a prefix starting at {@code start}); a doubled
     * quote stands for one, and with {@code backslashEscapes} a backslash escapes the next character.
     */
    private int string(int start, int quote, boolean backslashEscapes) {
        int i = quote + 1;
        int n = sql.length();
        while (i < n) {
            char c = sql.charAt(i);
            if (backslashEscapes && c == '\\') {
                i += 2;
            } else if (c == '\'') {
                if (i + 1 < n && sql.charAt(i + 1) == '\'') {
                    i += 2;
                } else {
                    String text = sql.substring(start, i + 1);
                    String value = start == quote && !backslashEscapes
                            ? text.substring(1, text.length() - 1).replace("''", "'") : text;
                    add(Kind.STRING, start, i + 1, value);
                    return i + 1;
                }
            } else {
                i++;
            }
        }
        complete = false;
        add(Kind.STRING, start, n, null);
        return n;
    }

    private int quotedIdentifier(int start, int quote) {
        int i = quote + 1;
        int n = sql.length();
        StringBuilder name = new StringBuilder();
        while (i < n) {
            char c = sql.charAt(i);
            if (c == '"') {
                if (i + 1 < n && sql.charAt(i + 1) == '"') {
                    name.append('"');
                    i += 2;
                    continue;
                }
                add(Kind.QUOTED_IDENTIFIER, start, i + 1, name.toString());
                return i + 1;
            }
            name.append(c);
            i++;
        }
        complete = false;
        add(Kind.QUOTED_IDENTIFIER, start, n, name.toString());
        return n;
    }

    /** A dollar-quoted string, a positional parameter, or a lone {@code $}. */
    private int dollar(int start) {
        int n = sql.length();
        int i = start + 1;
        if (i < n && isDigit(sql.charAt(i))) {
            while (i < n && isDigit(sql.charAt(i))) {
                i++;
            }
            add(Kind.PARAMETER, start, i, null);
            return i;
        }
        if (i < n && isIdentifierStart(sql.charAt(i))) {
            while (i < n && isIdentifierStart(sql.charAt(i)) || i < n && isDigit(sql.charAt(i))) {
                i++;
            }
        }
        if (i >= n || sql.charAt(i) != '$') {
            add(Kind.OPERATOR, start, start + 1, null);
            return start + 1;
        }
        String tag = sql.substring(start, i + 1);
        int close = sql.indexOf(tag, i + 1);
        if (close < 0) {
            complete = false;
            add(Kind.DOLLAR_STRING, start, n, null);
            return n;
        }
        int end = close + tag.length();
        add(Kind.DOLLAR_STRING, start, end, sql.substring(i + 1, close));
        return end;
    }

    private int number(int start) {
        int n = sql.length();
        int i = start;
        while (i < n && (isDigit(sql.charAt(i)) || sql.charAt(i) == '_' || sql.charAt(i) == '.'
                || Character.isLetter(sql.charAt(i)) && sql.charAt(i) < 128)) {
            char c = sql.charAt(i);
            i++;
            if ((c == 'e' || c == 'E') && i < n && (sql.charAt(i) == '+' || sql.charAt(i) == '-')) {
                i++;
            }
            if (c == '.' && i < n && sql.charAt(i) == '.') {
                i--;
                break;
            }
        }
        add(Kind.NUMBER, start, i, null);
        return i;
    }

    private void add(Kind kind, int start, int end, String value) {
        String text = sql.substring(start, end);
        tokens.add(new Token(kind, text, start, value == null ? text : value));
    }

    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\u000B';
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static boolean isIdentifierStart(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c >= 128;
    }

    private static boolean isIdentifierPart(char c) {
        return isIdentifierStart(c) || isDigit(c) || c == '$';
    }

    /** PostgreSQL folds only ASCII letters of an unquoted identifier (in a multibyte encoding such as UTF-8). */
    private static String lowerCase(String word) {
        StringBuilder folded = new StringBuilder(word.length());
        for (int i = 0; i < word.length(); i++) {
            char c = word.charAt(i);
            folded.append(c >= 'A' && c <= 'Z' ? (char) (c + ('a' - 'A')) : c);
        }
        return folded.toString();
    }
}
