package io.pgsync.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/**
 * pgsync's full sync ({@code full.sync.mode=copy}, the default): the existing rows travel as COPY text chunks read in
 * the replication slot's exported snapshot, then streaming starts at the slot's consistent point. Proven here: rows
 * written while the copy runs are neither lost nor doubled (on a keyless insert-only table a duplicate would show),
 * hostile names and mixed types copy exactly, a full sync started again (no finished one on record) merges into the
 * rows already there and streaming goes on, and the settings that cannot work together are refused by validation.
 */
class FullSyncIT extends PipelineIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    @Test
    void rowsWrittenDuringTheFullSyncAreNeitherLostNorDoubled() throws Exception {
        String db = "copysync";
        createDatabases(db);
        source.execute(db,
                "CREATE TABLE accounts (id int PRIMARY KEY, v int NOT NULL, pad text)",
                "INSERT INTO accounts SELECT g, g, repeat('x', 50) FROM generate_series(1, 30000) g",
                "CREATE TABLE log (seq int NOT NULL, note text)",
                "ALTER TABLE log REPLICA IDENTITY FULL",
                "INSERT INTO log SELECT g, 'initial' FROM generate_series(1, 3000) g",
                "CREATE TABLE \"Odd \"\"Table\"\"\" (\"Ключ\" int PRIMARY KEY, \"select\" text, n numeric(12,3), "
                        + "t timestamptz, b bytea, a text[], j jsonb)",
                "INSERT INTO \"Odd \"\"Table\"\"\" SELECT g, E'tab\\there\\nnewline\\\\back', g / 7.0, "
                        + "'2024-02-29 12:34:56.789+05:30'::timestamptz - g * interval '1 day', "
                        + "decode('00ff' || lpad(to_hex(g), 4, '0'), 'hex'), ARRAY['a', NULL, 'c\"q'], "
                        + "'{\"k\": [1, 2.50, null]}' FROM generate_series(1, 500) g");
        Map<String, String> sourceConfig = Pipeline.withJson(Pipeline.source(source.cluster(), db, "copysync",
                "public.accounts,public.log,public.Odd \"Table\"", 1));
        sourceConfig.put("full.sync.chunk.bytes", "2048");

        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicInteger seq = new AtomicInteger(3000);
        Thread writer = new Thread(() -> {
            while (writing.get()) {
                int n = seq.incrementAndGet();
                source.execute(db, "BEGIN; UPDATE accounts SET v = v + 1 WHERE id = " + (n % 30000 + 1) + "; "
                        + "INSERT INTO log VALUES (" + n + ", 'during'); "
                        + "DELETE FROM accounts WHERE id = " + (n * 7 % 30000 + 1) + "; COMMIT;");
            }
        }, "full-sync-writer");
        writer.start();
        try {
            connect.deploy("copysync-sink", Pipeline.withJson(Pipeline.sink(target.cluster(), db,
                    "copysync.changelog", 1)));
            connect.deploy("copysync-source", sourceConfig);
            connect.awaitRunning("copysync-source", 1);
            connect.awaitRunning("copysync-sink", 1);
            await().atMost(TIMEOUT).until(() -> count(db, "log") > 3000);
        } finally {
            writing.set(false);
            writer.join();
        }
        for (String table : List.of("accounts", "log", "\"Odd \"\"Table\"\"\"")) {
            Tables.awaitEqual(source.cluster(), target.cluster(), db, table, TIMEOUT,
                    () -> connect.statusText("copysync-sink"));
        }
        assertThat(target.query(db, "SELECT seq FROM log GROUP BY seq HAVING count(*) > 1")).isEmpty();
        assertThat(target.query(db, "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                + "WHERE attrelid = '\"Odd \"\"Table\"\"\"'::regclass AND attnum > 0 ORDER BY attnum"))
                .extracting(r -> r.get(0)).containsExactly("integer", "text", "numeric(12,3)",
                        "timestamp with time zone", "bytea", "text[]", "jsonb");
        List<String> firstRecords = connect.readTopic("copysync.changelog", 20, TIMEOUT).stream()
                .map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList();
        assertThat(firstRecords.get(0)).contains("io.pgsync.changelog.SchemaObject");
        assertThat(firstRecords).anyMatch(v -> v.contains("io.pgsync.changelog.RowChunk"));
        connect.delete("copysync-source");
        connect.delete("copysync-sink");
    }

    /**
     * A source task that starts without a finished full sync on record (here: the connector stopped and its offsets
     * reset through the REST API, as after a crash before the progress was committed) drops the slot, copies again
     * into a destination that already has the rows (the sink merges them by key), and streams from the new slot.
     */
    @Test
    void aFullSyncStartedAgainMergesIntoExistingRowsAndStreamsOn() throws Exception {
        String db = "copyagain";
        createDatabases(db);
        source.execute(db, "CREATE TABLE big (id int PRIMARY KEY, v int NOT NULL, pad text)",
                "INSERT INTO big SELECT g, g, md5(g::text) FROM generate_series(1, 20000) g");
        Map<String, String> sourceConfig = Pipeline.withJson(Pipeline.source(source.cluster(), db, "copyagain",
                "public.big", 1));
        sourceConfig.put("full.sync.chunk.bytes", "65536");
        connect.deploy("copyagain-sink", Pipeline.withJson(Pipeline.sink(target.cluster(), db,
                "copyagain.changelog", 1)));
        connect.deploy("copyagain-source", sourceConfig);
        connect.awaitRunning("copyagain-source", 1);
        Tables.awaitEqual(source.cluster(), target.cluster(), db, "big", TIMEOUT,
                () -> connect.statusText("copyagain-sink"));
        long firstCopy = chunksOf("copyagain.changelog", "big");

        connect.cluster().stopConnector("copyagain-source");
        connect.cluster().resetConnectorOffsets("copyagain-source");
        source.execute(db, "UPDATE big SET v = -v WHERE id % 100 = 0", "DELETE FROM big WHERE id % 97 = 0",
                "INSERT INTO big VALUES (20001, 0, 'while stopped')");
        connect.cluster().resumeConnector("copyagain-source");
        connect.awaitRunning("copyagain-source", 1);
        await().atMost(TIMEOUT).until(() -> chunksOf("copyagain.changelog", "big") == 2 * firstCopy);
        source.execute(db, "UPDATE big SET pad = 'streamed' WHERE id % 1000 = 1",
                "INSERT INTO big VALUES (20002, 0, 'after the second full sync')");
        Tables.awaitEqual(source.cluster(), target.cluster(), db, "big", TIMEOUT,
                () -> connect.statusText("copyagain-sink"));
        connect.delete("copyagain-source");
        connect.delete("copyagain-sink");
    }

    @Test
    void validationRefusesSettingsThatCannotWorkTogether() {
        source.cluster().createDatabase("copyvalidate");
        Map<String, String> config = new HashMap<>(Pipeline.source(source.cluster(), "copyvalidate", "copyvalidate",
                "public.t", 1));
        config.put("full.sync.mode", "copy");
        config.put("changelog.format", "debezium");
        config.put("snapshot.mode", "initial");
        List<String> errors = Pipeline.validationErrors(connect.validate(Pipeline.SOURCE_CLASS, config), "full.sync.mode");
        assertThat(errors).anyMatch(e -> e.contains("changelog.format=pgsync"));
        assertThat(errors).anyMatch(e -> e.contains("remove snapshot.mode"));

        Map<String, String> schemaSync = new HashMap<>(Pipeline.source(source.cluster(), "copyvalidate",
                "copyvalidate", "public.t", 3));
        schemaSync.put("full.sync.mode", "debezium");
        schemaSync.put("schema.sync.enabled", "true");
        assertThat(Pipeline.validationErrors(connect.validate(Pipeline.SOURCE_CLASS, schemaSync),
                "schema.sync.enabled")).anyMatch(e -> e.contains("needs full.sync.mode=copy"))
                .anyMatch(e -> e.contains("needs changelog.partitions=1"));
    }

    private static long count(String db, String table) {
        try {
            return Long.parseLong(target.query(db, "SELECT count(*) FROM " + table).get(0).get(0));
        } catch (RuntimeException e) {
            return 0;
        }
    }

    /** How many full-sync chunks of the table the changelog holds. */
    private static long chunksOf(String topic, String table) throws Exception {
        String marker = "\"table\":\"" + table + "\"";
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        connect.cluster().kafka().consumeAll(TIMEOUT.toMillis(), topic).forEach(records::add);
        return records.stream()
                .filter(r -> r.value() != null)
                .map(r -> new String(r.value(), StandardCharsets.UTF_8))
                .filter(v -> v.contains("io.pgsync.changelog.RowChunk") && v.contains(marker))
                .count();
    }
}
