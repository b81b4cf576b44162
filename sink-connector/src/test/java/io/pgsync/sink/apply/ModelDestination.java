package io.pgsync.sink.apply;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.sink.SinkRecord;

import io.pgsync.common.event.DdlEvent;
import io.pgsync.common.event.RowChunk;
import io.pgsync.common.event.SchemaObject;
import io.pgsync.common.event.SequencePosition;
import io.pgsync.common.event.ValuePiece;
import io.pgsync.sink.offset.AppliedOffset;
import io.pgsync.sink.offset.FencedException;
import io.pgsync.sink.offset.PartitionClaim;

/**
 * One task's session with the {@link ModelDatabase}, as the engine sees a destination: writes go into an open
 * transaction, a commit applies them with the offsets at once. Faults are injected at random calls: the connection
 * breaks (the open transaction is lost; every call fails until the engine rolls back), or a commit succeeds but its
 * answer is lost.
 */
final class ModelDestination implements Destination {

    private final ModelDatabase db;
    private final String name;
    /** Chance of a broken connection at each call, drawn from {@link #random}. */
    double faultRate;
    Random random = new Random(0);
    private List<ModelDatabase.Write> open;
    private boolean broken;

    ModelDestination(ModelDatabase db, String name) {
        this.db = db;
        this.name = name;
    }

    private void call() throws SQLException {
        db.reachable();
        if (broken) {
            throw new SQLException("An I/O error occurred while sending to the backend", "08006");
        }
        if (open == null) {
            open = new ArrayList<>();
        }
        if (random.nextDouble() < faultRate) {
            broken = true;
            throw new SQLException("An I/O error occurred while sending to the backend", "08006");
        }
    }

    @Override
    public void connect() throws SQLException {
        call();
    }

    @Override
    public Map<TopicPartition, PartitionClaim> claim(Collection<TopicPartition> partitions) throws SQLException {
        db.reachable();
        maybeFail();
        Map<TopicPartition, PartitionClaim> claims = new HashMap<>();
        for (TopicPartition tp : partitions) {
            long epoch = db.epochs.merge(tp, 1L, Long::sum);
            claims.put(tp, new PartitionClaim(db.offsets.get(tp), epoch));
        }
        return claims;
    }

    @Override
    public Map<TopicPartition, PartitionClaim> read(Collection<TopicPartition> partitions) throws SQLException {
        db.reachable();
        maybeFail();
        Map<TopicPartition, PartitionClaim> claims = new HashMap<>();
        for (TopicPartition tp : partitions) {
            if (db.epochs.containsKey(tp)) {
                claims.put(tp, new PartitionClaim(db.offsets.get(tp), db.epochs.get(tp)));
            }
        }
        return claims;
    }

    /** A claim or read runs on a connection of its own: a fault there breaks nothing else. */
    private void maybeFail() throws SQLException {
        if (random.nextDouble() < faultRate) {
            throw new SQLException("An I/O error occurred while sending to the backend", "08006");
        }
    }

    @Override
    public int row(ChangeEvent event) throws SQLException {
        call();
        if (event.table().equals(ModelSource.KV)) {
            int k = Integer.parseInt(event.row().get("k"));
            String v = event.row().get("v");
            open.add(event.op() == ChangeEvent.Op.DELETE ? db -> db.kv.remove(k) : db -> db.kv.put(k, v));
        } else {
            String row = event.row().get("row");
            open.add(db -> db.log.add(row));
        }
        return 1;
    }

    @Override
    public void piece(SinkRecord record, ValuePiece piece) {
        throw new UnsupportedOperationException("the model's rows have no large values");
    }

    @Override
    public int chunk(SinkRecord record, RowChunk chunk) throws SQLException {
        call();
        boolean kv = chunk.table().equals(ModelSource.KV);
        if (chunk.reset()) {
            open.add(kv ? db -> db.kv.clear() : db -> db.log.clear());
        }
        for (String line : chunk.copy().split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            if (kv) {
                String[] columns = line.split("\t");
                int k = Integer.parseInt(columns[0]);
                open.add(db -> db.kv.put(k, columns[1]));
            } else {
                open.add(db -> db.log.add(line));
            }
        }
        return chunk.rows();
    }

    @Override
    public int schemaObject(SinkRecord record, SchemaObject object) {
        throw new UnsupportedOperationException("the model has no schema sync");
    }

    @Override
    public int ddl(SinkRecord record, DdlEvent event) {
        throw new UnsupportedOperationException("the model has no DDL");
    }

    @Override
    public int sequence(SequencePosition position) {
        throw new UnsupportedOperationException("the model has no sequences");
    }

    @Override
    public void flush() throws SQLException {
        call();
    }

    @Override
    public void commit(Map<TopicPartition, AppliedOffset> offsets, Map<TopicPartition, Long> epochs,
            OpenTransaction.Stats stats, Runnable onCommitted) throws SQLException {
        call();
        List<TopicPartition> fenced = offsets.keySet().stream()
                .filter(tp -> !epochs.get(tp).equals(db.epochs.get(tp))).toList();
        if (!fenced.isEmpty()) {
            open = new ArrayList<>();
            throw new FencedException("model", fenced);
        }
        boolean answerLost = random.nextDouble() < faultRate;
        db.commit(open, offsets, name);
        open = new ArrayList<>();
        if (answerLost) {
            broken = true;
            throw new SQLException("An I/O error occurred while reading the answer to COMMIT", "08006");
        }
        onCommitted.run();
    }

    @Override
    public void drain() throws SQLException {
        if (broken) {
            throw new SQLException("An I/O error occurred while sending to the backend", "08006");
        }
    }

    @Override
    public void rollBack() {
        if (broken) {
            disconnect();
        } else if (open != null) {
            open.clear();
        }
    }

    @Override
    public void recordError(String message) {
    }

    @Override
    public void disconnect() {
        open = null;
        broken = false;
    }

    @Override
    public void close() {
        disconnect();
    }
}
