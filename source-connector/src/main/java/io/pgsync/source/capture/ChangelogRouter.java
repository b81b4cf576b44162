package io.pgsync.source.capture;

import java.util.List;
import java.util.Optional;

import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

import io.pgsync.common.event.Changelog;
import io.pgsync.common.event.DebeziumEnvelope;
import io.pgsync.common.event.RowChange;
import io.pgsync.common.pg.TableRef;

/**
 * Rewrites Debezium's records (a topic per table, a transaction topic, a heartbeat topic) into the one changelog
 * topic, choosing the partition so that a table's changes stay in order.
 *
 * <p>Worked example with 4 partitions: a change to {@code public.orders} goes to partition
 * {@code Changelog.partitionFor(public.orders, 4)}, say 2, as do all later changes of that table. A transaction END
 * marker has no table, so it is copied to partitions 0..3: every sink task sees every transaction boundary and
 * can tell, from the per-table event counts, which of its tables the transaction touched. With 1 partition every
 * record keeps its source commit order.
 */
public final class ChangelogRouter {

    private final String topic;
    private final int partitions;
    private final RowChangeEncoder encoder;

    /** A router that keeps Debezium's change-event envelope ({@code changelog.format=debezium}). */
    public ChangelogRouter(String topic, int partitions) {
        this(topic, partitions, null);
    }

    /** A router that re-encodes row changes with the encoder ({@code changelog.format=pgsync}); null keeps them. */
    public ChangelogRouter(String topic, int partitions, RowChangeEncoder encoder) {
        this.topic = topic;
        this.partitions = partitions;
        this.encoder = encoder;
    }

    /**
     * Adds the record to {@code out} re-addressed (and re-encoded) to the changelog, once for a change of the table
     * and once per partition for a record of no table; source offsets are kept. A record already addressed to the
     * changelog (a DDL record) keeps its partition.
     *
     * @param table the record's table ({@link DebeziumEnvelope#tableOf}), empty for a record of no table
     */
    public void route(SourceRecord record, Optional<TableRef> table, List<SourceRecord> out) {
        if (topic.equals(record.topic())) {
            out.add(record);
        } else if (table.isPresent()) {
            int partition = Changelog.partitionFor(table.get(), partitions);
            Struct change = encoder == null ? null : encoder.encode(record, table.get());
            out.add(change == null ? readdress(record, partition) : record.newRecord(topic, partition, null, null,
                    RowChange.SCHEMA, change, record.timestamp(), record.headers()));
        } else {
            for (int partition = 0; partition < partitions; partition++) {
                out.add(readdress(record, partition));
            }
        }
    }

    private SourceRecord readdress(SourceRecord record, int partition) {
        return record.newRecord(topic, partition, record.keySchema(), record.key(), record.valueSchema(),
                record.value(), record.timestamp(), record.headers());
    }
}
