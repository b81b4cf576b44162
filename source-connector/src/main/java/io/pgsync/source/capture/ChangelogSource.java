package io.pgsync.source.capture;

import java.util.List;

import org.apache.kafka.connect.source.SourceRecord;

/**
 * One producer of the source task's changelog records. On every poll the task asks its sources in order — the full
 * sync, the schema of tables that joined the selection, Debezium's stream with the DDL capture, the sequence
 * positions — and hands Connect what they returned as one batch, which {@link RecordLimit} then fits within the
 * producer's limits: records are sized and cut in that one place.
 *
 * <p>Example: while the full sync copies, the task's batch holds only its chunks (it is {@link #exclusive}); once it
 * has {@link #finished}, a batch holds the stream's changes followed by the sequence positions that moved.
 */
public interface ChangelogSource extends AutoCloseable {

    /** The records ready now, in changelog order; empty when there are none. */
    List<SourceRecord> poll() throws InterruptedException;

    /**
     * Whether the later sources wait until this one has {@link #finished}: the full sync's rows and the schema of
     * added tables reach the changelog before anything streamed after them.
     */
    default boolean exclusive() {
        return false;
    }

    /** Whether this source has handed out its last record; the task asks it no more. */
    default boolean finished() {
        return false;
    }

    /**
     * Whether the record is one of this source's, whose offset is pgsync's and not Debezium's: Debezium must not
     * commit it to the replication slot.
     */
    default boolean owns(SourceRecord record) {
        return false;
    }

    /** Whether the record's source partition is keyed by {@code key}: how a source tells its own records. */
    static boolean hasPartitionKey(SourceRecord record, String key) {
        return record.sourcePartition() != null && record.sourcePartition().containsKey(key);
    }

    /** Releases what the source holds (connections, threads), when the task stops; more than one call is harmless. */
    @Override
    default void close() {
    }
}
