package io.pgsync.sink.mapping;

import static io.pgsync.common.pg.Identifiers.quote;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.apache.kafka.common.config.ConfigException;

import io.pgsync.common.pg.QualifiedName;
import io.pgsync.common.pg.TableRef;
import io.pgsync.common.sql.SqlLexer;
import io.pgsync.common.sql.SqlLexer.Kind;
import io.pgsync.common.sql.SqlLexer.Token;

/**
 * The sink's naming rules: source schemas, tables and columns renamed at the destination, and source columns left
 * out of it. The same rules apply to rows and to DDL: names in the changelog's records are mapped one by one, and SQL
 * text (the schema sync's statements, captured DDL) is rewritten token by token, with columns found by the
 * statement's grammar ({@link ColumnReferences}).
 *
 * <p>Example: {@code mapping.schemas=public:sales}, {@code mapping.tables=public.orders:archive.orders_v2},
 * {@code mapping.columns=public.orders.note:remark}, {@code columns.exclude=public.orders.secret}: rows of
 * {@code public.orders} go to {@code archive.orders_v2} with {@code note} written into {@code remark} and without
 * {@code secret}; {@code public.customers} goes to {@code sales.customers}; and
 * {@code CREATE INDEX orders_note_idx ON public.orders USING btree (note)} becomes
 * {@code CREATE INDEX orders_note_idx ON "archive"."orders_v2" USING btree ("remark")}.
 */
public final class NameMapping {

    /** No renaming and no excluded column. */
    public static final NameMapping NONE = new NameMapping(Map.of(), Map.of(), Map.of(), Map.of());

    private static final Set<String> RELATION_FUNCTIONS = Set.of("setval", "nextval", "currval",
            "pg_get_serial_sequence");
    /** The first words of a statement, as opposed to a constraint definition or an expression. */
    private static final Set<String> STATEMENTS = Set.of("create", "alter", "drop", "comment", "select", "grant",
            "revoke", "refresh", "cluster", "security", "do", "set", "reset");

    private final Map<String, String> schemas;
    private final Map<TableRef, TableRef> tables;
    private final Map<TableRef, Map<String, String>> columns;
    private final Map<TableRef, Set<String>> excluded;

    private NameMapping(Map<String, String> schemas, Map<TableRef, TableRef> tables,
            Map<TableRef, Map<String, String>> columns, Map<TableRef, Set<String>> excluded) {
        this.schemas = schemas;
        this.tables = tables;
        this.columns = columns;
        this.excluded = excluded;
    }

    /**
     * Reads the rules from the configuration's lists.
     *
     * @param schemaPairs {@code source:destination} schema names
     * @param tablePairs {@code schema.table:schema.table}
     * @param columnPairs {@code schema.table.column:column}
     * @param excludedColumns {@code schema.table.column}
     * @throws ConfigException naming the key and the entry that does not parse
     */
    public static NameMapping of(String schemasKey, List<String> schemaPairs, String tablesKey,
            List<String> tablePairs, String columnsKey, List<String> columnPairs, String excludeKey,
            List<String> excludedColumns) {
        Map<String, String> schemas = new HashMap<>();
        for (String pair : schemaPairs) {
            String[] sides = sides(schemasKey, pair, 1, 1);
            schemas.put(QualifiedName.split(sides[0]).get(0), QualifiedName.split(sides[1]).get(0));
        }
        Map<TableRef, TableRef> tables = new HashMap<>();
        for (String pair : tablePairs) {
            String[] sides = sides(tablesKey, pair, 2, 2);
            tables.put(table(sides[0]), table(sides[1]));
        }
        Map<TableRef, Map<String, String>> columns = new HashMap<>();
        for (String pair : columnPairs) {
            String[] sides = sides(columnsKey, pair, 3, 1);
            List<String> source = QualifiedName.split(sides[0]);
            columns.computeIfAbsent(new TableRef(source.get(0), source.get(1)), t -> new HashMap<>())
                    .put(source.get(2), QualifiedName.split(sides[1]).get(0));
        }
        Map<TableRef, Set<String>> excluded = new HashMap<>();
        for (String column : excludedColumns) {
            List<String> parts = QualifiedName.split(column.trim());
            if (parts.size() != 3) {
                throw new ConfigException(excludeKey, column, "each entry names one column: schema.table.column, "
                        + "with double quotes around a name that holds a dot or a quote");
            }
            excluded.computeIfAbsent(new TableRef(parts.get(0), parts.get(1)), t -> new HashSet<>())
                    .add(parts.get(2));
        }
        if (schemas.isEmpty() && tables.isEmpty() && columns.isEmpty() && excluded.isEmpty()) {
            return NONE;
        }
        return new NameMapping(schemas, tables, columns, excluded);
    }

    private static String[] sides(String key, String pair, int sourceParts, int targetParts) {
        int colon = colon(pair);
        String[] sides = colon < 0 ? new String[0]
                : new String[] {pair.substring(0, colon).trim(), pair.substring(colon + 1).trim()};
        if (sides.length != 2 || QualifiedName.split(sides[0]).size() != sourceParts
                || QualifiedName.split(sides[1]).size() != targetParts) {
            throw new ConfigException(key, pair, "each entry maps a source name to a destination name as "
                    + "<source>:<destination>, the source with " + sourceParts + " dotted part(s) and the "
                    + "destination with " + targetParts + ", double quotes around a name that holds a dot, a colon "
                    + "or a quote");
        }
        return sides;
    }

    /** The first colon outside double quotes, or -1. */
    private static int colon(String pair) {
        boolean quoted = false;
        for (int i = 0; i < pair.length(); i++) {
            char c = pair.charAt(i);
            if (c == '"') {
                quoted = !quoted;
            } else if (c == ':' && !quoted) {
                return i;
            }
        }
        return -1;
    }

    private static TableRef table(String name) {
        List<String> parts = QualifiedName.split(name);
        return new TableRef(parts.get(0), parts.get(1));
    }

    /**
     * Rules that rename some columns of one table and nothing else, e.g. to read a constraint definition from before
     * a column rename with the names after it.
     *
     * @param renames old column name to new
     */
    public static NameMapping columnRenames(TableRef table, Map<String, String> renames) {
        return renames.isEmpty() ? NONE : new NameMapping(Map.of(), Map.of(), Map.of(table, Map.copyOf(renames)),
                Map.of());
    }

    public boolean isNone() {
        return this == NONE;
    }

    /** The destination name of a source table (or sequence, view, ...): its own mapping, else its schema's. */
    public TableRef table(TableRef source) {
        TableRef mapped = tables.get(source);
        if (mapped != null) {
            return mapped;
        }
        String schema = schemas.get(source.schema());
        return schema == null ? source : new TableRef(schema, source.table());
    }

    /** The destination name of a source schema. */
    public String schema(String source) {
        return schemas.getOrDefault(source, source);
    }

    /** The destination name of a source column of a source table. */
    public String column(TableRef source, String column) {
        Map<String, String> renamed = columns.get(source);
        return renamed == null ? column : renamed.getOrDefault(column, column);
    }

    /** Whether some column of the source table is renamed or left out. */
    public boolean hasColumnRules(TableRef source) {
        return columns.containsKey(source) || excluded.containsKey(source);
    }

    /** Whether the source column is left out of the destination. */
    public boolean excluded(TableRef source, String column) {
        Set<String> names = excluded.get(source);
        return names != null && names.contains(column);
    }

    /**
     * Rewrites SQL text under the rules: qualified names of mapped tables and schemas, and the columns of the tables
     * it names (or of {@code context}, for a constraint definition, default or other expression of that table). The
     * text is read with a SQL lexer, and a word is taken for a column only where the statement's grammar puts a
     * column ({@link ColumnReferences}): keywords and type names are never renamed, nor is anything in a string
     * constant, a dollar-quoted body or a comment. Inside a {@code CREATE TABLE}'s list of columns and constraints,
     * an element that names an excluded column is left out. Returns empty when the statement names an excluded column
     * elsewhere (an index on it, say), or would tie a sequence to a table the rules put in another schema: it has no
     * place at the destination.
     *
     * @param context the table the text belongs to when it does not name it (a column default); else null
     */
    public Optional<String> rewrite(String sql, TableRef context) {
        if (isNone()) {
            return Optional.of(sql);
        }
        List<Token> tokens = SqlLexer.lex(sql).tokens();
        if (splitsOwnedSequence(tokens)) {
            return Optional.empty();
        }
        Set<TableRef> named = new LinkedHashSet<>();
        if (context != null) {
            named.add(context);
        }
        for (int i = 0; i + 2 < tokens.size(); i++) {
            if (qualified(tokens, i)) {
                named.add(new TableRef(tokens.get(i).value(), tokens.get(i + 2).value()));
            }
        }
        Map<String, String> renamed = new HashMap<>();
        Set<String> left = new HashSet<>();
        for (TableRef table : named) {
            renamed.putAll(columns.getOrDefault(table, Map.of()));
            left.addAll(excluded.getOrDefault(table, Set.of()));
        }
        List<Token> significant = tokens.stream().filter(Token::significant).limit(4).toList();
        boolean statement = !significant.isEmpty() && STATEMENTS.contains(significant.get(0).value());
        ColumnReferences references = statement ? ColumnReferences.ofStatement(tokens)
                : ColumnReferences.ofDefinition(tokens);
        boolean createTable = !significant.isEmpty() && significant.get(0).isWord("create")
                && significant.stream().anyMatch(t -> t.isWord("table"));
        List<StringBuilder> elements = new ArrayList<>();
        List<Boolean> dropped = new ArrayList<>();
        StringBuilder out = new StringBuilder();
        int depth = 0;
        boolean inList = false;
        boolean listSeen = false;
        for (int i = 0; i < tokens.size(); i++) {
            Token token = tokens.get(i);
            StringBuilder target = inList ? elements.get(elements.size() - 1) : out;
            if (token.is("(")) {
                depth++;
                if (createTable && !listSeen && depth == 1) {
                    listSeen = true;
                    inList = true;
                    out.append(token.text());
                    elements.add(new StringBuilder());
                    dropped.add(false);
                    continue;
                }
            } else if (token.is(")")) {
                depth--;
                if (inList && depth == 0) {
                    inList = false;
                    appendElements(out, elements, dropped);
                    out.append(token.text());
                    continue;
                }
            } else if (token.is(",") && inList && depth == 1) {
                elements.add(new StringBuilder());
                dropped.add(false);
                continue;
            }
            if (token.isName() && pair(tokens, i) && !references.isColumn(i + 2)) {
                TableRef source = new TableRef(token.value(), tokens.get(i + 2).value());
                TableRef mapped = calledAsFunction(tokens, i + 2) ? null : tables.get(source);
                if (mapped != null) {
                    target.append(mapped.quoted());
                    i += 2;
                    continue;
                }
                String schema = schemas.get(source.schema());
                if (schema != null) {
                    target.append(quote(schema)).append('.').append(tokens.get(i + 2).text());
                    i += 2;
                    continue;
                }
                target.append(token.text());
                continue;
            }
            if (token.kind() == Kind.STRING && token.text().startsWith("'")
                    && (castToRegclass(tokens, i) || relationArgument(tokens, i))) {
                target.append(regclassLiteral(token));
                continue;
            }
            if (token.isName() && namesSchema(tokens, i) && schemas.containsKey(token.value())) {
                target.append(quote(schemas.get(token.value())));
                continue;
            }
            if (references.isColumn(i)) {
                TableRef owner = references.owner(i);
                Map<String, String> own = owner == null ? renamed : columns.getOrDefault(owner, Map.of());
                Set<String> gone = owner == null ? left : excluded.getOrDefault(owner, Set.of());
                if (gone.contains(token.value())) {
                    if (!inList) {
                        return Optional.empty();
                    }
                    dropped.set(dropped.size() - 1, true);
                }
                String name = own.get(token.value());
                target.append(name == null ? token.text() : quote(name));
                continue;
            }
            target.append(token.text());
        }
        if (inList) {
            appendElements(out, elements, dropped);
        }
        return Optional.of(out.toString());
    }

    /**
     * Whether the text is {@code ALTER SEQUENCE s OWNED BY t.c} and the rules put the sequence and the table in
     * different schemas, where PostgreSQL cannot tie them together.
     */
    private boolean splitsOwnedSequence(List<Token> tokens) {
        List<TableRef> relations = new ArrayList<>();
        for (int i = 0; i < tokens.size(); i++) {
            if (qualified(tokens, i)) {
                relations.add(new TableRef(tokens.get(i).value(), tokens.get(i + 2).value()));
            }
        }
        List<String> words = tokens.stream().filter(Token::isName).map(Token::value).toList();
        return words.size() > 3 && words.get(0).equals("alter") && words.get(1).equals("sequence")
                && words.contains("owned") && relations.size() == 2
                && !table(relations.get(0)).schema().equals(table(relations.get(1)).schema());
    }

    /** Whether the literal at i is cast to {@code regclass} ({@code 'public.orders_id_seq'::regclass}). */
    private static boolean castToRegclass(List<Token> tokens, int i) {
        return i + 2 < tokens.size() && tokens.get(i + 1).is("::") && tokens.get(i + 2).isWord("regclass");
    }

    /**
     * Whether the literal at i is the first argument of a function that takes a relation's name as text:
     * {@code setval('public.orders_id_seq', 42, true)}, {@code pg_get_serial_sequence('public.orders', 'id')}.
     */
    private static boolean relationArgument(List<Token> tokens, int i) {
        return i >= 2 && tokens.get(i - 1).is("(") && tokens.get(i - 2).isName()
                && RELATION_FUNCTIONS.contains(tokens.get(i - 2).value());
    }

    /** A {@code regclass} literal naming a relation, with the relation's destination name. */
    private String regclassLiteral(Token literal) {
        List<Token> name = SqlLexer.lex(literal.value()).tokens();
        if (name.size() != 3 || !qualified(name, 0)) {
            return literal.text();
        }
        TableRef mapped = table(new TableRef(name.get(0).value(), name.get(2).value()));
        return "'" + mapped.quoted().replace("'", "''") + "'";
    }

    /**
     * Whether the identifier at i is a schema's own name: it follows the keyword {@code SCHEMA}, possibly with
     * {@code IF [NOT] EXISTS} in between ({@code CREATE SCHEMA IF NOT EXISTS app}, {@code DROP SCHEMA app}).
     */
    private static boolean namesSchema(List<Token> tokens, int i) {
        List<String> before = new ArrayList<>();
        for (int j = i - 1; j >= 0 && before.size() < 4; j--) {
            Token token = tokens.get(j);
            if (token.isName()) {
                before.add(token.value());
            } else if (token.significant()) {
                return false;
            }
        }
        if (before.isEmpty()) {
            return false;
        }
        int at = before.get(0).equals("exists") ? (before.size() > 1 && before.get(1).equals("not") ? 3 : 2) : 0;
        return before.size() > at && before.get(at).equals("schema") && !(i + 1 < tokens.size()
                && tokens.get(i + 1).is("."));
    }

    private static void appendElements(StringBuilder out, List<StringBuilder> elements, List<Boolean> dropped) {
        boolean first = true;
        for (int e = 0; e < elements.size(); e++) {
            if (!dropped.get(e)) {
                out.append(first ? "" : ",").append(first ? elements.get(e).toString().stripLeading()
                        : elements.get(e));
                first = false;
            }
        }
        elements.clear();
        dropped.clear();
    }

    /** Whether tokens i, i+1, i+2 are {@code name.name}, a qualified name (not the tail of a longer one). */
    private static boolean pair(List<Token> tokens, int i) {
        return i + 2 < tokens.size() && tokens.get(i).isName() && tokens.get(i + 1).is(".")
                && tokens.get(i + 2).isName() && (i == 0 || !tokens.get(i - 1).is("."));
    }

    /** Whether tokens i, i+1, i+2 name a relation: a qualified name not followed by a call's parenthesis. */
    private static boolean qualified(List<Token> tokens, int i) {
        return pair(tokens, i) && !calledAsFunction(tokens, i + 2);
    }

    private static boolean calledAsFunction(List<Token> tokens, int i) {
        return i + 1 < tokens.size() && tokens.get(i + 1).is("(");
    }
}
