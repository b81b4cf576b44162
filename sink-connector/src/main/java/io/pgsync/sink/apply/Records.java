package io.pgsync.sink.apply;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.sink.SinkRecord;

/** Reads what the apply engine needs from a record besides its row change: its position and transaction marker. */
final class Records {

    /** A Debezium transaction metadata record's status. */
    enum Marker {
        BEGIN, END
    }

    private Records() {
    }

    /** Returns {@code topic-partition@offset}, e.g. {@code shop.changelog-0@1234}. */
    static String position(SinkRecord record) {
        return record.topic() + '-' + record.kafkaPartition() + '@' + record.kafkaOffset();
    }

    /** Returns BEGIN or END for a Debezium transaction marker, else null. */
    static Marker marker(SinkRecord record) {
        Schema schema = record.valueSchema();
        if (!(record.value() instanceof Struct value) || schema == null || schema.type() != Schema.Type.STRUCT
                || schema.field("status") == null || schema.field("id") == null || schema.field("op") != null) {
            return null;
        }
        String status = value.getString("status");
        if ("BEGIN".equals(status)) {
            return Marker.BEGIN;
        }
        return "END".equals(status) ? Marker.END : null;
    }
}
