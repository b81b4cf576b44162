package io.pgsync.sink.apply;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.pgsync.sink.sql.SqlBuilder;
import io.pgsync.sink.sql.Statement;

/**
 * Writes changes one by one in exact event order (consecutive changes of the same statement go to the server as one
 * JDBC batch): the path for tables without primary key, and the fallback when a set-wise write hits a constraint
 * that only the event order satisfies.
 */
final class OrderedWriter {

    private final StatementCache statements;

    OrderedWriter(StatementCache statements) {
        this.statements = statements;
    }

    /** Writes the changes in order; returns the number of JDBC batches run. */
    int write(List<Change> changes) throws SQLException {
        int batches = 0;
        Statement current = null;
        PreparedStatement ps = null;
        int pending = 0;
        for (Change change : changes) {
            List<Bound> steps = steps(change);
            for (Bound step : steps) {
                if (!step.statement.equals(current)) {
                    if (pending > 0) {
                        ps.executeBatch();
                        batches++;
                    }
                    current = step.statement;
                    ps = statements.get(current);
                    pending = 0;
                }
                int index = 1;
                for (String column : current.parameters()) {
                    StatementCache.bindText(ps, index++, step.values.get(column));
                }
                ps.addBatch();
                pending++;
            }
        }
        if (pending > 0) {
            ps.executeBatch();
            batches++;
        }
        return batches;
    }

    /**
     * The statements one change needs: an upsert, a delete, a move to a new key, or (keyless UPDATE) a delete of the
     * old row plus an insert.
     */
    private static List<Bound> steps(Change change) {
        List<Bound> steps = new ArrayList<>(2);
        if (change.keyless()) {
            if (!change.oldValues().isEmpty()) {
                steps.add(new Bound(SqlBuilder.deleteOneMatching(change.table(), List.copyOf(change.oldValues().keySet())),
                        change.oldValues()));
            }
            if (change.isUpsert()) {
                steps.add(new Bound(SqlBuilder.upsert(change.table(), change.columns()),
                        change.values()));
            } else {
                steps.add(new Bound(SqlBuilder.deleteOneMatching(change.table(), List.copyOf(change.values().keySet())),
                        change.values()));
            }
        } else if (change.isMove()) {
            Map<String, String> keys = new HashMap<>(change.event().movedTo());
            change.values().forEach((column, value) -> keys.put(SqlBuilder.OLD_PREFIX + column, value));
            steps.add(new Bound(SqlBuilder.moveKey(change.table()), keys));
        } else if (change.isUpsert()) {
            steps.add(new Bound(SqlBuilder.upsert(change.table(), change.columns()), change.values()));
        } else {
            steps.add(new Bound(SqlBuilder.deleteByKey(change.table()), change.values()));
        }
        return steps;
    }

    private record Bound(Statement statement, Map<String, String> values) {
    }
}
