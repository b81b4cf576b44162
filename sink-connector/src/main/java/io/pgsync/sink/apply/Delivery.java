package io.pgsync.sink.apply;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.sink.SinkRecord;

/**
 * One delivery of records, decoded before it is applied: per record its {@link ChangelogEntry} and topic partition. {@link ApplyThread}
 * decodes a delivery on the task thread while the engine writes the previous one, so the engine's thread spends its
 * time on the destination.
 */
final class Delivery {

    /** The delivery's number: the count of {@code put} calls of the task so far, this one included. */
    final long number;
    final List<SinkRecord> records;
    final ChangelogEntry[] entries;
    /** Per record, its topic partition. */
    final TopicPartition[] partitions;

    private Delivery(long number, List<SinkRecord> records) {
        this.number = number;
        this.records = records;
        this.entries = new ChangelogEntry[records.size()];
        this.partitions = new TopicPartition[records.size()];
    }

    static Delivery read(long number, Collection<SinkRecord> records, ChangelogDecoder decoder) {
        Delivery delivery = new Delivery(number, new ArrayList<>(records));
        TopicPartition last = null;
        for (int i = 0; i < delivery.records.size(); i++) {
            SinkRecord record = delivery.records.get(i);
            delivery.entries[i] = decoder.decode(record);
            if (last == null || last.partition() != record.kafkaPartition() || !last.topic().equals(record.topic())) {
                last = new TopicPartition(record.topic(), record.kafkaPartition());
            }
            delivery.partitions[i] = last;
        }
        return delivery;
    }
}
