package io.pgsync.sink.apply;

import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.SinkRecord;

import io.pgsync.common.event.ChangelogEvent;
import io.pgsync.common.event.DdlEvent;
import io.pgsync.common.event.RowChange;
import io.pgsync.common.event.RowChunk;
import io.pgsync.common.event.SchemaObject;
import io.pgsync.common.event.SequencePosition;
import io.pgsync.common.event.TransactionMarker;
import io.pgsync.common.event.ValuePiece;
import io.pgsync.sink.mapping.NameMapping;

/**
 * Decodes a record of the changelog (or of a plain Debezium topic) into a {@link ChangelogEntry}, the one place where
 * the sink tells record kinds apart: pgsync's events by {@link ChangelogEvent#decode}, then Debezium's envelope by
 * {@link ChangeReader}; the naming rules are put on what it returns ({@link MappedContent}). A record that cannot be
 * read becomes {@link ChangelogEntry.Unreadable} naming its position, so that it fails in its place in the stream.
 */
final class ChangelogDecoder {

    private final ChangeReader reader;
    private final NameMapping mapping;

    /**
     * @param toastPlaceholder Debezium's {@code unavailable.value.placeholder}, for records in Debezium's envelope
     * @param mapping the naming rules put on the rows
     */
    ChangelogDecoder(String toastPlaceholder, NameMapping mapping) {
        this.reader = new ChangeReader(toastPlaceholder);
        this.mapping = mapping;
    }

    ChangelogEntry decode(SinkRecord record) {
        ChangelogEvent event;
        try {
            event = ChangelogEvent.decode(record.valueSchema(), record.value()).orElse(null);
        } catch (RuntimeException e) {
            return new ChangelogEntry.Unreadable(new ConnectException("Cannot read the rows, schema object, sequence "
                    + "position or DDL in " + Records.position(record) + ": " + e.getMessage(), e));
        }
        try {
            if (event instanceof RowChange change) {
                return new ChangelogEntry.Row(MappedContent.of(reader.read(change, record), mapping));
            }
            if (event == null) {
                return reader.readEnvelope(record).<ChangelogEntry>map(change ->
                        new ChangelogEntry.Row(MappedContent.of(change, mapping))).orElse(ChangelogEntry.NOTHING);
            }
        } catch (RuntimeException e) {
            return new ChangelogEntry.Unreadable(new ConnectException("Cannot read the change in "
                    + Records.position(record) + ": " + e.getMessage(), e));
        }
        if (event instanceof TransactionMarker marker) {
            return new ChangelogEntry.Marker(marker.status());
        }
        if (event instanceof ValuePiece piece) {
            return new ChangelogEntry.Piece(piece);
        }
        if (event instanceof RowChunk chunk) {
            return new ChangelogEntry.Chunk(MappedContent.of(chunk, mapping));
        }
        if (event instanceof SchemaObject object) {
            return new ChangelogEntry.Schema(object);
        }
        if (event instanceof SequencePosition position) {
            return new ChangelogEntry.Sequence(MappedContent.of(position, mapping));
        }
        return new ChangelogEntry.Ddl((DdlEvent) event);
    }
}
