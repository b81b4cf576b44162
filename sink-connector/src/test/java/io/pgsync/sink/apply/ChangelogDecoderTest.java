package io.pgsync.sink.apply;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.Test;

import io.pgsync.common.event.RowChange;
import io.pgsync.common.event.RowChunk;
import io.pgsync.common.event.SequencePosition;
import io.pgsync.common.event.SourcePosition;
import io.pgsync.common.event.TransactionMarker;
import io.pgsync.common.pg.TableRef;
import io.pgsync.sink.mapping.NameMapping;

class ChangelogDecoderTest {

    private static final TableRef ORDERS = new TableRef("public", "orders");
    private static final NameMapping MAPPING = NameMapping.of("mapping.schemas", List.of("public:sales"),
            "mapping.tables", List.of(), "mapping.columns", List.of(), "columns.exclude", List.of());

    private final ChangelogDecoder decoder = new ChangelogDecoder("__debezium_unavailable_value", MAPPING);

    private ChangelogEntry decode(Schema schema, Object value) {
        return decoder.decode(new SinkRecord("shop.changelog", 0, null, null, schema, value, 42));
    }

    @Test
    void eachKindOfRecordBecomesItsEntryUnderTheNamingRules() {
        RowChange change = new RowChange("c", ORDERS, List.of("id"), List.of("integer not null"), List.of("id"),
                List.of("7"), null, List.of(), new SourcePosition(1, 2, 3), 5);
        ChangelogEntry row = decode(RowChange.SCHEMA, change.toStruct());
        assertThat(row).isInstanceOf(ChangelogEntry.Row.class);
        ChangeEvent event = ((ChangelogEntry.Row) row).event();
        assertThat(event.table()).isEqualTo(new TableRef("sales", "orders"));
        assertThat(event.row()).isEqualTo(Map.of("id", "7"));
        assertThat(event.position()).isEqualTo(new SourcePosition(1, 2, 3));

        RowChunk chunk = new RowChunk(ORDERS, List.of("id"), List.of("integer"), List.of("id"), 1, "7\n", true);
        assertThat(decode(RowChunk.SCHEMA, chunk.toStruct())).isEqualTo(new ChangelogEntry.Chunk(
                new RowChunk(new TableRef("sales", "orders"), List.of("id"), List.of("integer"), List.of("id"), 1,
                        "7\n", true)));

        SequencePosition sequence = new SequencePosition(new TableRef("public", "orders_id_seq"), 9, true);
        assertThat(decode(SequencePosition.SCHEMA, sequence.toStruct())).isEqualTo(new ChangelogEntry.Sequence(
                new SequencePosition(new TableRef("sales", "orders_id_seq"), 9, true)));

        assertThat(decode(null, Map.of("status", "END", "id", "571:23456")))
                .isEqualTo(new ChangelogEntry.Marker(TransactionMarker.Status.END));
    }

    @Test
    void recordsThatChangeNothingAreNothing() {
        assertThat(decode(null, null)).isSameAs(ChangelogEntry.NOTHING);
        Schema heartbeat = SchemaBuilder.struct().name("io.debezium.connector.common.Heartbeat")
                .field("ts_ms", Schema.INT64_SCHEMA).build();
        assertThat(decode(heartbeat, new Struct(heartbeat).put("ts_ms", 1L))).isSameAs(ChangelogEntry.NOTHING);
    }

    @Test
    void aRecordThatCannotBeReadNamesItsPosition() {
        ChangelogEntry entry = decode(null, Map.of("op", "c", "table", "orders", "columns", List.of("id"),
                "types", List.of("integer")));
        assertThat(entry).isInstanceOf(ChangelogEntry.Unreadable.class);
        assertThat(((ChangelogEntry.Unreadable) entry).error().getMessage())
                .contains("shop.changelog-0@42").contains("'schema'");
        assertThat(decode(null, "not a change")).isInstanceOf(ChangelogEntry.Unreadable.class);
    }
}
