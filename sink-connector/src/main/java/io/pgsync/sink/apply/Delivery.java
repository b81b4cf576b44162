package io.pgsync.sink.apply;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.SinkRecord;

import io.pgsync.common.event.DdlEvent;
import io.pgsync.common.event.RowChunk;
import io.pgsync.common.event.SchemaObject;
import io.pgsync.common.event.SequencePosition;
import io.pgsync.sink.mapping.NameMapping;

/**
 * One delivery of records, read before it is applied: per record its transaction marker, its full-sync chunk or row
 * change, or why it cannot be read. {@link ApplyThread} reads a delivery on the task thread while the engine writes
 * the previous one, so the engine's thread spends its time on the destination.
 */
final class Delivery {

    final List<SinkRecord> records;
    final Records.Marker[] markers;
    /**
     * Per record: a {@link RowChunk}, a {@link SchemaObject}, a {@link SequencePosition}, a {@link ChangeEvent}, a
     * {@link ConnectException}, or null (nothing to do).
     */
    final Object[] contents;

    private Delivery(List<SinkRecord> records) {
        this.records = records;
        this.markers = new Records.Marker[records.size()];
        this.contents = new Object[records.size()];
    }

    static Delivery read(Collection<SinkRecord> records, ChangeReader reader, NameMapping mapping) {
        Delivery delivery = new Delivery(new ArrayList<>(records));
        for (int i = 0; i < delivery.records.size(); i++) {
            SinkRecord record = delivery.records.get(i);
            Records.Marker marker = Records.marker(record);
            delivery.markers[i] = marker;
            if (marker == null) {
                delivery.contents[i] = MappedContent.of(content(record, reader), mapping);
            }
        }
        return delivery;
    }

    private static Object content(SinkRecord record, ChangeReader reader) {
        Optional<?> chunk;
        try {
            chunk = RowChunk.of(record.valueSchema(), record.value());
            if (chunk.isEmpty()) {
                chunk = SchemaObject.of(record.valueSchema(), record.value());
            }
            if (chunk.isEmpty()) {
                chunk = SequencePosition.of(record.valueSchema(), record.value());
            }
            if (chunk.isEmpty()) {
                chunk = DdlEvent.of(record.valueSchema(), record.value());
            }
        } catch (RuntimeException e) {
            return new ConnectException("Cannot read the rows, schema object, sequence position or DDL in "
                    + Records.position(record) + ": " + e.getMessage(), e);
        }
        if (chunk.isPresent()) {
            return chunk.get();
        }
        try {
            return reader.read(record).orElse(null);
        } catch (RuntimeException e) {
            return new ConnectException("Cannot read the change in " + Records.position(record) + ": "
                    + e.getMessage(), e);
        }
    }
}
