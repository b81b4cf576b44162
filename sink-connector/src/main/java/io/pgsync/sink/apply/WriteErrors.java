package io.pgsync.sink.apply;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.pgsync.common.pg.Identifiers;
import io.pgsync.common.pg.TableRef;
import io.pgsync.common.type.ColumnTypes;
import io.pgsync.sink.schema.DestinationCatalog;
import io.pgsync.sink.schema.DestinationTable;

/**
 * Explains an error the destination raised for a write: the tables and columns it concerns, as the destination's
 * catalog has them now, and what to do about it. Runs on the write thread, on the connection of the failed write.
 */
final class WriteErrors {

    private static final Logger log = LoggerFactory.getLogger(WriteErrors.class);

    private final DestinationCatalog catalog;
    private final String user;

    /** @param user the sink's role, as configured in connection.user */
    WriteErrors(DestinationCatalog catalog, String user) {
        this.catalog = catalog;
        this.user = user;
    }

    /**
     * Returns a failed write that is not one record's fault ({@link Failures.Kind#DESTINATION} or retriable) with the
     * tables and the fix in its message. For a missing column it rolls back to the savepoint to read the catalog.
     */
    SQLException explain(Connection conn, Savepoint savepoint, SQLException e, Collection<DestinationTable> tables) {
        return explain(conn, savepoint, e, tables, List.of());
    }

    /**
     * As {@link #explain(Connection, Savepoint, SQLException, Collection)}, for a write of changes: a datatype
     * mismatch (42804, a destination column retyped) names the columns whose types differ from the source's.
     */
    SQLException explain(Connection conn, Savepoint savepoint, SQLException e, List<Change> changes) {
        return explain(conn, savepoint, e, changes.stream().map(Change::table).toList(), changes);
    }

    private SQLException explain(Connection conn, Savepoint savepoint, SQLException e,
            Collection<DestinationTable> tables, List<Change> changes) {
        if (e instanceof Explained) {
            return e;
        }
        String names = tables.stream().map(t -> t.table().toString()).distinct().collect(Collectors.joining(", "));
        String quoted = tables.stream().map(t -> t.table().quoted()).distinct().collect(Collectors.joining(", "));
        String fix;
        if ("42703".equals(e.getSQLState())) {
            fix = missingColumns(conn, savepoint, tables);
        } else if ("42804".equals(e.getSQLState())) {
            fix = retypedColumns(conn, savepoint, changes);
        } else {
            fix = Failures.fix(e.getSQLState(), quoted, Identifiers.quote(user == null ? "" : user));
        }
        return new Explained(Failures.writing(e, names, fix));
    }

    private String retypedColumns(Connection conn, Savepoint savepoint, List<Change> changes) {
        if (!rollBack(conn, savepoint)) {
            return null;
        }
        Map<TableRef, Change> firstPerTable = new LinkedHashMap<>();
        changes.forEach(change -> firstPerTable.putIfAbsent(change.table().table(), change));
        StringBuilder fix = new StringBuilder();
        for (Change change : firstPerTable.values()) {
            fix.append(mismatch(conn, change));
        }
        return fix.isEmpty() ? null : fix.substring(2);
    }

    /**
     * For an error in one change's values (SQLState class 22), names the columns whose
     * destination type is not the source's, with the fix; else an empty string. Call after the rollback to the
     * change's savepoint.
     */
    String typeMismatch(Connection conn, Change change, SQLException e) {
        String state = e.getSQLState();
        return state == null || !state.startsWith("22") ? "" : mismatch(conn, change);
    }

    private String mismatch(Connection conn, Change change) {
        TableRef table = change.table().table();
        Map<String, String> now = current(conn, table).map(DestinationTable::columnTypes).orElse(Map.of());
        List<String> mismatches = new ArrayList<>();
        List<String> fixes = new ArrayList<>();
        for (String column : change.columns()) {
            String sourceType = sourceType(change, column);
            String destinationType = now.get(column);
            if (sourceType != null && destinationType != null
                    && !ColumnTypes.canonical(unqualified(sourceType))
                            .equals(ColumnTypes.canonical(unqualified(destinationType)))) {
                mismatches.add("column " + table + "." + column + " is " + destinationType + " at the destination but "
                        + sourceType + " at the source");
                fixes.add("ALTER TABLE " + table.quoted() + " ALTER COLUMN " + Identifiers.quote(column) + " TYPE "
                        + sourceType);
            }
        }
        if (mismatches.isEmpty()) {
            return "";
        }
        return "; " + String.join(", ", mismatches) + ": give the destination column the source's type ("
                + String.join("; ", fixes) + "), then restart the task";
    }

    private static String sourceType(Change change, String column) {
        try {
            return change.event().shape() == null ? null : change.event().shape().ddlType(column);
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** A type name without its schema, so that {@code public.mood} and {@code mood} compare equal. */
    private static String unqualified(String type) {
        return type.replaceFirst("^(\"(?:[^\"]|\"\")+\"|[^\".\\[( ]+)\\.", "");
    }

    /** Names the columns the sink knew and the destination no longer has, and how to bring them back. */
    private String missingColumns(Connection conn, Savepoint savepoint, Collection<DestinationTable> tables) {
        if (!rollBack(conn, savepoint)) {
            return null;
        }
        Map<String, String> fixes = new LinkedHashMap<>();
        for (DestinationTable known : tables) {
            Optional<DestinationTable> now = current(conn, known.table());
            known.columnTypes().forEach((column, type) -> {
                if (now.isPresent() && !now.get().hasColumn(column)) {
                    fixes.put("column " + known.table() + "." + column + " (" + type + ")", "ALTER TABLE "
                            + known.table().quoted() + " ADD COLUMN " + Identifiers.quote(column) + " " + type);
                }
            });
        }
        if (fixes.isEmpty()) {
            return null;
        }
        return String.join(", ", fixes.keySet()) + " is gone from the destination (dropped there by someone else?): "
                + "add it back (" + String.join("; ", fixes.values()) + ") and re-snapshot the table from the source "
                + "to refill its values (an execute-snapshot signal in pgsync.signal), or leave it out with "
                + "columns.exclude; then restart the task, which resumes from the offsets applied in the destination";
    }

    /** Rolls the failed write back so that the catalog can be read on its connection; false when that fails too. */
    private static boolean rollBack(Connection conn, Savepoint savepoint) {
        try {
            conn.rollback(savepoint);
            return true;
        } catch (SQLException e) {
            return false;
        }
    }

    private Optional<DestinationTable> current(Connection conn, TableRef table) {
        try {
            return catalog.existing(conn, table);
        } catch (SQLException e) {
            log.debug("Cannot read {} from the destination catalog to explain an error: {}", table, e.getMessage());
            return Optional.empty();
        }
    }

    /** A write error already explained, so that an outer write does not explain it again. */
    static final class Explained extends SQLException {

        private static final long serialVersionUID = 1L;

        Explained(SQLException e) {
            super(e.getMessage(), e.getSQLState(), e.getCause());
        }
    }
}
