package io.pgsync.sink.apply;

import java.sql.SQLException;
import java.util.Collection;
import java.util.Map;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.sink.SinkRecord;

import io.pgsync.common.event.DdlEvent;
import io.pgsync.common.event.RowChunk;
import io.pgsync.common.event.SchemaObject;
import io.pgsync.common.event.SequencePosition;
import io.pgsync.common.event.ValuePiece;
import io.pgsync.sink.offset.AppliedOffset;
import io.pgsync.sink.offset.PartitionClaim;

/**
 * The destination database as the {@link ApplyEngine} uses it: one session whose open transaction takes the writes,
 * committed together with the applied offsets. Every method is called from the engine's thread. An implementation
 * may run writes on a thread of its own: a write that fails there is thrown by a later call (as a
 * {@link SQLException}), after which the engine calls {@link #rollBack}.
 */
interface Destination extends AutoCloseable {

    /** Opens the session when there is none. */
    void connect() throws SQLException;

    /**
     * Claims partitions for this task, in a transaction of its own that does not touch the open one: raises their
     * epochs, which fails the commits of any task that still holds them, and returns what was applied.
     */
    Map<TopicPartition, PartitionClaim> claim(Collection<TopicPartition> partitions) throws SQLException;

    /**
     * Reads what was applied to the partitions, and their epochs, without claiming them; partitions without a row
     * are left out.
     */
    Map<TopicPartition, PartitionClaim> read(Collection<TopicPartition> partitions) throws SQLException;

    /** Writes a row change into the open transaction; returns how many changes it counts (0 for none). */
    int row(ChangeEvent event) throws SQLException;

    /**
     * Stores a piece of a large value in the open transaction, for the row change that follows it in its partition.
     */
    void piece(SinkRecord record, ValuePiece piece) throws SQLException;

    /** Writes rows of the full sync into the open transaction; returns how many. */
    int chunk(SinkRecord record, RowChunk chunk) throws SQLException;

    /** Creates an object of the schema sync in the open transaction; returns 1, or 0 when it was set aside. */
    int schemaObject(SinkRecord record, SchemaObject object) throws SQLException;

    /** Applies a captured DDL command in the open transaction; returns 1, or 0 when it was set aside. */
    int ddl(SinkRecord record, DdlEvent event) throws SQLException;

    /** Moves a destination sequence to the source's position in the open transaction; returns 1. */
    int sequence(SequencePosition position) throws SQLException;

    /** Writes what is buffered into the open transaction. */
    void flush() throws SQLException;

    /**
     * Commits the open transaction with the applied offsets, which are written in it while each partition's epoch is
     * still the given one; runs {@code onCommitted} on the engine's thread once the commit has succeeded (at this
     * call or a later one). A partition claimed by another task since fails the commit with a
     * {@link io.pgsync.sink.offset.FencedException}.
     */
    void commit(Map<TopicPartition, AppliedOffset> offsets, Map<TopicPartition, Long> epochs,
            OpenTransaction.Stats stats, Runnable onCommitted) throws SQLException;

    /** Waits until every queued write has run. */
    void drain() throws SQLException;

    /** Forgets the queued and buffered writes and rolls the open transaction back; never throws. */
    void rollBack();

    /** Records an error in {@code pgsync.status} when the destination can still be reached; never throws. */
    void recordError(String message);

    /** Closes the session; the next call opens another one. */
    void disconnect();

    /** Rolls back and closes for good. */
    @Override
    void close();
}
