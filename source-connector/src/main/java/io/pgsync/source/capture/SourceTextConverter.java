package io.pgsync.source.capture;

import java.sql.Array;
import java.sql.Types;
import java.time.LocalTime;
import java.util.Properties;
import java.util.Set;

import org.apache.kafka.connect.data.SchemaBuilder;
import org.postgresql.util.PGobject;

import io.debezium.connector.postgresql.UnchangedToastedReplicationMessageColumn;
import io.debezium.spi.converter.CustomConverter;
import io.debezium.spi.converter.RelationalColumn;
import io.pgsync.common.type.PgText;

/**
 * A Debezium custom converter that carries the values of arrays, {@code time}, {@code bit varying} and
 * {@code polygon} columns (also through domains) in the text form PostgreSQL sent, instead of Debezium's mapping,
 * which loses legal values of those types: a 2-D {@code text[]} became {@code {[Ljava.lang.String;@6d03c4f5,...}},
 * {@code '[0:2]={7,8,9}'} lost its lower bound, {@code '{NaN,1.5}'::numeric[]}, {@code time '24:00:00'} and arrays
 * of {@code money}, {@code interval} or enums with NULL elements became NULL, {@code bit varying '0001'} became
 * {@code '1'}, a polygon whose last point repeats its first lost that point.
 *
 * <p>The replication stream gives Debezium these values as PostgreSQL's text output (an array as a
 * {@link org.postgresql.jdbc.PgArray} holding its literal, a time or bit string as a string), and so does Debezium's
 * snapshot; the converter passes that text on in a {@value PgText#SOURCE_TEXT} string, which the sink writes as it
 * is. A polygon comes as a {@link org.postgresql.geometric.PGpolygon} of all its points, written back with Java's
 * spelling of each coordinate ({@code (0.0,1.5)}): the same values.
 * The column's source type still travels in the field's parameters ({@code column.propagate.source.type}).
 *
 * <p>Configured by {@link io.pgsync.source.PgSyncSourceConfig#withDefaults} as Debezium converter
 * {@value #NAME}, with changelog.format=pgsync only: Debezium's own format keeps Debezium's mapping.
 */
public final class SourceTextConverter implements CustomConverter<SchemaBuilder, RelationalColumn> {

    /** The name under which the converter is listed in Debezium's {@code converters}. */
    public static final String NAME = "pgsync_text";
    /** The converter's setting (under {@value #NAME}.) for Debezium's placeholder of an unchanged TOASTed value. */
    public static final String PLACEHOLDER = "unavailable.value.placeholder";

    /** The root type OIDs of {@code time}, {@code bit varying} and {@code polygon}. */
    private static final Set<Integer> TEXT_TYPES = Set.of(1083, 1562, 604);

    private String placeholder;

    @Override
    public void configure(Properties props) {
        placeholder = props.getProperty(PLACEHOLDER);
        if (placeholder == null) {
            throw new IllegalArgumentException("Debezium converter " + NAME + " needs its " + PLACEHOLDER
                    + " setting: " + NAME + "." + PLACEHOLDER + " must equal unavailable.value.placeholder");
        }
    }

    /**
     * Registers the columns whose root type (a domain's base type) is an array, {@code time}, {@code bit varying} or
     * {@code polygon}.
     */
    @Override
    public void converterFor(RelationalColumn column, ConverterRegistration<SchemaBuilder> registration) {
        if (column.jdbcType() == Types.ARRAY || TEXT_TYPES.contains(column.nativeType())) {
            registration.register(SchemaBuilder.string().name(PgText.SOURCE_TEXT), value -> text(column, value));
        }
    }

    private Object text(RelationalColumn column, Object value) {
        if (UnchangedToastedReplicationMessageColumn.isUnchangedToastedValue(value)) {
            return placeholder;
        }
        if (value == null || value instanceof String) {
            return value;
        }
        if (value == column.defaultValue() || value.equals(column.defaultValue())) {
            // Debezium's parse of the column's DEFAULT, for the field's schema: pgsync reads no schema default
            // (DebeziumEnvelope#value), and Debezium's parse of a bit string or a time is not their text.
            return null;
        }
        if (value instanceof Array || value instanceof PGobject) {
            return value.toString();
        }
        if (value instanceof LocalTime time) {
            return time.toString();
        }
        throw new IllegalArgumentException("Column " + column.name() + " of " + column.dataCollection() + " (type "
                + column.typeName() + ") has a value of class " + value.getClass().getName() + ", which pgsync "
                + "does not know how to carry as text; set changelog.format=debezium to use Debezium's mapping");
    }
}
