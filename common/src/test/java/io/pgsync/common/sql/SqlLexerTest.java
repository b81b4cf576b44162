package io.pgsync.common.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.pgsync.common.sql.SqlLexer.Kind;
import io.pgsync.common.sql.SqlLexer.Token;

class SqlLexerTest {

    @Test
    void joiningTheTokensGivesTheTextBack() {
        String sql = "ALTER TABLE \"A\"\"b\" ALTER n TYPE bigint USING (n * 2)::bigint -- c\n/* x /* y */ z */;"
                + " SELECT E'a\\'b', $f$ ; $f$, U&'d\\0061t', $1, x$y, 1.5e-3";
        assertThat(SqlLexer.lex(sql).tokens().stream().map(Token::text).collect(Collectors.joining()))
                .isEqualTo(sql);
    }

    @Test
    void aWordInACommentIsNoWordOfTheStatement() {
        assertThat(words("ALTER TABLE z ALTER n TYPE bigint -- USING n*0"))
                .containsExactly("alter", "table", "z", "alter", "n", "type", "bigint");
        assertThat(words("ALTER TABLE z ALTER n TYPE bigint /* USING n*0 */"))
                .containsExactly("alter", "table", "z", "alter", "n", "type", "bigint");
    }

    @Test
    void blockCommentsNest() {
        List<Token> tokens = significant("/* a /* b; */ USING c; */ SELECT 1");
        assertThat(tokens).extracting(Token::text).containsExactly("SELECT", "1");
        assertThat(SqlLexer.lex("/* a /* b */ c").complete()).isFalse();
    }

    @Test
    void quotedIdentifiersKeepTheirCaseAndTheirSemicolons() {
        List<Token> tokens = significant("SELECT \"Key\"\"; DROP TABLE x; --\" FROM \"T\"");
        assertThat(tokens).extracting(Token::kind).containsExactly(Kind.WORD, Kind.QUOTED_IDENTIFIER, Kind.WORD,
                Kind.QUOTED_IDENTIFIER);
        assertThat(tokens.get(1).value()).isEqualTo("Key\"; DROP TABLE x; --");
        assertThat(tokens.get(3).value()).isEqualTo("T");
    }

    @Test
    void wordsAreFoldedAsPostgresqlFoldsThem() {
        assertThat(significant("SeLeCt Ünï")).extracting(Token::value).containsExactly("select", "Ünï");
    }

    @Test
    void escapeStringsTakeBackslashEscapes() {
        assertThat(significant("SELECT E'it\\'s; USING x', 2")).extracting(Token::kind)
                .containsExactly(Kind.WORD, Kind.STRING, Kind.PUNCTUATION, Kind.NUMBER);
        assertThat(significant("SELECT e'\\\\', 2")).extracting(Token::text)
                .containsExactly("SELECT", "e'\\\\'", ",", "2");
    }

    @Test
    void anEBeforeAQuoteStartsAnEscapeStringOnlyAtTheStartOfAToken() {
        assertThat(significant("SELECT somE'x\\'")).extracting(Token::text).containsExactly("SELECT", "somE",
                "'x\\'");
    }

    @Test
    void standardConformingStringsDecideWhetherABackslashEscapesInPlainStrings() {
        String sql = "SELECT 'a\\'; SELECT 2; --'";
        assertThat(SqlLexer.lex(sql, true).statements()).hasSize(2);
        assertThat(SqlLexer.lex(sql, false).statements()).hasSize(1);
    }

    @Test
    void doubledQuotesStayInsideAString() {
        List<Token> tokens = significant("SELECT 'it''s; USING n*0'");
        assertThat(tokens).hasSize(2);
        assertThat(tokens.get(1).value()).isEqualTo("it's; USING n*0");
    }

    @Test
    void prefixedStringsAndUnicodeIdentifiers() {
        assertThat(significant("SELECT B'101', X'1F', N'n', U&'d\\0061t', U&\"d\\0061t\""))
                .filteredOn(t -> t.kind() != Kind.PUNCTUATION).extracting(Token::kind)
                .containsExactly(Kind.WORD, Kind.STRING, Kind.STRING, Kind.STRING, Kind.STRING,
                        Kind.QUOTED_IDENTIFIER);
    }

    @Test
    void dollarQuotesHoldAnythingUntilTheirOwnTag() {
        List<Token> tokens = significant("CREATE FUNCTION f() AS $fn$ SELECT ';'; $$ x $$ $fn$ LANGUAGE sql");
        assertThat(tokens).extracting(Token::kind).contains(Kind.DOLLAR_STRING);
        assertThat(tokens.stream().filter(t -> t.kind() == Kind.DOLLAR_STRING).findFirst().orElseThrow().value())
                .isEqualTo(" SELECT ';'; $$ x $$ ");
        assertThat(SqlLexer.lex("SELECT $$a;b$$; SELECT 2").statements()).hasSize(2);
    }

    @Test
    void aDollarInsideAWordOrBeforeDigitsIsNoQuote() {
        assertThat(significant("SELECT a$b$c, $1, $2")).extracting(Token::kind).containsExactly(Kind.WORD,
                Kind.WORD, Kind.PUNCTUATION, Kind.PARAMETER, Kind.PUNCTUATION, Kind.PARAMETER);
    }

    @Test
    void castsAndOperators() {
        assertThat(significant("x::text <> 'a' || b => c := d")).extracting(Token::text)
                .containsExactly("x", "::", "text", "<>", "'a'", "||", "b", "=>", "c", ":=", "d");
        assertThat(significant("a+-- c\nb")).extracting(Token::text).containsExactly("a", "+", "b");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "ALTER TABLE t ADD c int|1",
        "ALTER TABLE t ADD c int;|1",
        "  ALTER TABLE t ADD c int ; -- done ;|1",
        "a; b|2",
        "a;;b;|2",
        ";; -- nothing|0",
        "SELECT 'x;y'|1",
        "SELECT \"x;y\"|1",
        "SELECT $$x;y$$|1",
        "SELECT 1 /* ; */|1",
        "SELECT 1 -- ; \\n; SELECT 2|2"
    })
    void statementsAreSplitAtSemicolonsOutsideStringsIdentifiersAndComments(String sql, int count) {
        assertThat(SqlLexer.lex(sql.replace("\\n", "\n")).statements()).hasSize(count);
    }

    @Test
    void theOnlyStatementComesWithoutTheCommentsAndSemicolonsAroundIt() {
        assertThat(SqlLexer.lex("-- why\n CREATE AGGREGATE a (int) (sfunc = f, stype = int) ; /* done */")
                .singleStatement()).contains("CREATE AGGREGATE a (int) (sfunc = f, stype = int)");
        assertThat(SqlLexer.lex("a; b").singleStatement()).isEmpty();
        assertThat(SqlLexer.lex("SELECT 'unterminated").singleStatement()).isEmpty();
        assertThat(SqlLexer.lex("-- nothing").singleStatement()).isEmpty();
    }

    private static List<String> words(String sql) {
        return significant(sql).stream().filter(t -> t.kind() == Kind.WORD).map(Token::value).toList();
    }

    private static List<Token> significant(String sql) {
        return SqlLexer.lex(sql).tokens().stream().filter(Token::significant).toList();
    }
}
