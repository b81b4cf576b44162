package io.pgsync.source.capture;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.postgresql.replication.LogSequenceNumber;

import io.pgsync.common.event.DebeziumEnvelope;
import io.pgsync.common.event.SourcePosition;

/**
 * Gives the changes of a stream that started without Debezium offsets a source position that orders them after
 * everything streamed before. Debezium's {@code source.sequence} names the commit LSN of the transaction committed
 * before a change, and does not know it until the stream's first commit: the first transaction of a fresh stream
 * would look older than any change a sink applied before (and be skipped as a duplicate). That happens when the full
 * sync runs again (the worker died before Connect flushed the source offsets) or a connector is created again under
 * another name on the same changelog. The LSN the stream starts from stands in for it: the replication slot's
 * confirmed position when the task starts, which is the consistent point of a slot created for a full sync; every
 * transaction streamed from the slot commits after it, and every one streamed before (from an earlier slot) before it.
 *
 * <p>Example: a slot created at {@code 0/3000060}; the first streamed change has sequence {@code [null,"50331960"]}
 * and becomes {@code ["50331744","50331960"]}; the changes after the first commit keep Debezium's sequence.
 */
public final class StreamStart {

    private final long startLsn;
    private boolean known;

    /** @param startLsn the LSN the stream starts from */
    public StreamStart(long startLsn) {
        this.startLsn = startLsn;
    }

    /**
     * Returns the LSN a stream from the slot starts at when Debezium has no offsets: the slot's confirmed flush
     * position (its consistent point when nothing was confirmed yet), or null when there is no such slot.
     */
    public static Long of(Connection connection, String slot) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT confirmed_flush_lsn::text FROM "
                + "pg_catalog.pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getString(1) != null ? LogSequenceNumber.valueOf(rs.getString(1)).asLong()
                        : null;
            }
        }
    }

    /** Returns the records with the stream's start LSN in the sequences that lack a commit LSN, until one has it. */
    public List<SourceRecord> apply(List<SourceRecord> records) {
        if (known || records == null) {
            return records;
        }
        List<SourceRecord> result = new ArrayList<>(records.size());
        for (SourceRecord record : records) {
            result.add(known ? record : stamped(record));
        }
        return result;
    }

    private SourceRecord stamped(SourceRecord record) {
        if (!(record.value() instanceof Struct value) || value.schema().field("source") == null
                || !(value.get("source") instanceof Struct source) || source.schema().field("sequence") == null) {
            return record;
        }
        SourcePosition position = SourcePosition.parse(source.getString("sequence"));
        if (position == null) {
            return record;
        }
        if (position.commitLsn() >= 0) {
            known = true;
            return record;
        }
        Struct newSource = copy(source).put("sequence", "[\"" + startLsn + "\",\"" + position.lsn() + "\"]");
        Struct newValue = copy(value).put("source", newSource);
        return record.newRecord(record.topic(), record.kafkaPartition(), record.keySchema(), record.key(),
                record.valueSchema(), newValue, record.timestamp(), record.headers());
    }

    private static Struct copy(Struct struct) {
        Struct copy = new Struct(struct.schema());
        for (Field field : struct.schema().fields()) {
            copy.put(field, DebeziumEnvelope.value(struct, field));
        }
        return copy;
    }
}
