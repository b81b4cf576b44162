package io.pgsync.sink;

import java.util.Collection;
import java.util.Map;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.pgsync.common.Version;
import io.pgsync.sink.apply.ApplyEngine;
import io.pgsync.sink.apply.ApplyThread;
import io.pgsync.sink.metrics.PgSyncSinkMetrics;

/**
 * Sink task: hands Connect's partitions and records to the apply engine, which writes on a thread of its own
 * ({@link ApplyThread}), and reports as committed only what the destination has committed (the engine keeps the
 * offsets in the destination itself).
 */
public class PgSyncSinkTask extends SinkTask {

    private static final Logger log = LoggerFactory.getLogger(PgSyncSinkTask.class);

    private ApplyThread apply;
    private PgSyncSinkMetrics metrics;

    @Override
    public void start(Map<String, String> props) {
        PgSyncSinkConfig config = new PgSyncSinkConfig(props);
        int taskId = taskId(props);
        metrics = new PgSyncSinkMetrics(config.connectorName(), taskId);
        String name = config.connectorName() + "-" + taskId;
        apply = new ApplyThread(new ApplyEngine(config, taskId, context, metrics, "pgsync-write-" + name),
                config.toastPlaceholder(), config.nameMapping(), context, "pgsync-apply-" + name);
        log.info("pgsync sink task started for connector {}, writing to {} (batch {} changes)",
                config.connectorName(), config.connectionUrlForDisplay(), config.batchMaxRecords());
    }

    private static int taskId(Map<String, String> props) {
        String id = props.get(PgSyncSinkConnector.TASK_ID);
        return id == null ? 0 : Integer.parseInt(id);
    }

    @Override
    public void open(Collection<TopicPartition> partitions) {
        apply.open(partitions);
    }

    @Override
    public void put(Collection<SinkRecord> records) {
        apply.put(records);
    }

    /** Lets Connect commit only the offsets whose changes the destination has committed. */
    @Override
    public Map<TopicPartition, OffsetAndMetadata> preCommit(Map<TopicPartition, OffsetAndMetadata> currentOffsets) {
        return apply.committedOffsets();
    }

    @Override
    public void close(Collection<TopicPartition> partitions) {
        apply.close(partitions);
    }

    @Override
    public void stop() {
        if (apply != null) {
            apply.close();
            apply = null;
        }
        if (metrics != null) {
            metrics.close();
            metrics = null;
        }
    }

    @Override
    public String version() {
        return Version.get();
    }
}
