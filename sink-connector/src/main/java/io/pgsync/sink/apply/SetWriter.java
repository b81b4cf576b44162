package io.pgsync.sink.apply;

import java.sql.Array;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.pgsync.sink.sql.SqlBuilder;
import io.pgsync.sink.sql.Statement;

/**
 * Writes a {@link CollapsedBatch} set-wise: per table one multi-row DELETE and one multi-row upsert per set of
 * columns. Keys are disjoint between the statements, so their order does not matter, except for constraints that
 * only the exact event order satisfies (a unique value moved between rows); those make a statement fail and the
 * caller redoes the batch in event order.
 *
 * <p>{@link #prepare} does the work that needs no round trip (collapsing, building the array parameters) on the
 * engine's thread; the returned {@link Prepared} runs the statements on the write thread.
 */
final class SetWriter {

    private static final Logger log = LoggerFactory.getLogger(SetWriter.class);

    private final StatementCache statements;
    private final OrderedWriter ordered;

    SetWriter(StatementCache statements, OrderedWriter ordered) {
        this.statements = statements;
        this.ordered = ordered;
    }

    /** Collapses the changes (given in event order) and builds each statement's parameters. */
    Prepared prepare(List<Change> changes) throws SQLException {
        List<Step> steps = new ArrayList<>();
        for (CollapsedBatch.TableChanges table : CollapsedBatch.of(changes).tables()) {
            if (!table.inOrder().isEmpty()) {
                List<Change> inOrder = table.inOrder();
                steps.add(() -> ordered.write(inOrder));
            }
            if (!table.deletes().isEmpty()) {
                steps.add(bind(SqlBuilder.deleteRows(table.table()), table.deletes()));
            }
            for (Map.Entry<List<String>, List<Change>> group : table.upsertsByColumns().entrySet()) {
                steps.add(bind(SqlBuilder.upsertRows(table.table(), group.getKey()), group.getValue()));
            }
            if (log.isDebugEnabled()) {
                log.debug("Prepared {} delete(s) and {} upsert group(s) for {}", table.deletes().size(),
                        table.upsertsByColumns().size(), table.table().table());
            }
        }
        return new Prepared(steps);
    }

    /** Binds each parameter column as one {@code text[]} of all rows' values: the statement runs once. */
    private Step bind(Statement statement, Collection<Change> rows) throws SQLException {
        Array[] arrays = new Array[statement.parameters().size()];
        int index = 0;
        for (String column : statement.parameters()) {
            String[] values = new String[rows.size()];
            int i = 0;
            for (Change row : rows) {
                values[i++] = row.values().get(column);
            }
            arrays[index++] = statements.connection().createArrayOf("text", values);
        }
        return () -> {
            PreparedStatement ps = statements.get(statement);
            try {
                for (int i = 0; i < arrays.length; i++) {
                    ps.setArray(i + 1, arrays[i]);
                }
                ps.executeUpdate();
            } finally {
                for (Array array : arrays) {
                    array.free();
                }
            }
        };
    }

    /** One statement (or one run of the ordered writer) ready to execute. */
    @FunctionalInterface
    private interface Step {
        void run() throws SQLException;
    }

    /** The statements of one batch, ready to run on the write thread. */
    static final class Prepared {
        private final List<Step> steps;

        private Prepared(List<Step> steps) {
            this.steps = steps;
        }

        /** Runs the statements in order. */
        void run() throws SQLException {
            for (Step step : steps) {
                step.run();
            }
        }
    }
}
