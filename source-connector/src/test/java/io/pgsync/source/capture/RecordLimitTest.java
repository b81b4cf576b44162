package io.pgsync.source.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.Test;

import io.pgsync.common.event.ChangelogEvent;
import io.pgsync.common.event.RowChange;
import io.pgsync.common.event.RowChunk;
import io.pgsync.common.event.ValuePiece;
import io.pgsync.common.pg.TableRef;

class RecordLimitTest {

    private static final TableRef BIG = new TableRef("public", "big");
    private static final int MIB = 1024 * 1024;

    @Test
    void withoutSettingsTheLimitIsKafkasDefaultRequestSize() {
        assertThat(RecordLimit.of(Map.of()).budget()).isEqualTo(1_048_576 - RecordLimit.HEADROOM);
        assertThat(RecordLimit.of(Map.of(RecordLimit.MAX_REQUEST_SIZE, "8388608",
                RecordLimit.TOPIC_MAX_MESSAGE_BYTES, "2097152")).budget())
                .as("the topic's smaller limit").isEqualTo(2_097_152 - RecordLimit.HEADROOM);
        assertThat(RecordLimit.of(Map.of(RecordLimit.MAX_REQUEST_SIZE, "not a number")).budget())
                .isEqualTo(1_048_576 - RecordLimit.HEADROOM);
    }

    @Test
    void aRowAboveTheLimitGoesOutAsPiecesOfItsLargestValueThenTheChangeWithoutIt() {
        RecordLimit limit = RecordLimit.of(Map.of());
        String body = "x".repeat(2 * MIB + 5);
        SourceRecord large = change("c", Arrays.asList("7", "small", body), null);
        SourceRecord after = change("c", Arrays.asList("8", "next", "y"), null);
        limit.add(List.of(large, after));

        List<SourceRecord> out = drain(limit);
        assertThat(out).hasSize(5);
        List<ValuePiece> pieces = out.subList(0, 3).stream().map(r -> (ValuePiece) decode(r)).toList();
        assertThat(pieces).extracting(ValuePiece::part).containsExactly(0, 1, 2);
        assertThat(pieces).allSatisfy(p -> assertThat(p.parts()).isEqualTo(3));
        assertThat(pieces).extracting(ValuePiece::first).containsExactly(true, false, false);
        assertThat(pieces).allSatisfy(p -> assertThat(p.column()).isEqualTo("body"));
        assertThat(String.join("", pieces.stream().map(ValuePiece::text).toList())).isEqualTo(body);
        assertThat(pieces).allSatisfy(p -> assertThat(p.text().length()).isLessThanOrEqualTo((int) limit.budget()));
        RowChange rest = (RowChange) decode(out.get(3));
        assertThat(rest.after()).containsExactly("7", "small", null);
        assertThat(rest.pieced()).containsExactly("body");
        assertThat(decode(out.get(4))).isEqualTo(decode(after));
        assertThat(out).allSatisfy(r -> assertThat(r.kafkaPartition()).isEqualTo(3));
        assertThat(out.subList(0, 3)).as("the change's source offset is not committed before the change")
                .allSatisfy(r -> assertThat(RecordLimit.isPiece(r)).isTrue());
        assertThat(out.get(3).sourceOffset()).isEqualTo(large.sourceOffset());
        assertThat(RecordLimit.isPiece(out.get(3))).isFalse();
    }

    @Test
    void piecesGoOutAFewAtATimeSoTheTaskHoldsTheRowOnce() {
        RecordLimit limit = RecordLimit.of(Map.of(RecordLimit.MAX_REQUEST_SIZE, "200000"));
        limit.add(List.of(change("u", Arrays.asList("1", "a".repeat(3 * MIB), "b".repeat(3 * MIB)), null)));
        List<SourceRecord> first = limit.next();
        assertThat(first).hasSize(16);
        assertThat(limit.hasNext()).isTrue();
        List<SourceRecord> all = new ArrayList<>(first);
        all.addAll(drain(limit));
        RowChange rest = (RowChange) decode(all.get(all.size() - 1));
        assertThat(rest.pieced()).containsExactlyInAnyOrder("note", "body");
        assertThat(all.subList(0, all.size() - 1)).allSatisfy(r -> assertThat(decode(r)).isInstanceOf(ValuePiece.class));
    }

    @Test
    void escapedAndMultibyteTextIsCutByItsEncodedSizeAndNeverInsideASurrogatePair() {
        String text = "\"\u0001é😀表".repeat(1000);
        long bound = 1000;
        int start = 0;
        StringBuilder joined = new StringBuilder();
        while (start < text.length()) {
            int end = EncodedSize.cut(text, start, bound);
            String piece = text.substring(start, end);
            assertThat(EncodedSize.of(piece)).isLessThanOrEqualTo(bound);
            assertThat(Character.isHighSurrogate(piece.charAt(piece.length() - 1))).isFalse();
            joined.append(piece);
            start = end;
        }
        assertThat(joined.toString()).isEqualTo(text);
        assertThat(EncodedSize.of("a\tb")).isEqualTo(4);
        assertThat(EncodedSize.of("\"\u0001é😀表")).isEqualTo(2 + 6 + 2 + 4 + 3);
    }

    @Test
    void anOldRowAboveTheLimitFailsNamingTableKeyAndSize() {
        RecordLimit limit = RecordLimit.of(Map.of(RecordLimit.MAX_REQUEST_SIZE, "200000"));
        limit.add(List.of(change("d", null, Arrays.asList("7", "n", "y".repeat(300_000)))));
        assertThatThrownBy(limit::next).isInstanceOf(ConnectException.class)
                .hasMessageContaining("Cannot send a change of public.big key (id=7) to the changelog")
                .hasMessageContaining("at producer.override.max.request.size=200000")
                .hasMessageContaining("the old row")
                .hasMessageContaining("REPLICA IDENTITY DEFAULT")
                .hasMessageContaining("message.max.bytes");
    }

    @Test
    void anOldRowAboveTheLimitOfATableWithoutKeyFailsNamingAFixThatKeepsTheRowIdentified() {
        RecordLimit limit = RecordLimit.of(Map.of(RecordLimit.MAX_REQUEST_SIZE, "200000"));
        List<String> old = Arrays.asList("7", "n", "y".repeat(300_000));
        limit.add(List.of(record(new RowChange("u", BIG, List.of("id", "note", "body"), List.of("int", "text",
                "text"), List.of(), Arrays.asList("7", "m", "y".repeat(300_000)), old, List.of(), null, -1)
                .toStruct())));
        assertThatThrownBy(limit::next).isInstanceOf(ConnectException.class)
                .hasMessageContaining("Cannot send a change of public.big")
                .hasMessageContaining("has no primary key")
                .hasMessageContaining("REPLICA IDENTITY USING INDEX")
                .message().doesNotContain("REPLICA IDENTITY DEFAULT");
    }

    @Test
    void aFullSyncChunkAboveTheLimitFailsNamingTheTable() {
        RecordLimit limit = RecordLimit.of(Map.of(RecordLimit.BUFFER_MEMORY, "1000"));
        SourceRecord chunk = record(new RowChunk(BIG, List.of("id", "t"), List.of("int", "text"), List.of("id"), 1,
                "1\t" + "z".repeat(2000) + "\n", false).toStruct());
        limit.add(List.of(chunk));
        assertThatThrownBy(limit::next)
                .hasMessageContaining("a full sync chunk of public.big with 1 row(s)")
                .hasMessageContaining("at producer.override.buffer.memory=1000");
    }

    @Test
    void recordsWithinTheLimitPassUnchanged() {
        RecordLimit limit = RecordLimit.of(Map.of());
        SourceRecord small = change("c", Arrays.asList("1", "n", "x".repeat(10_000)), null);
        limit.add(List.of(small));
        assertThat(limit.next()).containsExactly(small);
        assertThat(limit.hasNext()).isFalse();
    }

    private static List<SourceRecord> drain(RecordLimit limit) {
        List<SourceRecord> out = new ArrayList<>();
        while (limit.hasNext()) {
            out.addAll(limit.next());
        }
        return out;
    }

    private static ChangelogEvent decode(SourceRecord record) {
        return ChangelogEvent.decode(record.valueSchema(), record.value()).orElseThrow();
    }

    private static SourceRecord change(String op, List<String> after, List<String> before) {
        RowChange change = new RowChange(op, BIG, List.of("id", "note", "body"), Arrays.asList("int", "text", "text"),
                List.of("id"), after, before, List.of(), null, -1);
        return record(change.toStruct());
    }

    private static SourceRecord record(Struct value) {
        return new SourceRecord(Map.of("server", "db"), Map.of("lsn", 42L), "db.changelog", 3, null, null,
                value.schema(), value);
    }
}
