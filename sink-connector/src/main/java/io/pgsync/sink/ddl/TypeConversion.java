package io.pgsync.sink.ddl;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import io.pgsync.common.sql.SqlLexer;
import io.pgsync.common.sql.SqlLexer.Token;

/**
 * Reads, from the text of the one statement that changed a column's type, the {@code USING} expression that statement
 * gave for that column: the statement is lexed, its {@code ALTER TABLE} subcommands are split at their commas, and
 * only the {@code ALTER [COLUMN] <column> [SET DATA] TYPE ... USING <expression>} subcommand naming the column counts.
 * A {@code USING} in a comment, in a string constant or in the subcommand of another column is never taken.
 *
 * <p>Example: in {@code ALTER TABLE t ADD c text DEFAULT 'ALTER n TYPE int USING n*0', ALTER n TYPE bigint -- USING n}
 * the column {@code n} has no {@code USING}: PostgreSQL converted it with the assignment cast.
 */
final class TypeConversion {

    private TypeConversion() {
    }

    /**
     * The expression the statement gave to convert the column, or empty when it gave none (PostgreSQL then applied
     * the type's assignment cast, and so must the destination).
     *
     * @param statement the text of exactly the statement that ran the type change
     * @param standardConformingStrings the source session's setting, which decides how the text is lexed
     * @param column the column's name before the statement
     */
    static Optional<String> using(String statement, boolean standardConformingStrings, String column) {
        SqlLexer.Lexed lexed = SqlLexer.lex(statement, standardConformingStrings);
        List<List<Token>> statements = lexed.statements();
        if (statements.size() != 1) {
            return Optional.empty();
        }
        List<Token> tokens = statements.get(0).stream().filter(Token::significant).toList();
        if (tokens.size() < 2 || !tokens.get(0).isWord("alter")) {
            return Optional.empty();
        }
        for (List<Token> subcommand : subcommands(tokens)) {
            Optional<String> expression = usingOf(statement, subcommand, column);
            if (expression.isPresent()) {
                return expression;
            }
        }
        return Optional.empty();
    }

    /** The statement's tokens split at the commas outside parentheses and brackets. */
    private static List<List<Token>> subcommands(List<Token> tokens) {
        List<List<Token>> parts = new ArrayList<>();
        List<Token> current = new ArrayList<>();
        int depth = 0;
        for (Token token : tokens) {
            if (token.is("(") || token.is("[")) {
                depth++;
            } else if (token.is(")") || token.is("]")) {
                depth--;
            } else if (token.is(",") && depth == 0) {
                parts.add(current);
                current = new ArrayList<>();
                continue;
            }
            current.add(token);
        }
        parts.add(current);
        return parts;
    }

    /**
     * The {@code USING} expression of a subcommand {@code ALTER [COLUMN] <column> [SET DATA] TYPE ...}; the first
     * subcommand also holds {@code ALTER TABLE [IF EXISTS] [ONLY] <name>} in front.
     */
    private static Optional<String> usingOf(String statement, List<Token> subcommand, String column) {
        int start = 0;
        if (subcommand.size() > 1 && subcommand.get(0).isWord("alter")
                && (subcommand.get(1).isWord("table") || subcommand.get(1).isWord("foreign"))) {
            start = afterTableName(subcommand);
        }
        int i = start;
        if (i >= subcommand.size() || !subcommand.get(i).isWord("alter")) {
            return Optional.empty();
        }
        i++;
        if (i < subcommand.size() && subcommand.get(i).isWord("column")) {
            i++;
        }
        if (i >= subcommand.size() || !subcommand.get(i).isName() || !subcommand.get(i).value().equals(column)) {
            return Optional.empty();
        }
        i++;
        if (i + 2 < subcommand.size() && subcommand.get(i).isWord("set") && subcommand.get(i + 1).isWord("data")) {
            i += 2;
        }
        if (i >= subcommand.size() || !subcommand.get(i).isWord("type")) {
            return Optional.empty();
        }
        int depth = 0;
        for (int j = i + 1; j < subcommand.size(); j++) {
            Token token = subcommand.get(j);
            if (token.is("(") || token.is("[")) {
                depth++;
            } else if (token.is(")") || token.is("]")) {
                depth--;
            } else if (depth == 0 && token.isWord("using") && j + 1 < subcommand.size()) {
                Token last = subcommand.get(subcommand.size() - 1);
                return Optional.of(statement.substring(subcommand.get(j + 1).start(), last.end()));
            }
        }
        return Optional.empty();
    }

    /** The index of the first token after {@code ALTER [FOREIGN] TABLE [IF EXISTS] [ONLY] name [*]}. */
    private static int afterTableName(List<Token> tokens) {
        int i = tokens.get(1).isWord("foreign") ? 3 : 2;
        if (i + 1 < tokens.size() && tokens.get(i).isWord("if") && tokens.get(i + 1).isWord("exists")) {
            i += 2;
        }
        if (i < tokens.size() && tokens.get(i).isWord("only")) {
            i++;
        }
        i++;
        while (i + 1 < tokens.size() && tokens.get(i).is(".")) {
            i += 2;
        }
        if (i < tokens.size() && tokens.get(i).is("*")) {
            i++;
        }
        return i;
    }
}
