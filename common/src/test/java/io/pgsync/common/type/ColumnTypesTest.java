package io.pgsync.common.type;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;

import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.errors.DataException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

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
        "JSONB,-,-,jsonb",
        "NUMERIC,5,0,'numeric(5,0)'",
        "NUMERIC,40,20,'numeric(40,20)'",
        "FLOAT4,8,8,float4",
        "FLOAT8,17,17,float8",
        "MONEY,2147483647,0,money",
        "BPCHAR,1,0,char(1)",
        "VARBIT,2147483647,0,varbit",
        "VARBIT,10,0,varbit(10)",
        "BIT,1,0,bit(1)",
        "TIME,15,6,time",
        "TIME,12,3,time(3)",
        "TIMETZ,21,6,timetz",
        "TIMESTAMPTZ,28,0,timestamptz(0)",
        "INTERVAL,49,6,interval",
        "INTERVAL,49,3,interval(3)",
        "TSQUERY,2147483647,0,tsquery",
        "INT4MULTIRANGE,2147483647,0,int4multirange",
        "_TIMETZ,21,6,timetz[]",
        "_BPCHAR,3,0,char(3)[]",
        "_INT4RANGE,2147483647,0,int4range[]",
        "HSTORE,2147483647,0,hstore",
        "_LTREE,2147483647,0,ltree[]"
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
        assertThat(ColumnTypes.ddlType("c", Schemas.STRUCTURED_DATE)).isEqualTo("date");
        assertThat(ColumnTypes.ddlType("c", Schemas.STRUCTURED_ZONED_TIMESTAMP)).isEqualTo("timestamptz");
        assertThat(ColumnTypes.ddlType("c", Schemas.STRUCTURED_ZONED_TIME)).isEqualTo("timetz");
        assertThat(ColumnTypes.ddlType("c", Schemas.STRUCTURED_DURATION)).isEqualTo("interval");
        assertThatThrownBy(() -> ColumnTypes.ddlType("c", SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.STRING_SCHEMA).build()))
                .isInstanceOf(DataException.class).hasMessageContaining("column.propagate.source.type");
    }

    @Test
    void structSchemasWithTheParametersOfAnotherColumnFallBackToTheSchemaName() {
        Schema timestamp3 = SchemaBuilder.struct().name(TemporalType.STRUCTURED_TIMESTAMP)
                .parameter(ColumnTypes.SOURCE_TYPE, "TIMESTAMP").parameter(ColumnTypes.SOURCE_SCALE, "6")
                .parameter(ColumnTypes.SOURCE_COLUMN, "ts").build();
        assertThat(ColumnTypes.ddlType("ts", timestamp3)).isEqualTo("timestamp");
        assertThat(ColumnTypes.ddlType("ts3", timestamp3)).isEqualTo("timestamp");
        Schema box = SchemaBuilder.struct().name(GeometricType.GEOMETRY).field("wkb", Schema.BYTES_SCHEMA)
                .parameter(ColumnTypes.SOURCE_TYPE, "LSEG").parameter(ColumnTypes.SOURCE_COLUMN, "segment").build();
        assertThat(ColumnTypes.ddlType("segment", box)).isEqualTo("lseg");
        assertThatThrownBy(() -> ColumnTypes.ddlType("corners", box)).isInstanceOf(DataException.class)
                .hasMessageContaining("column segment").hasMessageContaining("create the destination table");
    }

    @Test
    void refusesTypeTextThatIsNotATypeName() {
        Schema hostile = SchemaBuilder.string().parameter(ColumnTypes.SOURCE_TYPE, "int); DROP TABLE x; --").build();
        assertThatThrownBy(() -> ColumnTypes.ddlType("c", hostile)).isInstanceOf(DataException.class)
                .hasMessageContaining("cannot create");
    }

    @Test
    void catalogTypesPassAndAnythingElseIsRefused() {
        for (String type : List.of("integer", "character varying(40)", "timestamp(3) with time zone",
                "timestamp without time zone", "interval day to second(3)", "numeric(12,2)", "double precision",
                "bit varying(5)[]", "public.mood", "\"My Schema\".\"Odd \"\"type\"\"\"[]", "text[]")) {
            assertThat(ColumnTypes.catalogType("c", type)).isEqualTo(type);
        }
        for (String type : Arrays.asList("integer); DROP TABLE t; --", "\"a\"; DROP TABLE t; --\"", "text[] , x int",
                "", null)) {
            assertThatThrownBy(() -> ColumnTypes.catalogType("c", type)).isInstanceOf(DataException.class)
                    .hasMessageContaining("Column c");
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "int4|integer", "int4[]|integer[]", "INT8|bigint", "varchar(5)|character varying(5)",
            "bpchar(3)[]|character(3)[]", "timestamptz(3)|timestamp(3) with time zone",
            "timestamp|timestamp without time zone", "time(3)|time(3) without time zone",
            "timetz|time with time zone", "varbit(5)|bit varying(5)", "numeric(12, 2)|numeric(12,2)",
            "decimal|numeric", "double precision|double precision", "\"My Type\"[]|\"my type\"[]"})
    void spellsTypesAsFormatTypeDoes(String type, String expected) {
        assertThat(ColumnTypes.canonical(type)).isEqualTo(expected);
    }
}
