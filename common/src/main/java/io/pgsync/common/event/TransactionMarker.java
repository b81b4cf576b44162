package io.pgsync.common.event;

import java.util.Map;
import java.util.Optional;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;

/**
 * A source transaction's BEGIN or END, from Debezium's transaction metadata ({@code provide.transaction.metadata}),
 * routed into the changelog between the transaction's changes. With N partitions the source copies every marker to
 * every partition, so each partition tells where its transactions start and end.
 *
 * <p>Example: {@code {"status":"END","id":"571:23456","event_count":3,...}} is the END of transaction {@code 571}.
 *
 * @param status BEGIN or END
 * @param id Debezium's transaction id ({@code <xid>:<lsn>})
 */
public record TransactionMarker(Status status, String id) implements ChangelogEvent {

    /** Which end of a transaction the marker is. */
    public enum Status {
        BEGIN, END
    }

    /**
     * Returns the marker a record value carries, or empty when the value is not one. A marker is a struct (JSON with
     * schemas, Avro) or a map (JSON without schemas) with a {@code status} and an {@code id} and no {@code op}.
     */
    public static Optional<TransactionMarker> of(Schema schema, Object value) {
        Object status;
        Object id;
        if (value instanceof Struct struct) {
            if (schema == null || schema.field("status") == null || schema.field("id") == null
                    || schema.field("op") != null) {
                return Optional.empty();
            }
            status = struct.get("status");
            id = struct.get("id");
        } else if (value instanceof Map<?, ?> map && schema == null) {
            if (!map.containsKey("status") || !map.containsKey("id") || map.containsKey("op")) {
                return Optional.empty();
            }
            status = map.get("status");
            id = map.get("id");
        } else {
            return Optional.empty();
        }
        if ("BEGIN".equals(status)) {
            return Optional.of(new TransactionMarker(Status.BEGIN, String.valueOf(id)));
        }
        return "END".equals(status) ? Optional.of(new TransactionMarker(Status.END, String.valueOf(id)))
                : Optional.empty();
    }
}
