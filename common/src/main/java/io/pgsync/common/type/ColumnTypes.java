package io.pgsync.common.type;

import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.errors.DataException;

/**
 * Decides the PostgreSQL column type of a record field: the source column type the source connector propagated
 * (exact name, length, precision, scale), else a type inferred from the Connect schema.
 */
public final class ColumnTypes {

    /** Field parameters Debezium adds with {@code column.propagate.source.type}. */
    public static final String SOURCE_TYPE = "__debezium.source.column.type";
    public static final String SOURCE_LENGTH = "__debezium.source.column.length";
    public static final String SOURCE_SCALE = "__debezium.source.column.scale";
    public static final String SOURCE_COLUMN = "__debezium.source.column.name";

    /** A type name pgsync accepts into DDL: a plain or schema-qualified lowercase name, modifiers, array marks. */
    private static final Pattern SAFE_TYPE = Pattern.compile(
            "[a-z_][a-z0-9_$]*(\\.[a-z_][a-z0-9_$]*)?( [a-z]+)*(\\(\\d+(,\\d+)?\\))?(\\[\\])*");

    private static final String NAME = "(\"(?:[^\"]|\"\")+\"|[a-z_][a-z0-9_$]*)";

    /**
     * A type as the source catalog's {@code format_type} renders it: an optionally schema-qualified name (quoted
     * where needed), more words ({@code character varying}, {@code interval day to second}), modifiers, a time zone
     * clause and array marks. A quoted name cannot end early, so nothing else can follow it into DDL.
     */
    private static final Pattern CATALOG_TYPE = Pattern.compile("(" + NAME + "\\.)?" + NAME + "( [a-z]+)*"
            + "(\\(\\d+(,\\d+)?\\))?( with(out)? time zone)?(\\[\\])*");

    private static final Map<String, String> LENGTH_TYPES = Map.of(
            "varchar", "varchar", "bpchar", "char", "char", "char", "bit", "bit", "varbit", "varbit");

    private static final Map<String, String> PRECISION_TYPES = Map.of(
            "timestamp", "timestamp", "timestamptz", "timestamptz", "time", "time", "timetz", "timetz",
            "interval", "interval");

    /** PostgreSQL's internal and short type names, as {@code format_type} spells them. */
    private static final Map<String, String> CANONICAL_NAMES = Map.ofEntries(
            Map.entry("int2", "smallint"), Map.entry("int4", "integer"), Map.entry("int", "integer"),
            Map.entry("int8", "bigint"), Map.entry("float4", "real"), Map.entry("float8", "double precision"),
            Map.entry("bool", "boolean"), Map.entry("varchar", "character varying"), Map.entry("bpchar", "character"),
            Map.entry("char", "character"), Map.entry("varbit", "bit varying"), Map.entry("decimal", "numeric"),
            Map.entry("timestamptz", "timestamp with time zone"),
            Map.entry("timestamp", "timestamp without time zone"), Map.entry("timetz", "time with time zone"),
            Map.entry("time", "time without time zone"), Map.entry("serial", "integer"),
            Map.entry("serial4", "integer"), Map.entry("bigserial", "bigint"), Map.entry("serial8", "bigint"),
            Map.entry("smallserial", "smallint"), Map.entry("serial2", "smallint"));
    private static final String TIME_ZONE = " time zone";

    private ColumnTypes() {
    }

    /**
     * Spells a type name as PostgreSQL's {@code format_type} does, so that two spellings of one type compare equal:
     * {@code int4[]} is {@code integer[]}, {@code timestamptz(3)} is {@code timestamp(3) with time zone},
     * {@code varchar(5)} is {@code character varying(5)}. Other names are only lower-cased.
     */
    public static String canonical(String type) {
        String rest = type.trim().toLowerCase(Locale.ROOT);
        StringBuilder arrays = new StringBuilder();
        while (rest.endsWith("[]")) {
            rest = rest.substring(0, rest.length() - 2).trim();
            arrays.append("[]");
        }
        String modifier = "";
        int open = rest.indexOf('(');
        int close = open < 0 ? -1 : rest.indexOf(')', open);
        if (close > open) {
            modifier = rest.substring(open, close + 1).replace(" ", "");
            rest = rest.substring(0, open) + " " + rest.substring(close + 1);
        }
        String name = String.join(" ", rest.trim().split("\\s+"));
        name = CANONICAL_NAMES.getOrDefault(name, name);
        if (name.endsWith(TIME_ZONE) && !modifier.isEmpty()) {
            int space = name.indexOf(' ');
            return name.substring(0, space) + modifier + name.substring(space) + arrays;
        }
        return name + modifier + arrays;
    }

    /**
     * Returns a type the source catalog named ({@code format_type}, e.g. {@code timestamp(3) with time zone},
     * {@code public.mood[]}), after checking that it is one.
     *
     * @throws DataException naming the column when the text is not a type name
     */
    public static String catalogType(String column, String formatType) {
        if (formatType == null || !CATALOG_TYPE.matcher(formatType).matches()) {
            throw new DataException("Column " + column + " has the type '" + formatType + "', which is not a type "
                    + "name pgsync can create; create the destination table yourself");
        }
        return formatType;
    }

    /** Returns the type to create a column of, e.g. {@code numeric(12,2)}, {@code varchar(40)}, {@code text[]}. */
    public static String ddlType(String column, Schema schema) {
        Map<String, String> params = schema.parameters();
        String sourceType = params == null ? null : params.get(SOURCE_TYPE);
        String otherColumn = params == null ? null : params.get(SOURCE_COLUMN);
        if (sourceType != null && schema.type() == Schema.Type.STRUCT && otherColumn != null
                && !otherColumn.equals(column)) {
            return typeOfSharedSchema(column, schema, otherColumn);
        }
        String type = sourceType != null
                ? fromSourceType(sourceType.toLowerCase(Locale.ROOT), intParam(params, SOURCE_LENGTH),
                        intParam(params, SOURCE_SCALE))
                : fromConnectSchema(column, schema);
        if (!SAFE_TYPE.matcher(type).matches()) {
            throw new DataException("Column " + column + " has source type '" + sourceType + "', which pgsync cannot "
                    + "create yet; create the destination table yourself with that column");
        }
        return type;
    }

    /**
     * A struct schema whose parameters describe another column: Avro defines a named type (e.g.
     * {@code io.debezium.time.StructuredTimestamp}) once per record and reuses it, with the parameters of its first
     * column, for every later column of that name. The type then comes from the schema name alone, without modifiers
     * ({@code timestamp} for a {@code timestamp(3)}), or cannot be chosen (which geometric type a Geometry is).
     */
    private static String typeOfSharedSchema(String column, Schema schema, String otherColumn) {
        try {
            return fromConnectSchema(column, schema);
        } catch (DataException e) {
            throw new DataException("Column " + column + " carries the source column type of column " + otherColumn
                    + ": the converter shares one " + schema.name() + " schema among the columns of that type, as "
                    + "Avro does, so pgsync cannot tell the column's type; create the destination table yourself", e);
        }
    }

    static String fromSourceType(String name, Integer length, Integer scale) {
        if (name.startsWith("_")) {
            return fromSourceType(name.substring(1), length, scale) + "[]";
        }
        String lengthType = LENGTH_TYPES.get(name);
        if (lengthType != null) {
            return length != null && length > 0 && length < 10_485_760 ? lengthType + "(" + length + ")"
                    : name.equals("bpchar") ? "bpchar" : lengthType;
        }
        if (name.equals("numeric") || name.equals("decimal")) {
            return length != null && length > 0 && length <= 1000
                    ? "numeric(" + length + "," + (scale == null ? 0 : scale) + ")" : "numeric";
        }
        String precisionType = PRECISION_TYPES.get(name);
        if (precisionType != null) {
            return scale != null && scale >= 0 && scale < 6 ? precisionType + "(" + scale + ")" : precisionType;
        }
        return name;
    }

    private static String fromConnectSchema(String column, Schema schema) {
        String logical = schema.name();
        if (logical != null) {
            switch (logical) {
                case "org.apache.kafka.connect.data.Decimal", "io.debezium.data.VariableScaleDecimal":
                    return "numeric";
                case "org.apache.kafka.connect.data.Date", "io.debezium.time.Date":
                    return "date";
                case "org.apache.kafka.connect.data.Time", "io.debezium.time.Time", "io.debezium.time.MicroTime",
                        "io.debezium.time.NanoTime":
                    return "time";
                case "io.debezium.time.ZonedTime":
                    return "timetz";
                case "org.apache.kafka.connect.data.Timestamp", "io.debezium.time.Timestamp",
                        "io.debezium.time.MicroTimestamp", "io.debezium.time.NanoTimestamp":
                    return "timestamp";
                case "io.debezium.time.ZonedTimestamp":
                    return "timestamptz";
                case "io.debezium.time.Interval", "io.debezium.time.MicroDuration":
                    return "interval";
                case "io.debezium.time.StructuredDate":
                    return "date";
                case "io.debezium.time.StructuredTime":
                    return "time";
                case "io.debezium.time.StructuredZonedTime":
                    return "timetz";
                case "io.debezium.time.StructuredTimestamp":
                    return "timestamp";
                case "io.debezium.time.StructuredZonedTimestamp":
                    return "timestamptz";
                case "io.debezium.time.StructuredDuration", "io.debezium.time.NanoDuration":
                    return "interval";
                case "io.debezium.data.Bits":
                    return "varbit";
                case "io.debezium.data.geometry.Point":
                    return "point";
                case "io.debezium.data.geometry.Line":
                    return "line";
                case "io.debezium.data.geometry.Circle":
                    return "circle";
                case "io.debezium.data.Tsvector":
                    return "tsvector";
                case "io.debezium.data.Ltree":
                    return "ltree";
                case "io.debezium.data.Json":
                    return "jsonb";
                case "io.debezium.data.Uuid":
                    return "uuid";
                case "io.debezium.data.Xml":
                    return "xml";
                default:
                    break;
            }
        }
        return switch (schema.type()) {
            case INT8, INT16 -> "int2";
            case INT32 -> "int4";
            case INT64 -> "int8";
            case FLOAT32 -> "float4";
            case FLOAT64 -> "float8";
            case BOOLEAN -> "bool";
            case STRING -> "text";
            case BYTES -> "bytea";
            case ARRAY -> fromConnectSchema(column, schema.valueSchema()) + "[]";
            default -> throw new DataException("Column " + column + " has Connect type " + schema.type()
                    + (logical == null ? "" : " (" + logical + ")") + " and no source column type; pgsync cannot "
                    + "choose a PostgreSQL type for it. Set column.propagate.source.type on the source connector "
                    + "or create the destination table yourself.");
        };
    }

    private static Integer intParam(Map<String, String> params, String name) {
        String value = params.get(name);
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return Integer.valueOf(value.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
