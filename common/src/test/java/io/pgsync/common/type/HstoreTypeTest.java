package io.pgsync.common.type;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.junit.jupiter.api.Test;

class HstoreTypeTest {

    private static final Schema HSTORE = SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.OPTIONAL_STRING_SCHEMA)
            .optional().parameter(ColumnTypes.SOURCE_TYPE, "HSTORE").build();

    @Test
    void keysAndValuesAreQuotedAndNullValuesKept() {
        Map<String, String> map = new LinkedHashMap<>();
        map.put("a", "1");
        map.put("b", null);
        map.put("", "empty key");
        map.put("quo\"te", "back\\slash");
        map.put("ü 😀", "x,y=>z");
        assertThat(PgText.of(HSTORE, map)).isEqualTo("\"a\"=>\"1\", \"b\"=>NULL, \"\"=>\"empty key\", "
                + "\"quo\\\"te\"=>\"back\\\\slash\", \"ü 😀\"=>\"x,y=>z\"");
        assertThat(PgText.of(HSTORE, Map.of())).isEmpty();
    }
}
