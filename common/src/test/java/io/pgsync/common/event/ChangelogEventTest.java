package io.pgsync.common.event;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.junit.jupiter.api.Test;

import io.pgsync.common.pg.TableRef;

class ChangelogEventTest {

    private static final TableRef DOCS = new TableRef("public", "docs");

    @Test
    void everyEventOfTheChangelogDecodesToItsKind() {
        RowChange change = new RowChange("d", DOCS, List.of("id"), List.of("integer"), List.of("id"), null,
                List.of("1"), List.of(), new SourcePosition(1, 2, 3), 4, List.of("2"));
        assertThat(ChangelogEvent.decode(RowChange.SCHEMA, change.toStruct())).contains(change);
        RowChunk chunk = new RowChunk(DOCS, List.of("id"), List.of("integer"), List.of("id"), 1, "1\n", false);
        assertThat(ChangelogEvent.decode(RowChunk.SCHEMA, chunk.toStruct())).contains(chunk);
        SchemaObject object = SchemaObject.of("schema", "app", SchemaObject.PRE_DATA, List.of("CREATE SCHEMA app"));
        assertThat(ChangelogEvent.decode(SchemaObject.SCHEMA, object.toStruct())).contains(object);
        SequencePosition sequence = new SequencePosition(new TableRef("public", "s"), 5, false);
        assertThat(ChangelogEvent.decode(SequencePosition.SCHEMA, sequence.toStruct())).contains(sequence);
        DdlEvent ddl = new DdlEvent("ALTER TABLE", "ALTER TABLE docs ADD x int", "[]", new SourcePosition(1, 2, 3), 4);
        assertThat(ChangelogEvent.decode(DdlEvent.SCHEMA, ddl.toStruct())).contains(ddl);
    }

    @Test
    void debeziumTransactionMarkersAreMarkersInEitherForm() {
        Schema schema = SchemaBuilder.struct().field("status", Schema.STRING_SCHEMA).field("id", Schema.STRING_SCHEMA)
                .field("event_count", Schema.OPTIONAL_INT64_SCHEMA).build();
        assertThat(ChangelogEvent.decode(schema, new Struct(schema).put("status", "BEGIN").put("id", "571:23456")))
                .contains(new TransactionMarker(TransactionMarker.Status.BEGIN, "571:23456"));
        assertThat(ChangelogEvent.decode(null, Map.of("status", "END", "id", "571:23456")))
                .contains(new TransactionMarker(TransactionMarker.Status.END, "571:23456"));
        assertThat(ChangelogEvent.decode(null, Map.of("status", "END", "id", "1", "op", "c")))
                .as("a change with a status column is no marker").isEmpty();
    }

    @Test
    void otherValuesAreNoEvent() {
        assertThat(ChangelogEvent.decode(null, null)).isEmpty();
        assertThat(ChangelogEvent.decode(null, "text")).isEmpty();
        Schema envelope = SchemaBuilder.struct().field("op", Schema.STRING_SCHEMA).build();
        assertThat(ChangelogEvent.decode(envelope, new Struct(envelope).put("op", "c"))).isEmpty();
    }

    @Test
    void aRowChangeWrittenBeforeKeyMovesReadsWithoutThem() {
        Map<String, Object> old = Map.of("op", "d", "schema", "public", "table", "docs", "columns", List.of("id"),
                "types", List.of("integer"), "key", List.of("id"), "before", List.of("1"));
        assertThat(RowChange.of(null, old).orElseThrow().movedTo()).isNull();
    }
}
