package io.pgsync.sink.apply;

import java.util.Map;

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

    /**
     * Returns BEGIN or END for a Debezium transaction marker, else null. A marker is a struct (JSON with schemas,
     * Avro) or a map (JSON without schemas) with a {@code status} and an {@code id} and no {@code op}.
     */
    static Marker marker(SinkRecord record) {
        Object status;
        if (record.value() instanceof Struct value) {
            Schema schema = record.valueSchema();
            if (schema == null || schema.field("status") == null || schema.field("id") == null
                    || schema.field("op") != null) {
                return null;
            }
            status = value.get("status");
        } else if (record.value() instanceof Map<?, ?> map && record.valueSchema() == null) {
            if (!map.containsKey("status") || !map.containsKey("id") || map.containsKey("op")) {
                return null;
            }
            status = map.get("status");
        } else {
            return null;
        }
        if ("BEGIN".equals(status)) {
            return Marker.BEGIN;
        }
        return "END".equals(status) ? Marker.END : null;
    }
}
