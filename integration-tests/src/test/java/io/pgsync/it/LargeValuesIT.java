package io.pgsync.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.pgsync.testkit.connect.ConnectExtension;
import io.pgsync.testkit.pg.PostgresCluster;
import io.pgsync.testkit.pg.PostgresExtension;
import io.pgsync.testkit.registry.SchemaRegistry;

/**
 * Values near the limits, each through the COPY full sync and through streaming (inserts, updates, deletes), then
 * compared between source and destination: large incompressible bytea and text values (through Avro 20 MiB each,
 * {@code -Dpgsync.it.large.value.mb=100} for 100 MiB, which takes about 200 s; through JSON 9 MiB, as Kafka's
 * JsonConverter stops at strings of 20,000,000 characters),
 * a table of 1,000 columns of mixed types, and identifiers of 63 bytes (PostgreSQL's limit, in bytes, also with
 * multibyte UTF-8) for schema, table, columns, index and constraints. A value above JSON's string limit in a record
 * the raised limits let through whole, and a replication slot of the derived name in another database fail the task
 * with an error naming the limit or the setting. Rows above Kafka's default limits, which travel in pieces, are
 * {@link LargeRowsIT}'s.
 *
 * <p>The class runs its own broker, so that only its broker accepts large messages.
 */
class LargeValuesIT {

    private static final int MIB = 1024 * 1024;

    /** The size of each large value through Avro, in MiB; 20 keeps the class near a minute and a half in CI. */
    private static final int VALUE_MB = Integer.getInteger("pgsync.it.large.value.mb", 20);

    /**
     * The largest bytea JSON carries, in MiB: Kafka's JsonConverter reads with Jackson's default
     * {@code StreamReadConstraints}, which stop at strings of 20,000,000 characters, and a bytea travels as hex text
     * (2 characters a byte); 9 MiB is 18,874,370 characters.
     */
    private static final int JSON_VALUE_MB = 9;

    /**
     * The largest record the changelog must carry: a row with a large bytea (hex text) and a large text in one
     * record, and room for the envelope.
     */
    private static final String MAX_RECORD_BYTES = Integer.toString(3 * Math.max(VALUE_MB, JSON_VALUE_MB + 1) * MIB
            + 16 * MIB);

    private static final Duration TIMEOUT = Duration.ofSeconds(180);

    @RegisterExtension
    static final PostgresExtension source = PostgresExtension.logical();

    @RegisterExtension
    static final PostgresExtension target = PostgresExtension.plain();

    @RegisterExtension
    static final ConnectExtension connect = ConnectExtension.withPluginPath(Pipeline.pluginPath())
            .brokerProperty("message.max.bytes", MAX_RECORD_BYTES)
            .brokerProperty("socket.request.max.bytes", MAX_RECORD_BYTES);

    @Test
    void largeIncompressibleByteaAndTextValuesSyncThroughFullSyncAndStreamingWithAvro() throws Exception {
        try (SchemaRegistry registry = SchemaRegistry.start()) {
            syncLargeValues("largeavro", VALUE_MB, registry.avroKeyAndValueConverters());
        }
    }

    @Test
    void valuesUpToJsonsStringLimitSyncThroughFullSyncAndStreamingWithJson() throws Exception {
        syncLargeValues("largejson", JSON_VALUE_MB, Pipeline.jsonConverters());
    }

    @Test
    void aValueAboveJsonsStringLimitFailsTheSinkTaskNamingJacksonsLimit() throws Exception {
        String db = "jsonlimit";
        createLargeValueTable(db);
        source.execute(db, "INSERT INTO big VALUES (1, 'bytea', random_bytes(" + (JSON_VALUE_MB + 1) * MIB
                + "), NULL)");
        deploy(db, largeValueSource(db, Pipeline.jsonConverters()), largeValueSink(db, Pipeline.jsonConverters()));
        await().atMost(TIMEOUT).until(() -> connect.statusText(db + "-sink").contains("FAILED"));
        assertThat(connect.statusText(db + "-sink")).contains("StreamConstraintsException")
                .contains("exceeds the maximum allowed (20000000");
        assertThat(target.query(db, "SELECT count(*) FROM big")).containsExactly(List.of("0"));
        undeploy(db);
    }

    /**
     * Syncs a row with a large bytea and one with a large text through the full sync, then streams an insert of a
     * row with both, an update that leaves them unchanged (TOASTed values the source does not send), updates of the
     * large values themselves and a delete, comparing both sides after each step.
     */
    private static void syncLargeValues(String db, int megabytes, Map<String, String> converters) throws Exception {
        int bytes = megabytes * MIB;
        createLargeValueTable(db);
        source.execute(db,
                "INSERT INTO big VALUES (1, 'bytea', random_bytes(" + bytes + "), NULL)",
                "INSERT INTO big VALUES (2, 'text', NULL, random_text(" + bytes + "))");
        assertThat(source.query(db, "SELECT pg_column_size(b) FROM big WHERE id = 1 UNION ALL "
                + "SELECT pg_column_size(t) FROM big WHERE id = 2").stream().map(r -> Long.parseLong(r.get(0))))
                .as("stored sizes: incompressible, so TOAST compression does not shrink them")
                .allMatch(size -> size >= bytes);

        long start = System.nanoTime();
        deploy(db, largeValueSource(db, converters), largeValueSink(db, converters));
        awaitSameDigests(db);
        long fullSync = System.nanoTime();

        source.execute(db, "INSERT INTO big VALUES (3, 'both', random_bytes(" + bytes + "), random_text(" + bytes
                + "))");
        awaitSameDigests(db);
        source.execute(db, "UPDATE big SET note = note || ' again'");
        awaitSameDigests(db);
        assertThat(target.query(db, "SELECT count(*) FROM big WHERE note LIKE '% again' AND (b IS NOT NULL OR t IS NOT "
                + "NULL)")).as("the unchanged TOASTed values stay").containsExactly(List.of("3"));
        source.execute(db, "UPDATE big SET b = random_bytes(" + bytes + ") WHERE id = 1",
                "UPDATE big SET t = random_text(" + bytes + ") WHERE id = 2");
        awaitSameDigests(db);
        source.execute(db, "DELETE FROM big WHERE id = 3");
        awaitSameDigests(db);
        long streaming = System.nanoTime();
        System.out.printf("Large values of %d MiB (%s): full sync %d ms, streaming %d ms%n", megabytes,
                converters.get("value.converter"), (fullSync - start) / 1_000_000, (streaming - fullSync) / 1_000_000);
        undeploy(db);
    }

    /** Creates table {@code big} and the functions that make random, incompressible values at the source. */
    private static void createLargeValueTable(String db) {
        createDatabases(db);
        source.execute(db,
                "CREATE FUNCTION random_bytes(n int) RETURNS bytea LANGUAGE sql AS $$ SELECT decode(string_agg("
                        + "md5(random()::text || g), ''), 'hex') FROM generate_series(1, n / 16) g $$",
                "CREATE FUNCTION random_text(n int) RETURNS text LANGUAGE sql AS $$ SELECT translate(encode("
                        + "random_bytes(n / 4 * 3), 'base64'), E'\\n', '') $$",
                "CREATE TABLE big (id int PRIMARY KEY, note text, b bytea, t text)");
    }

    @Test
    void aTableOfAThousandColumnsOfMixedTypesSyncsThroughFullSyncAndStreaming() throws Exception {
        String db = "widetable";
        createDatabases(db);
        String[] types = {"int", "bigint", "text", "numeric(12,3)", "boolean", "timestamptz", "bytea", "jsonb",
                "double precision", "date"};
        String[] values = {"g", "g * 1000000000::bigint", "'v' || g", "g / 7.0", "g % 2 = 0",
                "'2024-02-29 12:00+00'::timestamptz + g * interval '1 hour'", "decode(lpad(to_hex(g), 8, '0'), 'hex')",
                "jsonb_build_object('g', g)", "g / 3.0", "'2024-01-01'::date + g"};
        StringJoiner columns = new StringJoiner(", ", "CREATE TABLE wide (id int PRIMARY KEY, ", ")");
        StringJoiner selected = new StringJoiner(", ", "SELECT g, ", "");
        for (int i = 1; i < 1000; i++) {
            columns.add("c" + i + " " + types[i % types.length]);
            selected.add(values[i % values.length]);
        }
        String insert = "INSERT INTO wide " + selected;
        source.execute(db, columns.toString(), insert + " FROM generate_series(1, 50) g");
        assertThat(source.query(db, "SELECT count(*) FROM pg_attribute WHERE attrelid = 'wide'::regclass AND attnum > 0"))
                .containsExactly(List.of("1000"));

        deploy(db, Pipeline.withJson(Pipeline.source(source.cluster(), db, db, "public.wide", 1)),
                Pipeline.withJson(Pipeline.sink(target.cluster(), db, db + ".changelog", 1)));
        Tables.awaitEqual(source.cluster(), target.cluster(), db, "wide", TIMEOUT, () -> connect.statusText(db
                + "-sink"));

        source.execute(db, insert + " FROM generate_series(51, 100) g",
                "UPDATE wide SET c2 = 'updated', c997 = NULL, c999 = current_date WHERE id % 3 = 0",
                "UPDATE wide SET c1 = c1 + 1 WHERE id % 5 = 0",
                "DELETE FROM wide WHERE id % 7 = 0");
        Tables.awaitEqual(source.cluster(), target.cluster(), db, "wide", TIMEOUT, () -> connect.statusText(db
                + "-sink"));
        assertThat(target.query(db, "SELECT count(*) FROM wide")).containsExactly(List.of("86"));
        undeploy(db);
    }

    @Test
    void identifiersOfSixtyThreeBytesSyncThroughFullSyncStreamingAndDdl() throws Exception {
        String db = "longnames";
        String schema = "é".repeat(31) + "s";
        String table = "table_with_a_name_of_exactly_sixty_three_bytes_".concat("x".repeat(16));
        String cyrillic = "к".repeat(31) + "k";
        String cjk = "表".repeat(21);
        String emoji = "😀".repeat(15) + "abc";
        String ascii = "column_with_a_name_of_exactly_sixty_three_bytes_".concat("y".repeat(15));
        String added = "ü".repeat(31) + "a";
        String index = "index_" + "ı".repeat(27) + "_ix";
        String check = "check_" + "ß".repeat(27) + "_ck";
        String unique = "unique_" + "z".repeat(56);
        for (String name : List.of(schema, table, cyrillic, cjk, emoji, ascii, added, index, check, unique)) {
            assertThat(name.getBytes(StandardCharsets.UTF_8)).as(name).hasSize(63);
        }
        String qualified = q(schema) + "." + q(table);
        createDatabases(db);
        source.execute(db,
                "CREATE SCHEMA " + q(schema),
                "CREATE TABLE " + qualified + " (id bigserial PRIMARY KEY, " + q(cyrillic) + " text, " + q(cjk)
                        + " int CONSTRAINT " + q(check) + " CHECK (" + q(cjk) + " >= 0), " + q(emoji) + " jsonb, "
                        + q(ascii) + " text CONSTRAINT " + q(unique) + " UNIQUE)",
                "CREATE INDEX " + q(index) + " ON " + qualified + " (" + q(cyrillic) + ", " + q(cjk) + ")",
                "INSERT INTO " + qualified + " (" + q(cyrillic) + ", " + q(cjk) + ", " + q(emoji) + ", " + q(ascii)
                        + ") SELECT 'к' || g, g, jsonb_build_object('😀', g), 'u' || g FROM generate_series(1, 20) g");
        assertThat(source.query(db, "SELECT octet_length(relname::text) FROM pg_class WHERE relnamespace = "
                + "(SELECT oid FROM pg_namespace WHERE nspname = '" + schema + "') ORDER BY relname"))
                .as("names PostgreSQL derived for the key and the sequence, cut to 63 bytes")
                .allMatch(r -> Integer.parseInt(r.get(0)) <= 63);

        Map<String, String> sourceConfig = Pipeline.withJson(Pipeline.source(source.cluster(), db, db, "", 1));
        sourceConfig.remove("table.include.list");
        sourceConfig.put("schema.include.list", schema);
        deploy(db, sourceConfig, Pipeline.withJson(Pipeline.sink(target.cluster(), db, db + ".changelog", 1)));
        Tables.awaitEqual(source.cluster(), target.cluster(), db, qualified, TIMEOUT, () -> connect.statusText(db
                + "-sink"));

        source.execute(db,
                "INSERT INTO " + qualified + " (" + q(cyrillic) + ", " + q(cjk) + ", " + q(ascii) + ") SELECT 'к' || g, "
                        + "g, 'u' || g FROM generate_series(21, 40) g",
                "UPDATE " + qualified + " SET " + q(cjk) + " = " + q(cjk) + " * 10, " + q(emoji) + " = '{}' WHERE id % 3 = 0",
                "DELETE FROM " + qualified + " WHERE id % 4 = 0",
                "ALTER TABLE " + qualified + " ADD COLUMN " + q(added) + " text DEFAULT 'added'",
                "UPDATE " + qualified + " SET " + q(added) + " = 'set' WHERE id % 5 = 0");
        Tables.awaitEqual(source.cluster(), target.cluster(), db, qualified, TIMEOUT, () -> connect.statusText(db
                + "-sink"));
        awaitSameSchema(db, q(schema));
        assertThat(target.query(db, "SELECT count(*) FROM " + qualified)).containsExactly(List.of("30"));
        undeploy(db);
    }

    @Test
    void aSlotOfTheDerivedNameInAnotherDatabaseIsNeitherDroppedNorShared() throws Exception {
        String db = "slotclash";
        String slot = "pgsync_slotclash_source";
        createDatabases(db);
        source.execute(db, "CREATE TABLE t (id int PRIMARY KEY)");
        source.execute("postgres", "SELECT pg_create_logical_replication_slot('" + slot + "', 'pgoutput')");
        connect.deploy(db + "-source", Pipeline.withJson(Pipeline.source(source.cluster(), db, db, "public.t", 1)));
        await().atMost(TIMEOUT).until(() -> connect.statusText(db + "-source").contains("FAILED"));
        assertThat(connect.statusText(db + "-source")).contains("Replication slot " + slot
                + " belongs to database postgres, not to " + db).contains("Set slot.name");
        assertThat(source.query(db, "SELECT database FROM pg_replication_slots WHERE slot_name = '" + slot + "'"))
                .as("the other database's slot").containsExactly(List.of("postgres"));
        connect.delete(db + "-source");
        source.execute("postgres", "SELECT pg_drop_replication_slot('" + slot + "')");
    }

    private static String q(String name) {
        return PostgresCluster.quoteIdentifier(name);
    }

    private static void createDatabases(String db) {
        source.cluster().createDatabase(db);
        target.cluster().createDatabase(db);
    }

    private static void deploy(String db, Map<String, String> sourceConfig, Map<String, String> sinkConfig)
            throws InterruptedException {
        connect.deploy(db + "-sink", sinkConfig);
        connect.deploy(db + "-source", sourceConfig);
        connect.awaitRunning(db + "-source", 1);
    }

    /** Deletes the connectors, so that the worker no longer holds their large records. */
    private static void undeploy(String db) {
        connect.delete(db + "-source");
        connect.delete(db + "-sink");
    }

    /**
     * The source of the large values: the changelog topic and the producer take records of up to
     * {@link #MAX_RECORD_BYTES} (the producer's whole buffer must hold one such record too).
     */
    private static Map<String, String> largeValueSource(String db, Map<String, String> converters) {
        Map<String, String> config = Pipeline.source(source.cluster(), db, db, "public.big", 1);
        config.putAll(converters);
        config.put("topic.creation.default.max.message.bytes", MAX_RECORD_BYTES);
        config.put("producer.override.max.request.size", MAX_RECORD_BYTES);
        config.put("producer.override.buffer.memory", MAX_RECORD_BYTES);
        return config;
    }

    private static Map<String, String> largeValueSink(String db, Map<String, String> converters) {
        Map<String, String> config = Pipeline.sink(target.cluster(), db, db + ".changelog", 1);
        config.putAll(converters);
        return config;
    }

    /**
     * Waits until both sides hold the same rows of table {@code big}, compared by key, length and md5 of each large
     * value, so that the values are never read into the test's heap.
     */
    private static void awaitSameDigests(String db) {
        String digests = "SELECT id, note, length(b), md5(b), length(t), md5(t) FROM big ORDER BY id";
        await().atMost(TIMEOUT).pollInterval(Duration.ofSeconds(1)).ignoreExceptions().untilAsserted(() ->
                assertThat(target.query(db, digests)).as("digests on the destination (%s)",
                        connect.statusText(db + "-sink")).isEqualTo(source.query(db, digests)));
    }

    /** Waits until pg_dump prints the schema the same way for both databases, comments and settings aside. */
    private static void awaitSameSchema(String db, String schema) {
        await().atMost(TIMEOUT).pollInterval(Duration.ofSeconds(1)).untilAsserted(() ->
                assertThat(PipelineIT.schemaLines(target.cluster().dumpSchema(db, schema)))
                        .as("schema lines at the destination (sink: %s)", connect.statusText(db + "-sink"))
                        .containsExactlyInAnyOrderElementsOf(
                                PipelineIT.schemaLines(source.cluster().dumpSchema(db, schema))));
    }
}
