package io.pgsync.sink.offset;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.HashMap;
import java.util.Map;

import org.apache.kafka.common.TopicPartition;

/**
 * Keeps, in the destination database, the last applied record of each topic partition per sink connector, written
 * in the same transaction as the data it covers: table {@code pgsync.applied_offsets}.
 */
public final class OffsetStore {

    private static final String CREATE = """
            CREATE SCHEMA IF NOT EXISTS pgsync;
            CREATE TABLE IF NOT EXISTS pgsync.applied_offsets (
              connector text NOT NULL,
              topic text NOT NULL,
              kafka_partition int NOT NULL,
              kafka_offset bigint NOT NULL,
              source_commit_lsn bigint,
              source_lsn bigint,
              source_order bigint,
              applied_at timestamptz NOT NULL DEFAULT now(),
              PRIMARY KEY (connector, topic, kafka_partition)
            )""";

    private static final String READ = """
            SELECT topic, kafka_partition, kafka_offset, source_commit_lsn, source_lsn, source_order
              FROM pgsync.applied_offsets WHERE connector = ?""";

    private static final String WRITE = """
            INSERT INTO pgsync.applied_offsets AS o
                   (connector, topic, kafka_partition, kafka_offset, source_commit_lsn, source_lsn, source_order,
                    applied_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, now())
            ON CONFLICT (connector, topic, kafka_partition) DO UPDATE
               SET kafka_offset = EXCLUDED.kafka_offset, source_commit_lsn = EXCLUDED.source_commit_lsn,
                   source_lsn = EXCLUDED.source_lsn, source_order = EXCLUDED.source_order, applied_at = EXCLUDED.applied_at""";

    private final String connector;

    public OffsetStore(String connector) {
        this.connector = connector;
    }

    /** Creates the schema and table if missing; runs in the caller's transaction. */
    public void ensureTable(Connection connection) throws SQLException {
        try (var statement = connection.createStatement()) {
            statement.execute(CREATE);
        }
    }

    /** Returns the applied offsets of this connector, by topic partition. */
    public Map<TopicPartition, AppliedOffset> read(Connection connection) throws SQLException {
        Map<TopicPartition, AppliedOffset> offsets = new HashMap<>();
        try (PreparedStatement ps = connection.prepareStatement(READ)) {
            ps.setString(1, connector);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    offsets.put(new TopicPartition(rs.getString(1), rs.getInt(2)),
                            new AppliedOffset(rs.getLong(3), (Long) rs.getObject(4), (Long) rs.getObject(5),
                                    (Long) rs.getObject(6)));
                }
            }
        }
        return offsets;
    }

    /** Records the applied offsets; runs in the caller's transaction, which must also hold the data. */
    public void write(Connection connection, Map<TopicPartition, AppliedOffset> offsets) throws SQLException {
        if (offsets.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = connection.prepareStatement(WRITE)) {
            for (Map.Entry<TopicPartition, AppliedOffset> entry : offsets.entrySet()) {
                ps.setString(1, connector);
                ps.setString(2, entry.getKey().topic());
                ps.setInt(3, entry.getKey().partition());
                ps.setLong(4, entry.getValue().offset());
                setNullableLong(ps, 5, entry.getValue().commitLsn());
                setNullableLong(ps, 6, entry.getValue().lsn());
                setNullableLong(ps, 7, entry.getValue().order());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private static void setNullableLong(PreparedStatement ps, int index, Long value) throws SQLException {
        if (value == null) {
            ps.setNull(index, Types.BIGINT);
        } else {
            ps.setLong(index, value);
        }
    }
}
