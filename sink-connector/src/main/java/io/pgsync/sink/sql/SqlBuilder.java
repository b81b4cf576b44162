package io.pgsync.sink.sql;

import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

import io.pgsync.common.pg.Identifiers;
import io.pgsync.common.pg.TableRef;
import io.pgsync.sink.schema.DestinationTable;

/**
 * Builds every statement the sink runs. Identifiers enter only through {@link Identifiers#quote}, values only as
 * parameters cast to the destination column's type, so the server parses each value with the column's own input
 * function.
 */
public final class SqlBuilder {

    private SqlBuilder() {
    }

    /**
     * Writes the source's value into an identity column, also one declared {@code GENERATED ALWAYS} (which refuses a
     * value without it); a table without identity columns ignores it.
     */
    private static final String OVERRIDING = " OVERRIDING SYSTEM VALUE";

    /**
     * {@code INSERT ... ON CONFLICT (key) DO UPDATE} of the given columns; a plain INSERT when the table has no
     * key, {@code DO NOTHING} when every column is part of the key.
     */
    public static Statement upsert(DestinationTable table, List<String> columns) {
        StringJoiner names = new StringJoiner(", ", " (", ")");
        StringJoiner values = new StringJoiner(", ", " VALUES (", ")");
        for (String column : columns) {
            names.add(Identifiers.quote(column));
            values.add(parameter(table, column));
        }
        String sql = "INSERT INTO " + table.table().quoted() + names + OVERRIDING + values
                + onConflict(table, columns);
        return new Statement(sql, columns);
    }

    /**
     * Like {@link #upsert}, but the {@code assembled} columns take the value put together from their pieces
     * ({@link #insertPiece}): their parameter is the pieces' reference, not a value.
     */
    public static Statement upsertAssembled(DestinationTable table, List<String> columns, List<String> assembled) {
        StringJoiner names = new StringJoiner(", ", " (", ")");
        StringJoiner values = new StringJoiner(", ", " VALUES (", ")");
        for (String column : columns) {
            names.add(Identifiers.quote(column));
            values.add(assembled.contains(column) ? "CAST((SELECT pg_catalog.string_agg(p.piece, '' ORDER BY p.n) "
                    + "FROM pg_temp." + PIECES + " AS p WHERE p.ref = ?) AS " + table.typeOf(column) + ")"
                    : parameter(table, column));
        }
        String sql = "INSERT INTO " + table.table().quoted() + names + OVERRIDING + values
                + onConflict(table, columns);
        return new Statement(sql, columns);
    }

    /** The session's temporary table of the pieces of large values, until their row is written. */
    private static final String PIECES = "pgsync_pieces";

    /** Creates the session's table of pieces, unless it exists. */
    public static Statement createPieces() {
        return new Statement("CREATE TEMPORARY TABLE IF NOT EXISTS " + PIECES
                + " (part integer NOT NULL, ref text NOT NULL, n integer NOT NULL, piece text NOT NULL)", List.of());
    }

    /** Stores one piece: parameters partition, reference, number within the value, text. */
    public static Statement insertPiece() {
        return new Statement("INSERT INTO pg_temp." + PIECES + " (part, ref, n, piece) VALUES (CAST(? AS integer), ?, "
                + "CAST(? AS integer), ?)", List.of("part", "ref", "n", "piece"));
    }

    /** Drops the pieces stored for one changelog partition; parameter: the partition. */
    public static Statement deletePieces() {
        return new Statement("DELETE FROM pg_temp." + PIECES + " WHERE part = CAST(? AS integer)", List.of("part"));
    }

    /** {@code DELETE ... WHERE} every key column equals its parameter. */
    public static Statement deleteByKey(DestinationTable table) {
        if (table.keyColumns().isEmpty()) {
            throw new IllegalArgumentException("Table " + table.table() + " has no primary key to delete by");
        }
        StringJoiner where = new StringJoiner(" AND ", " WHERE ", "");
        for (String column : table.keyColumns()) {
            where.add(Identifiers.quote(column) + " = " + parameter(table, column));
        }
        return new Statement("DELETE FROM " + table.table().quoted() + where, table.keyColumns());
    }

    /**
     * Set-wise upsert: one statement for any number of rows. Each parameter is a {@code text[]} holding one column's
     * values for all rows; {@code pg_catalog.unnest} turns them back into rows and each value is cast to its column's type.
     * {@code ON CONFLICT (key) DO UPDATE} as in {@link #upsert}; a plain INSERT when the table has no key.
     */
    public static Statement upsertRows(DestinationTable table, List<String> columns) {
        StringJoiner names = new StringJoiner(", ", " (", ")");
        StringJoiner casts = new StringJoiner(", ", " SELECT ", "");
        for (int i = 0; i < columns.size(); i++) {
            names.add(Identifiers.quote(columns.get(i)));
            casts.add("CAST(u.c" + i + " AS " + table.typeOf(columns.get(i)) + ")");
        }
        String sql = "INSERT INTO " + table.table().quoted() + names + OVERRIDING + casts + " FROM "
                + unnest(columns.size()) + onConflict(table, columns);
        return new Statement(sql, columns);
    }

    /** {@code DELETE FROM table}: every row, for a full sync that starts again. */
    public static Statement deleteAll(TableRef table) {
        return new Statement("DELETE FROM " + table.quoted(), List.of());
    }

    /** {@code COPY table (columns) FROM STDIN}, for rows in COPY text format. */
    public static Statement copyIn(TableRef table, List<String> columns) {
        return new Statement("COPY " + table.quoted() + columnList(columns) + " FROM STDIN", List.of());
    }

    /** {@code COPY stage (columns) FROM STDIN} into the session's staging table ({@link #createStage}). */
    public static Statement copyIntoStage(String stage, List<String> columns) {
        return new Statement("COPY pg_temp." + Identifiers.quote(stage) + columnList(columns) + " FROM STDIN",
                List.of());
    }

    /** A temporary staging table with the destination table's columns, for rows that are merged into it. */
    public static Statement createStage(String stage, TableRef table) {
        return new Statement("CREATE TEMPORARY TABLE " + Identifiers.quote(stage) + " (LIKE " + table.quoted()
                + ")", List.of());
    }

    public static Statement dropStage(String stage) {
        return new Statement("DROP TABLE IF EXISTS pg_temp." + Identifiers.quote(stage), List.of());
    }

    /** Upserts every staged row: {@code INSERT ... SELECT ... FROM stage ON CONFLICT (key) DO UPDATE}. */
    public static Statement mergeStage(DestinationTable table, String stage, List<String> columns) {
        String names = columnList(columns);
        return new Statement("INSERT INTO " + table.table().quoted() + names + OVERRIDING + " SELECT "
                + names.substring(2, names.length() - 1) + " FROM pg_temp." + Identifiers.quote(stage)
                + onConflict(table, columns), List.of());
    }

    private static String columnList(List<String> columns) {
        StringJoiner names = new StringJoiner(", ", " (", ")");
        columns.forEach(c -> names.add(Identifiers.quote(c)));
        return names.toString();
    }

    /** {@code ON CONFLICT (key) DO UPDATE SET} every non-key column; empty for a table without key. */
    private static String onConflict(DestinationTable table, List<String> columns) {
        if (table.keyColumns().isEmpty()) {
            return "";
        }
        StringJoiner key = new StringJoiner(", ", " ON CONFLICT (", ")");
        table.keyColumns().forEach(c -> key.add(Identifiers.quote(c)));
        StringJoiner set = new StringJoiner(", ", " DO UPDATE SET ", "");
        set.setEmptyValue(" DO NOTHING");
        for (String column : columns) {
            if (!table.keyColumns().contains(column)) {
                set.add(Identifiers.quote(column) + " = EXCLUDED." + Identifiers.quote(column));
            }
        }
        return key.toString() + set;
    }

    /** Set-wise delete by key: one {@code text[]} parameter per key column, joined to the table. */
    public static Statement deleteRows(DestinationTable table) {
        List<String> key = table.keyColumns();
        if (key.isEmpty()) {
            throw new IllegalArgumentException("Table " + table.table() + " has no primary key to delete by");
        }
        StringJoiner where = new StringJoiner(" AND ", " WHERE ", "");
        for (int i = 0; i < key.size(); i++) {
            where.add("d." + Identifiers.quote(key.get(i)) + " = CAST(u.c" + i + " AS " + table.typeOf(key.get(i)) + ")");
        }
        return new Statement("DELETE FROM " + table.table().quoted() + " AS d USING " + unnest(key.size()) + where,
                key);
    }

    /**
     * Deletes one row of a table without primary key whose every column equals the parameters, compared in text
     * form (so types without an equality operator, such as json or point, compare too).
     */
    public static Statement deleteOneMatching(DestinationTable table, List<String> columns) {
        StringJoiner where = new StringJoiner(" AND ", " WHERE ", "");
        for (String column : columns) {
            where.add("m." + Identifiers.quote(column) + "::text IS NOT DISTINCT FROM " + parameter(table, column)
                    + "::text");
        }
        return new Statement("DELETE FROM " + table.table().quoted() + " WHERE ctid = (SELECT m.ctid FROM "
                + table.table().quoted() + " AS m" + where + " LIMIT 1)", columns);
    }

    /**
     * The rows of {@code arrays} bound {@code text[]} parameters, side by side: {@code ROWS FROM} with one
     * {@code pg_catalog.unnest} per array, which is what PostgreSQL makes of a bare {@code unnest(a, b)}, qualified so
     * that no {@code unnest} some role creates in a schema of the search path is called instead.
     */
    private static String unnest(int arrays) {
        StringJoiner args = new StringJoiner(", ", "ROWS FROM (", ")");
        StringJoiner aliases = new StringJoiner(", ", " AS u(", ")");
        for (int i = 0; i < arrays; i++) {
            args.add("pg_catalog.unnest(CAST(? AS text[]))");
            aliases.add("c" + i);
        }
        return args + aliases.toString();
    }

    /**
     * {@code TRUNCATE} of the tables one source statement truncated, in one statement: PostgreSQL checks the foreign
     * keys between them on TRUNCATE whatever {@code session_replication_role} says, and accepts a referenced table only
     * together with the tables that reference it. No CASCADE: only what the source truncated is emptied.
     */
    public static Statement truncate(List<DestinationTable> tables) {
        StringJoiner names = new StringJoiner(", ", "TRUNCATE ", "");
        tables.forEach(table -> names.add(table.table().quoted()));
        return new Statement(names.toString(), List.of());
    }

    /**
     * Moves a row to a new primary key: {@code UPDATE ... SET} every key column {@code WHERE} it has the old value;
     * the key parameters are the new key's columns, then the old key's (named {@code old.<column>}). The row keeps the
     * values of its other columns, TOASTed ones included, that the change to its new key did not send.
     */
    public static Statement moveKey(DestinationTable table) {
        List<String> key = table.keyColumns();
        if (key.isEmpty()) {
            throw new IllegalArgumentException("Table " + table.table() + " has no primary key to move");
        }
        StringJoiner set = new StringJoiner(", ", " SET ", "");
        StringJoiner where = new StringJoiner(" AND ", " WHERE ", "");
        List<String> parameters = new ArrayList<>();
        for (String column : key) {
            set.add(Identifiers.quote(column) + " = " + parameter(table, column));
            parameters.add(column);
        }
        for (String column : key) {
            where.add(Identifiers.quote(column) + " = " + parameter(table, column));
            parameters.add(OLD_PREFIX + column);
        }
        return new Statement("UPDATE " + table.table().quoted() + set + where, parameters);
    }

    /** The prefix of {@link #moveKey}'s parameters for the old key. */
    public static final String OLD_PREFIX = "old.";

    /** {@code ALTER TABLE ... ADD COLUMN IF NOT EXISTS}, for columns a record carries that the table lacks. */
    public static Statement addColumn(TableRef table, ColumnDefinition column) {
        return new Statement("ALTER TABLE " + table.quoted() + " ADD COLUMN IF NOT EXISTS "
                + Identifiers.quote(column.name()) + ' ' + column.type(), List.of());
    }

    public static Statement createSchema(String schema) {
        return new Statement("CREATE SCHEMA IF NOT EXISTS " + Identifiers.quote(schema), List.of());
    }

    /**
     * {@code CREATE TABLE IF NOT EXISTS} with the given column definitions and primary key.
     *
     * @param columns column name to its complete type text (type name with modifiers, optionally followed by
     *     {@code NOT NULL}), as produced by the type layer, never user input
     */
    public static Statement createTable(TableRef table, List<ColumnDefinition> columns, List<String> keyColumns) {
        List<String> parts = new ArrayList<>();
        for (ColumnDefinition column : columns) {
            parts.add(Identifiers.quote(column.name()) + ' ' + column.type() + (column.nullable() ? "" : " NOT NULL"));
        }
        if (!keyColumns.isEmpty()) {
            StringJoiner key = new StringJoiner(", ", "PRIMARY KEY (", ")");
            keyColumns.forEach(c -> key.add(Identifiers.quote(c)));
            parts.add(key.toString());
        }
        return new Statement("CREATE TABLE IF NOT EXISTS " + table.quoted() + " (" + String.join(", ", parts) + ")",
                List.of());
    }

    private static String parameter(DestinationTable table, String column) {
        return "CAST(? AS " + table.typeOf(column) + ")";
    }

    /**
     * A column to create.
     *
     * @param name the column name (quoted by the builder)
     * @param type the PostgreSQL type text, e.g. {@code numeric(12,2)} or {@code text[]}
     * @param nullable false for NOT NULL
     */
    public record ColumnDefinition(String name, String type, boolean nullable) {
    }
}
