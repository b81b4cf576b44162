package io.pgsync.sink.offset;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.TopicPartition;

/**
 * Keeps, in the destination database, the last applied record of each topic partition per sink connector, written
 * in the same transaction as the data it covers: table {@code pgsync.applied_offsets}. Each row also holds the epoch
 * of the task that owns the partition: a task claims a partition when it opens it (raising the epoch), and its
 * commits update the row only while the epoch is still its own, so a task that lost the partition to another (a
 * zombie) fails its commit instead of writing over the new owner's progress.
 */
public final class OffsetStore {

    private static final String CREATE = """
            CREATE SCHEMA IF NOT EXISTS pgsync;
            CREATE TABLE IF NOT EXISTS pgsync.applied_offsets (
              connector text NOT NULL,
              topic text NOT NULL,
              kafka_partition int NOT NULL,
              kafka_offset bigint,
              source_commit_lsn bigint,
              source_lsn bigint,
              source_order bigint,
              epoch bigint NOT NULL DEFAULT 0,
              applied_at timestamptz NOT NULL DEFAULT now(),
              PRIMARY KEY (connector, topic, kafka_partition)
            )""";

    /** Whether a table made by an older version lacks the epoch column, or still requires an offset. */
    private static final String OLD_SHAPE = """
            SELECT NOT bool_or(a.attname = 'epoch'), bool_or(a.attname = 'kafka_offset' AND a.attnotnull)
              FROM pg_catalog.pg_attribute a
             WHERE a.attrelid = 'pgsync.applied_offsets'::pg_catalog.regclass AND a.attnum > 0 AND NOT a.attisdropped""";

    private static final String CLAIM = """
            INSERT INTO pgsync.applied_offsets AS o (connector, topic, kafka_partition, epoch, applied_at)
            VALUES (?, ?, ?, 1, now())
            ON CONFLICT (connector, topic, kafka_partition) DO UPDATE SET epoch = o.epoch + 1
            RETURNING kafka_offset, source_commit_lsn, source_lsn, source_order, epoch""";

    private static final String READ = """
            SELECT topic, kafka_partition, kafka_offset, source_commit_lsn, source_lsn, source_order, epoch
              FROM pgsync.applied_offsets WHERE connector = ?""";

    private static final String WRITE = """
            UPDATE pgsync.applied_offsets
               SET kafka_offset = ?, source_commit_lsn = ?, source_lsn = ?, source_order = ?, applied_at = now()
             WHERE connector = ? AND topic = ? AND kafka_partition = ? AND epoch = ?""";

    private final String connector;

    public OffsetStore(String connector) {
        this.connector = connector;
    }

    /** Creates the schema and table if missing, or brings an older table up to date; runs in the caller's transaction. */
    public void ensureTable(Connection connection) throws SQLException {
        try (var statement = connection.createStatement()) {
            statement.execute(CREATE);
            boolean noEpoch;
            boolean offsetRequired;
            try (ResultSet rs = statement.executeQuery(OLD_SHAPE)) {
                rs.next();
                noEpoch = rs.getBoolean(1);
                offsetRequired = rs.getBoolean(2);
            }
            if (noEpoch) {
                statement.execute("ALTER TABLE pgsync.applied_offsets ADD COLUMN IF NOT EXISTS epoch bigint NOT NULL "
                        + "DEFAULT 0");
            }
            if (offsetRequired) {
                statement.execute("ALTER TABLE pgsync.applied_offsets ALTER COLUMN kafka_offset DROP NOT NULL");
            }
        }
    }

    /**
     * Claims the partitions for the calling task: raises each one's epoch (creating its row when missing) and returns
     * what was applied so far with the new epoch. Runs in the caller's transaction, which should commit at once: a
     * claim waits for a commit of the previous owner that holds the row, and the commit after it fails that owner's
     * later commits.
     */
    public Map<TopicPartition, PartitionClaim> claim(Connection connection, Collection<TopicPartition> partitions)
            throws SQLException {
        Map<TopicPartition, PartitionClaim> claims = new HashMap<>();
        try (PreparedStatement ps = connection.prepareStatement(CLAIM)) {
            for (TopicPartition tp : partitions) {
                ps.setString(1, connector);
                ps.setString(2, tp.topic());
                ps.setInt(3, tp.partition());
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    claims.put(tp, claimOf(rs, 1));
                }
            }
        }
        return claims;
    }

    /** Returns, for the given partitions that have a row, what was applied and the epoch of their owner. */
    public Map<TopicPartition, PartitionClaim> read(Connection connection, Collection<TopicPartition> partitions)
            throws SQLException {
        Map<TopicPartition, PartitionClaim> claims = new HashMap<>();
        try (PreparedStatement ps = connection.prepareStatement(READ)) {
            ps.setString(1, connector);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    TopicPartition tp = new TopicPartition(rs.getString(1), rs.getInt(2));
                    if (partitions.contains(tp)) {
                        claims.put(tp, claimOf(rs, 3));
                    }
                }
            }
        }
        return claims;
    }

    private static PartitionClaim claimOf(ResultSet rs, int first) throws SQLException {
        Long offset = (Long) rs.getObject(first);
        AppliedOffset applied = offset == null ? null : new AppliedOffset(offset, (Long) rs.getObject(first + 1),
                (Long) rs.getObject(first + 2), (Long) rs.getObject(first + 3));
        return new PartitionClaim(applied, rs.getLong(first + 4));
    }

    /**
     * Records the applied offsets, each only while the partition's epoch is still the given one; runs in the
     * caller's transaction, which must also hold the data.
     *
     * @param epochs per partition, the epoch of this task's claim
     * @throws FencedException when another task has claimed one of the partitions since: the caller must roll back
     */
    public void write(Connection connection, Map<TopicPartition, AppliedOffset> offsets,
            Map<TopicPartition, Long> epochs) throws SQLException {
        if (offsets.isEmpty()) {
            return;
        }
        List<TopicPartition> order = new ArrayList<>(offsets.keySet());
        int[] updated;
        try (PreparedStatement ps = connection.prepareStatement(WRITE)) {
            for (TopicPartition tp : order) {
                AppliedOffset applied = offsets.get(tp);
                ps.setLong(1, applied.offset());
                setNullableLong(ps, 2, applied.commitLsn());
                setNullableLong(ps, 3, applied.lsn());
                setNullableLong(ps, 4, applied.order());
                ps.setString(5, connector);
                ps.setString(6, tp.topic());
                ps.setInt(7, tp.partition());
                ps.setLong(8, epochs.getOrDefault(tp, -1L));
                ps.addBatch();
            }
            updated = ps.executeBatch();
        }
        List<TopicPartition> fenced = new ArrayList<>();
        for (int i = 0; i < updated.length; i++) {
            if (updated[i] == 0) {
                fenced.add(order.get(i));
            }
        }
        if (!fenced.isEmpty()) {
            throw new FencedException(connector, fenced);
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
