package io.pgsync.sink.apply;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.pgsync.common.event.RowChunk;
import io.pgsync.common.event.SourcePosition;
import io.pgsync.common.event.ValuePiece;
import io.pgsync.common.pg.TableRef;
import io.pgsync.sink.schema.DestinationCatalog;
import io.pgsync.sink.schema.DestinationTable;
import io.pgsync.sink.schema.RowShape;
import io.pgsync.sink.sql.SqlBuilder;

/**
 * Writes rows into the open destination transaction: it buffers row changes and writes them set-wise (one statement
 * per table and kind, {@link SetWriter}); when a set-wise statement hits a constraint only the exact order satisfies,
 * in event order ({@link OrderedWriter}); and when a change still fails, one by one, so that only that change goes to
 * the errant-record reporter. It also writes TRUNCATEs in their place, the full sync's chunks with COPY, and rows
 * that came in pieces through {@link AssembledRows}.
 */
final class ChangeWriter {

    private static final Logger log = LoggerFactory.getLogger(ChangeWriter.class);

    private final DestinationSession session;
    private final WriteQueue writes;
    private final DestinationCatalog catalog;
    private final WriteErrors writeErrors;
    private final ErrantRecords errant;
    private final int batchMaxRecords;
    private List<Change> buffer = new ArrayList<>();
    /** The tables of the source TRUNCATE being read, truncated together in one statement; empty when none. */
    private final List<DestinationTable> truncates = new ArrayList<>();
    private SourcePosition truncatePosition;
    private StatementCache statements;
    private SetWriter setWriter;
    private OrderedWriter orderedWriter;
    private CopyWriter copyWriter;
    private final AssembledRows assembled;

    ChangeWriter(DestinationSession session, WriteQueue writes, DestinationCatalog catalog, WriteErrors writeErrors,
            ErrantRecords errant, int batchMaxRecords) {
        this.session = session;
        this.writes = writes;
        this.catalog = catalog;
        this.writeErrors = writeErrors;
        this.errant = errant;
        this.batchMaxRecords = batchMaxRecords;
        this.assembled = new AssembledRows(session, writes, writeErrors, errant);
    }

    /** Queues the storing of a piece of a large value of the row change that follows. */
    void piece(SinkRecord record, ValuePiece piece) throws SQLException {
        assembled.piece(record, piece);
    }

    /**
     * Buffers a row change; writes the buffer when it holds {@code apply.batch.max.records} changes. A TRUNCATE
     * waits for the other tables the same source statement truncated (they come next, at the same source position),
     * and all of them are truncated in one statement, after the changes before them.
     */
    void row(ChangeEvent event) throws SQLException {
        if (event.op() == ChangeEvent.Op.TRUNCATE) {
            if (truncates.isEmpty() || !sameStatement(truncatePosition, event.position())) {
                flush();
                truncatePosition = event.position();
            }
            truncates.add(resolve(event.table(), null));
            return;
        }
        truncate();
        Change change;
        try {
            change = Change.of(event, resolve(event.table(), event.shape()));
        } catch (ConnectException e) {
            errant.reportOrFail(event.record(), e);
            return;
        }
        if (!event.assembled().isEmpty()) {
            flush();
            assembled.write(change);
            return;
        }
        buffer.add(change);
        if (buffer.size() >= batchMaxRecords) {
            flush();
        }
    }

    /**
     * Queues a chunk of the full sync for COPY, after the buffered changes; a chunk the destination rejects is
     * reported as one record.
     *
     * @return whether it was queued (false when the record went to the errant-record reporter)
     */
    boolean chunk(SinkRecord record, RowChunk chunk) throws SQLException {
        flushAll();
        DestinationTable table;
        try {
            table = resolve(chunk.table(), ChangeReader.shapeOf(chunk));
        } catch (ConnectException e) {
            errant.reportOrFail(record, e);
            return false;
        }
        Connection conn = session.connection();
        CopyWriter copier = writers().copyWriter;
        writes.submit(() -> {
            Savepoint savepoint = conn.setSavepoint();
            try {
                copier.write(table, chunk);
                conn.releaseSavepoint(savepoint);
            } catch (SQLException e) {
                if (Failures.classify(e) != Failures.Kind.PERMANENT) {
                    throw writeErrors.explain(conn, savepoint, e, List.of(table));
                }
                conn.rollback(savepoint);
                errant.reportOrFail(record, new ConnectException("Cannot copy " + chunk.rows() + " row(s) into "
                        + table.table() + " from " + Records.position(record) + ": " + Failures.message(e), e));
            }
            return null;
        });
        return true;
    }

    /**
     * Queues everything read so far: a TRUNCATE waiting for more tables of its statement (none can come any more:
     * something else follows, or a commit), then the buffered changes.
     */
    void flushAll() throws SQLException {
        truncate();
        flush();
    }

    /**
     * Queues the buffered changes for writing into the open transaction: set-wise, else in event order, else one by
     * one. A TRUNCATE that waits for more tables keeps waiting: a delivery may end between the tables of one
     * statement.
     */
    void flush() throws SQLException {
        if (buffer.isEmpty()) {
            return;
        }
        List<Change> changes = buffer;
        buffer = new ArrayList<>();
        ChangeWriter writers = writers();
        SetWriter.Prepared prepared = writers.setWriter.prepare(changes);
        Connection conn = session.connection();
        OrderedWriter ordered = writers.orderedWriter;
        writes.submit(() -> {
            Savepoint savepoint = conn.setSavepoint();
            try {
                try {
                    prepared.run();
                } catch (SQLException e) {
                    if (Failures.classify(e) != Failures.Kind.PERMANENT) {
                        throw e;
                    }
                    conn.rollback(savepoint);
                    log.debug("Set-wise write failed ({}); writing {} change(s) in event order", Failures.message(e),
                            changes.size());
                    writeInOrder(conn, ordered, changes);
                }
            } catch (SQLException e) {
                throw writeErrors.explain(conn, savepoint, e, changes);
            }
            conn.releaseSavepoint(savepoint);
            return null;
        });
    }

    /** Forgets the buffered changes: the open transaction is rolled back. */
    void clear() {
        buffer.clear();
        truncates.clear();
        assembled.clear();
    }

    /** Queues the TRUNCATE of the tables read so far, if any. */
    private void truncate() throws SQLException {
        if (truncates.isEmpty()) {
            return;
        }
        String truncate = SqlBuilder.truncate(List.copyOf(truncates)).sql();
        truncates.clear();
        Connection conn = session.connection();
        writes.submit(() -> {
            try (var statement = conn.createStatement()) {
                statement.execute(truncate);
            }
            return null;
        });
    }

    /**
     * Whether two TRUNCATE events come from one source statement: Debezium gives every table of a TRUNCATE the
     * position of its one WAL record.
     */
    private static boolean sameStatement(SourcePosition a, SourcePosition b) {
        return a != null && b != null && a.commitLsn() == b.commitLsn() && a.lsn() == b.lsn();
    }

    private void writeInOrder(Connection conn, OrderedWriter ordered, List<Change> changes) throws SQLException {
        Savepoint savepoint = conn.setSavepoint();
        try {
            ordered.write(changes);
            conn.releaseSavepoint(savepoint);
            return;
        } catch (SQLException e) {
            if (Failures.classify(e) != Failures.Kind.PERMANENT) {
                throw e;
            }
            conn.rollback(savepoint);
        }
        for (Change change : changes) {
            Savepoint single = conn.setSavepoint();
            try {
                ordered.write(List.of(change));
                conn.releaseSavepoint(single);
            } catch (SQLException e) {
                if (Failures.classify(e) != Failures.Kind.PERMANENT) {
                    throw e;
                }
                conn.rollback(single);
                errant.reportOrFail(change.event().record(), new ConnectException(describe(change, e)
                        + writeErrors.typeMismatch(conn, change, e), e));
            }
        }
    }

    private static String describe(Change change, SQLException e) {
        return "Cannot apply " + change.event().op() + " to " + change.table().table() + " key "
                + (change.key().isEmpty() ? "(none)" : change.table().keyColumns() + "=" + change.key()) + " from "
                + Records.position(change.event().record()) + ": " + Failures.message(e);
    }

    /**
     * Returns the destination table for rows of the shape (null for a TRUNCATE); when that needs the destination
     * (a table not read yet, a column to add), the queued writes run first.
     */
    private DestinationTable resolve(TableRef table, RowShape shape) throws SQLException {
        DestinationTable known = catalog.cached(table, shape);
        if (known != null) {
            return known;
        }
        writes.drain();
        return catalog.resolve(session.connection(), table, shape);
    }

    /** The writers of the session's current connection, made anew when the connection changed. */
    private ChangeWriter writers() throws SQLException {
        session.connection();
        if (statements != session.statements()) {
            statements = session.statements();
            orderedWriter = new OrderedWriter(statements);
            setWriter = new SetWriter(statements, orderedWriter);
            copyWriter = new CopyWriter(statements.connection());
        }
        return this;
    }
}
