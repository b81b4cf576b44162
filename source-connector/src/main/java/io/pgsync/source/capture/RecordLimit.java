package io.pgsync.source.capture;

import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.source.SourceRecord;

import io.pgsync.common.event.RowChange;
import io.pgsync.common.event.RowChunk;

/**
 * Refuses a changelog record that cannot fit the size limits set in the connector's own config, naming the table,
 * the row's key and the keys to raise; Kafka's producer and broker would reject it without naming the table or the row
 * (the broker without naming a setting either).
 *
 * <p>The size compared is a lower bound of the serialized record: the length of the row's values in text form (a
 * bytea's hex text counts 2 characters a byte), which JSON and Avro both carry at least byte for byte. The producer
 * compares the uncompressed record with {@code max.request.size} and {@code buffer.memory}, so a record refused here
 * could never have been sent. The topic's {@code max.message.bytes} is not compared: the broker checks it on the
 * compressed batch, which may be smaller than the text. A limit set only in the worker's config
 * ({@code producer.max.request.size}) is not visible to the connector and is left to Kafka's own error.
 */
public final class RecordLimit {

    public static final String MAX_REQUEST_SIZE = "producer.override.max.request.size";
    public static final String BUFFER_MEMORY = "producer.override.buffer.memory";
    public static final String TOPIC_MAX_MESSAGE_BYTES = "topic.creation.default.max.message.bytes";

    private final long limit;
    private final String limitingKey;

    private RecordLimit(long limit, String limitingKey) {
        this.limit = limit;
        this.limitingKey = limitingKey;
    }

    /** The smaller of the producer limits the connector config sets; no limit when it sets neither. */
    public static RecordLimit of(Map<String, String> config) {
        long limit = Long.MAX_VALUE;
        String key = null;
        for (String candidate : List.of(MAX_REQUEST_SIZE, BUFFER_MEMORY)) {
            String value = config.get(candidate);
            if (value == null || value.isBlank()) {
                continue;
            }
            long bytes;
            try {
                bytes = Long.parseLong(value.trim());
            } catch (NumberFormatException e) {
                continue;
            }
            if (bytes < limit) {
                limit = bytes;
                key = candidate;
            }
        }
        return new RecordLimit(limit, key);
    }

    /**
     * Fails when a record's values alone exceed the limit.
     *
     * @throws ConnectException naming the table, the row's key (or the full sync's chunk) and the settings to raise
     */
    public void check(SourceRecord record) {
        if (limitingKey == null || !(record.value() instanceof Struct value) || record.valueSchema() == null) {
            return;
        }
        String name = record.valueSchema().name();
        long size;
        String what;
        if (RowChange.SCHEMA_NAME.equals(name)) {
            size = length(value.getArray("after")) + length(value.getArray("before"));
            if (size <= limit) {
                return;
            }
            what = "a change of " + value.getString("schema") + "." + value.getString("table") + " key " + key(value);
        } else if (RowChunk.SCHEMA_NAME.equals(name)) {
            size = value.getString("copy").length();
            if (size <= limit) {
                return;
            }
            what = "a full sync chunk of " + value.getString("schema") + "." + value.getString("table") + " with "
                    + value.getInt32("rows") + " row(s)";
        } else {
            return;
        }
        throw new ConnectException("Cannot send " + what + " to the changelog: its values alone are " + size
                + " bytes in text form (a bytea counts 2 characters a byte), more than " + limitingKey + "=" + limit
                + ". Raise " + MAX_REQUEST_SIZE + " and " + BUFFER_MEMORY + " above the largest row, the changelog "
                + "topic's max.message.bytes (" + TOPIC_MAX_MESSAGE_BYTES + " when Connect creates it) and the "
                + "broker's message.max.bytes");
    }

    /** The key columns and their values, e.g. {@code (id=2)}, from the new row or, for a delete, the old one. */
    private static String key(Struct change) {
        List<String> columns = change.getArray("columns");
        List<String> row = change.getArray("after") != null ? change.getArray("after") : change.getArray("before");
        StringJoiner key = new StringJoiner(", ", "(", ")");
        for (Object column : change.getArray("key")) {
            int index = columns.indexOf(column);
            key.add(column + "=" + (row == null || index < 0 ? "?" : row.get(index)));
        }
        return key.toString();
    }

    private static long length(List<String> values) {
        long length = 0;
        if (values != null) {
            for (String text : values) {
                length += text == null ? 0 : text.length();
            }
        }
        return length;
    }
}
