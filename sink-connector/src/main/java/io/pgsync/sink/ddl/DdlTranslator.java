package io.pgsync.sink.ddl;

import static io.pgsync.common.pg.Identifiers.quote;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.StringJoiner;

import org.apache.kafka.connect.errors.DataException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.pgsync.common.event.DdlEvent;
import io.pgsync.common.pg.Literals;
import io.pgsync.common.pg.SessionSettings;
import io.pgsync.common.pg.TableRef;
import io.pgsync.common.sql.SqlLexer;
import io.pgsync.sink.ddl.TableDefinition.Column;
import io.pgsync.sink.ddl.TableDefinition.Constraint;
import io.pgsync.sink.ddl.TableDefinition.Parent;
import io.pgsync.sink.mapping.NameMapping;

/**
 * Turns a captured DDL command into the statements that make the destination match the source after it, under the
 * sink's naming rules ({@link NameMapping}).
 *
 * <p>A table's change is worked out from its definitions before and after the command, column by column number: a
 * column whose number stays and whose name changes is renamed, not dropped and added. Example: before
 * {@code [1 id integer, 2 note text]}, after {@code [1 id bigint, 3 remark text]} gives
 * {@code ALTER TABLE ... DROP COLUMN IF EXISTS note}, {@code ... ALTER COLUMN id TYPE bigint} and
 * {@code ... ADD COLUMN remark text}. A type change takes the {@code USING} expression of the statement that made
 * it ({@link TypeConversion}), and only when the capture knows that statement for certain; otherwise nothing is
 * guessed: the step only checks that someone made the change at the destination, and stops the sink saying so.
 * Other objects come with DDL the source generated from its catalog, which runs unchanged; statement text is replayed
 * only when it is exactly one statement.
 */
public final class DdlTranslator {

    private static final Logger log = LoggerFactory.getLogger(DdlTranslator.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private DdlTranslator() {
    }

    /**
     * One statement to run and what it does, for messages.
     *
     * @param object the object it changes, e.g. {@code table app.orders}
     */
    public record Step(String object, String sql) {
    }

    /**
     * Returns the statements of the event, in order.
     *
     * @throws UntranslatableDdlException for a command pgsync neither generates nor can replay as its text
     * @throws DataException when the commands are not valid JSON
     */
    public static List<Step> translate(DdlEvent event, NameMapping mapping) {
        JsonNode commands;
        try {
            commands = JSON.readTree(event.commands());
        } catch (JsonProcessingException e) {
            throw new DataException("Malformed commands in a " + DdlEvent.SCHEMA_NAME + " record: " + e.getMessage(),
                    e);
        }
        List<Step> steps = new ArrayList<>();
        for (JsonNode command : commands) {
            String kind = command.path("kind").asText();
            String object = command.path("type").asText() + " " + command.path("identity").asText();
            Origin origin = Origin.of(command);
            switch (kind) {
                case "table" -> {
                    TableDefinition before = TableDefinition.of(command.get("before"));
                    TableDefinition after = TableDefinition.of(command.get("after"));
                    Conversions conversions = new Conversions(event.query(), origin, before, mapping);
                    table(conversions, mapped(before, mapping), mapped(after, mapping), mapping, steps);
                }
                case "statements" -> command.path("statements").forEach(sql -> add(steps, object, sql.asText(),
                        mapping));
                case "verbatim" -> {
                    // the statement's unqualified names: its object's schema, then the catalog, as the sessions
                    // that run such DDL on the source mostly have it (the DDL session sets it back afterwards)
                    String schema = command.path("schema").isTextual() ? command.path("schema").asText() : null;
                    steps.add(new Step(object, "SET LOCAL search_path = " + (schema == null ? ""
                            : quote(mapping.schema(schema)) + ", ") + SessionSettings.SEARCH_PATH));
                    command.path("statements").forEach(sql -> {
                        if (!isOneStatement(sql.asText(), origin)) {
                            throw new UntranslatableDdlException(event.tag() + " on " + object + " came as "
                                    + "statement text that is not exactly one statement, which pgsync never runs at "
                                    + "the destination: " + sql.asText());
                        }
                        add(steps, object, sql.asText(), mapping);
                    });
                }
                case "unsupported" -> throw new UntranslatableDdlException(event.tag() + " on " + object + " "
                        + origin.where() + ", and pgsync neither generates DDL for it nor replays statement text "
                        + "it cannot pin down as exactly that command (" + origin.why() + "). Apply the same change "
                        + "at the destination yourself, then skip this record with errors.tolerance=all and a dead "
                        + "letter queue" + (origin.source() == Source.CREDENTIALS ? "" : ", or run such DDL as a statement "
                                + "of its own"));
                default -> throw new DataException("Unknown DDL command kind '" + kind + "' in a "
                        + DdlEvent.SCHEMA_NAME + " record");
            }
        }
        return steps;
    }

    private static void add(List<Step> steps, String object, String sql, NameMapping mapping) {
        Optional<String> rewritten = mapping.rewrite(sql, null);
        if (rewritten.isPresent()) {
            steps.add(new Step(object, rewritten.get()));
        } else {
            log.warn("Not applied at the destination under the naming rules (it needs a column that "
                    + "columns.exclude leaves out, or ties a sequence to a table in another schema): {}", sql);
        }
    }

    /** Whether statement text holds exactly one statement, lexed as the source session lexed it. */
    private static boolean isOneStatement(String sql, Origin origin) {
        return SqlLexer.lex(sql, origin.standardConformingStrings()).singleStatement()
                .filter(statement -> statement.equals(sql.strip())).isPresent();
    }

    private static TableDefinition mapped(TableDefinition table, NameMapping mapping) {
        return table == null ? null : table.mapped(mapping);
    }

    private static void table(Conversions conversions, TableDefinition before, TableDefinition after,
            NameMapping mapping, List<Step> steps) {
        if (before == null && after == null) {
            return;
        }
        if (before == null) {
            if (!mapping.isNone()) {
                add(steps, after.table(), "CREATE SCHEMA IF NOT EXISTS " + quote(after.table().schema()));
            }
            create(after, steps);
        } else if (after == null) {
            add(steps, before.table(), "DROP TABLE IF EXISTS " + before.table().quoted() + " CASCADE");
        } else {
            alter(conversions, before, after, steps);
        }
    }

    private static void create(TableDefinition table, List<Step> steps) {
        StringBuilder sql = new StringBuilder("CREATE ").append(table.unlogged() ? "UNLOGGED " : "")
                .append("TABLE IF NOT EXISTS ").append(table.table().quoted());
        if (table.parent() != null) {
            sql.append(" PARTITION OF ").append(table.parent().table().quoted()).append(' ').append(table.bound());
        } else {
            sql.append(" (");
            boolean first = true;
            for (Column column : table.columns()) {
                // a column only a parent defines comes with INHERITS; listed, it would become the table's own too
                if (column.local()) {
                    sql.append(first ? "" : ", ").append(columnDefinition(column));
                    first = false;
                }
            }
            sql.append(')');
            if (!table.inherits().isEmpty()) {
                StringJoiner parents = new StringJoiner(", ", " INHERITS (", ")");
                table.inherits().forEach(parent -> parents.add(parent.table().quoted()));
                sql.append(parents);
            }
        }
        if (table.partitionKey() != null) {
            sql.append(" PARTITION BY ").append(table.partitionKey());
        }
        if (!table.options().isEmpty()) {
            sql.append(" WITH (").append(String.join(", ", table.options())).append(')');
        }
        add(steps, table.table(), sql.toString());
        for (Column column : table.columns()) {
            if (!column.local()) {
                inheritedColumn(table.table(), null, column, steps);
            }
        }
        for (Constraint constraint : table.constraints()) {
            if (constraint.local()) {
                add(steps, table.table(), alterTable(table.table()) + "ADD CONSTRAINT " + quote(constraint.name())
                        + " " + constraint.definition());
            }
        }
        if (!"d".equals(table.replicaIdentity())) {
            add(steps, table.table(), alterTable(table.table()) + replicaIdentity(table));
        }
        rowSecurity(null, table, steps);
    }

    private static String columnDefinition(Column column) {
        StringBuilder sql = new StringBuilder(quote(column.name())).append(' ').append(column.type());
        if (column.collation() != null) {
            sql.append(" COLLATE ").append(column.collation());
        }
        if (column.generated() != null) {
            sql.append(" GENERATED ALWAYS AS (").append(column.generated()).append(") STORED");
        }
        if (column.identity() != null) {
            sql.append(" GENERATED ").append(identityKind(column.identity())).append(" AS IDENTITY");
        }
        if (column.defaultExpression() != null) {
            sql.append(" DEFAULT ").append(column.defaultExpression());
        }
        if (column.notNull()) {
            sql.append(" NOT NULL");
        }
        return sql.toString();
    }

    private static void alter(Conversions conversions, TableDefinition before, TableDefinition after,
            List<Step> steps) {
        TableRef current = before.table();
        if (!before.table().schema().equals(after.table().schema())) {
            current = new TableRef(after.table().schema(), current.table());
            add(steps, current, alterTable(before.table()) + "SET SCHEMA " + quote(current.schema()));
        }
        if (!current.table().equals(after.table().table())) {
            add(steps, after.table(), alterTable(current) + "RENAME TO " + quote(after.table().table()));
            current = after.table();
        }
        TableRef table = current;
        // a parent is told by its OID: a parent renamed is the same parent under another name
        if (before.parent() != null && !before.parent().same(after.parent())) {
            add(steps, table, alterTable(before.parent().table()) + "DETACH PARTITION " + table.quoted());
        }
        for (Parent parent : before.inherits()) {
            if (after.inherits().stream().noneMatch(parent::same)) {
                add(steps, table, alterTable(table) + "NO INHERIT " + parent.table().quoted());
            }
        }
        // Only what was made on this table itself: a column or constraint that comes from a parent changes with the
        // parent's command, which the destination passes on to its children as the source did (and refuses on a
        // child alone: "cannot drop inherited constraint", "cannot alter inherited column").
        Map<Integer, Column> old = new LinkedHashMap<>();
        before.columns().forEach(column -> old.put(column.number(), column));
        Map<Integer, Column> now = new LinkedHashMap<>();
        after.columns().forEach(column -> now.put(column.number(), column));
        // a constraint that names a renamed column is the same constraint under the new name: the rename carries it
        Map<String, String> renamed = new HashMap<>();
        for (Column column : after.columns()) {
            Column was = old.get(column.number());
            if (was != null && !was.name().equals(column.name())) {
                renamed.put(was.name(), column.name());
            }
        }
        NameMapping renames = NameMapping.columnRenames(before.table(), renamed);
        Map<String, Constraint> kept = new HashMap<>();
        after.constraints().forEach(constraint -> kept.put(constraint.name(), constraint));
        for (Constraint constraint : before.constraints()) {
            Constraint was = renamed(constraint, renames, before.table());
            Constraint remaining = kept.get(constraint.name());
            if (remaining == null ? was.local() : remaining.local() && !sameConstraint(was, remaining)) {
                add(steps, table, alterTable(table) + "DROP CONSTRAINT IF EXISTS " + quote(constraint.name()));
            }
        }
        for (Column column : before.columns()) {
            if (column.local() && !now.containsKey(column.number())) {
                add(steps, table, alterTable(table) + "DROP COLUMN IF EXISTS " + quote(column.name()));
            }
        }
        for (Column column : after.columns()) {
            Column was = old.get(column.number());
            if (was == null) {
                if (column.local()) {
                    add(steps, table, alterTable(table) + "ADD COLUMN " + columnDefinition(column));
                }
            } else if (column.local()) {
                alterColumn(conversions, table, was, column, steps);
            } else {
                inheritedColumn(table, was, column, steps);
            }
        }
        Map<String, Constraint> previous = new HashMap<>();
        before.constraints().forEach(constraint -> previous.put(constraint.name(), constraint));
        for (Constraint constraint : after.constraints()) {
            Constraint was = previous.get(constraint.name());
            if (constraint.local() && (was == null || !sameConstraint(renamed(was, renames, before.table()),
                    constraint))) {
                add(steps, table, alterTable(table) + "ADD CONSTRAINT " + quote(constraint.name()) + " "
                        + constraint.definition());
            }
        }
        if (!before.replicaIdentity().equals(after.replicaIdentity())
                || !Objects.equals(before.replicaIdentityIndex(), after.replicaIdentityIndex())) {
            add(steps, table, alterTable(table) + replicaIdentity(after));
        }
        rowSecurity(before, after, steps);
        if (before.unlogged() != after.unlogged()) {
            add(steps, table, alterTable(table) + (after.unlogged() ? "SET UNLOGGED" : "SET LOGGED"));
        }
        if (!before.options().equals(after.options())) {
            List<String> removed = new ArrayList<>();
            for (String option : before.options()) {
                String name = option.substring(0, option.indexOf('='));
                if (after.options().stream().noneMatch(o -> o.startsWith(name + "="))) {
                    removed.add(name);
                }
            }
            if (!removed.isEmpty()) {
                add(steps, table, alterTable(table) + "RESET (" + String.join(", ", removed) + ")");
            }
            if (!after.options().isEmpty()) {
                add(steps, table, alterTable(table) + "SET (" + String.join(", ", after.options()) + ")");
            }
        }
        if (after.parent() != null && !after.parent().same(before.parent())) {
            add(steps, table, alterTable(after.parent().table()) + "ATTACH PARTITION " + table.quoted() + " "
                    + after.bound());
        }
        for (Parent parent : after.inherits()) {
            if (before.inherits().stream().noneMatch(parent::same)) {
                add(steps, table, alterTable(table) + "INHERIT " + parent.table().quoted());
            }
        }
    }

    /**
     * Whether two constraints of a table are the same constraint, whether or not it comes from a parent: a constraint
     * a partition already has becomes its parent's when the parent gets the same one or the partition is attached
     * (still {@code local} on an inheritance child), and a partition's become its own when it is detached. Such a
     * change follows the parent's command at the destination too, so the child's diff leaves it alone.
     */
    private static boolean sameConstraint(Constraint a, Constraint b) {
        return a.type().equals(b.type()) && tokens(a.definition()).equals(tokens(b.definition()));
    }

    /** The text's tokens as PostgreSQL reads them: names by name, whether quoted or not, without whitespace. */
    private static List<String> tokens(String sql) {
        return SqlLexer.lex(sql).tokens().stream().filter(SqlLexer.Token::significant)
                .map(token -> token.isName() ? quote(token.value()) : token.text()).toList();
    }

    /** The constraint with the columns a rename renamed under their new names. */
    private static Constraint renamed(Constraint constraint, NameMapping renames, TableRef table) {
        return renames.rewrite(constraint.definition(), table)
                .map(definition -> new Constraint(constraint.name(), constraint.type(), definition, constraint.local()))
                .orElse(constraint);
    }

    private static void alterColumn(Conversions conversions, TableRef table, Column was, Column column,
            List<Step> steps) {
        String name = quote(column.name());
        String alter = alterTable(table) + "ALTER COLUMN " + name + " ";
        // an inherited column is renamed and retyped by its parent's command, and refuses both on its own
        if (!was.name().equals(column.name()) && !column.inherited()) {
            add(steps, table, alterTable(table) + "RENAME COLUMN " + quote(was.name()) + " TO " + name);
        }
        boolean retyped = !column.inherited()
                && (!was.type().equals(column.type()) || !Objects.equals(was.collation(), column.collation()));
        if (was.defaultExpression() != null && (column.defaultExpression() == null
                || retyped && !was.defaultExpression().equals(column.defaultExpression()))) {
            add(steps, table, alter + "DROP DEFAULT");
        }
        if (was.generated() != null && column.generated() == null) {
            add(steps, table, alter + "DROP EXPRESSION IF EXISTS");
        }
        if (retyped) {
            Optional<String> using = conversions.clause(column.number());
            if (using.isEmpty()) {
                steps.add(uncertainTypeChange(conversions.origin(), table, was, column));
            } else {
                add(steps, table, alter + "TYPE " + column.type()
                        + (column.collation() == null ? "" : " COLLATE " + column.collation()) + using.get());
            }
        }
        if (column.defaultExpression() != null && !column.defaultExpression().equals(was.defaultExpression())) {
            add(steps, table, alter + "SET DEFAULT " + column.defaultExpression());
        }
        if (was.notNull() != column.notNull()) {
            add(steps, table, alter + (column.notNull() ? "SET NOT NULL" : "DROP NOT NULL"));
        }
        if (!Objects.equals(was.identity(), column.identity())) {
            if (column.identity() == null) {
                add(steps, table, alter + "DROP IDENTITY IF EXISTS");
            } else if (was.identity() == null) {
                add(steps, table, alter + "ADD GENERATED " + identityKind(column.identity()) + " AS IDENTITY");
            } else {
                add(steps, table, alter + "SET GENERATED " + identityKind(column.identity()));
            }
        }
    }

    /**
     * A column that comes from a parent: its name and type change with the parent's command (and so does all of it
     * when either changed), but its DEFAULT and a NOT NULL may be the table's own (a NOT NULL the parent has cannot
     * be dropped on the table alone). On a table just created ({@code was} null) the parent's are set again, which
     * changes nothing where the table has the parent's.
     */
    private static void inheritedColumn(TableRef table, Column was, Column column, List<Step> steps) {
        if (was != null && (!was.name().equals(column.name()) || !was.type().equals(column.type()))) {
            return;
        }
        String wasDefault = was == null ? null : was.defaultExpression();
        String alter = alterTable(table) + "ALTER COLUMN " + quote(column.name()) + " ";
        if (column.generated() == null && !Objects.equals(wasDefault, column.defaultExpression())) {
            add(steps, table, alter + (column.defaultExpression() == null ? "DROP DEFAULT"
                    : "SET DEFAULT " + column.defaultExpression()));
        }
        if (column.notNull() && (was == null || !was.notNull())) {
            add(steps, table, alter + "SET NOT NULL");
        }
    }

    /**
     * A type change whose conversion the source statement cannot tell for certain (it ran inside a function, in a
     * query string of several statements, ...): a step that does nothing when the destination column already has the
     * new type, and otherwise stops the sink, naming the column and the fix, instead of guessing a conversion.
     */
    private static Step uncertainTypeChange(Origin origin, TableRef table, Column was, Column column) {
        String message = "The type of column " + table + "." + column.name() + " changed from " + was.type() + " to "
                + column.type() + " on the source by a statement that " + origin.where() + ", so pgsync cannot "
                + "tell which USING expression, if any, converted its values (" + origin.why() + "), and does not "
                + "guess one. Make the same change at the destination, e.g. ALTER TABLE " + table.quoted()
                + " ALTER COLUMN " + quote(column.name()) + " TYPE " + column.type() + " USING <the expression "
                + "the source used>, then restart the task: it goes on once the column has its new type";
        String current = "SELECT pg_catalog.format_type(a.atttypid, a.atttypmod) FROM pg_catalog.pg_attribute a "
                + "WHERE a.attrelid = " + Literals.quote(table.quoted()) + "::pg_catalog.regclass AND a.attname = "
                + Literals.quote(column.name()) + " AND NOT a.attisdropped";
        String body = "BEGIN IF (" + current + ") IS DISTINCT FROM " + Literals.quote(column.type())
                + " THEN RAISE EXCEPTION USING MESSAGE = " + Literals.quote(message)
                + ", ERRCODE = 'feature_not_supported'; END IF; END";
        return new Step("table " + table, "DO " + Literals.dollarQuote(body));
    }

    /** How the capture came by the source statement of a command (the message's {@code origin}). */
    enum Source {
        STATEMENT("ran as a statement of its own", "its text is the command"),
        FUNCTION("ran inside a function or DO block", "the text the source received is the call, not the command"),
        QUERY_STRING("ran in a query string of several statements",
                "the capture never sends such a string, which may hold other statements and their data"),
        TOO_LONG("ran in a query string too long for the capture to read", "the capture reads up to "
                + "100000 characters"),
        CREDENTIALS("may carry credentials in its text (OPTIONS, CONNECTION, PASSWORD)",
                "the capture never sends such text"),
        UNKNOWN("ran in a way the capture did not record", "the capture that sent it predates this sink");

        private final String where;
        private final String why;

        Source(String where, String why) {
            this.where = where;
            this.why = why;
        }
    }

    /**
     * Where the statement of a command came from, and how the source session lexed it.
     *
     * @param standardConformingStrings the source session's {@code standard_conforming_strings}
     */
    record Origin(Source source, boolean standardConformingStrings) {

        String where() {
            return source.where;
        }

        String why() {
            return source.why;
        }

        static Origin of(JsonNode command) {
            Source source = switch (command.path("origin").asText("")) {
                case "statement" -> Source.STATEMENT;
                case "function" -> Source.FUNCTION;
                case "query string" -> Source.QUERY_STRING;
                case "too long" -> Source.TOO_LONG;
                case "credentials" -> Source.CREDENTIALS;
                default -> Source.UNKNOWN;
            };
            return new Origin(source, command.path("standardConformingStrings").asBoolean(true));
        }
    }

    /**
     * The conversions of the retyped columns of one table command, as far as the source statement tells them.
     *
     * @param statement the statement the source ran, when the capture knows it for certain; else empty
     * @param before the table's source definition before the command (source names), or null
     */
    record Conversions(String statement, Origin origin, TableDefinition before, NameMapping mapping) {

        /**
         * The {@code USING} clause for the column of that number (" USING expression" under the naming rules, or
         * "" when the statement gave none); empty when it cannot be known: the statement is not known, or its
         * expression needs a column the naming rules leave out.
         */
        Optional<String> clause(int number) {
            if (origin.source() != Source.STATEMENT || statement == null || statement.isBlank() || before == null) {
                return Optional.empty();
            }
            Optional<Column> column = before.columns().stream().filter(c -> c.number() == number).findFirst();
            if (column.isEmpty()) {
                return Optional.empty();
            }
            Optional<String> using = TypeConversion.using(statement, origin.standardConformingStrings(),
                    column.get().name());
            if (using.isEmpty()) {
                return Optional.of("");
            }
            return mapping.rewrite(using.get(), before.table()).map(expression -> " USING " + expression);
        }
    }

    /** Enables, disables, forces or unforces row-level security where it changed (from nothing, for a new table). */
    private static void rowSecurity(TableDefinition before, TableDefinition after, List<Step> steps) {
        if (after.rowSecurity() != (before != null && before.rowSecurity())) {
            add(steps, after.table(), alterTable(after.table()) + (after.rowSecurity() ? "ENABLE" : "DISABLE")
                    + " ROW LEVEL SECURITY");
        }
        if (after.forceRowSecurity() != (before != null && before.forceRowSecurity())) {
            add(steps, after.table(), alterTable(after.table()) + (after.forceRowSecurity() ? "FORCE" : "NO FORCE")
                    + " ROW LEVEL SECURITY");
        }
    }

    private static String identityKind(String identity) {
        return "a".equals(identity) ? "ALWAYS" : "BY DEFAULT";
    }

    private static String replicaIdentity(TableDefinition table) {
        return switch (table.replicaIdentity()) {
            case "f" -> "REPLICA IDENTITY FULL";
            case "n" -> "REPLICA IDENTITY NOTHING";
            case "i" -> "REPLICA IDENTITY USING INDEX " + quote(table.replicaIdentityIndex());
            default -> "REPLICA IDENTITY DEFAULT";
        };
    }

    private static String alterTable(TableRef table) {
        return "ALTER TABLE " + table.quoted() + " ";
    }

    private static void add(List<Step> steps, TableRef table, String sql) {
        steps.add(new Step("table " + table, sql));
    }

    /** A DDL command that the sink can neither translate nor replay. */
    public static final class UntranslatableDdlException extends RuntimeException {
        UntranslatableDdlException(String message) {
            super(message);
        }
    }
}
