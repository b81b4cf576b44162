package io.pgsync.sink.offset;

import java.sql.SQLException;
import java.util.Collection;

import org.apache.kafka.common.TopicPartition;

/**
 * Thrown when a commit or a read finds that another task took partitions over (their epoch in
 * {@code pgsync.applied_offsets} is no longer this task's): this task was cut off from its group while its partitions
 * moved, and must stop without committing.
 */
public final class FencedException extends SQLException {

    private static final long serialVersionUID = 1L;

    private final transient Collection<TopicPartition> partitions;

    public FencedException(String connector, Collection<TopicPartition> partitions) {
        super("Another task of connector " + connector + " took over partition(s) " + partitions + ": their epoch in "
                + "pgsync.applied_offsets is no longer this task's. This task was cut off from its group while its "
                + "partitions moved (a paused, overloaded or partitioned worker); it rolled back what it had not "
                + "committed and stops. Nothing is lost or applied twice: the task that owns the partitions now "
                + "applies them from the offsets committed in the destination");
        this.partitions = partitions;
    }

    /** The partitions another task took over. */
    public Collection<TopicPartition> partitions() {
        return partitions;
    }
}
