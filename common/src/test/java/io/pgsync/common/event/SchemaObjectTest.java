package io.pgsync.common.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.connect.errors.DataException;
import org.junit.jupiter.api.Test;

import io.pgsync.common.pg.TableRef;

class SchemaObjectTest {

    private static final SchemaObject TABLE = new SchemaObject("table", "\"public\".\"t\"", SchemaObject.PRE_DATA,
            List.of("CREATE TABLE IF NOT EXISTS \"public\".\"t\" (\"id\" integer NOT NULL)"),
            new TableRef("public", "t"), List.of("id"), List.of("integer not null"));

    private static final SchemaObject INDEX = SchemaObject.of("index", "\"public\".\"t_idx\"", SchemaObject.POST_DATA,
            List.of("CREATE INDEX IF NOT EXISTS \"t_idx\" ON \"public\".\"t\" USING btree (\"id\")"));

    @Test
    void aStructOrASchemalessMapReadsBackAsTheSameObject() {
        assertThat(SchemaObject.of(SchemaObject.SCHEMA, TABLE.toStruct())).contains(TABLE);
        assertThat(SchemaObject.of(SchemaObject.SCHEMA, INDEX.toStruct())).contains(INDEX);
        Map<String, Object> map = new HashMap<>(Map.of("kind", "table", "identity", TABLE.identity(), "phase", "pre",
                "statements", TABLE.statements(), "schema", "public", "table", "t", "columns", List.of("id"),
                "types", List.of("integer not null")));
        assertThat(SchemaObject.of(null, map)).contains(TABLE);
        map.remove("schema");
        map.remove("table");
        assertThat(SchemaObject.of(null, map)).get().extracting(SchemaObject::table).isNull();
    }

    @Test
    void otherRecordsAreNotSchemaObjectsAndAMalformedOneNamesTheField() {
        assertThat(SchemaObject.of(RowChunk.SCHEMA, null)).isEmpty();
        assertThat(SchemaObject.of(null, Map.of("columns", List.of("id"), "copy", "1\n"))).isEmpty();
        assertThatThrownBy(() -> SchemaObject.of(null, Map.of("phase", "pre", "statements", List.of("SELECT 1"))))
                .isInstanceOf(DataException.class).hasMessageContaining("io.pgsync.changelog.SchemaObject")
                .hasMessageContaining("kind");
    }
}
