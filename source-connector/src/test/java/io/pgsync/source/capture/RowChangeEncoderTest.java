package io.pgsync.source.capture;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.Test;

import io.pgsync.common.event.RowChange;
import io.pgsync.common.event.SourcePosition;
import io.pgsync.common.pg.TableRef;

class RowChangeEncoderTest {

    private static final String PLACEHOLDER = "__debezium_unavailable_value";
    private static final TableRef DOCS = new TableRef("public", "docs");

    private static final Schema ROW = SchemaBuilder.struct().optional()
            .field("id", typed(SchemaBuilder.int32(), "INT4"))
            .field("body", typed(SchemaBuilder.string().optional(), "TEXT"))
            .field("price", typed(SchemaBuilder.string().optional().defaultValue("0.00"), "NUMERIC", "12", "2"))
            .build();
    private static final Schema KEY = SchemaBuilder.struct().field("id", Schema.INT32_SCHEMA).build();
    private static final Schema SOURCE = SchemaBuilder.struct()
            .field("schema", Schema.STRING_SCHEMA).field("table", Schema.STRING_SCHEMA)
            .field("ts_ms", Schema.INT64_SCHEMA).field("sequence", Schema.OPTIONAL_STRING_SCHEMA)
            .field("snapshot", Schema.OPTIONAL_STRING_SCHEMA).build();
    private static final Schema TRANSACTION = SchemaBuilder.struct().optional()
            .field("total_order", Schema.INT64_SCHEMA).build();
    private static final Schema ENVELOPE = SchemaBuilder.struct()
            .field("before", ROW).field("after", ROW).field("source", SOURCE)
            .field("transaction", TRANSACTION).field("op", Schema.STRING_SCHEMA).build();

    private final RowChangeEncoder encoder = new RowChangeEncoder(PLACEHOLDER);

    private static Schema typed(SchemaBuilder builder, String type, String... lengthAndScale) {
        builder.parameter("__debezium.source.column.type", type);
        if (lengthAndScale.length > 0) {
            builder.parameter("__debezium.source.column.length", lengthAndScale[0]);
            builder.parameter("__debezium.source.column.scale", lengthAndScale[1]);
        }
        return builder.build();
    }

    private static Struct row(int id, String body, String price) {
        return new Struct(ROW).put("id", id).put("body", body).put("price", price);
    }

    private static SourceRecord event(String op, Struct before, Struct after, boolean keyed) {
        Struct value = new Struct(ENVELOPE).put("op", op).put("before", before).put("after", after)
                .put("source", new Struct(SOURCE).put("schema", "public").put("table", "docs").put("ts_ms", 1700L)
                        .put("sequence", "[\"100\",\"150\"]").put("snapshot", "false"))
                .put("transaction", new Struct(TRANSACTION).put("total_order", 3L));
        Struct key = keyed ? new Struct(KEY).put("id", after != null ? after.get("id") : before.get("id")) : null;
        return new SourceRecord(Map.of(), Map.of(), "shop.public.docs", 0, keyed ? KEY : null, key, ENVELOPE, value);
    }

    private RowChange encode(SourceRecord record) {
        return RowChange.of(RowChange.SCHEMA, encoder.encode(record, DOCS)).orElseThrow();
    }

    @Test
    void anUpdateCarriesTextValuesTypesKeyAndPosition() {
        RowChange change = encode(event("u", null, row(7, "héllo\ttab", "12.50"), true));
        assertThat(change.op()).isEqualTo("u");
        assertThat(change.table()).isEqualTo(DOCS);
        assertThat(change.columns()).containsExactly("id", "body", "price");
        assertThat(change.types()).containsExactly("int4 not null", "text", "numeric(12,2)");
        assertThat(change.key()).containsExactly("id");
        assertThat(change.after()).containsExactly("7", "héllo\ttab", "12.50");
        assertThat(change.before()).isNull();
        assertThat(change.position()).isEqualTo(new SourcePosition(100, 150, 3));
        assertThat(change.sourceTimeMs()).isEqualTo(1700L);
    }

    @Test
    void aNullInAColumnWithADefaultStaysNull() {
        RowChange change = encode(event("c", null, row(7, "x", null), true));
        assertThat(change.after()).containsExactly("7", "x", null);
    }

    @Test
    void unchangedToastedValuesAreNamedNotSent() {
        RowChange change = encode(event("u", null, row(7, PLACEHOLDER, null), true));
        assertThat(change.unchanged()).containsExactly("body");
        assertThat(change.after()).containsExactly("7", null, null);
    }

    @Test
    void theOldRowTravelsForDeletesAndForUpdatesOfTablesWithoutKey() {
        RowChange delete = encode(event("d", row(7, null, null), null, true));
        assertThat(delete.after()).isNull();
        assertThat(delete.before()).containsExactly("7", null, null);

        RowChange keyless = encode(event("u", row(7, "old", "1"), row(7, "new", "1"), false));
        assertThat(keyless.key()).isEmpty();
        assertThat(keyless.before()).containsExactly("7", "old", "1");
        assertThat(keyless.after()).containsExactly("7", "new", "1");

        RowChange keyed = encode(event("u", row(7, "old", "1"), row(7, "new", "1"), true));
        assertThat(keyed.before()).isNull();
    }

    @Test
    void theDeleteHalfOfAKeyChangeCarriesTheNewKey() {
        SourceRecord delete = event("d", row(7, null, null), null, true);
        delete.headers().add(RowChangeEncoder.NEW_KEY_HEADER, new Struct(KEY).put("id", 8), KEY);
        assertThat(encode(delete).movedTo()).containsExactly("8");
        assertThat(encode(event("d", row(7, null, null), null, true)).movedTo()).isNull();
    }

    @Test
    void aTruncateHasNoRows() {
        Struct value = new Struct(ENVELOPE).put("op", "t")
                .put("source", new Struct(SOURCE).put("schema", "public").put("table", "docs").put("ts_ms", 1L)
                        .put("sequence", "[null,\"9\"]"));
        RowChange change = encode(new SourceRecord(Map.of(), Map.of(), "t", 0, null, null, ENVELOPE, value));
        assertThat(change.op()).isEqualTo("t");
        assertThat(change.columns()).isEmpty();
        assertThat(change.position()).isEqualTo(new SourcePosition(-1, 9, 0));
    }

    @Test
    void aValueWithoutTextFormStaysInDebeziumsEnvelope() {
        Schema unknown = SchemaBuilder.struct().name("x.Unknown").field("a", Schema.INT32_SCHEMA).build();
        Schema odd = SchemaBuilder.struct().optional()
                .field("id", typed(SchemaBuilder.int32(), "INT4"))
                .field("blob", unknown)
                .build();
        Schema envelope = SchemaBuilder.struct().field("after", odd).field("source", SOURCE)
                .field("op", Schema.STRING_SCHEMA).build();
        Struct value = new Struct(envelope).put("op", "c")
                .put("after", new Struct(odd).put("id", 1).put("blob", new Struct(unknown).put("a", 1)))
                .put("source", new Struct(SOURCE).put("schema", "public").put("table", "docs").put("ts_ms", 1L));
        SourceRecord record = new SourceRecord(Map.of(), Map.of(), "t", 0, null, null, envelope, value);
        assertThat(encoder.encode(record, DOCS)).isNull();
    }

    @Test
    void snapshotReadsHaveNoPosition() {
        SourceRecord read = event("r", null, row(1, "a", "1"), true);
        ((Struct) ((Struct) read.value()).get("source")).put("snapshot", "true");
        assertThat(encode(read).position()).isNull();
        assertThat(List.of(encode(read).op())).containsExactly("r");
    }
}
