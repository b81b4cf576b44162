package io.pgsync.sink.apply;

import org.apache.kafka.connect.sink.SinkRecord;

/** Names a record in messages. */
final class Records {

    private Records() {
    }

    /** Returns {@code topic-partition@offset}, e.g. {@code shop.changelog-0@1234}. */
    static String position(SinkRecord record) {
        return record.topic() + '-' + record.kafkaPartition() + '@' + record.kafkaOffset();
    }
}
