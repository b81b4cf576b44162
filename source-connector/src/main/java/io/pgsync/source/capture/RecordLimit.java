package io.pgsync.source.capture;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.source.SourceRecord;

import io.pgsync.common.event.DebeziumEnvelope;
import io.pgsync.common.event.RowChange;
import io.pgsync.common.event.RowChunk;
import io.pgsync.common.event.ValuePiece;

/**
 * Fits the changelog records within Kafka's record size limit: a row change whose record would exceed it goes out as
 * the {@link ValuePiece}s of its largest values, then the change without them; a record that still cannot fit fails
 * the task naming the table, the row's key and the size. Kafka's producer and broker would reject it without naming
 * the table or the row (the broker without naming a setting either).
 *
 * <p>The limit is the smallest of the producer's {@code max.request.size} and {@code buffer.memory} and the topic's
 * {@code max.message.bytes}, as the connector config sets them, else Kafka's defaults (1 MB, 32 MB, 1 MB): a limit
 * set only in the worker's or the broker's config is not visible to the connector, and a larger one there changes
 * nothing. Sizes are bounds of the serialized record ({@link EncodedSize}), with {@value #HEADROOM} bytes left for
 * the record's envelope (the schema JSON carries with each value, headers, Kafka's own framing).
 *
 * <p>Worked example at the defaults (limit 1,048,576): an INSERT of {@code public.docs (id=7)} with a 2 MB
 * {@code body} goes out as 3 pieces of {@code body} of up to 978,944 bytes each, then the change with {@code body}
 * null and {@code pieced [body]}. Pieces are handed out a few at a time ({@link #next}), so the task holds the row
 * once, not twice.
 */
public final class RecordLimit {

    public static final String MAX_REQUEST_SIZE = "producer.override.max.request.size";
    public static final String BUFFER_MEMORY = "producer.override.buffer.memory";
    public static final String TOPIC_MAX_MESSAGE_BYTES = "topic.creation.default.max.message.bytes";

    /** The key of the source partition of every piece record. */
    public static final String PIECES_PARTITION_KEY = "pgsync_value_pieces";

    /** The bytes of each record kept for its envelope. */
    static final int HEADROOM = 64 * 1024;
    /** The pieces handed out by one {@link #next} call, at most. */
    private static final int PIECES_PER_POLL = 16;
    private static final Map<String, Long> KAFKA_DEFAULTS = Map.of(MAX_REQUEST_SIZE, 1_048_576L,
            BUFFER_MEMORY, 33_554_432L, TOPIC_MAX_MESSAGE_BYTES, 1_048_588L);

    private final long limit;
    private final String limitingKey;
    private final Deque<SourceRecord> waiting = new ArrayDeque<>();
    private Pieces pieces;

    private RecordLimit(long limit, String limitingKey) {
        this.limit = limit;
        this.limitingKey = limitingKey;
    }

    /** The smallest of the limits the connector config sets, each one it does not set at Kafka's default. */
    public static RecordLimit of(Map<String, String> config) {
        long limit = Long.MAX_VALUE;
        String key = null;
        for (String candidate : List.of(MAX_REQUEST_SIZE, TOPIC_MAX_MESSAGE_BYTES, BUFFER_MEMORY)) {
            long bytes = bytes(config.get(candidate), KAFKA_DEFAULTS.get(candidate));
            if (bytes < limit) {
                limit = bytes;
                key = candidate;
            }
        }
        return new RecordLimit(limit, key);
    }

    private static long bytes(String value, long fallback) {
        if (value == null || value.isBlank()) {
            return fallback;
        }
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    /** The encoded size a record may take apart from its envelope. */
    public long budget() {
        return limit > 2L * HEADROOM ? limit - HEADROOM : limit / 2;
    }

    /**
     * Whether the record is a piece: its source offset is a placeholder under a source partition of its own, since the
     * change's offset must not be committed (nor reach Debezium) before the change itself, or a restart would skip the
     * row after only some of its pieces were sent.
     */
    public static boolean isPiece(SourceRecord record) {
        return record.sourcePartition() != null && record.sourcePartition().containsKey(PIECES_PARTITION_KEY);
    }

    /** Takes records to hand out, in order, after those taken before. */
    public void add(List<SourceRecord> records) {
        waiting.addAll(records);
    }

    /** Whether records taken before remain to be handed out. */
    public boolean hasNext() {
        return pieces != null || !waiting.isEmpty();
    }

    /**
     * Hands out the records taken so far, each fitted within the limit; stops after {@value #PIECES_PER_POLL}
     * pieces, so a large row goes out over several calls.
     *
     * @throws ConnectException naming the table, the row's key (or the full sync's chunk) and the size, for a record
     *     that cannot be made to fit
     */
    public List<SourceRecord> next() {
        List<SourceRecord> out = new ArrayList<>();
        int handed = 0;
        while (handed < PIECES_PER_POLL && hasNext()) {
            if (pieces != null) {
                out.add(pieces.next());
                handed++;
                if (!pieces.hasNext()) {
                    out.add(pieces.change());
                    pieces = null;
                }
                continue;
            }
            SourceRecord record = waiting.poll();
            pieces = fit(record);
            if (pieces == null) {
                out.add(record);
            }
        }
        return out;
    }

    /** Returns the pieces a row change is to travel as, or null when the record fits (or is no row change). */
    private Pieces fit(SourceRecord record) {
        if (!(record.value() instanceof Struct value) || record.valueSchema() == null) {
            return null;
        }
        String name = record.valueSchema().name();
        if (RowChunk.SCHEMA_NAME.equals(name)) {
            long size = EncodedSize.of(value.getString("copy"));
            if (size > budget()) {
                throw tooLarge("a full sync chunk of " + value.getString("schema") + "." + value.getString("table")
                        + " with " + value.getInt32("rows") + " row(s)", size, "");
            }
            return null;
        }
        if (!RowChange.SCHEMA_NAME.equals(name) || sizeBound(value) <= budget()) {
            return null;
        }
        RowChange change = RowChange.of(record.valueSchema(), value).orElseThrow();
        long size = size(change);
        if (size <= budget()) {
            return null;
        }
        List<String> after = change.after() == null ? List.of() : change.after();
        List<Integer> largest = new ArrayList<>();
        for (int i = 0; i < after.size(); i++) {
            if (after.get(i) != null && !change.key().contains(change.columns().get(i))) {
                largest.add(i);
            }
        }
        largest.sort(Comparator.comparingLong((Integer i) -> EncodedSize.of(after.get(i))).reversed());
        String[] kept = after.toArray(new String[0]);
        List<Integer> pieced = new ArrayList<>();
        long remaining = size;
        for (int i : largest) {
            if (remaining <= budget()) {
                break;
            }
            remaining -= EncodedSize.of(kept[i]);
            kept[i] = null;
            pieced.add(i);
        }
        if (remaining > budget()) {
            throw tooLarge("a change of " + change.table() + " key " + key(change), size,
                    " Only the new row's values other than the key travel in pieces; the old row (sent for a DELETE "
                            + "or UPDATE when the table's REPLICA IDENTITY is FULL) and the key must fit one record: "
                            + (change.key().isEmpty()
                                    ? "the table has no primary key, so its whole old row identifies the row; give "
                                            + "it a primary key, or a unique index on NOT NULL columns and REPLICA "
                                            + "IDENTITY USING INDEX."
                                    : "set the table's REPLICA IDENTITY DEFAULT, so that only its key is sent."));
        }
        List<String> names = pieced.stream().map(i -> change.columns().get(i)).toList();
        RowChange rest = change.withPieced(Arrays.asList(kept), names);
        return new Pieces(record, change, pieced, record.newRecord(record.topic(), record.kafkaPartition(),
                record.keySchema(), record.key(), RowChange.SCHEMA, rest.toStruct(), record.timestamp(),
                record.headers()), budget() - 4096);
    }

    private ConnectException tooLarge(String what, long size, String why) {
        return new ConnectException("Cannot send " + what + " to the changelog: it takes " + size + " bytes "
                + "serialized, more than fits in one record at " + limitingKey + "=" + limit + "." + why
                + " Else raise " + MAX_REQUEST_SIZE + " and " + BUFFER_MEMORY + ", the changelog topic's "
                + "max.message.bytes (" + TOPIC_MAX_MESSAGE_BYTES + " when Connect creates it) and the broker's "
                + "message.max.bytes above it");
    }

    /**
     * A bound of {@link #size} read from the record's value without taking it apart: no character encodes to more
     * than 6 bytes. Nearly every change is far below the budget, and this is all it costs.
     */
    private static long sizeBound(Struct value) {
        long bound = 0;
        for (Field field : value.schema().fields()) {
            Object text = DebeziumEnvelope.value(value, field);
            if (text instanceof String string) {
                bound += 6L * string.length() + 4;
            } else if (text instanceof List<?> texts) {
                for (Object element : texts) {
                    bound += 4 + (element instanceof String string ? 6L * string.length() : 0);
                }
            }
        }
        return bound;
    }

    /** The encoded size of a row change's texts. */
    private static long size(RowChange change) {
        return EncodedSize.of(change.after()) + EncodedSize.of(change.before()) + EncodedSize.of(change.columns())
                + EncodedSize.of(change.types()) + EncodedSize.of(change.key()) + EncodedSize.of(change.unchanged())
                + EncodedSize.of(change.table().schema()) + EncodedSize.of(change.table().table());
    }

    /** The key columns and their values, e.g. {@code (id=2)}, from the new row or, for a delete, the old one. */
    private static String key(RowChange change) {
        List<String> row = change.after() != null ? change.after() : change.before();
        StringJoiner key = new StringJoiner(", ", "(", ")");
        for (String column : change.key()) {
            int index = change.columns().indexOf(column);
            key.add(column + "=" + (row == null || index < 0 ? "?" : row.get(index)));
        }
        return key.toString();
    }

    /** The pieces of one row change's large values, cut as they are handed out, and the change that follows them. */
    private static final class Pieces {
        private final SourceRecord record;
        private final RowChange change;
        private final List<Integer> columns;
        private final SourceRecord rest;
        private final long bound;
        private int column;
        private int start;
        private int part;
        private int parts;

        Pieces(SourceRecord record, RowChange change, List<Integer> columns, SourceRecord rest, long bound) {
            this.record = record;
            this.change = change;
            this.columns = columns;
            this.rest = rest;
            this.bound = bound;
            this.parts = EncodedSize.pieces(value(), bound);
        }

        private String value() {
            return change.after().get(columns.get(column));
        }

        boolean hasNext() {
            return column < columns.size();
        }

        SourceRecord next() {
            String value = value();
            int end = EncodedSize.cut(value, start, bound);
            ValuePiece piece = new ValuePiece(change.table(), change.columns().get(columns.get(column)), part, parts,
                    column == 0 && part == 0, value.substring(start, end));
            start = end;
            part++;
            if (part == parts) {
                column++;
                start = 0;
                part = 0;
                parts = hasNext() ? EncodedSize.pieces(value(), bound) : 0;
            }
            return new SourceRecord(Map.of(PIECES_PARTITION_KEY, String.valueOf(record.sourcePartition())),
                    Map.of("part", 0), record.topic(), record.kafkaPartition(), null, null, ValuePiece.SCHEMA,
                    piece.toStruct(), record.timestamp());
        }

        SourceRecord change() {
            return rest;
        }
    }
}
