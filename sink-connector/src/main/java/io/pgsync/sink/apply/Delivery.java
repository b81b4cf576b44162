package io.pgsync.sink.apply;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

import org.apache.kafka.connect.sink.SinkRecord;

/**
 * One delivery of records, decoded before it is applied: per record its {@link ChangelogEntry}. {@link ApplyThread}
 * decodes a delivery on the task thread while the engine writes the previous one, so the engine's thread spends its
 * time on the destination.
 */
final class Delivery {

    /** The delivery's number: the count of {@code put} calls of the task so far, this one included. */
    final long number;
    final List<SinkRecord> records;
    final ChangelogEntry[] entries;

    private Delivery(long number, List<SinkRecord> records) {
        this.number = number;
        this.records = records;
        this.entries = new ChangelogEntry[records.size()];
    }

    static Delivery read(long number, Collection<SinkRecord> records, ChangelogDecoder decoder) {
        Delivery delivery = new Delivery(number, new ArrayList<>(records));
        for (int i = 0; i < delivery.records.size(); i++) {
            delivery.entries[i] = decoder.decode(delivery.records.get(i));
        }
        return delivery;
    }
}
