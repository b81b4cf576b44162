package io.pgsync.source.metrics;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.JmxReporter;
import org.apache.kafka.common.metrics.KafkaMetricsContext;
import org.apache.kafka.common.metrics.MetricConfig;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.metrics.stats.CumulativeSum;
import org.apache.kafka.common.utils.Time;

/**
 * The source task's own metrics, in Kafka's metrics style: JMX beans
 * {@code kafka.connect:type=pgsync-source-metrics,connector=<name>,task=<id>} (Debezium's beans report the capture
 * itself).
 */
public final class PgSyncSourceMetrics implements AutoCloseable {

    public static final String GROUP = "pgsync-source-metrics";
    public static final String JMX_PREFIX = "kafka.connect";

    private final Metrics metrics;
    private final Map<String, String> tags = new LinkedHashMap<>();
    private final Sensor rejectedMessages;

    public PgSyncSourceMetrics(String connector, int task) {
        tags.put("connector", connector);
        tags.put("task", Integer.toString(task));
        metrics = new Metrics(new MetricConfig(), List.of(new JmxReporter()), Time.SYSTEM,
                new KafkaMetricsContext(JMX_PREFIX));
        rejectedMessages = metrics.sensor("ddl-messages-rejected");
        rejectedMessages.add(name("ddl-messages-rejected-total", "Logical messages with pgsync's prefix that were "
                + "dropped: the DDL capture never emits them, any role on the source can"), new CumulativeSum());
    }

    private MetricName name(String name, String description) {
        return metrics.metricName(name, GROUP, description, tags);
    }

    /** Counts one logical message with pgsync's prefix that was dropped. */
    public void ddlMessageRejected() {
        rejectedMessages.record();
    }

    @Override
    public void close() {
        metrics.close();
    }
}
