package io.pgsync.sink.type;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.errors.DataException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class ColumnTypesTest {

    @ParameterizedTest
    @CsvSource(nullValues = "-", value = {
        "INT4,10,0,int4",
        "NUMERIC,12,2,'numeric(12,2)'",
        "NUMERIC,0,0,numeric",
        "NUMERIC,131089,0,numeric",
        "VARCHAR,40,0,varchar(40)",
        "VARCHAR,2147483647,0,varchar",
        "BPCHAR,3,0,char(3)",
        "_TEXT,2147483647,0,text[]",
        "_NUMERIC,10,4,'numeric(10,4)[]'",
        "TIMESTAMP,29,6,timestamp",
        "TIMESTAMPTZ,26,3,timestamptz(3)",
        "BIT,5,-,bit(5)",
        "JSONB,-,-,jsonb"
    })
    void usesThePropagatedSourceType(String type, String length, String scale, String expected) {
        SchemaBuilder builder = SchemaBuilder.string().optional().parameter(ColumnTypes.SOURCE_TYPE, type);
        if (length != null) {
            builder.parameter(ColumnTypes.SOURCE_LENGTH, length);
        }
        if (scale != null) {
            builder.parameter(ColumnTypes.SOURCE_SCALE, scale);
        }
        assertThat(ColumnTypes.ddlType("c", builder.build())).isEqualTo(expected);
    }

    @Test
    void infersFromTheConnectSchemaWithoutSourceType() {
        assertThat(ColumnTypes.ddlType("c", Schema.INT64_SCHEMA)).isEqualTo("int8");
        assertThat(ColumnTypes.ddlType("c", Decimal.schema(2))).isEqualTo("numeric");
        assertThat(ColumnTypes.ddlType("c", SchemaBuilder.int64().name("io.debezium.time.MicroTimestamp").build()))
                .isEqualTo("timestamp");
        assertThat(ColumnTypes.ddlType("c", SchemaBuilder.array(Schema.STRING_SCHEMA).build())).isEqualTo("text[]");
        assertThatThrownBy(() -> ColumnTypes.ddlType("c", SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.STRING_SCHEMA).build()))
                .isInstanceOf(DataException.class).hasMessageContaining("column.propagate.source.type");
    }

    @Test
    void refusesTypeTextThatIsNotATypeName() {
        Schema hostile = SchemaBuilder.string().parameter(ColumnTypes.SOURCE_TYPE, "int); DROP TABLE x; --").build();
        assertThatThrownBy(() -> ColumnTypes.ddlType("c", hostile)).isInstanceOf(DataException.class)
                .hasMessageContaining("cannot create");
    }
}
