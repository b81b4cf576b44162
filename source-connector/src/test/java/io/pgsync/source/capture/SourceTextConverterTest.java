package io.pgsync.source.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Types;
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
    void arraysTimesBitStringsAndPolygonsTravelAsTextOtherTypesKeepDebeziumsMapping() {
        assertThat(registered(Types.ARRAY, 1007)).as("int4[]").hasSize(1);
        assertThat(registered(Types.ARRAY, 9999)).as("an array of a user type").hasSize(1);
        for (int oid : List.of(1083, 1562, 604)) {
            assertThat(registered(Types.OTHER, oid)).as("oid %s", oid).hasSize(1);
        }
        for (int oid : List.of(23, 25, 1700, 1266, 1114, 1560, 1186)) {
            assertThat(registered(Types.OTHER, oid)).as("oid %s", oid).isEmpty();
        }
    }

    @Test
    void aColumnDefaultBecomesNoSchemaDefaultWhateverDebeziumParsedItInto() {
        byte[] bits = {5};
        SourceTextConverter converter = configured();
        List<Registration> registrations = new ArrayList<>();
        converter.converterFor(new Column(Types.OTHER, 1562, bits),
                (schema, function) -> registrations.add(new Registration(schema, function)));
        assertThat(registrations.get(0).converter.convert(bits)).isNull();
    }

    @Test
    void theSchemaIsANamedStringSoTheSinkWritesTheValueAsItIs() {
        Schema schema = registered(Types.ARRAY, 1009).get(0).schema.build();
        assertThat(schema.type()).isEqualTo(Schema.Type.STRING);
        assertThat(schema.name()).isEqualTo(PgText.SOURCE_TEXT);
        assertThat(PgText.of(schema, "{{a,b},{c,d}}")).isEqualTo("{{a,b},{c,d}}");
    }

    @Test
    void valuesBecomeThePostgresTextTheyCameAs() throws Exception {
        CustomConverter.Converter time = registered(Types.OTHER, 1083).get(0).converter;
        assertThat(time.convert("24:00:00")).isEqualTo("24:00:00");
        assertThat(time.convert(null)).isNull();
        assertThat(time.convert(LocalTime.of(12, 0, 0, 1000))).isEqualTo("12:00:00.000001");
        PGobject bits = new PGobject();
        bits.setType("varbit");
        bits.setValue("0001");
        assertThat(registered(Types.OTHER, 1562).get(0).converter.convert(bits)).isEqualTo("0001");
        assertThat(registered(Types.OTHER, 604).get(0).converter.convert(new PGpolygon("((0,0),(1,1.5),(0,0))")))
                .isEqualTo("((0.0,0.0),(1.0,1.5),(0.0,0.0))");
        assertThat(time.convert(UnchangedToastedReplicationMessageColumn.UNCHANGED_TOAST_VALUE)).isEqualTo("?toast?");
        CustomConverter.Converter array = registered(Types.ARRAY, 1009).get(0).converter;
        assertThat(array.convert(UnchangedToastedReplicationMessageColumn.UNCHANGED_TEXT_ARRAY_TOAST_VALUE))
                .isEqualTo("?toast?");
        assertThat(array.convert(UnchangedToastedReplicationMessageColumn.UNCHANGED_INT_ARRAY_TOAST_VALUE))
                .isEqualTo("?toast?");
    }

    @Test
    void aValueOfAnUnknownClassStopsNamingTheColumnRatherThanTravelWrong() {
        CustomConverter.Converter array = registered(Types.ARRAY, 1007).get(0).converter;
        assertThatThrownBy(() -> array.convert(List.of(1, 2))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Column c of public.t (type t_1007)").hasMessageContaining("java.util.");
    }

    @Test
    void withoutThePlaceholderSettingTheConverterRefusesToStart() {
        assertThatThrownBy(() -> new SourceTextConverter().configure(new Properties()))
                .hasMessageContaining("pgsync_text.unavailable.value.placeholder");
    }

    private record Registration(SchemaBuilder schema, CustomConverter.Converter converter) {
    }

    private static SourceTextConverter configured() {
        SourceTextConverter converter = new SourceTextConverter();
        Properties props = new Properties();
        props.setProperty(SourceTextConverter.PLACEHOLDER, "?toast?");
        converter.configure(props);
        return converter;
    }

    private static List<Registration> registered(int jdbcType, int nativeType) {
        List<Registration> registrations = new ArrayList<>();
        configured().converterFor(new Column(jdbcType, nativeType, null),
                (schema, function) -> registrations.add(new Registration(schema, function)));
        return registrations;
    }

    /** A column as Debezium describes it to a converter. */
    private record Column(int jdbcType, int nativeType, Object defaultValue) implements RelationalColumn {
        @Override
        public String name() {
            return "c";
        }

        @Override
        public String dataCollection() {
            return "public.t";
        }

        @Override
        public String typeName() {
            return "t_" + nativeType;
        }

        @Override
        public String typeExpression() {
            return typeName();
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
        public boolean hasDefaultValue() {
            return defaultValue != null;
        }
    }
}
