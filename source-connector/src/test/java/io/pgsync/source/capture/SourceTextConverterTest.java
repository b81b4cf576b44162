package io.pgsync.source.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.LocalTime;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.Properties;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.junit.jupiter.api.Test;
import org.postgresql.geometric.PGpolygon;
import org.postgresql.util.PGobject;

import io.debezium.connector.postgresql.UnchangedToastedReplicationMessageColumn;
import io.debezium.spi.converter.CustomConverter;
import io.debezium.spi.converter.RelationalColumn;
import io.pgsync.common.type.PgText;

class SourceTextConverterTest {

    @Test
    void arraysTimesAndBitStringsTravelAsTextOtherTypesKeepDebeziumsMapping() {
        for (String type : List.of("_int4", "_text", "_numeric", "_mood", "time", "varbit", "polygon")) {
            assertThat(registered(type)).as(type).hasSize(1);
        }
        for (String type : List.of("int4", "text", "numeric", "timetz", "timestamp", "bit", "interval")) {
            assertThat(registered(type)).as(type).isEmpty();
        }
    }

    @Test
    void theSchemaIsANamedStringSoTheSinkWritesTheValueAsItIs() {
        Schema schema = registered("_text").get(0).schema.build();
        assertThat(schema.type()).isEqualTo(Schema.Type.STRING);
        assertThat(schema.name()).isEqualTo(PgText.SOURCE_TEXT);
        assertThat(PgText.of(schema, "{{a,b},{c,d}}")).isEqualTo("{{a,b},{c,d}}");
    }

    @Test
    void valuesBecomeThePostgresTextTheyCameAs() throws Exception {
        CustomConverter.Converter time = registered("time").get(0).converter;
        assertThat(time.convert("24:00:00")).isEqualTo("24:00:00");
        assertThat(time.convert(null)).isNull();
        assertThat(time.convert(LocalTime.of(12, 0, 0, 1000))).isEqualTo("12:00:00.000001");
        PGobject bits = new PGobject();
        bits.setType("varbit");
        bits.setValue("0001");
        assertThat(registered("varbit").get(0).converter.convert(bits)).isEqualTo("0001");
        assertThat(registered("polygon").get(0).converter.convert(new PGpolygon("((0,0),(1,1.5),(0,0))")))
                .isEqualTo("((0.0,0.0),(1.0,1.5),(0.0,0.0))");
        assertThat(time.convert(UnchangedToastedReplicationMessageColumn.UNCHANGED_TOAST_VALUE)).isEqualTo("?toast?");
        CustomConverter.Converter array = registered("_text").get(0).converter;
        assertThat(array.convert(UnchangedToastedReplicationMessageColumn.UNCHANGED_TEXT_ARRAY_TOAST_VALUE))
                .isEqualTo("?toast?");
        assertThat(array.convert(UnchangedToastedReplicationMessageColumn.UNCHANGED_INT_ARRAY_TOAST_VALUE))
                .isEqualTo("?toast?");
    }

    @Test
    void aValueOfAnUnknownClassStopsNamingTheColumnRatherThanTravelWrong() {
        CustomConverter.Converter array = registered("_int4").get(0).converter;
        assertThatThrownBy(() -> array.convert(List.of(1, 2))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Column c of public.t (type _int4)").hasMessageContaining("java.util.");
    }

    @Test
    void withoutThePlaceholderSettingTheConverterRefusesToStart() {
        assertThatThrownBy(() -> new SourceTextConverter().configure(new Properties()))
                .hasMessageContaining("pgsync_text.unavailable.value.placeholder");
    }

    private record Registration(SchemaBuilder schema, CustomConverter.Converter converter) {
    }

    private static List<Registration> registered(String typeName) {
        SourceTextConverter converter = new SourceTextConverter();
        Properties props = new Properties();
        props.setProperty(SourceTextConverter.PLACEHOLDER, "?toast?");
        converter.configure(props);
        List<Registration> registrations = new ArrayList<>();
        converter.converterFor(new Column(typeName),
                (schema, function) -> registrations.add(new Registration(schema, function)));
        return registrations;
    }

    /** A column as Debezium describes it to a converter. */
    private record Column(String typeName) implements RelationalColumn {
        @Override
        public String name() {
            return "c";
        }

        @Override
        public String dataCollection() {
            return "public.t";
        }

        @Override
        public int jdbcType() {
            return 0;
        }

        @Override
        public int nativeType() {
            return 0;
        }

        @Override
        public String typeExpression() {
            return typeName;
        }

        @Override
        public OptionalInt length() {
            return OptionalInt.empty();
        }

        @Override
        public OptionalInt scale() {
            return OptionalInt.empty();
        }

        @Override
        public boolean isOptional() {
            return true;
        }

        @Override
        public Object defaultValue() {
            return null;
        }

        @Override
        public boolean hasDefaultValue() {
            return false;
        }
    }
}
