package io.pgsync.sink.ddl;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

import io.pgsync.common.pg.TableRef;
import io.pgsync.sink.mapping.NameMapping;

/**
 * A source table as pgsync's event trigger describes it (function {@code pgsync.ddl_table}): its name, kind,
 * partitioning, columns by number and constraints. Types and expressions are the source's own text, with every name
 * qualified.
 *
 * @param table the table's schema and name
 * @param partitioned whether it is a partitioned table (relkind {@code p})
 * @param unlogged whether it is unlogged
 * @param options its storage parameters, e.g. {@code fillfactor=70}
 * @param partitionKey for a partitioned table, e.g. {@code RANGE (k)}; else null
 * @param parent for a partition, its parent table; else null
 * @param inherits for a table that is no partition, the tables it inherits from ({@code INHERITS}), in order
 * @param bound for a partition, e.g. {@code FOR VALUES FROM (0) TO (10)}; else null
 * @param replicaIdentity {@code d}, {@code f}, {@code n} or {@code i}
 * @param replicaIdentityIndex with {@code i}, the index's name
 * @param rowSecurity whether row-level security is enabled ({@code ENABLE ROW LEVEL SECURITY})
 * @param forceRowSecurity whether it applies to the table's owner too ({@code FORCE ROW LEVEL SECURITY})
 * @param columns the columns in number order
 * @param constraints primary key, unique, check, foreign key and exclusion constraints
 */
record TableDefinition(TableRef table, boolean partitioned, boolean unlogged, List<String> options,
        String partitionKey, Parent parent, List<Parent> inherits, String bound, String replicaIdentity,
        String replicaIdentityIndex, boolean rowSecurity, boolean forceRowSecurity, List<Column> columns,
        List<Constraint> constraints) {

    /**
     * A parent table.
     *
     * @param oid its OID on the source, which a rename keeps; 0 from a capture that predates it
     */
    record Parent(TableRef table, long oid) {

        /** Whether both name the same table: the same OID, or the same name when an OID is missing. */
        boolean same(Parent other) {
            return other != null && (oid != 0 && other.oid != 0 ? oid == other.oid : table.equals(other.table));
        }

        Parent mapped(NameMapping mapping) {
            return new Parent(mapping.table(table), oid);
        }

        static Parent of(JsonNode node) {
            return new Parent(new TableRef(node.path("schema").asText(), node.path("name").asText()),
                    node.path("oid").asLong(0));
        }
    }

    /**
     * A column.
     *
     * @param number its attnum, which a rename keeps
     * @param type its type, e.g. {@code character varying(20)} or {@code app.mood}
     * @param defaultExpression its default, or null
     * @param generated for a generated column, its expression; else null
     * @param identity {@code a} (always) or {@code d} (by default) for an identity column; else null
     * @param collation its collation when not its type's default, qualified; else null
     * @param local false when it only comes from a parent (a partition's columns)
     * @param inherited whether it comes from a parent, whether or not the table defines it too; its name and type
     *     then change only with the parent's
     */
    record Column(int number, String name, String type, boolean notNull, String defaultExpression, String generated,
            String identity, String collation, boolean local, boolean inherited) {
    }

    /**
     * A constraint.
     *
     * @param type {@code p}, {@code u}, {@code c}, {@code f} or {@code x}
     * @param definition as {@code pg_get_constraintdef} prints it, e.g. {@code CHECK ((price > 0))}
     * @param local false when it only comes from a parent
     */
    record Constraint(String name, String type, String definition, boolean local) {
    }

    /**
     * The definition under the naming rules: destination names, excluded columns left out, with the constraints and
     * defaults that need them.
     */
    TableDefinition mapped(NameMapping mapping) {
        if (mapping.isNone()) {
            return this;
        }
        List<Column> mappedColumns = new ArrayList<>();
        for (Column column : columns) {
            if (!mapping.excluded(table, column.name())) {
                mappedColumns.add(new Column(column.number(), mapping.column(table, column.name()), column.type(),
                        column.notNull(), expression(mapping, column.defaultExpression()),
                        expression(mapping, column.generated()), column.identity(), column.collation(),
                        column.local(), column.inherited()));
            }
        }
        List<Constraint> mappedConstraints = new ArrayList<>();
        for (Constraint constraint : constraints) {
            mapping.rewrite(constraint.definition(), table).ifPresent(definition -> mappedConstraints.add(
                    new Constraint(constraint.name(), constraint.type(), definition, constraint.local())));
        }
        return new TableDefinition(mapping.table(table), partitioned, unlogged, options,
                expression(mapping, partitionKey), parent == null ? null : parent.mapped(mapping),
                inherits.stream().map(p -> p.mapped(mapping)).toList(), bound, replicaIdentity, replicaIdentityIndex,
                rowSecurity, forceRowSecurity, mappedColumns, mappedConstraints);
    }

    private String expression(NameMapping mapping, String expression) {
        return expression == null ? null : mapping.rewrite(expression, table).orElse(null);
    }

    /** Reads a definition; null for a JSON null or a missing one. */
    static TableDefinition of(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        List<String> options = new ArrayList<>();
        node.path("options").forEach(option -> options.add(option.asText()));
        List<Column> columns = new ArrayList<>();
        for (JsonNode column : node.path("columns")) {
            columns.add(new Column(column.path("num").asInt(), column.path("name").asText(),
                    column.path("type").asText(), column.path("notNull").asBoolean(), text(column, "default"),
                    text(column, "generated"), text(column, "identity"), text(column, "collation"),
                    column.path("local").asBoolean(true), column.path("inherited").asBoolean(false)));
        }
        List<Constraint> constraints = new ArrayList<>();
        for (JsonNode constraint : node.path("constraints")) {
            constraints.add(new Constraint(constraint.path("name").asText(), constraint.path("type").asText(),
                    constraint.path("definition").asText(), constraint.path("local").asBoolean(true)));
        }
        JsonNode parent = node.path("parent");
        List<Parent> inherits = new ArrayList<>();
        node.path("inherits").forEach(table -> inherits.add(Parent.of(table)));
        return new TableDefinition(new TableRef(node.path("schema").asText(), node.path("name").asText()),
                "p".equals(node.path("kind").asText()), node.path("unlogged").asBoolean(), options,
                text(node, "partitionKey"), parent.isObject() ? Parent.of(parent) : null, inherits,
                text(node, "bound"), node.path("replicaIdentity").asText("d"), text(node, "replicaIdentityIndex"),
                node.path("rowSecurity").asBoolean(false), node.path("forceRowSecurity").asBoolean(false), columns,
                constraints);
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }
}
