package io.pgsync.sink.apply;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.sink.SinkRecord;

import io.pgsync.common.event.RowChange;
import io.pgsync.common.event.RowChunk;
import io.pgsync.common.event.SourcePosition;
import io.pgsync.common.pg.TableRef;

/**
 * The source side of the model: a source database of two tables, {@code kv} (a key and a value) and {@code log}
 * (keyless, insert-only: a row doubled or lost shows), and the changelog its connector writes, as pgsync's source
 * writes it: a full sync of chunks, then transactions between BEGIN and END markers (copied to every partition), each
 * change with its source position. It can re-send the tail of the changelog (a source restarted from an old offset),
 * run the full sync again (a source whose offsets were never flushed), and leave a transaction unfinished in the
 * changelog (a source killed while its records were being sent).
 */
final class ModelSource {

    static final String TOPIC = "model.changelog";
    static final TableRef KV = new TableRef("public", "kv");
    static final TableRef LOG = new TableRef("public", "log");
    private static final Schema MARKER = SchemaBuilder.struct().name("io.debezium.connector.common.TransactionMetadataValue")
            .field("status", Schema.STRING_SCHEMA).field("id", Schema.STRING_SCHEMA).build();
    private static final int KEYS = 12;

    /** How a change's position names the transaction committed before it when the stream just started. */
    enum Stamping {
        /** As Debezium does on a fresh offset: unknown (-1) until the first commit of the stream. */
        DEBEZIUM,
        /** As pgsync's source does: the LSN the stream starts from (the slot's consistent point). */
        STREAM_START
    }

    /** One source transaction: its number and the log rows it inserted. */
    record Transaction(int number, List<String> logRows) {
    }

    private final int partitions;
    private final Stamping stamping;
    private final List<List<SinkRecord>> changelog = new ArrayList<>();
    final Map<Integer, String> kv = new TreeMap<>();
    final List<String> log = new ArrayList<>();
    final List<Transaction> transactions = new ArrayList<>();
    /** Where each transaction's records start in each partition, to re-send from there. */
    private final List<int[]> starts = new ArrayList<>();
    /** The first transaction after the last full sync: a source restart re-sends nothing before it. */
    private int sinceFullSync;
    private long lsn = 1000;
    private long lastCommit = -1;
    private long streamStart;
    private boolean fresh;

    ModelSource(int partitions, Stamping stamping) {
        this.partitions = partitions;
        this.stamping = stamping;
        for (int p = 0; p < partitions; p++) {
            changelog.add(new ArrayList<>());
        }
    }

    /** The partition of a table, as {@code Changelog.partitionFor} spreads them: kv on 0, log on the last. */
    int partitionOf(TableRef table) {
        return table.equals(KV) ? 0 : partitions - 1;
    }

    List<SinkRecord> records(int partition) {
        return changelog.get(partition);
    }

    int partitions() {
        return partitions;
    }

    /** The full sync: every row as chunks, emptying the tables first when it runs again; streaming starts after. */
    void fullSync(boolean again) {
        lsn += 10;
        streamStart = lsn;
        StringBuilder kvRows = new StringBuilder();
        kv.forEach((k, v) -> kvRows.append(k).append('\t').append(v).append('\n'));
        StringBuilder logRows = new StringBuilder();
        log.forEach(row -> logRows.append(row).append('\n'));
        append(partitionOf(KV), RowChunk.SCHEMA, new RowChunk(KV, List.of("k", "v"), List.of("integer not null",
                "text"), List.of("k"), kv.size(), kvRows.toString(), again).toStruct());
        append(partitionOf(LOG), RowChunk.SCHEMA, new RowChunk(LOG, List.of("row"), List.of("text"), List.of(),
                log.size(), logRows.toString(), again).toStruct());
        fresh = true;
        sinceFullSync = transactions.size();
    }

    /** Commits a source transaction of a few changes to {@code kv} and one to three inserts into {@code log}. */
    void transaction(Random random) {
        int number = transactions.size() + 1;
        int[] start = new int[partitions];
        for (int p = 0; p < partitions; p++) {
            start[p] = changelog.get(p).size();
        }
        starts.add(start);
        long commit = lsn + 100;
        long previous = fresh ? (stamping == Stamping.DEBEZIUM ? -1 : streamStart) : lastCommit;
        String id = number + ":" + commit;
        for (int p = 0; p < partitions; p++) {
            append(p, MARKER, new Struct(MARKER).put("status", "BEGIN").put("id", id));
        }
        int order = 0;
        List<String> logRows = new ArrayList<>();
        int kvChanges = random.nextInt(4);
        for (int i = 0; i < kvChanges; i++) {
            int k = random.nextInt(KEYS);
            SourcePosition position = new SourcePosition(previous, lsn + 1 + order, ++order);
            if (random.nextInt(4) == 0 && kv.containsKey(k)) {
                kv.remove(k);
                append(partitionOf(KV), RowChange.SCHEMA, new RowChange("d", KV, List.of("k", "v"),
                        List.of("integer not null", "text"), List.of("k"), null, List.of(Integer.toString(k), "x"),
                        List.of(), position, 0).toStruct());
            } else {
                String v = "t" + number + "." + i;
                String op = kv.containsKey(k) ? "u" : "c";
                kv.put(k, v);
                append(partitionOf(KV), RowChange.SCHEMA, new RowChange(op, KV, List.of("k", "v"),
                        List.of("integer not null", "text"), List.of("k"), List.of(Integer.toString(k), v), null,
                        List.of(), position, 0).toStruct());
            }
        }
        int logInserts = 1 + random.nextInt(3);
        for (int i = 0; i < logInserts; i++) {
            String row = number + "/" + i;
            log.add(row);
            logRows.add(row);
            append(partitionOf(LOG), RowChange.SCHEMA, new RowChange("c", LOG, List.of("row"), List.of("text"),
                    List.of(), List.of(row), null, List.of(), new SourcePosition(previous, lsn + 1 + order, ++order),
                    0).toStruct());
        }
        for (int p = 0; p < partitions; p++) {
            append(p, MARKER, new Struct(MARKER).put("status", "END").put("id", id));
        }
        lsn = commit;
        lastCommit = commit;
        fresh = false;
        transactions.add(new Transaction(number, logRows));
    }

    /**
     * Commits a transaction at the source of which only the first records reach the changelog, as when the source's
     * worker is killed while sending them: each partition keeps its BEGIN marker and none its END.
     */
    void tornTransaction(Random random) {
        transaction(random);
        int[] start = starts.get(starts.size() - 1);
        for (int p = 0; p < partitions; p++) {
            List<SinkRecord> records = changelog.get(p);
            int kept = start[p] + 1 + random.nextInt(records.size() - start[p] - 1);
            records.subList(kept, records.size()).clear();
        }
    }

    /** Appends again the records of the last {@code count} transactions, as a source restarted from an old offset. */
    void resend(int count) {
        int first = Math.max(sinceFullSync, transactions.size() - count);
        if (first >= transactions.size()) {
            return;
        }
        int[] start = starts.get(first);
        for (int p = 0; p < partitions; p++) {
            List<SinkRecord> records = changelog.get(p);
            int end = records.size();
            for (int i = start[p]; i < end; i++) {
                SinkRecord record = records.get(i);
                if (record.valueSchema() != RowChunk.SCHEMA) {
                    append(p, record.valueSchema(), record.value());
                }
            }
        }
    }

    private void append(int partition, Schema schema, Object value) {
        List<SinkRecord> records = changelog.get(partition);
        records.add(new SinkRecord(TOPIC, partition, null, null, schema, value, records.size()));
    }
}
