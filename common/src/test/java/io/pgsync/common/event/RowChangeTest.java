package io.pgsync.common.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.DataException;
import org.junit.jupiter.api.Test;

import io.pgsync.common.pg.TableRef;

class RowChangeTest {

    private static final RowChange UPDATE = new RowChange("u", new TableRef("public", "docs"),
            List.of("id", "body", "price"), Arrays.asList("integer not null", "text", null), List.of("id"),
            Arrays.asList("7", null, "1.50"), null, List.of("body"), new SourcePosition(100, 150, 3), 1700L);

    @Test
    void aStructReadsBackAsTheSameChange() {
        Struct struct = UPDATE.toStruct();
        assertThat(RowChange.of(RowChange.SCHEMA, struct)).contains(UPDATE);
        assertThat(UPDATE.types()).extracting(TypedColumns::type).containsExactly("integer", "text", null);
        assertThat(UPDATE.types()).extracting(TypedColumns::nullable).containsExactly(false, true, true);
        assertThat(TypedColumns.listed("numeric(12,2)", false)).isEqualTo("numeric(12,2) not null");
    }

    /** JSON with schemas.enable=false gives the sink maps, lists and (small) numbers as Integer or Long. */
    @Test
    void aSchemalessMapReadsBackAsTheSameChange() {
        Map<String, Object> map = new HashMap<>();
        map.put("op", "u");
        map.put("schema", "public");
        map.put("table", "docs");
        map.put("columns", List.of("id", "body", "price"));
        map.put("types", Arrays.asList("integer not null", "text", null));
        map.put("key", List.of("id"));
        map.put("after", Arrays.asList("7", null, "1.50"));
        map.put("before", null);
        map.put("unchanged", List.of("body"));
        map.put("commit_lsn", 100);
        map.put("lsn", 150L);
        map.put("order", 3);
        map.put("ts_ms", 1700L);
        assertThat(RowChange.of(null, map)).contains(UPDATE);
    }

    @Test
    void otherValuesAreNotRowChanges() {
        Schema other = SchemaBuilder.struct().name("x.Other").field("op", Schema.STRING_SCHEMA).build();
        assertThat(RowChange.of(other, new Struct(other).put("op", "c"))).isEmpty();
        assertThat(RowChange.of(null, Map.of("status", "BEGIN", "id", "1"))).isEmpty();
        assertThat(RowChange.of(null, "text")).isEmpty();
    }

    @Test
    void aMalformedChangeNamesTheMissingField() {
        Map<String, Object> map = new HashMap<>(Map.of("op", "c", "table", "docs", "columns", List.of("id"),
                "types", List.of("integer")));
        assertThatThrownBy(() -> RowChange.of(null, map)).isInstanceOf(DataException.class)
                .hasMessageContaining("io.pgsync.changelog.RowChange").hasMessageContaining("'schema'");
    }
}
