package io.pgsync.source.capture;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.Test;

import io.pgsync.common.event.SourcePosition;

class StreamStartTest {

    private static final Schema SOURCE = SchemaBuilder.struct().field("table", Schema.STRING_SCHEMA)
            .field("sequence", Schema.OPTIONAL_STRING_SCHEMA).build();
    private static final Schema ENVELOPE = SchemaBuilder.struct().field("op", Schema.STRING_SCHEMA)
            .field("source", SOURCE).build();

    private static SourceRecord change(String sequence) {
        Struct value = new Struct(ENVELOPE).put("op", "c")
                .put("source", new Struct(SOURCE).put("table", "docs").put("sequence", sequence));
        return new SourceRecord(Map.of("server", "shop"), Map.of("lsn", 1L), "shop.public.docs", 0, null, null,
                ENVELOPE, value);
    }

    private static SourcePosition position(SourceRecord record) {
        return SourcePosition.parse(((Struct) record.value()).getStruct("source").getString("sequence"));
    }

    @Test
    void changesBeforeTheFirstCommitAreStampedWithTheStreamsStart() {
        StreamStart start = new StreamStart(50331744);
        List<SourceRecord> first = start.apply(List.of(change("[null,\"50331960\"]"), change("[null,\"50332000\"]")));
        assertThat(first).extracting(StreamStartTest::position).containsExactly(
                new SourcePosition(50331744, 50331960, 0), new SourcePosition(50331744, 50332000, 0));
        assertThat(first.get(0).sourceOffset()).as("Debezium's offsets stay").isEqualTo(Map.of("lsn", 1L));
        SourceRecord known = change("[\"50332100\",\"50332200\"]");
        List<SourceRecord> later = start.apply(List.of(known, change("[null,\"1\"]")));
        assertThat(later.get(0)).isSameAs(known);
        assertThat(later.get(1)).as("a commit was seen: Debezium knows the position from here on")
                .extracting(StreamStartTest::position).isEqualTo(new SourcePosition(-1, 1, 0));
    }

    @Test
    void recordsWithoutSequenceAreLeftAlone() {
        SourceRecord marker = new SourceRecord(Map.of(), Map.of(), "t", 0, null, null, null, null);
        assertThat(new StreamStart(1).apply(List.of(marker))).containsExactly(marker);
    }
}
