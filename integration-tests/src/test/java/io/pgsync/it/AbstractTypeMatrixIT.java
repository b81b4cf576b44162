package io.pgsync.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.StringJoiner;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import io.pgsync.testkit.pg.PostgresCluster;

/**
 * The type-fidelity matrix: wide tables with a column per PostgreSQL type and rows of edge values and NULLs, synced
 * by snapshot, live INSERTs and live UPDATEs, must read back with the same {@code row::text} and {@code column::text}
 * on the destination; variants change only the converters.
 */
abstract class AbstractTypeMatrixIT extends PipelineIT {

    private static final AtomicInteger RUNS = new AtomicInteger();
    private static final Duration SYNC_TIMEOUT = Duration.ofSeconds(120);
    private static final int SHOWN_CHARS = 160;
    /** Live copies of the rows get ids above this; rows written before them stay below it. */
    private static final int LIVE_ID_OFFSET = 100;

    /** Converter settings added to both connectors (key.converter.*, value.converter.*). */
    abstract Map<String, String> converters();

    /** Settings added to the source connector, e.g. its changelog format; none by default. */
    Map<String, String> sourceSettings() {
        return Map.of();
    }

    /**
     * Whether NaN, the infinities and -0 of real and double precision values arrive: yes in pgsync's format, where
     * they travel as text.
     */
    boolean carriesNonFiniteFloats() {
        return true;
    }

    /**
     * Whether the values Debezium's mapping loses arrive: yes in pgsync's format, where the source carries arrays,
     * {@code time}, {@code bit varying} and {@code polygon} in the text PostgreSQL sent ({@link #SOURCE_TEXT}).
     */
    boolean carriesSourceText() {
        return true;
    }

    static final List<String> BUILT_IN_TABLES = List.of("numbers", "texts", "times", "documents", "networks",
            "geometries", "ranges", "arrays", "column_defaults");

    /**
     * The built-in types with their edge values. Values that Debezium 3.7 or a converter cannot carry are left out
     * and listed in the README's "Types" section: time 24:00:00, BC dates read by the snapshot, the XML declaration
     * of an xml value, bit varying with leading zeros, multi-dimensional arrays and arrays with lower bounds other
     * than 1, NULL elements in arrays whose elements Debezium declares non-optional, BC values in date, timestamp and
     * timestamptz arrays, arrays of money, interval, xml, bit, bit varying and the geometric types, and (JSON only)
     * NaN, the infinities and -0 of real and double precision.
     */
    static final String BUILT_IN_SCHEMA = """
            CREATE TABLE numbers (
              id int PRIMARY KEY,
              i2 smallint, i4 integer, i8 bigint,
              n numeric, n12_2 numeric(12,2), n40_20 numeric(40,20), n5 numeric(5),
              f4 real, f8 double precision, m money
            );
            INSERT INTO numbers VALUES
              (1, -32768, -2147483648, -9223372036854775808, 'NaN', 'NaN', '-12345678901234567890.12345678901234567890',
               -99999, -3.4028235e38, -1.7976931348623157e308, '-92233720368547758.08'),
              (2, 32767, 2147483647, 9223372036854775807, 'Infinity', 9999999999.99,
               '99999999999999999999.99999999999999999999', 99999, 3.4028235e38, 1.7976931348623157e308,
               '92233720368547758.07'),
              (3, 0, 0, 0, '-Infinity', -0.01, '0.00000000000000000001', 0, 0, 0, 0),
              (4, 1, -1, 1, '1e-100', 0, 0, 1, 1e-38, 1e-308, '0.01'),
              (5, -1, 1, -1, '1e100', 1.5, 1.5, -1, 1.4e-45, 4.9e-324, '-0.01'),
              (6, 2, 2, 2, '-1.500', -1, -1, 2, 0.1, 0.1, '1234567.89'),
              (7, 3, 3, 3, '0.000', 3, 3, 3, -1.17549435e-38, 2.2250738585072014e-308, '1'),
              (8, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);

            CREATE TABLE texts (
              id int PRIMARY KEY,
              c1 char, c5 char(5), vc varchar(10), v varchar, t text, b bytea, flag boolean, u uuid
            );
            INSERT INTO texts VALUES
              (1, 'x', 'ab', 'ünïcødé 表', 'emoji 😀 🇩🇪 👩‍👩‍👧', 'quotes '' " \\ {} , NULL', '\\x00', true,
               '00000000-0000-0000-0000-000000000000'),
              (2, ' ', '', '', '', '', '\\x', false, 'ffffffff-ffff-ffff-ffff-ffffffffffff'),
              (3, '😀', '😀😀 😀', 'NULL', E'tab\\tnew\\nline\\r', repeat('pgsync ✓ 😀 ', 100000),
               '\\x00ff00deadbeef00', true, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'),
              (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);

            CREATE TABLE times (
              id int PRIMARY KEY,
              d date, ts timestamp, ts3 timestamp(3), tstz timestamptz, tstz0 timestamptz(0),
              t time, t3 time(3), ttz timetz, iv interval, iv3 interval(3)
            );
            INSERT INTO times VALUES
              (1, 'infinity', 'infinity', 'infinity', 'infinity', 'infinity', '23:59:59.999999', '23:59:59.999',
               '24:00:00+05:30', '1 year 2 mons -3 days 04:05:06.789', '1 year 2 mons -3 days 04:05:06.789'),
              (2, '-infinity', '-infinity', '-infinity', '-infinity', '-infinity', '00:00:00', '00:00:00',
               '00:00:00-15:59', '-178000000 years', '-1 days +25:00:00.001'),
              (3, '0001-01-01', '0044-03-15 12:34:56.789012 BC', '0044-03-15 12:34:56.789 BC',
               '0044-03-15 12:34:56.789012+01 BC', '0044-03-15 12:34:56+01 BC', '00:00:00.000001', '00:00:00.001',
               '23:59:59.999999-03:30', '00:00:00.000001', '-00:00:01.5'),
              (4, '2024-02-29', '2024-02-29 23:59:59.999999', '2024-02-29 23:59:59.999',
               '2024-02-29 23:59:59.999999+05:30', '2024-02-29 23:59:59+05:30', '12:34:56.000001', '12:34:56.001',
               '12:34:56.789012+14', '1 mon -1 days', '0'),
              (5, '1999-12-31', '4713-01-01 00:00:00 BC', '4713-01-01 00:00:00 BC', '4713-01-01 00:00:00+00 BC',
               '4713-01-01 00:00:00+00 BC', '01:02:03', '01:02:03', '00:00:00+00',
               '-1 years -2 mons +3 days -04:05:06.789', '1 day'),
              (6, '5874897-12-31', '294276-12-31 23:59:59.999999', '294276-12-31 23:59:59.999',
               '294276-12-31 23:59:59.999999+00', '294276-12-31 23:59:59+00', '12:00', '12:00', '01:02:03-00:01',
               '178956970 years 7 mons 2147483647 days 2147483647:59:59.999999',
               '-1 years -2 mons +3 days -04:05:06.7894'),
              (7, '1970-01-01', '1970-01-01 00:00:00', '1970-01-01', '1970-01-01 00:00:00+00', '1970-01-01 00:00:00+00',
               '12:00', '12:00', '12:00+05:45', '1 year', '1 mon'),
              (8, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);

            CREATE TABLE documents (
              id int PRIMARY KEY,
              j json, jb jsonb, x xml, tv tsvector, tq tsquery
            );
            INSERT INTO documents VALUES
              (1, '  {"b": 1,   "a": [1, 2.50, null], "a": "duplicate", "u": "\\u00fc 😀"}  ',
               '{"b": 1, "a": [1, 2.50, null], "a": "last wins", "n": 1e100}', '<a b="1">x &amp; y <![CDATA[z]]></a>',
               'a fat cat:1,2A sat:3 on:4 a:5 mat:6 ''quoted '''' word''', 'fat & (rat | !cat) <-> mat:*A'),
              (2, '[]', '[]', 'just text<b/>', '', 'a:B'),
              (3, 'null', 'null', '<r a="ü">text<!-- comment --></r>', 'ünïcødé:1', '!x <2> y'),
              (4, '"\\u0000 escaped"', '"str"', '', 'x', 'x'),
              (5, NULL, NULL, NULL, NULL, NULL);

            CREATE TABLE networks (
              id int PRIMARY KEY,
              ip inet, net cidr, mac macaddr, mac8 macaddr8, b1 bit, b5 bit(5), vb varbit, vb10 bit varying(10)
            );
            INSERT INTO networks VALUES
              (1, '192.168.0.1/24', '10.0.0.0/8', '08:00:2b:01:02:03', '08:00:2b:01:02:03:04:05', '1', '10101', '1001',
               ''),
              (2, '::1', '2001:db8::/32', 'ff:ff:ff:ff:ff:ff', '00:00:00:00:00:00:00:00', '0', '00000', '', '1'),
              (3, '2001:db8::1/64', '192.168.100.128/25', '00:00:00:00:00:00', '08:00:2b:ff:fe:01:02:03', '1', '00001',
               '1000000000000000001', '1000000001'),
              (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);

            CREATE TABLE geometries (
              id int PRIMARY KEY,
              p point, l line, ls lseg, bx box, pa path, pg polygon, c circle
            );
            INSERT INTO geometries VALUES
              (1, '(1.5,-2.25)', '{1,-1,0}', '[(0,0),(1,1)]', '(1,1),(0,0)', '[(0,0),(1,1),(2,0)]',
               '((0,0),(1,1),(2,0))', '<(0,0),1.5>'),
              (2, '(1e300,-1e-300)', '{0,1,-2.5}', '[(-1.5,2),(3,-4.25)]', '(-1,-2),(3,4)', '((0,0),(1,1),(2,0))',
               '((0,0),(0,0))', '<(1e-10,-3),0>'),
              (3, '(0,0.1)', '{1.1,2.2,3.3}', '[(0,0),(0,0)]', '(0,0),(0,0)', '[(5,5)]', '((1,2))',
               '<(0.1,0.2),1e300>'),
              (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL);

            CREATE TABLE ranges (
              id int PRIMARY KEY,
              r4 int4range, r8 int8range, rn numrange, rts tsrange, rtz tstzrange, rd daterange,
              m4 int4multirange, m8 int8multirange, mn nummultirange, mts tsmultirange, mtz tstzmultirange,
              md datemultirange
            );
            INSERT INTO ranges VALUES
              (1, 'empty', 'empty', 'empty', 'empty', 'empty', 'empty', '{}', '{}', '{}', '{}', '{}', '{}'),
              (2, '(,)', '(,)', '(,)', '(,)', '(,)', '(,)', '{(,)}', '{(,)}', '{(,)}', '{(,)}', '{(,)}', '{(,)}'),
              (3, '[1,10)', '[-9223372036854775808,9223372036854775807)', '[1.5,2.50]', '[2024-01-01 00:00,infinity)',
               '("2024-01-01 00:00+05:30","2024-06-01 12:00:00.000001+00"]', '[-infinity,infinity]',
               '{[1,3), [5,7), [10,)}', '{(,0], [5,7]}', '{[1.5,2.5), (3,NaN)}', '{["0044-03-15 BC",2024-01-01)}',
               '{["2024-01-01 00:00+05:30",)}', '{[2024-01-01,2024-01-10), [2024-02-01,)}'),
              (4, '(,5]', '[3,)', '(-1e-100,1e100)', '(,"2024-01-01 00:00:00.000001")', '[-infinity,infinity]',
               '[2024-01-01,2024-01-02)', '{(,5]}', '{[3,)}', '{(-1e-100,1e100)}', '{(,"2024-01-01 00:00:00.000001")}',
               '{[-infinity,infinity]}', '{[2024-01-01,2024-01-02)}'),
              (5, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);

            CREATE TABLE arrays (
              id int PRIMARY KEY,
              a_i2 smallint[], a_i4 int[], a_i8 bigint[], a_n numeric[], a_n5_2 numeric(5,2)[], a_f4 real[],
              a_f8 float8[], a_bool boolean[], a_c char(3)[], a_vc varchar(5)[], a_t text[], a_b bytea[], a_u uuid[],
              a_d date[], a_ts timestamp[], a_tz timestamptz[], a_ttz timetz[], a_j json[], a_jb jsonb[], a_ip inet[],
              a_cidr cidr[], a_mac macaddr[], a_mac8 macaddr8[], a_tv tsvector[], a_tq tsquery[], a_r4 int4range[],
              a_rn numrange[], a_rtz tstzrange[], a_rd daterange[], a_m4 int4multirange[]
            );
            INSERT INTO arrays VALUES
              (1, '{-32768,NULL,32767}', '{1,NULL,3}', '{-9223372036854775808,NULL,9223372036854775807}',
               '{1.50,NULL,1e-100,-1e100}', '{1.50,NULL,-999.99}', '{-3.4028235e38,0,1e-38,NULL}',
               '{-1.7976931348623157e308,4.9e-324,NULL}', '{t,f,NULL}', '{a,"b c",NULL,""}', '{"ü 😀",NULL,"NULL",""}',
               '{"quo\\"te","back\\\\slash","{brace}",NULL,"NULL","","a,b"," space "}', '{"\\\\x00",NULL,"\\\\x"}',
               '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11,NULL}', '{infinity,-infinity,2024-02-29,NULL}',
               '{infinity,-infinity,"2024-02-29 23:59:59.999999",NULL}',
               '{"2024-02-29 23:59:59.999999+05:30","0001-01-01 00:00:00+00",NULL}',
               '{24:00:00+05:30,"12:34:56.789012-00:01",NULL}',
               ARRAY['  {"b": 1,   "a": 2, "a": 3}  ', NULL, '[]']::json[],
               ARRAY['{"b": 1, "a": [1, 2.50]}', NULL, '"x"']::jsonb[], '{192.168.0.1/24,::1,NULL}',
               '{10.0.0.0/8,NULL}', '{08:00:2b:01:02:03,NULL}', '{08:00:2b:01:02:03:04:05,NULL}',
               ARRAY['a fat:1 cat', '']::tsvector[], ARRAY['fat & !rat', 'x']::tsquery[], '{empty,"[1,10)","(,)",NULL}',
               '{"[1.5,2.50]",NULL}',
               '{"(\\"2024-01-01 00:00+05:30\\",)",NULL}', '{"[-infinity,infinity]",empty}',
               ARRAY['{[1,3), [5,7)}', '{}']::int4multirange[]),
              (2, '{}', '{1}', '{}', '{}', '{NULL}', '{}', '{}', '{}', '{}', '{}', '{NULL}', '{}', '{}', '{}', '{}',
               '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}'),
              (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
               NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);

            -- Debezium gives each column's field its DEFAULT, which Connect returns for a NULL unless asked not to
            CREATE TABLE column_defaults (
              id int PRIMARY KEY,
              i int DEFAULT 5, t text DEFAULT 'x', n numeric DEFAULT 1.5, d date DEFAULT '2024-01-01',
              vb varbit DEFAULT B'1101', b1 varbit(1) DEFAULT B'1', tm time DEFAULT '12:00', a int[] DEFAULT '{1,2}',
              bo boolean DEFAULT true
            );
            INSERT INTO column_defaults VALUES (1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
            INSERT INTO column_defaults (id) VALUES (2);
            """;

    /**
     * Rows written only after the snapshot: Debezium 3.7 reads a BC date correctly from the WAL but loses its era when
     * the snapshot reads it.
     */
    static final String BUILT_IN_LIVE_ROWS = """
            INSERT INTO times VALUES
              (9, '0044-03-15 BC', '0044-03-15 00:00:00 BC', '0001-01-01 00:00:00 BC',
               '0001-12-31 23:59:59.999999+00 BC',
               '0001-12-31 23:59:59+00 BC', '00:00:00', '00:00:00', '00:00:00+00', '0', '0'),
              (10, '4713-01-01 BC', '1999-12-31 23:59:59.999999', '1999-12-31 23:59:59.999', '1999-12-31 23:59:59+00',
               '1999-12-31 23:59:59+00', '00:00:00', '00:00:00', '00:00:00+00', '0', '0');
            """;

    /**
     * Legal values Debezium's own mapping loses (the README's "Types" section), which pgsync's format carries in the
     * text PostgreSQL sent: {@code 24:00:00}, bit strings with leading zeros, multi-dimensional arrays, lower bounds,
     * {@code NaN} and infinities in {@code numeric[]}, BC and infinite values and microseconds in temporal arrays,
     * arrays Debezium has no mapping for, polygons whose last point repeats the first, and a TOASTed array that a
     * later UPDATE leaves unchanged.
     */
    static final String SOURCE_TEXT = """
            CREATE TABLE source_text (
              id int PRIMARY KEY,
              t time, t3 time(3), vb varbit, vb5 bit varying(5),
              a2_t text[], a3_i int[], a_lb int[], a_n numeric[], a_tz timestamptz[], a_d date[], a_ts timestamp[],
              a_t time[], a_money money[], a_iv interval[], a_x xml[], a_bit bit(3)[], a_vb varbit[], a_pt point[],
              a_name name[], a_box box[], a_circle circle[], pg polygon
            );
            INSERT INTO source_text VALUES
              (1, '24:00:00', '24:00:00', '0001', '00010', '{{a,"b c"},{NULL,"}"}}', '{{{1,2}},{{3,4}}}',
               '[0:2]={7,8,9}', '{NaN,1.5,-2,Infinity,-Infinity,NULL}',
               '{infinity,-infinity,"0044-03-15 12:00:00+00 BC",NULL}', '{"0044-03-15 BC",infinity,NULL}',
               '{"0044-03-15 12:34:56.789012 BC",-infinity}', '{00:00:00.000001,24:00:00,NULL}',
               '{1.50,-92233720368547758.08,NULL}', '{"1 year 2 mons -3 days 04:05:06.789",NULL}',
               ARRAY['<a b="1"/>', NULL]::xml[], '{101,000,NULL}', '{0001,"",NULL}', '{"(1.5,-2)",NULL}',
               '{pg_class,"x y",NULL}', '{(1,1),(0,0);(2,2),(1,1)}', '{"<(0,0),1>",NULL}',
               '((0,0),(1,1e300),(2,-0.5),(0,0))'),
              (2, '00:00:00', '23:59:59.999', '', '1', '{}', '{{1},{2}}', '[-3:-2]={1,2}', '{}', '{}', '{}', '{}', '{}',
               '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '((NaN,-0),(Infinity,1))'),
              (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
               NULL, NULL, NULL, NULL, NULL),
              (4, '12:00', '12:00', '1', '1', (SELECT array_agg(ARRAY[md5(i::text), md5((-i)::text)])
                                                 FROM generate_series(1, 3000) i),
               NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
            """;

    /** Enum and composite arrays with NULL elements, which Debezium's mapping declares non-optional. */
    static final String USER_TYPE_SOURCE_TEXT_ROWS = """
            INSERT INTO user_types (id, st, a_mo, a_pr) VALUES
              (4, 'y', '{NULL,ok}', ARRAY[NULL, ROW(1, 'a', NULL)::pair]);
            """;

    /** NaN, the infinities and -0 of real and double precision, alone and in arrays and points. */
    static final String FLOAT_SPECIALS = """
            CREATE TABLE float_specials (
              id int PRIMARY KEY,
              f4 real, f8 double precision, a_f4 real[], a_f8 float8[], p point
            );
            INSERT INTO float_specials VALUES
              (1, 'NaN', 'NaN', '{NaN,-0,Infinity,NULL}', '{NaN,-0,-Infinity,NULL}', '(NaN,-0)'),
              (2, 'Infinity', 'Infinity', '{}', '{}', '(Infinity,-Infinity)'),
              (3, '-Infinity', '-Infinity', NULL, NULL, '(-0,0)'),
              (4, '-0', '-0', '{-0}', '{-0}', NULL);
            """;

    static final List<String> EXTENSIONS = List.of("hstore", "ltree", "citext");

    static final String EXTENSION_SCHEMA = """
            CREATE TABLE extensions (
              id int PRIMARY KEY,
              h hstore, lt ltree, ct citext, a_h hstore[], a_lt ltree[], a_ct citext[]
            );
            INSERT INTO extensions VALUES
              (1, '"a"=>"1", "b"=>NULL, ""=>"empty key", "quo\\"te"=>"back\\\\slash", "ü 😀"=>"x,y"',
               'Top.Science.Astronomy', 'MiXeD Ünïcode 😀', ARRAY['a=>1', NULL, '']::hstore[], '{Top.Science,Top}',
               '{MiXeD,NULL,""}'),
              (2, '', '', '', '{}', '{}', '{}'),
              (3, NULL, NULL, NULL, NULL, NULL, NULL);
            """;

    /** User-defined types and the table using them, created alike on both sides: the sink cannot create types. */
    static final String USER_TYPES = """
            CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy', 'very "happy", really');
            CREATE DOMAIN positive_int AS int CHECK (VALUE > 0);
            CREATE DOMAIN short_text AS varchar(10) NOT NULL DEFAULT '';
            CREATE DOMAIN amount AS numeric(12,2);
            CREATE TYPE pair AS (n int, t text, d date);
            CREATE TABLE user_types (
              id int PRIMARY KEY,
              mo mood, a_mo mood[], pi positive_int, st short_text, am amount, pr pair, a_pr pair[]
            );
            """;

    static final String USER_TYPE_ROWS = """
            INSERT INTO user_types VALUES
              (1, 'happy', '{sad,"very \\"happy\\", really"}', 1, 'ünï 😀', 12.5, ROW(1, 'x "y" (z)', '0044-03-15 BC'),
               ARRAY[ROW(1, 'a', NULL)::pair, ROW(NULL, NULL, NULL)::pair]),
              (2, 'very "happy", really', '{}', 2147483647, '', 'NaN', ROW(NULL, '', 'infinity'), '{}'),
              (3, NULL, NULL, NULL, 'x', NULL, NULL, NULL);
            """;

    @Test
    void builtInTypesRoundTripThroughTablesTheSinkCreates() throws Exception {
        List<String> tables = new ArrayList<>(BUILT_IN_TABLES);
        Run run = new Run("builtin");
        source.execute(run.db, BUILT_IN_SCHEMA);
        if (carriesNonFiniteFloats()) {
            source.execute(run.db, FLOAT_SPECIALS);
            tables.add("float_specials");
        }
        if (carriesSourceText()) {
            source.execute(run.db, SOURCE_TEXT);
            tables.add("source_text");
        }
        run.start(tables);
        run.awaitSameRows(tables);
        source.execute(run.db, BUILT_IN_LIVE_ROWS);
        run.insertAndUpdateLive(tables);
        run.assertSameColumnTypes(tables);
        run.stop();
    }

    @Test
    void extensionTypesRoundTripWhenTheExtensionsExist() throws Exception {
        List<String> available = source.query("postgres", "SELECT name FROM pg_available_extensions WHERE name IN ("
                + "'hstore', 'ltree', 'citext') ORDER BY name").stream().map(r -> r.get(0)).toList();
        Assumptions.assumeTrue(available.size() == EXTENSIONS.size(),
                "contrib extensions hstore, ltree and citext are not installed; available: " + available);
        Run run = new Run("extensions");
        for (String extension : EXTENSIONS) {
            source.execute(run.db, "CREATE EXTENSION " + extension);
            target.execute(run.db, "CREATE EXTENSION " + extension);
        }
        source.execute(run.db, EXTENSION_SCHEMA);
        List<String> tables = List.of("extensions");
        run.start(tables);
        run.awaitSameRows(tables);
        run.insertAndUpdateLive(tables);
        run.assertSameColumnTypes(tables);
        run.stop();
    }

    @Test
    void userDefinedTypesRoundTripIntoExistingDestinationTables() throws Exception {
        Run run = new Run("usertypes");
        source.execute(run.db, USER_TYPES, USER_TYPE_ROWS);
        if (carriesSourceText()) {
            source.execute(run.db, USER_TYPE_SOURCE_TEXT_ROWS);
        }
        target.execute(run.db, USER_TYPES);
        List<String> tables = List.of("user_types");
        run.start(tables);
        run.awaitSameRows(tables);
        run.insertAndUpdateLive(tables);
        run.stop();
    }

    Map<String, String> withConverters(Map<String, String> config) {
        Map<String, String> result = new HashMap<>(config);
        result.putAll(converters());
        return result;
    }

    /** A value for failure messages: long texts abbreviated with their length, so a 1 MB value stays readable. */
    static String shown(String value) {
        if (value == null) {
            return "NULL";
        }
        if (value.length() <= SHOWN_CHARS) {
            return "'" + value + "'";
        }
        return "'" + value.substring(0, SHOWN_CHARS) + "…' (" + value.length() + " chars, hash "
                + Integer.toHexString(value.hashCode()) + ")";
    }

    /**
     * One source database synced into a destination database of the same name by a fresh pair of connectors (Connect
     * keeps source offsets by connector name).
     */
    private final class Run {

        private final String db;
        private final String prefix;
        private final String sourceName;
        private final String sinkName;

        Run(String kind) {
            this.db = kind + RUNS.incrementAndGet();
            this.prefix = db + "_" + AbstractTypeMatrixIT.this.getClass().getSimpleName().toLowerCase(Locale.ROOT);
            this.sourceName = prefix + "-source";
            this.sinkName = prefix + "-sink";
            source.cluster().createDatabase(db);
            target.cluster().createDatabase(db);
        }

        void start(List<String> tables) throws InterruptedException {
            Map<String, String> sourceConfig = withConverters(Pipeline.source(source.cluster(), db, prefix,
                    String.join(",", tables.stream().map(t -> "public." + t).toList()), 1));
            // A row with a value above 1 MB needs a larger producer request than Kafka's default 1 MB.
            sourceConfig.put("producer.override.max.request.size", "8388608");
            sourceConfig.putAll(sourceSettings());
            connect.deploy(sourceName, sourceConfig);
            connect.deploy(sinkName, withConverters(Pipeline.sink(target.cluster(), db, prefix + ".changelog", 1)));
            connect.awaitRunning(sourceName, 1);
            connect.awaitRunning(sinkName, 1);
        }

        void stop() {
            connect.delete(sinkName);
            connect.delete(sourceName);
        }

        /**
         * Copies every row to a new id (live INSERTs), awaits, then rotates all column values among the copies (live
         * UPDATEs that assign every column, so no TOASTed value stays unchanged), awaits again, then updates every
         * row without changing it (the stream carries every value again, a TOASTed one as unchanged) and awaits.
         */
        void insertAndUpdateLive(List<String> tables) {
            for (String table : tables) {
                String columns = String.join(", ", valueColumns(table));
                source.execute(db, "INSERT INTO " + table + " (id, " + columns + ") SELECT id + " + LIVE_ID_OFFSET
                        + ", " + columns + " FROM " + table + " WHERE id < " + LIVE_ID_OFFSET);
            }
            awaitSameRows(tables);
            for (String table : tables) {
                String columns = String.join(", ", valueColumns(table));
                String last = source.query(db, "SELECT max(id) FROM " + table).get(0).get(0);
                source.execute(db, "UPDATE " + table + " t SET (" + columns + ") = (SELECT " + columns + " FROM "
                        + table + " s WHERE s.id = CASE WHEN t.id = " + last + " THEN " + (LIVE_ID_OFFSET + 1)
                        + " ELSE t.id + 1 END) WHERE t.id > " + LIVE_ID_OFFSET);
            }
            awaitSameRows(tables);
            for (String table : tables) {
                source.execute(db, "UPDATE " + table + " SET id = id");
            }
            awaitSameRows(tables);
        }

        /** The destination columns the sink created have the source's types, modifiers included. */
        void assertSameColumnTypes(List<String> tables) {
            for (String table : tables) {
                assertThat(columnTypes(target.cluster(), table)).as("column types of %s on the destination", table)
                        .isEqualTo(columnTypes(source.cluster(), table));
            }
        }

        /**
         * Waits until every table has the same rows on both sides: each column's {@code column::text} (so a
         * difference names the column and its type), then each row's {@code row::text}. Fails at once when a
         * connector fails.
         */
        void awaitSameRows(List<String> tables) {
            await().atMost(SYNC_TIMEOUT).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                failFastWhenAConnectorFailed();
                for (String table : tables) {
                    assertSameColumns(table);
                    assertThat(rows(target.cluster(), table)).as("rows of %s as row::text", table)
                            .isEqualTo(rows(source.cluster(), table));
                }
            });
        }

        private void failFastWhenAConnectorFailed() {
            for (String name : List.of(sourceName, sinkName)) {
                String status = connect.statusText(name);
                if (status.contains("FAILED")) {
                    throw new IllegalStateException("Connector " + name + " failed: " + status);
                }
            }
        }

        private void assertSameColumns(String table) {
            Map<String, String> types = columnTypes(source.cluster(), table);
            List<String> columns = new ArrayList<>(types.keySet());
            StringJoiner select = new StringJoiner(", ", "SELECT ", " FROM " + table + " ORDER BY id");
            columns.forEach(c -> select.add(c + "::text"));
            List<List<String>> expected = source.query(db, select.toString());
            List<List<String>> actual = readable(target.cluster(), select.toString());
            List<String> differences = new ArrayList<>();
            if (actual.size() != expected.size()) {
                differences.add(table + " has " + actual.size() + " rows on the destination and " + expected.size()
                        + " on the source");
            }
            for (int row = 0; row < Math.min(actual.size(), expected.size()); row++) {
                for (int col = 1; col < columns.size(); col++) {
                    String want = expected.get(row).get(col);
                    String got = actual.get(row).get(col);
                    if (!Objects.equals(want, got)) {
                        differences.add(table + "." + columns.get(col) + " (" + types.get(columns.get(col)) + ") id "
                                + expected.get(row).get(0) + ": source " + shown(want) + ", destination "
                                + shown(got));
                    }
                }
            }
            assertThat(differences).as("column values that differ (sink: %s)", connect.statusText(sinkName)).isEmpty();
        }

        /** The rows of a destination query; none while the sink has not created the table yet. */
        private List<List<String>> readable(PostgresCluster cluster, String sql) {
            try {
                return cluster.query(db, sql);
            } catch (IllegalStateException e) {
                return List.of();
            }
        }

        private List<String> rows(PostgresCluster cluster, String table) {
            return readable(cluster, "SELECT t::text FROM " + table + " t ORDER BY id").stream()
                    .map(r -> shown(r.get(0))).toList();
        }

        private List<String> valueColumns(String table) {
            return columnTypes(source.cluster(), table).keySet().stream().filter(c -> !c.equals("id")).toList();
        }

        /** Column name to {@code format_type} of the column, in column order; empty while the table is missing. */
        private Map<String, String> columnTypes(PostgresCluster cluster, String table) {
            Map<String, String> types = new LinkedHashMap<>();
            readable(cluster, "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a"
                    + " JOIN pg_class c ON c.oid = a.attrelid WHERE c.relname = '" + table + "'"
                    + " AND c.relnamespace = 'public'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped"
                    + " ORDER BY a.attnum").forEach(r -> types.put(r.get(0), r.get(1)));
            return types;
        }
    }
}
