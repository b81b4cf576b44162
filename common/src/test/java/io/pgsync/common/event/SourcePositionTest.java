package io.pgsync.common.event;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.junit.jupiter.api.Test;

class SourcePositionTest {

    private static final Schema SOURCE = SchemaBuilder.struct()
            .field("snapshot", Schema.OPTIONAL_STRING_SCHEMA)
            .field("sequence", Schema.OPTIONAL_STRING_SCHEMA).build();
    private static final Schema TRANSACTION = SchemaBuilder.struct().optional()
            .field("total_order", Schema.INT64_SCHEMA).build();

    @Test
    void readsDebeziumsSequenceAndTransactionOrder() {
        Struct source = new Struct(SOURCE).put("snapshot", "false").put("sequence", "[\"24023128\",\"24023312\"]");
        assertThat(SourcePosition.of(source, new Struct(TRANSACTION).put("total_order", 3L)))
                .isEqualTo(new SourcePosition(24023128L, 24023312L, 3));
        assertThat(SourcePosition.of(source, null)).isEqualTo(new SourcePosition(24023128L, 24023312L, 0));
        assertThat(SourcePosition.parse("[null,\"5\"]")).isEqualTo(new SourcePosition(-1, 5, 0));
    }

    @Test
    void snapshotReadsAndOddSequencesHaveNoPosition() {
        assertThat(SourcePosition.of(new Struct(SOURCE).put("snapshot", "true").put("sequence", "[null,\"5\"]"), null))
                .isNull();
        assertThat(SourcePosition.of(new Struct(SOURCE).put("snapshot", "last").put("sequence", "[null,\"5\"]"), null))
                .isNull();
        assertThat(SourcePosition.parse("not json")).isNull();
        assertThat(SourcePosition.parse("[\"1\"]")).isNull();
        assertThat(SourcePosition.parse(null)).isNull();
        assertThat(SourcePosition.parse("[\"1\",\"2\",\"3\"]")).isNull();
        assertThat(SourcePosition.parse("[\"1\",\"2\",]")).isNull();
        assertThat(SourcePosition.parse("[\"1\",\"x\"]")).isNull();
        assertThat(SourcePosition.parse("[\"1\",\"\"]")).isNull();
        assertThat(SourcePosition.parse("[\"1\",null]")).isNull();
    }

    @Test
    void blanksAndQuotesAroundTheNumbersAreRead() {
        assertThat(SourcePosition.parse(" [ \"7\" , 9 ] ")).isEqualTo(new SourcePosition(7, 9, 0));
        assertThat(SourcePosition.parse("[ null ,\"-1\"]")).isEqualTo(new SourcePosition(-1, -1, 0));
        assertThat(SourcePosition.parse("[\"\",\"5\"]")).isEqualTo(new SourcePosition(-1, 5, 0));
    }

    @Test
    void ordersByCommitThenLsnThenOrderWithinTheTransaction() {
        SourcePosition delete = new SourcePosition(100, 150, 1);
        SourcePosition createOfTheSameWalRecord = new SourcePosition(100, 150, 2);
        SourcePosition laterTransactionWithLowerLsn = new SourcePosition(200, 120, 1);
        assertThat(createOfTheSameWalRecord.isAfter(delete)).isTrue();
        assertThat(laterTransactionWithLowerLsn.isAfter(createOfTheSameWalRecord)).isTrue();
        assertThat(delete.isAfter(delete)).isFalse();
        assertThat(delete.isAfter(null)).isTrue();
    }

    @Test
    void withoutTransactionMetadataOnlyEarlierChangesAreDuplicates() {
        SourcePosition delete = new SourcePosition(100, 150, 0);
        SourcePosition createOfTheSameWalRecord = new SourcePosition(100, 150, 0);
        assertThat(createOfTheSameWalRecord.isAfter(delete)).isTrue();
        assertThat(new SourcePosition(100, 149, 0).isAfter(delete)).isFalse();
    }
}
