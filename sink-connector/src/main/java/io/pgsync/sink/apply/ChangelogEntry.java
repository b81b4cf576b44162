package io.pgsync.sink.apply;

import org.apache.kafka.connect.errors.ConnectException;

import io.pgsync.common.event.DdlEvent;
import io.pgsync.common.event.RowChunk;
import io.pgsync.common.event.SchemaObject;
import io.pgsync.common.event.SequencePosition;
import io.pgsync.common.event.TransactionMarker;
import io.pgsync.common.event.ValuePiece;

/**
 * One changelog record as the engine applies it: decoded once by {@link ChangelogDecoder}, with the sink's naming
 * rules already put on it. The engine switches over this sealed family; nothing downstream looks at schemas again.
 */
sealed interface ChangelogEntry {

    /** A source transaction's BEGIN or END. */
    record Marker(TransactionMarker.Status status) implements ChangelogEntry {
    }

    /** A row change (pgsync's format or Debezium's envelope), in text form. */
    record Row(ChangeEvent event) implements ChangelogEntry {
    }

    /** A piece of a large value of the row change that follows. */
    record Piece(ValuePiece piece) implements ChangelogEntry {
    }

    /** Rows of the full sync. */
    record Chunk(RowChunk chunk) implements ChangelogEntry {
    }

    /** An object of the schema sync. */
    record Schema(SchemaObject object) implements ChangelogEntry {
    }

    /** A source sequence's position. */
    record Sequence(SequencePosition position) implements ChangelogEntry {
    }

    /** A DDL command captured while streaming. */
    record Ddl(DdlEvent event) implements ChangelogEntry {
    }

    /** A record that cannot be read, with the reason; it goes to the errant-record reporter or fails the task. */
    record Unreadable(ConnectException error) implements ChangelogEntry {
    }

    /** A record that changes nothing: a heartbeat, a tombstone, a logical message, the end of the full sync. */
    record Nothing() implements ChangelogEntry {
    }

    /** The one {@link Nothing}. */
    ChangelogEntry NOTHING = new Nothing();
}
