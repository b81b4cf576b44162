package io.pgsync.source.capture;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.Test;

import io.pgsync.common.event.Changelog;
import io.pgsync.common.event.DebeziumEnvelope;
import io.pgsync.common.pg.TableRef;

class ChangelogRouterTest {

    private static final Schema SOURCE = SchemaBuilder.struct().field("schema", Schema.STRING_SCHEMA)
            .field("table", Schema.STRING_SCHEMA).build();
    private static final Schema ENVELOPE = SchemaBuilder.struct().field("op", Schema.STRING_SCHEMA)
            .field("source", SOURCE).build();
    private static final Schema MARKER = SchemaBuilder.struct().field("status", Schema.STRING_SCHEMA).build();

    private static SourceRecord change(String table, long lsn) {
        Struct value = new Struct(ENVELOPE).put("op", "c")
                .put("source", new Struct(SOURCE).put("schema", "public").put("table", table));
        return new SourceRecord(Map.of("server", "shop"), Map.of("lsn", lsn), "shop.public." + table, null, ENVELOPE, value);
    }

    private static SourceRecord marker(String status) {
        return new SourceRecord(Map.of("server", "shop"), Map.of("lsn", 1L), "shop.transaction", null, MARKER,
                new Struct(MARKER).put("status", status));
    }

    private static List<SourceRecord> route(ChangelogRouter router, List<SourceRecord> records) {
        List<SourceRecord> routed = new ArrayList<>();
        for (SourceRecord record : records) {
            router.route(record, DebeziumEnvelope.tableOf(record.valueSchema(), record.value()), routed);
        }
        return routed;
    }

    @Test
    void oneTopicOnePartitionKeepsCommitOrder() {
        List<SourceRecord> routed = route(new ChangelogRouter("shop.changelog", 1),
                List.of(marker("BEGIN"), change("a", 10), change("b", 11), marker("END")));
        assertThat(routed).extracting(SourceRecord::topic).containsOnly("shop.changelog");
        assertThat(routed).extracting(SourceRecord::kafkaPartition).containsOnly(0);
        assertThat(routed).extracting(r -> (Object) r.sourceOffset().get("lsn")).containsExactly(1L, 10L, 11L, 1L);
    }

    @Test
    void tablesHashToTheirPartitionAndMarkersGoToEvery() {
        List<SourceRecord> routed = route(new ChangelogRouter("shop.changelog", 3),
                List.of(marker("BEGIN"), change("a", 10), change("a", 12)));
        assertThat(routed).hasSize(5);
        assertThat(routed.subList(0, 3)).extracting(SourceRecord::kafkaPartition).containsExactly(0, 1, 2);
        int expected = Changelog.partitionFor(new TableRef("public", "a"), 3);
        assertThat(routed.subList(3, 5)).extracting(SourceRecord::kafkaPartition).containsOnly(expected);
    }
}
