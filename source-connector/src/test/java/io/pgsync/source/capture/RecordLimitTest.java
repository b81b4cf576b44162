package io.pgsync.source.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.Test;

import io.pgsync.common.event.RowChange;
import io.pgsync.common.event.RowChunk;
import io.pgsync.common.pg.TableRef;

class RecordLimitTest {

    private static final TableRef BIG = new TableRef("public", "big");

    @Test
    void aChangeAboveTheConfiguredRequestSizeFailsNamingTableKeyAndSettings() {
        RecordLimit limit = RecordLimit.of(Map.of(RecordLimit.MAX_REQUEST_SIZE, "1000",
                RecordLimit.TOPIC_MAX_MESSAGE_BYTES, "5000"));
        assertThatThrownBy(() -> limit.check(change("c", List.of("2", "x".repeat(1001)), null)))
                .isInstanceOf(ConnectException.class)
                .hasMessageContaining("a change of public.big key (id=2)")
                .hasMessageContaining("1002 bytes in text form")
                .hasMessageContaining("more than producer.override.max.request.size=1000")
                .hasMessageContaining("producer.override.buffer.memory")
                .hasMessageContaining("topic.creation.default.max.message.bytes")
                .hasMessageContaining("message.max.bytes");
    }

    @Test
    void theSmallerProducerLimitCountsAndADeleteNamesTheOldRowsKey() {
        RecordLimit limit = RecordLimit.of(Map.of(RecordLimit.MAX_REQUEST_SIZE, "5000",
                RecordLimit.BUFFER_MEMORY, "100"));
        assertThatThrownBy(() -> limit.check(change("d", null, List.of("7", "y".repeat(200)))))
                .hasMessageContaining("key (id=7)")
                .hasMessageContaining("more than producer.override.buffer.memory=100");
    }

    @Test
    void theTopicsLimitIsLeftToTheBrokerWhichChecksTheCompressedBatch() {
        RecordLimit limit = RecordLimit.of(Map.of(RecordLimit.TOPIC_MAX_MESSAGE_BYTES, "100"));
        assertThatCode(() -> limit.check(change("c", List.of("1", "x".repeat(1000)), null)))
                .doesNotThrowAnyException();
    }

    @Test
    void aFullSyncChunkAboveTheLimitFailsNamingTheTable() {
        RecordLimit limit = RecordLimit.of(Map.of(RecordLimit.BUFFER_MEMORY, "10"));
        SourceRecord chunk = record(RowChunk.SCHEMA.name(), new RowChunk(BIG, List.of("id", "t"),
                List.of("int", "text"), List.of("id"), 1, "1\t" + "z".repeat(20) + "\n", false).toStruct());
        assertThatThrownBy(() -> limit.check(chunk))
                .hasMessageContaining("a full sync chunk of public.big with 1 row(s)")
                .hasMessageContaining("more than producer.override.buffer.memory=10");
    }

    @Test
    void recordsWithinTheLimitAndConfigsWithoutLimitsPass() {
        SourceRecord large = change("c", List.of("1", "x".repeat(10_000)), null);
        assertThatCode(() -> RecordLimit.of(Map.of()).check(large)).doesNotThrowAnyException();
        assertThatCode(() -> RecordLimit.of(Map.of(RecordLimit.MAX_REQUEST_SIZE, "10002")).check(large))
                .doesNotThrowAnyException();
        assertThat(RecordLimit.of(Map.of(RecordLimit.MAX_REQUEST_SIZE, "not a number"))).isNotNull();
    }

    private static SourceRecord change(String op, List<String> after, List<String> before) {
        RowChange change = new RowChange(op, BIG, List.of("id", "t"), Arrays.asList("int", "text"), List.of("id"),
                after, before, List.of(), null, -1);
        return record(RowChange.SCHEMA_NAME, change.toStruct());
    }

    private static SourceRecord record(String schemaName, Struct value) {
        assertThat(value.schema().name()).isEqualTo(schemaName);
        return new SourceRecord(Map.of(), Map.of(), "db.changelog", 0, null, null, value.schema(), value);
    }
}
