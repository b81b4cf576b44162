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
 */
final class SetWriter {

    private static final Logger log = LoggerFactory.getLogger(SetWriter.class);

    private final StatementCache statements;
    private final OrderedWriter ordered;

    SetWriter(StatementCache statements, OrderedWriter ordered) {
        this.statements = statements;
        this.ordered = ordered;
    }

    /** Writes the changes (given in event order); returns the number of statements run. */
    int write(List<Change> changes) throws SQLException {
        int run = 0;
        for (CollapsedBatch.TableChanges table : CollapsedBatch.of(changes).tables()) {
            if (!table.inOrder().isEmpty()) {
                run += ordered.write(table.inOrder());
            }
            if (!table.deletes().isEmpty()) {
                execute(SqlBuilder.deleteRows(table.table()), table.deletes());
                run++;
            }
            for (Map.Entry<List<String>, List<Change>> group : table.upsertsByColumns().entrySet()) {
                execute(SqlBuilder.upsertRows(table.table(), group.getKey()), group.getValue());
                run++;
            }
            if (log.isDebugEnabled()) {
                log.debug("Applied {} delete(s) and {} upsert group(s) to {}", table.deletes().size(),
                        table.upsertsByColumns().size(), table.table().table());
            }
        }
        return run;
    }

    /** Binds each parameter column as one {@code text[]} of all rows' values and runs the statement once. */
    private void execute(Statement statement, Collection<Change> rows) throws SQLException {
        PreparedStatement ps = statements.get(statement);
        List<Array> arrays = new ArrayList<>(statement.parameters().size());
        try {
            int index = 1;
            for (String column : statement.parameters()) {
                String[] values = new String[rows.size()];
                int i = 0;
                for (Change row : rows) {
                    values[i++] = row.values().get(column);
                }
                Array array = statements.connection().createArrayOf("text", values);
                arrays.add(array);
                ps.setArray(index++, array);
            }
            ps.executeUpdate();
        } finally {
            for (Array array : arrays) {
                array.free();
            }
        }
    }
}
