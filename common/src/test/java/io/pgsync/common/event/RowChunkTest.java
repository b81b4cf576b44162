package io.pgsync.common.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.connect.errors.DataException;
import org.junit.jupiter.api.Test;

import io.pgsync.common.pg.TableRef;

class RowChunkTest {

    private static final RowChunk CHUNK = new RowChunk(new TableRef("public", "t"), List.of("id", "note"),
            List.of("integer not null", "text"), List.of("id"), 2, "1\ta\n2\t\\N\n", true);

    @Test
    void aStructOrASchemalessMapReadsBackAsTheSameChunk() {
        assertThat(RowChunk.of(RowChunk.SCHEMA, CHUNK.toStruct())).contains(CHUNK);
        Map<String, Object> map = new HashMap<>(Map.of("schema", "public", "table", "t", "columns", List.of("id", "note"),
                "types", List.of("integer not null", "text"), "key", List.of("id"), "rows", 2L,
                "copy", "1\ta\n2\t\\N\n"));
        assertThat(RowChunk.of(null, map)).contains(new RowChunk(CHUNK.table(), CHUNK.columns(), CHUNK.types(),
                CHUNK.key(), 2, CHUNK.copy(), false));
        map.put("reset", true);
        assertThat(RowChunk.of(null, map)).contains(CHUNK);
    }

    @Test
    void rowChangesAreNotChunksAndAMalformedChunkNamesTheField() {
        assertThat(RowChunk.of(RowChange.SCHEMA, null)).isEmpty();
        assertThat(RowChunk.of(null, Map.of("op", "c"))).isEmpty();
        assertThatThrownBy(() -> RowChunk.of(null, Map.of("columns", List.of("id"), "copy", "1\n")))
                .isInstanceOf(DataException.class).hasMessageContaining("io.pgsync.changelog.RowChunk")
                .hasMessageContaining("is missing");
    }
}
