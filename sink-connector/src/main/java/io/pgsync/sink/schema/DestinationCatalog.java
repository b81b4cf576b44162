package io.pgsync.sink.schema;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.apache.kafka.connect.errors.ConnectException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.pgsync.common.pg.TableRef;
import io.pgsync.sink.ddl.DdlPolicy;
import io.pgsync.sink.sql.SqlBuilder;
import io.pgsync.sink.sql.SqlBuilder.ColumnDefinition;

/** Makes the destination table fit the record (reads it from the catalog, creates it if missing), or says why not. */
public final class DestinationCatalog {

    private static final Logger log = LoggerFactory.getLogger(DestinationCatalog.class);

    private static final String COLUMNS_SQL = """
            SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod)
              FROM pg_catalog.pg_attribute a
              JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
              JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = ? AND c.relname = ? AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
             ORDER BY a.attnum""";

    /** The primary key's columns: indkey lists its INCLUDE columns after the indnkeyatts key columns. */
    private static final String KEY_SQL = """
            SELECT a.attname
              FROM pg_catalog.pg_index i
              JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
              JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
              JOIN LATERAL pg_catalog.unnest(i.indkey) WITH ORDINALITY AS k(attnum, position) ON true
              JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
             WHERE n.nspname = ? AND c.relname = ? AND i.indisprimary AND k.position <= i.indnkeyatts
             ORDER BY k.position""";

    private final boolean createEnabled;
    private final boolean addColumnsEnabled;
    private final DdlPolicy ddlPolicy;
    private final Map<TableRef, DestinationTable> tables = new HashMap<>();
    /** Per table, the last column list found to fit it, compared by identity (see {@link #fit}). */
    private final Map<TableRef, List<String>> fitted = new HashMap<>();

    /** @param ddlPolicy the role that owns the tables and columns this creates */
    public DestinationCatalog(boolean createEnabled, boolean addColumnsEnabled, DdlPolicy ddlPolicy) {
        this.createEnabled = createEnabled;
        this.addColumnsEnabled = addColumnsEnabled;
        this.ddlPolicy = ddlPolicy;
    }

    /**
     * Returns the destination table for rows of the given shape, creating it (and its schema) when it is missing
     * and creation is enabled, and adding the columns it lacks when that is enabled. DDL runs on the given
     * connection, inside the caller's transaction.
     *
     * @param shape the columns the record carries; null for a TRUNCATE, which needs an existing table
     */
    public DestinationTable resolve(Connection connection, TableRef table, RowShape shape) throws SQLException {
        DestinationTable known = tables.get(table);
        if (known != null) {
            return shape == null ? known : fit(connection, known, shape);
        }
        Optional<DestinationTable> existing = read(connection, table);
        if (existing.isEmpty() && shape != null) {
            if (!createEnabled) {
                throw new ConnectException("Destination table " + table + " does not exist and "
                        + "apply.table.create.enabled=false; create the table or enable table creation");
            }
            create(connection, table, shape);
            existing = read(connection, table);
        }
        if (existing.isEmpty()) {
            throw new ConnectException("Destination table " + table + " does not exist");
        }
        tables.put(table, existing.get());
        return shape == null ? existing.get() : fit(connection, existing.get(), shape);
    }

    /**
     * Returns the destination table when {@link #resolve} would find it without a round trip to the destination
     * (already read, and having every column of the shape); else null.
     */
    public DestinationTable cached(TableRef table, RowShape shape) {
        DestinationTable known = tables.get(table);
        return known == null || shape != null && !fits(known, shape) ? null : known;
    }

    private boolean fits(DestinationTable table, RowShape shape) {
        if (fitted.get(table.table()) == shape.columns()) {
            return true;
        }
        for (String column : shape.columns()) {
            if (!table.hasColumn(column)) {
                return false;
            }
        }
        fitted.put(table.table(), shape.columns());
        return true;
    }

    /** Adds the columns the row carries and the table lacks (when enabled), or names the first missing one. */
    private DestinationTable fit(Connection connection, DestinationTable table, RowShape shape) throws SQLException {
        if (fits(table, shape)) {
            return table;
        }
        List<String> missing = new ArrayList<>();
        for (String column : shape.columns()) {
            if (!table.hasColumn(column)) {
                missing.add(column);
            }
        }
        if (!addColumnsEnabled) {
            throw new ConnectException("Destination table " + table.table() + " has no column "
                    + missing.get(0) + " and apply.column.add.enabled=false; add the column to the "
                    + "destination table or enable apply.column.add.enabled");
        }
        try (DdlPolicy.Session owner = ddlPolicy.asOwner(connection)) {
            owner.findTypesIn(table.table().schema());
            for (String name : missing) {
                ColumnDefinition column = new ColumnDefinition(name, shape.ddlType(name), true);
                String ddl = SqlBuilder.addColumn(table.table(), column).sql();
                owner.execute(ddl);
                log.info("Added a column to destination table {}: {}", table.table(), ddl);
            }
        }
        DestinationTable refreshed = read(connection, table.table()).orElseThrow();
        tables.put(table.table(), refreshed);
        return refreshed;
    }

    /** Reads the table from the destination catalog, or returns empty when it does not exist. */
    public Optional<DestinationTable> existing(Connection connection, TableRef table) throws SQLException {
        return read(connection, table);
    }

    /** Forgets what was read, e.g. after a rolled-back transaction that may have created tables. */
    public void invalidate() {
        tables.clear();
        fitted.clear();
    }

    private static Optional<DestinationTable> read(Connection connection, TableRef table) throws SQLException {
        Map<String, String> columns = new LinkedHashMap<>();
        try (PreparedStatement ps = connection.prepareStatement(COLUMNS_SQL)) {
            ps.setString(1, table.schema());
            ps.setString(2, table.table());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    columns.put(rs.getString(1), rs.getString(2));
                }
            }
        }
        if (columns.isEmpty()) {
            return Optional.empty();
        }
        List<String> key = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement(KEY_SQL)) {
            ps.setString(1, table.schema());
            ps.setString(2, table.table());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    key.add(rs.getString(1));
                }
            }
        }
        return Optional.of(new DestinationTable(table, columns, key));
    }

    private void create(Connection connection, TableRef table, RowShape shape) throws SQLException {
        List<ColumnDefinition> columns = new ArrayList<>();
        for (String name : shape.columns()) {
            columns.add(new ColumnDefinition(name, shape.ddlType(name), shape.nullable(name)));
        }
        try (DdlPolicy.Session owner = ddlPolicy.asOwner(connection)) {
            owner.execute(SqlBuilder.createSchema(table.schema()).sql());
            owner.findTypesIn(table.schema());
            String ddl = SqlBuilder.createTable(table, columns, shape.keyColumns()).sql();
            owner.execute(ddl);
            log.info("Created destination table {}: {}", table, ddl);
        }
    }
}
