package io.pgsync.source.sequence;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.debezium.config.Configuration;
import io.debezium.connector.postgresql.PostgresConnectorConfig;
import io.pgsync.common.event.Changelog;
import io.pgsync.common.event.SequencePosition;
import io.pgsync.common.pg.TableRef;
import io.pgsync.source.PgSyncSourceConfig;
import io.pgsync.source.capture.ChangelogSource;
import io.pgsync.source.fullsync.SourceDatabase;

/**
 * Reads the positions of the sequences in the schemas of the selected tables every
 * {@code sequence.sync.interval.ms}, and sends those that moved to the changelog as {@link SequencePosition} records,
 * so that the destination can take over writes without key collisions. Sequences are not part of logical decoding;
 * this polling is how their positions travel.
 *
 * <p>A failed read is logged and tried again at the next interval: a sequence position that arrives late only delays
 * the destination's readiness, it loses no data.
 */
public final class SequenceSync implements ChangelogSource {

    /** The key of the source partition of sequence records, whose offsets are pgsync's and not Debezium's. */
    public static final String PARTITION_KEY = "pgsync_sequences";

    private static final Logger log = LoggerFactory.getLogger(SequenceSync.class);

    private static final String POSITIONS_SQL = """
            SELECT schemaname, sequencename, coalesce(last_value, start_value), last_value IS NOT NULL
              FROM pg_catalog.pg_sequences
             WHERE schemaname = ANY (?)""";

    private final SourceDatabase database;
    private final Predicate<TableRef> selected;
    private final long intervalMs;
    private final String topic;
    private final int partitions;
    private final Map<String, String> partition;
    private final Map<TableRef, SequencePosition> sent = new HashMap<>();
    private Connection connection;
    private long nextReadMs;

    public SequenceSync(Configuration config, PgSyncSourceConfig pgsync) {
        this.database = new SourceDatabase(config);
        this.selected = PgSyncSourceConfig.tableSelection(new PostgresConnectorConfig(config));
        this.intervalMs = pgsync.sequenceSyncIntervalMs();
        this.topic = pgsync.changelogTopic();
        this.partitions = pgsync.changelogPartitions();
        this.partition = Map.of(PARTITION_KEY, config.getString("topic.prefix"));
    }

    /** Sequence positions carry pgsync's offsets, not Debezium's. */
    @Override
    public boolean owns(SourceRecord record) {
        return ChangelogSource.hasPartitionKey(record, PARTITION_KEY);
    }

    /** Returns the positions that moved since they were last sent, once the interval has passed; else nothing. */
    @Override
    public List<SourceRecord> poll() {
        long now = System.currentTimeMillis();
        if (intervalMs <= 0 || now < nextReadMs) {
            return List.of();
        }
        nextReadMs = now + intervalMs;
        try {
            return read(now);
        } catch (SQLException e) {
            log.warn("Cannot read the sequence positions from {} ({}); trying again in {} ms", database.describe(),
                    e.getMessage(), intervalMs);
            close();
            return List.of();
        }
    }

    private List<SourceRecord> read(long now) throws SQLException {
        if (connection == null) {
            connection = database.connect();
        }
        Set<String> schemas = SourceDatabase.selectedSchemas(connection, selected);
        List<SourceRecord> records = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement(POSITIONS_SQL)) {
            ps.setArray(1, connection.createArrayOf("text", schemas.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    TableRef sequence = new TableRef(rs.getString(1), rs.getString(2));
                    SequencePosition position = new SequencePosition(sequence, rs.getLong(3), rs.getBoolean(4));
                    if (!position.equals(sent.put(sequence, position))) {
                        records.add(new SourceRecord(partition, Map.of("read_ms", now), topic,
                                Changelog.partitionFor(sequence, partitions), null, null, SequencePosition.SCHEMA,
                                position.toStruct()));
                    }
                }
            }
        }
        return records;
    }

    @Override
    public void close() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException e) {
                log.debug("Closing the sequence connection failed: {}", e.getMessage());
            }
            connection = null;
        }
    }
}
