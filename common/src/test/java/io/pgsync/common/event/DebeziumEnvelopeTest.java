package io.pgsync.common.event;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.junit.jupiter.api.Test;

import io.pgsync.common.pg.TableRef;

class DebeziumEnvelopeTest {

    private static final Schema SOURCE = SchemaBuilder.struct().field("schema", Schema.STRING_SCHEMA)
            .field("table", Schema.STRING_SCHEMA).build();
    private static final Schema ENVELOPE = SchemaBuilder.struct().field("op", Schema.STRING_SCHEMA)
            .field("source", SOURCE).build();
    /** Another table's envelope, with the fields in another order: positions are per schema. */
    private static final Schema OTHER_SOURCE = SchemaBuilder.struct().field("ts_ms", Schema.INT64_SCHEMA)
            .field("table", Schema.STRING_SCHEMA).field("schema", Schema.STRING_SCHEMA).build();
    private static final Schema OTHER_ENVELOPE = SchemaBuilder.struct().field("source", OTHER_SOURCE)
            .field("op", Schema.STRING_SCHEMA).build();
    private static final Schema MARKER = SchemaBuilder.struct().field("status", Schema.STRING_SCHEMA)
            .field("schema", Schema.STRING_SCHEMA).field("table", Schema.STRING_SCHEMA).build();

    private static Struct change(String schema, String table) {
        return new Struct(ENVELOPE).put("op", "c")
                .put("source", new Struct(SOURCE).put("schema", schema).put("table", table));
    }

    @Test
    void theReaderFindsEachRecordsTableAsTheStaticLookupDoes() {
        DebeziumEnvelope.TableReader reader = new DebeziumEnvelope.TableReader();
        Struct other = new Struct(OTHER_ENVELOPE).put("op", "u")
                .put("source", new Struct(OTHER_SOURCE).put("ts_ms", 1L).put("table", "b").put("schema", "s2"));
        Struct marker = new Struct(MARKER).put("status", "END").put("schema", "x").put("table", "y");
        for (int round = 0; round < 2; round++) {
            assertThat(reader.tableOf(ENVELOPE, change("public", "a"))).contains(new TableRef("public", "a"));
            assertThat(reader.tableOf(ENVELOPE, change("s1", "c"))).contains(new TableRef("s1", "c"));
            assertThat(reader.tableOf(OTHER_ENVELOPE, other)).contains(new TableRef("s2", "b"))
                    .isEqualTo(DebeziumEnvelope.tableOf(OTHER_ENVELOPE, other));
            assertThat(reader.tableOf(MARKER, marker)).isEmpty()
                    .isEqualTo(DebeziumEnvelope.tableOf(MARKER, marker));
            assertThat(reader.tableOf(null, null)).isEmpty();
            assertThat(reader.tableOf(Schema.STRING_SCHEMA, "text")).isEmpty();
        }
    }
}
