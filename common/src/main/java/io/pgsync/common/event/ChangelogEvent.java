package io.pgsync.common.event;

import java.util.Optional;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.errors.DataException;

/**
 * One record of pgsync's changelog, decoded: a row change, a chunk of the full sync, a piece of a large value, an
 * object of the schema sync, a sequence position, a DDL command, or a transaction marker. {@link #decode} is the one place that tells them apart;
 * consumers switch over this sealed family instead of testing schemas themselves.
 */
public sealed interface ChangelogEvent
        permits RowChange, RowChunk, ValuePiece, SchemaObject, SequencePosition, DdlEvent, TransactionMarker {

    /**
     * Returns the event a record value carries, or empty for a value that is none of pgsync's events: a change in
     * Debezium's envelope, a heartbeat, a tombstone, the empty record that ends the full sync.
     *
     * @param schema the value schema, or null for JSON without schemas (the value is then a map)
     * @throws DataException when the value claims to be one of the events but is malformed
     */
    static Optional<ChangelogEvent> decode(Schema schema, Object value) {
        if (value == null) {
            return Optional.empty();
        }
        Optional<? extends ChangelogEvent> event = TransactionMarker.of(schema, value);
        if (event.isEmpty()) {
            event = RowChange.of(schema, value);
        }
        if (event.isEmpty()) {
            event = RowChunk.of(schema, value);
        }
        if (event.isEmpty()) {
            event = ValuePiece.of(schema, value);
        }
        if (event.isEmpty()) {
            event = SchemaObject.of(schema, value);
        }
        if (event.isEmpty()) {
            event = SequencePosition.of(schema, value);
        }
        if (event.isEmpty()) {
            event = DdlEvent.of(schema, value);
        }
        return event.map(ChangelogEvent.class::cast);
    }
}
