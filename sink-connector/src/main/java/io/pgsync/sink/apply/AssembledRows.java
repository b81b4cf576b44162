package io.pgsync.sink.apply;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.SinkRecord;

import io.pgsync.common.event.ValuePiece;
import io.pgsync.sink.sql.SqlBuilder;
import io.pgsync.sink.sql.Statement;

/**
 * Puts rows too large for one changelog record back together in the destination: it stores the pieces of their large
 * values ({@link ValuePiece}) in a temporary table of the session, in the open transaction, and writes the row from
 * there when its change arrives, so the task holds one piece at a time and never the whole value. A rollback drops
 * the pieces with the rest of the transaction, and the engine commits only after a row's change (never between its
 * pieces), so a row is applied whole or not at all.
 *
 * <p>Example: pieces {@code (body, 0 of 3, first)}, {@code (body, 1 of 3)}, {@code (body, 2 of 3)} from partition 0,
 * then the change of {@code public.docs (id=7)} naming {@code body} as pieced: three rows in
 * {@code pg_temp.pgsync_pieces} under the reference {@code 0/body}, then one
 * {@code INSERT ... VALUES (CAST(? AS integer), CAST((SELECT string_agg(piece ...) ...) AS text))}.
 */
final class AssembledRows {

    private final DestinationSession session;
    private final WriteQueue writes;
    private final WriteErrors writeErrors;
    private final ErrantRecords errant;
    /** Per changelog partition, the pieces of the row being read. */
    private final Map<Integer, Expected> reading = new HashMap<>();

    AssembledRows(DestinationSession session, WriteQueue writes, WriteErrors writeErrors, ErrantRecords errant) {
        this.session = session;
        this.writes = writes;
        this.writeErrors = writeErrors;
        this.errant = errant;
    }

    /** The reference under which the pieces of a column's value from a changelog partition are stored. */
    static String ref(int partition, String column) {
        return partition + "/" + column;
    }

    /**
     * Queues the storing of a piece; the first piece of a row drops what an unfinished row of the partition left.
     *
     * @throws ConnectException when the piece does not follow the one before it in the partition
     */
    void piece(SinkRecord record, ValuePiece piece) throws SQLException {
        int partition = record.kafkaPartition();
        Expected expected = piece.first() ? new Expected() : reading.get(partition);
        if (expected == null || !expected.accepts(piece)) {
            throw new ConnectException("The changelog holds piece " + piece.part() + " of " + piece.parts()
                    + " of column " + piece.column() + " of a row of " + piece.table() + " at "
                    + Records.position(record) + " without the pieces before it; the source connector writes them "
                    + "in one run to one partition, so the records before it were deleted or written by another "
                    + "producer");
        }
        reading.put(partition, expected);
        String ref = ref(partition, piece.column());
        expected.read(piece, ref);
        Connection conn = session.connection();
        StatementCache statements = session.statements();
        boolean first = piece.first();
        writes.submit(() -> {
            if (first) {
                try (var statement = conn.createStatement()) {
                    statement.execute(SqlBuilder.createPieces().sql());
                }
                PreparedStatement delete = statements.get(SqlBuilder.deletePieces());
                delete.setInt(1, partition);
                delete.executeUpdate();
            }
            PreparedStatement insert = statements.get(SqlBuilder.insertPiece());
            insert.setInt(1, partition);
            insert.setString(2, ref);
            insert.setInt(3, piece.part());
            insert.setString(4, piece.text());
            insert.executeUpdate();
            return null;
        });
    }

    /**
     * Queues the write of a change whose large values were stored as pieces, then the drop of the pieces; a change
     * the destination rejects goes to the errant-record reporter (or fails the task) as one record.
     *
     * @throws ConnectException when a pieced value lacks pieces
     */
    void write(Change change) throws SQLException {
        SinkRecord record = change.event().record();
        int partition = record.kafkaPartition();
        Expected expected = reading.remove(partition);
        for (String column : change.event().assembled()) {
            String ref = change.values().get(column);
            if (expected == null || !expected.complete.contains(ref)) {
                throw new ConnectException("The change of " + change.event().table() + " at "
                        + Records.position(record) + " has its column " + column + " in pieces, but the changelog "
                        + "does not hold all of them just before it; the records before it were deleted");
            }
        }
        Connection conn = session.connection();
        StatementCache statements = session.statements();
        writes.submit(() -> {
            Savepoint savepoint = conn.setSavepoint();
            try {
                if (change.keyless() && !change.oldValues().isEmpty()) {
                    Statement delete = SqlBuilder.deleteOneMatching(change.table(),
                            List.copyOf(change.oldValues().keySet()));
                    run(statements, delete, change.oldValues());
                }
                run(statements, SqlBuilder.upsertAssembled(change.table(), change.columns(),
                        change.event().assembled()), change.values());
                conn.releaseSavepoint(savepoint);
            } catch (SQLException e) {
                if (Failures.classify(e) != Failures.Kind.PERMANENT) {
                    throw writeErrors.explain(conn, savepoint, e, List.of(change));
                }
                conn.rollback(savepoint);
                errant.reportOrFail(record, new ConnectException("Cannot apply " + change.event().op() + " to "
                        + change.table().table() + " key " + (change.key().isEmpty() ? "(none)"
                                : change.table().keyColumns() + "=" + change.key()) + " from "
                        + Records.position(record) + ": " + Failures.message(e)
                        + writeErrors.typeMismatch(conn, change, e), e));
            }
            PreparedStatement delete = statements.get(SqlBuilder.deletePieces());
            delete.setInt(1, partition);
            delete.executeUpdate();
            return null;
        });
    }

    private static void run(StatementCache statements, Statement statement, Map<String, String> values)
            throws SQLException {
        PreparedStatement ps = statements.get(statement);
        int index = 1;
        for (String column : statement.parameters()) {
            StatementCache.bindText(ps, index++, values.get(column));
        }
        ps.executeUpdate();
    }

    /** Forgets the rows being read: the open transaction, and the pieces in it, were rolled back. */
    void clear() {
        reading.clear();
    }

    /** The piece that may come next in a partition, and the values whose pieces have all come. */
    private static final class Expected {
        private String column;
        private int next;
        private final Set<String> complete = new HashSet<>();

        boolean accepts(ValuePiece piece) {
            return piece.part() == 0 ? column == null || next == -1 : piece.column().equals(column)
                    && piece.part() == next;
        }

        void read(ValuePiece piece, String ref) {
            column = piece.column();
            next = piece.last() ? -1 : piece.part() + 1;
            if (piece.last()) {
                complete.add(ref);
            }
        }
    }
}
