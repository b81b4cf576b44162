package io.pgsync.sink.ddl;

import static io.pgsync.common.pg.Identifiers.quote;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.kafka.connect.errors.DataException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.pgsync.common.event.DdlEvent;
import io.pgsync.common.pg.TableRef;
import io.pgsync.sink.ddl.TableDefinition.Column;
import io.pgsync.sink.ddl.TableDefinition.Constraint;
import io.pgsync.sink.mapping.NameMapping;

/**
 * Turns a captured DDL command into the statements that make the destination match the source after it, under the
 * sink's naming rules ({@link NameMapping}).
 *
 * <p>A table's change is worked out from its definitions before and after the command, column by column number: a
 * column whose number stays and whose name changes is renamed, not dropped and added. Example: before
 * {@code [1 id integer, 2 note text]}, after {@code [1 id bigint, 3 remark text]} gives
 * {@code ALTER TABLE ... DROP COLUMN IF EXISTS note}, {@code ... ALTER COLUMN id TYPE bigint USING id::bigint} and
 * {@code ... ADD COLUMN remark text}. Other objects come with DDL the source generated from its catalog, which runs
 * unchanged.
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
            switch (kind) {
                case "table" -> table(event.query(), mapped(TableDefinition.of(command.get("before")), mapping),
                        mapped(TableDefinition.of(command.get("after")), mapping), mapping, steps);
                case "statements", "verbatim" -> command.path("statements").forEach(sql -> {
                    Optional<String> rewritten = mapping.rewrite(sql.asText(), null);
                    if (rewritten.isPresent()) {
                        steps.add(new Step(object, rewritten.get()));
                    } else {
                        log.warn("Not applied at the destination under the naming rules (it needs a column that "
                                + "columns.exclude leaves out, or ties a sequence to a table in another schema): {}",
                                sql.asText());
                    }
                });
                case "unsupported" -> throw new UntranslatableDdlException(event.tag() + " on " + object
                        + " ran inside a function or in a query string of several statements (" + event.query()
                        + "), and pgsync neither generates DDL for it nor can replay that text as the command alone."
                        + " Apply the same change at the destination yourself, then skip this record with "
                        + "errors.tolerance=all and a dead letter queue, or run such DDL as a statement of its own");
                default -> throw new DataException("Unknown DDL command kind '" + kind + "' in a "
                        + DdlEvent.SCHEMA_NAME + " record");
            }
        }
        return steps;
    }

    private static TableDefinition mapped(TableDefinition table, NameMapping mapping) {
        return table == null ? null : table.mapped(mapping);
    }

    private static void table(String query, TableDefinition before, TableDefinition after, NameMapping mapping,
            List<Step> steps) {
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
            alter(mapping.rewrite(query, null).orElse(""), before, after, steps);
        }
    }

    private static void create(TableDefinition table, List<Step> steps) {
        StringBuilder sql = new StringBuilder("CREATE ").append(table.unlogged() ? "UNLOGGED " : "")
                .append("TABLE IF NOT EXISTS ").append(table.table().quoted());
        if (table.parent() != null) {
            sql.append(" PARTITION OF ").append(table.parent().quoted()).append(' ').append(table.bound());
        } else {
            sql.append(" (");
            boolean first = true;
            for (Column column : table.columns()) {
                sql.append(first ? "" : ", ").append(columnDefinition(column));
                first = false;
            }
            sql.append(')');
        }
        if (table.partitionKey() != null) {
            sql.append(" PARTITION BY ").append(table.partitionKey());
        }
        if (!table.options().isEmpty()) {
            sql.append(" WITH (").append(String.join(", ", table.options())).append(')');
        }
        add(steps, table.table(), sql.toString());
        for (Constraint constraint : table.constraints()) {
            if (constraint.local()) {
                add(steps, table.table(), alterTable(table.table()) + "ADD CONSTRAINT " + quote(constraint.name())
                        + " " + constraint.definition());
            }
        }
        if (!"d".equals(table.replicaIdentity())) {
            add(steps, table.table(), alterTable(table.table()) + replicaIdentity(table));
        }
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

    private static void alter(String query, TableDefinition before, TableDefinition after, List<Step> steps) {
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
        if (before.parent() != null && !Objects.equals(before.parent(), after.parent())) {
            add(steps, table, alterTable(before.parent()) + "DETACH PARTITION " + table.quoted());
        }
        Map<String, Constraint> kept = new HashMap<>();
        after.constraints().forEach(constraint -> kept.put(constraint.name(), constraint));
        for (Constraint constraint : before.constraints()) {
            if (constraint.local() && !constraint.equals(kept.get(constraint.name()))) {
                add(steps, table, alterTable(table) + "DROP CONSTRAINT IF EXISTS " + quote(constraint.name()));
            }
        }
        Map<Integer, Column> old = new LinkedHashMap<>();
        before.columns().forEach(column -> old.put(column.number(), column));
        Map<Integer, Column> now = new LinkedHashMap<>();
        after.columns().forEach(column -> now.put(column.number(), column));
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
            } else if (column.local() || was.local()) {
                alterColumn(query, table, was, column, steps);
            }
        }
        Map<String, Constraint> previous = new HashMap<>();
        before.constraints().forEach(constraint -> previous.put(constraint.name(), constraint));
        for (Constraint constraint : after.constraints()) {
            if (constraint.local() && !constraint.equals(previous.get(constraint.name()))) {
                add(steps, table, alterTable(table) + "ADD CONSTRAINT " + quote(constraint.name()) + " "
                        + constraint.definition());
            }
        }
        if (!before.replicaIdentity().equals(after.replicaIdentity())
                || !Objects.equals(before.replicaIdentityIndex(), after.replicaIdentityIndex())) {
            add(steps, table, alterTable(table) + replicaIdentity(after));
        }
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
        if (after.parent() != null && !Objects.equals(before.parent(), after.parent())) {
            add(steps, table, alterTable(after.parent()) + "ATTACH PARTITION " + table.quoted() + " "
                    + after.bound());
        }
    }

    private static void alterColumn(String query, TableRef table, Column was, Column column, List<Step> steps) {
        String name = quote(column.name());
        String alter = alterTable(table) + "ALTER COLUMN " + name + " ";
        if (!was.name().equals(column.name())) {
            add(steps, table, alterTable(table) + "RENAME COLUMN " + quote(was.name()) + " TO " + name);
        }
        boolean retyped = !was.type().equals(column.type()) || !Objects.equals(was.collation(), column.collation());
        if (was.defaultExpression() != null && (column.defaultExpression() == null
                || retyped && !was.defaultExpression().equals(column.defaultExpression()))) {
            add(steps, table, alter + "DROP DEFAULT");
        }
        if (was.generated() != null && column.generated() == null) {
            add(steps, table, alter + "DROP EXPRESSION IF EXISTS");
        }
        if (retyped) {
            add(steps, table, alter + "TYPE " + column.type()
                    + (column.collation() == null ? "" : " COLLATE " + column.collation())
                    + " USING " + using(query, was.name(), name, column.type()));
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
     * The USING expression of a type change: the one the source statement gave for the column, when its text holds
     * one ({@code ALTER COLUMN price TYPE numeric USING price / 100}), else a cast of the column.
     */
    static String using(String query, String column, String quotedColumn, String type) {
        String name = "(?:" + Pattern.quote(column) + "|" + Pattern.quote(quote(column)) + ")";
        Pattern pattern = Pattern.compile("(?is)ALTER\\s+(?:COLUMN\\s+)?" + name
                + "\\s+(?:SET\\s+DATA\\s+)?TYPE\\s+.+?\\s+USING\\s+(.+?)\\s*(?:,\\s*(?:ALTER|ADD|DROP|RENAME|SET|"
                + "VALIDATE|OWNER|CLUSTER|REPLICA|ENABLE|DISABLE|INHERIT|NO|ATTACH|DETACH)\\s|;|$)");
        Matcher matcher = pattern.matcher(query == null ? "" : query);
        return matcher.find() ? matcher.group(1) : quotedColumn + "::" + type;
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
