package io.pgsync.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.json.JsonConverter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.pgsync.common.event.RowChange;
import io.pgsync.common.event.SourcePosition;
import io.pgsync.common.pg.TableRef;

class ChangelogJsonConverterTest {

    private static final TableRef TABLE = new TableRef("Shop \"eu\"", "ordres_été");

    /** Changes whose texts need every kind of JSON escape, nulls, empty lists, and each optional field set. */
    private static final List<RowChange> CHANGES = List.of(
            new RowChange("u", TABLE, List.of("id", "note", "data"), List.of("integer NOT NULL", "text", "jsonb"),
                    List.of("id"), Arrays.asList("7", "tab\there \"quoted\" back\\slash \u0001 \u001f é € 😀", null),
                    null, List.of("data"), new SourcePosition(100, 120, 3), 1_700_000_000_000L),
            new RowChange("d", TABLE, List.of("id"), List.of("bigint"), List.of("id"), null, List.of("8"),
                    List.of(), new SourcePosition(-1, 5, 0), -1, List.of("9")),
            new RowChange("t", TABLE, List.of(), List.of(), List.of(), null, null, List.of(), null, -1),
            new RowChange("c", TABLE, List.of("id", "body"), Arrays.asList("integer", null), List.of(),
                    Arrays.asList("1", null), null, List.of(), new SourcePosition(1, 2, 0), 5)
                    .withPieced(Arrays.asList("1", null), List.of("body")));

    private static Map<String, String> settings(boolean schemas) {
        return Map.of("schemas.enable", Boolean.toString(schemas));
    }

    /** pgsync's converter of values, with or without schemas. */
    private static ChangelogJsonConverter ours(boolean schemas) {
        ChangelogJsonConverter converter = new ChangelogJsonConverter();
        converter.configure(settings(schemas), false);
        return converter;
    }

    /** Kafka's converter of values, set as ours is. */
    private static JsonConverter kafkas(boolean schemas) {
        JsonConverter converter = new JsonConverter();
        converter.configure(settings(schemas), false);
        return converter;
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void rowChangesAreTheJsonConvertersBytes(boolean schemas) {
        ChangelogJsonConverter converter = ours(schemas);
        JsonConverter kafka = kafkas(schemas);
        for (RowChange change : CHANGES) {
            Struct value = change.toStruct();
            byte[] ours = converter.fromConnectData("shop.changelog", RowChange.SCHEMA, value);
            assertThat(new String(ours, StandardCharsets.UTF_8)).isEqualTo(new String(
                    kafka.fromConnectData("shop.changelog", RowChange.SCHEMA, value), StandardCharsets.UTF_8));
            SchemaAndValue read = kafka.toConnectData("shop.changelog", ours);
            assertThat(RowChange.of(read.schema(), read.value())).contains(change);
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void everyOtherRecordIsWrittenByTheJsonConverter(boolean schemas) {
        ChangelogJsonConverter converter = ours(schemas);
        JsonConverter kafka = kafkas(schemas);
        Schema marker = SchemaBuilder.struct().name("io.debezium.connector.common.TransactionMetadataValue")
                .field("status", Schema.STRING_SCHEMA).field("id", Schema.STRING_SCHEMA).build();
        Struct end = new Struct(marker).put("status", "END").put("id", "771:24023128");
        assertThat(converter.fromConnectData("t", marker, end)).isEqualTo(kafka.fromConnectData("t", marker, end));
        assertThat(converter.fromConnectData("t", null, null)).isNull();
        assertThat(converter.toConnectData("t", kafka.fromConnectData("t", marker, end)))
                .isEqualTo(kafka.toConnectData("t", kafka.fromConnectData("t", marker, end)));
    }

    @Test
    void aRowChangeLackingARequiredFieldIsRefusedAsTheJsonConverterRefusesIt() {
        ChangelogJsonConverter converter = ours(false);
        Struct incomplete = new Struct(RowChange.SCHEMA).put("op", "c").put("schema", "public").put("table", "t");
        assertThatThrownBy(() -> converter.fromConnectData("t", RowChange.SCHEMA, incomplete))
                .isInstanceOf(DataException.class).hasMessageContaining("null value for field that is required");
    }
}
