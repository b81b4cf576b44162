package io.pgsync.sink.mapping;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.pgsync.common.pg.TableRef;
import io.pgsync.common.sql.SqlLexer.Kind;
import io.pgsync.common.sql.SqlLexer.Token;

/**
 * Finds the tokens of a DDL statement (or of a constraint definition or an expression) that name a column, by
 * reading it with the grammar of the statement kinds that hold columns: {@code CREATE TABLE} (column definitions,
 * table constraints, partition keys), {@code ALTER TABLE} subcommands, {@code CREATE INDEX}, constraint definitions
 * as {@code pg_get_constraintdef} prints them, default, generated and check expressions, {@code CREATE TRIGGER ...
 * UPDATE OF ... WHEN (...)}, views, rules, policies and statistics, {@code COMMENT ON COLUMN} and
 * {@code ALTER SEQUENCE ... OWNED BY}. Keywords and type names are never columns: in a column definition everything
 * after the name up to its first constraint is its type; so is what follows {@code ::}, {@code AS} in a
 * {@code CAST}, and {@code TYPE}; a word before a string constant is a typed literal's type; a word before a
 * parenthesis is a function; and an unquoted reserved, type-or-function or column-name keyword of PostgreSQL
 * ({@code PRIMARY}, {@code KEY} after it, {@code NOT}, {@code INTEGER}, ...) is a keyword, as {@code quote_ident}
 * quotes such names. Other statements name no column.
 *
 * <p>Example: in {@code CREATE TABLE t (key integer, "text" text NOT NULL, CONSTRAINT p PRIMARY KEY (key))} the
 * columns are the first {@code key}, {@code "text"} and the {@code key} in parentheses; {@code KEY} after
 * {@code PRIMARY} and the type {@code text} are not.
 */
final class ColumnReferences {

    /** PostgreSQL 15's reserved, type-or-function-name and column-name keywords ({@code pg_get_keywords()}). */
    private static final Set<String> KEYWORDS = Set.of(
            "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "both", "case", "cast",
            "check", "collate", "column", "constraint", "create", "current_catalog", "current_date", "current_role",
            "current_time", "current_timestamp", "current_user", "default", "deferrable", "desc", "distinct", "do",
            "else", "end", "except", "false", "fetch", "for", "foreign", "from", "grant", "group", "having", "in",
            "initially", "intersect", "into", "lateral", "leading", "limit", "localtime", "localtimestamp", "not",
            "null", "offset", "on", "only", "or", "order", "placing", "primary", "references", "returning", "select",
            "session_user", "some", "symmetric", "system_user", "table", "then", "to", "trailing", "true", "union",
            "unique", "user", "using", "variadic", "when", "where", "window", "with",
            "authorization", "binary", "collation", "concurrently", "cross", "current_schema", "freeze", "full",
            "ilike", "inner", "is", "isnull", "join", "left", "like", "natural", "notnull", "outer", "overlaps",
            "right", "similar", "tablesample", "verbose",
            "between", "bigint", "bit", "boolean", "char", "character", "coalesce", "dec", "decimal", "exists",
            "extract", "float", "greatest", "grouping", "inout", "int", "integer", "interval", "least", "national",
            "nchar", "none", "normalize", "nullif", "numeric", "out", "overlay", "position", "precision", "real",
            "row", "setof", "smallint", "substring", "time", "timestamp", "treat", "trim", "values", "varchar",
            "xmlattributes", "xmlconcat", "xmlelement", "xmlexists", "xmlforest", "xmlnamespaces", "xmlparse",
            "xmlpi", "xmlroot", "xmlserialize", "xmltable");

    /** The reserved keywords among them, which never name a function: {@code IN (...)}, {@code ANY (...)}. */
    private static final Set<String> RESERVED = Set.of("all", "and", "any", "array", "as", "case", "check", "else",
            "from", "in", "join", "not", "on", "or", "some", "then", "using", "when", "where", "with", "is", "like",
            "ilike", "similar", "between", "exists", "values", "row", "distinct");

    /** Words that end the type of a column definition: the column constraints and options. */
    private static final Set<String> COLUMN_OPTIONS = Set.of("constraint", "not", "null", "default", "check",
            "unique", "primary", "references", "generated", "collate", "compression", "storage", "deferrable",
            "initially");

    /** Words that start a table constraint in a table's element list. */
    private static final Set<String> TABLE_CONSTRAINTS = Set.of("constraint", "primary", "unique", "check",
            "foreign", "exclude", "like");

    private final List<Token> tokens;
    /** The indexes, into {@link #tokens}, of the significant tokens. */
    private final int[] sig;
    private final BitSet columns = new BitSet();
    private final Map<Integer, TableRef> owners = new HashMap<>();

    private ColumnReferences(List<Token> tokens) {
        this.tokens = tokens;
        List<Integer> significant = new ArrayList<>();
        for (int i = 0; i < tokens.size(); i++) {
            if (tokens.get(i).significant()) {
                significant.add(i);
            }
        }
        sig = significant.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The column references of a whole statement. */
    static ColumnReferences ofStatement(List<Token> tokens) {
        ColumnReferences references = new ColumnReferences(tokens);
        references.statement();
        return references;
    }

    /**
     * The column references of a constraint definition ({@code PRIMARY KEY (id)}, {@code CHECK (...)}, ...), a
     * partition key ({@code RANGE (at)}) or an expression (a default, a generated column).
     */
    static ColumnReferences ofDefinition(List<Token> tokens) {
        ColumnReferences references = new ColumnReferences(tokens);
        int n = references.sig.length;
        if (n == 0) {
            return references;
        }
        if (TABLE_CONSTRAINTS.contains(references.word(0)) && !"like".equals(references.word(0))) {
            references.tableConstraint(0, n, null);
        } else if (n > 1 && Set.of("range", "list", "hash").contains(references.word(0)) && references.is(1, "(")) {
            references.indexElements(2, references.close(1), null);
        } else {
            references.expression(0, n, null);
        }
        return references;
    }

    /** Whether the token at this index (into the lexed tokens) names a column. */
    boolean isColumn(int token) {
        return columns.get(token);
    }

    /** The table the column at this index belongs to, when the text says (a foreign key's referenced table). */
    TableRef owner(int token) {
        return owners.get(token);
    }

    // ---- statements

    private void statement() {
        int n = sig.length;
        if (n < 2) {
            return;
        }
        int i = 0;
        String first = word(0);
        if ("create".equals(first)) {
            i = 1;
            if ("or".equals(word(1)) && "replace".equals(word(2))) {
                i = 3;
            }
            while (i < n && Set.of("temp", "temporary", "unlogged", "global", "local", "unique", "materialized",
                    "recursive", "constraint").contains(word(i))) {
                i++;
            }
            String kind = word(i);
            if ("table".equals(kind)) {
                createTable(i + 1, n);
            } else if ("index".equals(kind)) {
                createIndex(i + 1, n);
            } else if ("trigger".equals(kind)) {
                createTrigger(i + 1, n);
            } else if (Set.of("view", "rule", "policy", "statistics").contains(kind)) {
                groupsAndClauses(i + 1, n);
            }
        } else if ("alter".equals(first) && "table".equals(word(1))) {
            alterTable(2, n);
        } else if ("alter".equals(first) && "sequence".equals(word(1))) {
            for (int k = 2; k + 1 < n; k++) {
                if ("owned".equals(word(k)) && "by".equals(word(k + 1))) {
                    qualifiedColumn(k + 2, n);
                }
            }
        } else if ("comment".equals(first) && "on".equals(word(1)) && "column".equals(word(2))) {
            qualifiedColumn(3, n);
        }
    }

    /** {@code CREATE TABLE [IF NOT EXISTS] name [PARTITION OF parent] [(elements)] ... [PARTITION BY m (keys)]}. */
    private void createTable(int i, int n) {
        i = skipIfExists(i);
        TableRef table = tableRef(i);
        i = nameEnd(i);
        if ("partition".equals(word(i)) && "of".equals(word(i + 1))) {
            i = nameEnd(i + 2);
        } else if ("of".equals(word(i))) {
            i = nameEnd(i + 1);
        }
        if (is(i, "(")) {
            int close = close(i);
            for (int[] element : split(i + 1, close)) {
                tableElement(element[0], element[1], table);
            }
            i = close + 1;
        }
        for (; i < n; i++) {
            if ("partition".equals(word(i)) && "by".equals(word(i + 1)) && is(i + 3, "(")) {
                indexElements(i + 4, close(i + 3), table);
                i = close(i + 3);
            } else if (is(i, "(")) {
                i = close(i);
            }
        }
    }

    private void tableElement(int start, int end, TableRef table) {
        if (start >= end) {
            return;
        }
        if (isWord(start) && TABLE_CONSTRAINTS.contains(word(start))) {
            tableConstraint(start, end, table);
        } else {
            columnDefinition(start, end, table);
        }
    }

    /** A column definition: its name, its type (up to the first option), then its constraints and options. */
    private void columnDefinition(int start, int end, TableRef table) {
        if (!tokenAt(start).isName()) {
            return;
        }
        column(start, table);
        int i = start + 1;
        while (i < end && !(isWord(i) && COLUMN_OPTIONS.contains(word(i)))) {
            i = is(i, "(") ? close(i) + 1 : i + 1;
        }
        columnOptions(i, end, table);
    }

    /** Column constraints and options: expressions in DEFAULT, CHECK, GENERATED ... AS (...), REFERENCES t (c). */
    private void columnOptions(int i, int end, TableRef table) {
        while (i < end) {
            String word = word(i);
            if ("constraint".equals(word) || "collate".equals(word) || "compression".equals(word)
                    || "storage".equals(word)) {
                i = nameEnd(i + 1);
            } else if ("default".equals(word)) {
                int stop = i + 1;
                while (stop < end && !(isWord(stop) && COLUMN_OPTIONS.contains(word(stop)) && !"null".equals(word(stop))
                        && !"not".equals(word(stop)))) {
                    stop = is(stop, "(") ? close(stop) + 1 : stop + 1;
                }
                expression(i + 1, stop, table);
                i = stop;
            } else if ("check".equals(word) && is(i + 1, "(")) {
                expression(i + 2, close(i + 1), table);
                i = close(i + 1) + 1;
            } else if ("generated".equals(word)) {
                int k = i + 1;
                while (k < end && !is(k, "(")) {
                    k++;
                }
                if (k < end && !"identity".equals(word(k - 1))) {
                    expression(k + 1, close(k), table);
                }
                i = k < end ? close(k) + 1 : end;
            } else if ("references".equals(word)) {
                i = references(i + 1, end);
            } else {
                i = is(i, "(") ? close(i) + 1 : i + 1;
            }
        }
    }

    /** A table constraint as a table's element or as {@code pg_get_constraintdef} prints it. */
    private void tableConstraint(int i, int end, TableRef table) {
        if ("constraint".equals(word(i))) {
            i = nameEnd(i + 1);
        }
        String kind = word(i);
        if ("check".equals(kind) && is(i + 1, "(")) {
            expression(i + 2, close(i + 1), table);
            return;
        }
        if ("exclude".equals(kind)) {
            int k = i + 1;
            while (k < end && !is(k, "(")) {
                k++;
            }
            if (k < end) {
                indexElements(k + 1, close(k), table);
                tail(close(k) + 1, end, table);
            }
            return;
        }
        if ("foreign".equals(kind) && "key".equals(word(i + 1)) && is(i + 2, "(")) {
            columnList(i + 3, close(i + 2), table);
            int k = close(i + 2) + 1;
            if ("references".equals(word(k))) {
                k = references(k + 1, end);
            }
            tail(k, end, table);
            return;
        }
        int k = i;
        while (k < end && !is(k, "(")) {
            k++;
        }
        if (k < end && ("primary".equals(kind) || "unique".equals(kind))) {
            columnList(k + 1, close(k), table);
            tail(close(k) + 1, end, table);
        }
    }

    /**
     * What follows a constraint's columns: {@code INCLUDE (columns)}, {@code WHERE (predicate)},
     * {@code ON DELETE SET NULL (columns)}; options such as {@code WITH (fillfactor=70)} name no column.
     */
    private void tail(int i, int end, TableRef table) {
        while (i < end) {
            if (("include".equals(word(i)) || "null".equals(word(i)) || "default".equals(word(i)))
                    && is(i + 1, "(")) {
                columnList(i + 2, close(i + 1), table);
                i = close(i + 1) + 1;
            } else if ("where".equals(word(i))) {
                expression(i + 1, end, table);
                return;
            } else {
                i = is(i, "(") ? close(i) + 1 : i + 1;
            }
        }
    }

    /** {@code REFERENCES table [(columns)]}: the columns are the referenced table's. Returns the index after. */
    private int references(int i, int end) {
        TableRef referenced = tableRef(i);
        i = nameEnd(i);
        if (i < end && is(i, "(")) {
            columnList(i + 1, close(i), referenced);
            i = close(i) + 1;
        }
        return i;
    }

    /** {@code ALTER TABLE [IF EXISTS] [ONLY] name [*] subcommand, ...}. */
    private void alterTable(int i, int n) {
        i = skipIfExists(i);
        if ("only".equals(word(i))) {
            i++;
        }
        TableRef table = tableRef(i);
        i = nameEnd(i);
        if (is(i, "*")) {
            i++;
        }
        for (int[] part : split(i, n)) {
            alterSubcommand(part[0], part[1], table);
        }
    }

    private void alterSubcommand(int i, int end, TableRef table) {
        String action = word(i);
        if ("add".equals(action)) {
            int k = i + 1;
            if ("column".equals(word(k))) {
                k++;
            }
            k = skipIfNotExists(k);
            if (isWord(k) && TABLE_CONSTRAINTS.contains(word(k))) {
                tableConstraint(k, end, table);
            } else {
                columnDefinition(k, end, table);
            }
        } else if ("alter".equals(action)) {
            int k = i + 1;
            if ("column".equals(word(k))) {
                k++;
            }
            if ("constraint".equals(word(k))) {
                return;
            }
            column(k, table);
            for (int j = k + 1; j < end; j++) {
                if ("using".equals(word(j))) {
                    expression(j + 1, end, table);
                    return;
                }
                if ("default".equals(word(j)) && "set".equals(word(j - 1))) {
                    expression(j + 1, end, table);
                    return;
                }
                if (is(j, "(")) {
                    j = close(j);
                }
            }
        } else if ("drop".equals(action)) {
            int k = i + 1;
            if ("constraint".equals(word(k))) {
                return;
            }
            if ("column".equals(word(k))) {
                k++;
            }
            column(skipIfExists(k), table);
        } else if ("rename".equals(action)) {
            int k = i + 1;
            if ("constraint".equals(word(k)) || "to".equals(word(k))) {
                return;
            }
            if ("column".equals(word(k))) {
                k++;
            }
            column(k, table);
            if ("to".equals(word(k + 1))) {
                column(k + 2, table);
            }
        } else if ("validate".equals(action) || "replica".equals(action) || "owner".equals(action)) {
            return;
        }
    }

    /**
     * {@code CREATE [UNIQUE] INDEX [CONCURRENTLY] [[IF NOT EXISTS] name] ON [ONLY] table [USING method] (elements)
     * [INCLUDE (columns)] [NULLS [NOT] DISTINCT] [WITH (...)] [TABLESPACE t] [WHERE predicate]}.
     */
    private void createIndex(int i, int n) {
        while (i < n && !"on".equals(word(i))) {
            i++;
        }
        i++;
        if ("only".equals(word(i))) {
            i++;
        }
        TableRef table = tableRef(i);
        i = nameEnd(i);
        if ("using".equals(word(i))) {
            i += 2;
        }
        if (!is(i, "(")) {
            return;
        }
        indexElements(i + 1, close(i), table);
        tail(close(i) + 1, n, table);
    }

    /**
     * Index elements (also of a partition key and an exclusion constraint): each is a column, an expression in
     * parentheses or a function call, followed by what is never a column: a collation, an operator class,
     * {@code ASC}/{@code DESC}, {@code NULLS FIRST}/{@code LAST}, {@code WITH operator}.
     */
    private void indexElements(int start, int end, TableRef table) {
        for (int[] element : split(start, end)) {
            int i = element[0];
            if (i >= element[1]) {
                continue;
            }
            if (is(i, "(")) {
                expression(i + 1, close(i), table);
            } else if (is(i + 1, "(") || is(i + 1, ".")) {
                expression(i, element[1], table);
            } else {
                column(i, table);
            }
        }
    }

    /** {@code CREATE TRIGGER ... UPDATE OF columns ON table ... WHEN (condition) EXECUTE ...}. */
    private void createTrigger(int i, int n) {
        int on = i;
        while (on < n && !"on".equals(word(on))) {
            on++;
        }
        TableRef table = tableRef(on + 1);
        for (int k = i; k < on; k++) {
            if ("of".equals(word(k)) && "update".equals(word(k - 1))) {
                for (int c = k + 1; c < on && !isWord(c, "or"); c++) {
                    if (tokenAt(c).isName()) {
                        column(c, table);
                    }
                }
            }
        }
        for (int k = on; k < n; k++) {
            if ("when".equals(word(k)) && is(k + 1, "(")) {
                expression(k + 2, close(k + 1), table);
                return;
            }
        }
    }

    /**
     * Views, rules, policies and statistics: their queries, conditions and parenthesized expressions, read as
     * expressions; their names and keywords are not.
     */
    private void groupsAndClauses(int i, int n) {
        for (int k = i; k < n; k++) {
            if (Set.of("as", "where", "using", "select", "on").contains(word(k)) || is(k, "(")) {
                expression(k + 1, is(k, "(") ? close(k) : n, null);
                if (!is(k, "(")) {
                    return;
                }
                k = close(k);
            }
        }
    }

    // ---- expressions

    /**
     * Marks the columns of an expression between two significant positions: names that are not keywords, not
     * functions (a parenthesis follows), not types (after {@code ::}, after {@code AS} in {@code CAST}, before a
     * string constant), not relations (after {@code FROM}, {@code JOIN}, {@code ONLY}) or their aliases, and not
     * output names (after {@code AS}); of a qualified name, the last part.
     */
    private void expression(int start, int end, TableRef table) {
        for (int i = start; i < end; i++) {
            Token token = tokenAt(i);
            if (token.is("::")) {
                i = typeEnd(i + 1, end) - 1;
                continue;
            }
            if (isWord(i, "cast") && is(i + 1, "(")) {
                int close = close(i + 1);
                int as = depthZero(i + 2, close, "as");
                expression(i + 2, as < 0 ? close : as, table);
                i = close;
                continue;
            }
            if (!token.isName()) {
                continue;
            }
            boolean quoted = token.kind() != Kind.WORD;
            if (!quoted && KEYWORDS.contains(token.value())) {
                boolean clause = !"from".equals(token.value())
                        || !isWord(i - 1, "distinct") && !insideCall(i, start);
                if (Set.of("from", "join", "only").contains(token.value()) && clause) {
                    i = relation(i + 1, end) - 1;
                }
                continue;
            }
            int chainEnd = nameEnd(i);
            if (chainEnd < end && is(chainEnd, "(")) {
                i = chainEnd - 1;
                continue;
            }
            if (chainEnd < end && tokenAt(chainEnd).kind() == Kind.STRING
                    && chainEnd == i + 1) {
                continue;
            }
            if (!quoted && chainEnd == i + 1 && isSyntax(i, end)) {
                continue;
            }
            if (i > start && isWord(i - 1, "as")) {
                continue;
            }
            int parts = (chainEnd - i + 1) / 2;
            mark(chainEnd - 1, parts == 1 ? table
                    : parts == 3 ? new TableRef(tokenAt(i).value(), tokenAt(i + 2).value()) : null);
            i = chainEnd - 1;
        }
    }

    /** Unreserved words that are syntax in an expression: AT TIME ZONE, NULLS FIRST/LAST, window frames. */
    private boolean isSyntax(int i, int end) {
        String word = word(i);
        String next = i + 1 < end ? word(i + 1) : "";
        String previous = word(i - 1);
        return "at".equals(word) && "time".equals(next) || "zone".equals(word) && "time".equals(previous)
                || "nulls".equals(word) && ("first".equals(next) || "last".equals(next))
                || ("first".equals(word) || "last".equals(word)) && "nulls".equals(previous)
                || "over".equals(word) && (i + 1 < end && (is(i + 1, "(") || tokenAt(i + 1).isName()))
                || "within".equals(word) && "group".equals(next)
                || "filter".equals(word) && i + 1 < end && is(i + 1, "(")
                || Set.of("rows", "range", "groups").contains(word) && ("between".equals(next)
                        || "unbounded".equals(next) || "current".equals(next))
                || Set.of("unbounded", "preceding", "following", "current").contains(word)
                        && Set.of("preceding", "following", "row", "and", "between", "unbounded", "rows", "range",
                                "groups").contains(next.isEmpty() ? previous : next);
    }

    /**
     * Whether the position is inside the parentheses of a function call ({@code EXTRACT(year FROM at)},
     * {@code substring(t FROM 2)}), where {@code FROM} starts no relation.
     */
    private boolean insideCall(int i, int start) {
        int depth = 0;
        for (int k = i - 1; k >= start; k--) {
            if (is(k, ")")) {
                depth++;
            } else if (is(k, "(")) {
                if (depth == 0) {
                    return !isWord(k + 1, "select") && !isWord(k + 1, "with") && k > 0 && tokenAt(k - 1).isName()
                            && !(isWord(k - 1) && RESERVED.contains(word(k - 1)));
                }
                depth--;
            }
        }
        return false;
    }

    /** A relation after FROM or JOIN (through opening parentheses), and its alias; returns the index after them. */
    private int relation(int i, int end) {
        while (i < end && is(i, "(")) {
            i++;
        }
        if (i >= end || !tokenAt(i).isName() || isWord(i) && KEYWORDS.contains(word(i))) {
            return i;
        }
        i = nameEnd(i);
        if (i < end && is(i, "(")) {
            return i;
        }
        if (isWord(i, "as")) {
            i++;
        }
        if (i < end && tokenAt(i).isName() && !(isWord(i) && KEYWORDS.contains(word(i)))) {
            i++;
        }
        return i;
    }

    /** A type after {@code ::}: its name (qualified, of several words), modifiers and array bounds. */
    private int typeEnd(int i, int end) {
        if (i >= end) {
            return end;
        }
        i = nameEnd(i);
        while (i < end && isWord(i) && Set.of("varying", "precision", "with", "without", "time", "zone", "year",
                "month", "day", "hour", "minute", "second", "to").contains(word(i))) {
            i++;
        }
        if (i < end && is(i, "(")) {
            i = close(i) + 1;
            while (i < end && isWord(i) && Set.of("with", "without", "time", "zone").contains(word(i))) {
                i++;
            }
        }
        while (i < end && is(i, "[")) {
            while (i < end && !is(i, "]")) {
                i++;
            }
            i++;
        }
        return i;
    }

    // ---- column lists and names

    /** A list of column names, separated by commas. */
    private void columnList(int start, int end, TableRef table) {
        for (int i = start; i < end; i++) {
            if (tokenAt(i).isName()) {
                column(i, table);
            }
        }
    }

    /** {@code schema.table.column}: the last part is a column of that table. */
    private void qualifiedColumn(int i, int n) {
        int end = nameEnd(i);
        if (end - i == 5) {
            mark(end - 1, new TableRef(tokenAt(i).value(), tokenAt(i + 2).value()));
        }
    }

    private void column(int i, TableRef table) {
        if (i < sig.length && tokenAt(i).isName()) {
            mark(i, table);
        }
    }

    private void mark(int i, TableRef table) {
        columns.set(sig[i]);
        if (table != null) {
            owners.put(sig[i], table);
        }
    }

    // ---- token helpers, by significant position

    private Token tokenAt(int i) {
        return tokens.get(sig[i]);
    }

    private boolean isWord(int i) {
        return i >= 0 && i < sig.length && tokenAt(i).kind() == Kind.WORD;
    }

    private boolean isWord(int i, String word) {
        return i >= 0 && i < sig.length && tokenAt(i).isWord(word);
    }

    /** The lower-case word at the position, or "" when it is no unquoted word. */
    private String word(int i) {
        return isWord(i) ? tokenAt(i).value() : "";
    }

    private boolean is(int i, String symbol) {
        return i >= 0 && i < sig.length && tokenAt(i).is(symbol);
    }

    /** The position of the parenthesis (or bracket) that closes the one at {@code open}. */
    private int close(int open) {
        int depth = 0;
        for (int i = open; i < sig.length; i++) {
            if (is(i, "(") || is(i, "[")) {
                depth++;
            } else if (is(i, ")") || is(i, "]")) {
                depth--;
                if (depth == 0) {
                    return i;
                }
            }
        }
        return sig.length;
    }

    /** The end of a name, qualified or not ({@code a}, {@code a.b}, {@code a.b.c}), starting at {@code i}. */
    private int nameEnd(int i) {
        if (i >= sig.length || !tokenAt(i).isName()) {
            return i;
        }
        i++;
        while (i + 1 < sig.length && is(i, ".") && tokenAt(i + 1).isName()) {
            i += 2;
        }
        return i;
    }

    /** The table a two-part name at the position names, or null. */
    private TableRef tableRef(int i) {
        return nameEnd(i) - i == 3 ? new TableRef(tokenAt(i).value(), tokenAt(i + 2).value()) : null;
    }

    private int skipIfExists(int i) {
        return isWord(i, "if") && isWord(i + 1, "exists") ? i + 2 : skipIfNotExists(i);
    }

    private int skipIfNotExists(int i) {
        return isWord(i, "if") && isWord(i + 1, "not") && isWord(i + 2, "exists") ? i + 3 : i;
    }

    /** The first position of the word between two positions outside parentheses, or -1. */
    private int depthZero(int start, int end, String word) {
        for (int i = start; i < end; i++) {
            if (is(i, "(") || is(i, "[")) {
                i = close(i);
            } else if (isWord(i, word)) {
                return i;
            }
        }
        return -1;
    }

    /** The parts between two positions split at the commas outside parentheses: start and end of each. */
    private List<int[]> split(int start, int end) {
        List<int[]> parts = new ArrayList<>();
        int from = start;
        for (int i = start; i < end; i++) {
            if (is(i, "(") || is(i, "[")) {
                i = close(i);
            } else if (is(i, ",")) {
                parts.add(new int[] {from, i});
                from = i + 1;
            }
        }
        parts.add(new int[] {from, end});
        return parts;
    }
}
