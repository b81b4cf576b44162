package io.pgsync.sink.metrics;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.JmxReporter;
import org.apache.kafka.common.metrics.KafkaMetricsContext;
import org.apache.kafka.common.metrics.Measurable;
import org.apache.kafka.common.metrics.MetricConfig;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.metrics.stats.Avg;
import org.apache.kafka.common.metrics.stats.CumulativeSum;
import org.apache.kafka.common.metrics.stats.Max;
import org.apache.kafka.common.metrics.stats.Rate;
import org.apache.kafka.common.utils.Time;

/**
 * The sink task's metrics, in Kafka's metrics style: JMX beans
 * {@code kafka.connect:type=pgsync-sink-metrics,connector=<name>,task=<id>}.
 */
public final class PgSyncSinkMetrics implements AutoCloseable {

    public static final String GROUP = "pgsync-sink-metrics";
    public static final String JMX_PREFIX = "kafka.connect";

    private final Metrics metrics;
    private final Map<String, String> tags = new LinkedHashMap<>();
    private final Sensor rows;
    private final Sensor transactions;
    private final Sensor commits;
    private final Sensor applyLatency;
    private final Sensor lag;
    private final Sensor retries;
    private final Sensor errant;
    private final Sensor duplicates;
    private final Sensor ddl;
    private final Sensor securityDefiner;
    private final Sensor gaps;
    private final Sensor unfinished;
    private volatile boolean lagAlert;
    private volatile int phase;

    public PgSyncSinkMetrics(String connector, int task) {
        tags.put("connector", connector);
        tags.put("task", Integer.toString(task));
        metrics = new Metrics(new MetricConfig(), List.of(new JmxReporter()), Time.SYSTEM,
                new KafkaMetricsContext(JMX_PREFIX));
        rows = sensor("rows-applied", "row changes", true);
        transactions = sensor("transactions-applied", "source transactions", true);
        commits = metrics.sensor("destination-commits");
        commits.add(name("batch-size-avg", "Average number of row changes per destination transaction"), new Avg());
        commits.add(name("batch-size-max", "Largest number of row changes in one destination transaction"), new Max());
        commits.add(name("commit-rate", "Destination transactions committed per second"), new Rate());
        applyLatency = metrics.sensor("apply-latency");
        applyLatency.add(name("apply-latency-ms-avg", "Average time to write and commit one destination "
                + "transaction"), new Avg());
        applyLatency.add(name("apply-latency-ms-max", "Longest time to write and commit one destination "
                + "transaction"), new Max());
        lag = metrics.sensor("lag");
        lag.add(name("lag-ms-avg", "Average time from the source commit to the destination commit"), new Avg());
        lag.add(name("lag-ms-max", "Longest time from the source commit to the destination commit"), new Max());
        retries = sensor("retries", "retries after a retriable destination error", false);
        errant = sensor("errant-records", "records sent to the errant-record reporter", false);
        duplicates = sensor("duplicates-skipped", "changes skipped because their source position was already applied",
                false);
        ddl = sensor("ddl-applied", "schema objects created or changed at the destination", false);
        securityDefiner = sensor("ddl-security-definer-downgraded", "SECURITY DEFINER functions and procedures "
                + "created SECURITY INVOKER at the destination (ddl.security.definer.enabled=false)", false);
        gaps = sensor("gaps-skipped", "gaps in the changelog passed over by apply.gap.policy=skip, or offsets that "
                + "did not reach the task under errors.tolerance=all", false);
        unfinished = sensor("transactions-unfinished", "source transactions left unfinished in the changelog by a "
                + "source that stopped while sending them, replaced by the full sync that ran again", false);
        metrics.addMetric(name("lag-alert", "1 while the end-to-end lag is over lag.alert.threshold.ms, else 0"),
                (Measurable) (config, now) -> lagAlert ? 1 : 0);
        metrics.addMetric(name("phase", "What the task applied last: 0 nothing yet, 1 schema sync, 2 full sync, "
                + "3 incremental sync"), (Measurable) (config, now) -> phase);
    }

    private Sensor sensor(String base, String what, boolean rate) {
        Sensor sensor = metrics.sensor(base);
        sensor.add(name(base + "-total", "Total " + what), new CumulativeSum());
        if (rate) {
            sensor.add(name(base + "-rate", what + " per second"), new Rate());
        }
        return sensor;
    }

    private MetricName name(String name, String description) {
        return metrics.metricName(name, GROUP, description, tags);
    }

    /** Records one destination commit of {@code rowChanges} changes and {@code sourceTransactions} transactions. */
    public void committed(int rowChanges, int sourceTransactions, long latencyMs, long lagMs) {
        long now = Time.SYSTEM.milliseconds();
        rows.record(rowChanges, now);
        transactions.record(sourceTransactions, now);
        commits.record(rowChanges, now);
        applyLatency.record(latencyMs, now);
        if (lagMs >= 0) {
            lag.record(lagMs, now);
        }
    }

    /** The phase of the last commit, as {@code pgsync.status} names it: schema, full or incremental. */
    public void phase(String name) {
        phase = switch (name == null ? "" : name) {
            case "schema" -> 1;
            case "full" -> 2;
            case "incremental" -> 3;
            default -> 0;
        };
    }

    public void retried() {
        retries.record();
    }

    public void errantRecord() {
        errant.record();
    }

    public void duplicateSkipped() {
        duplicates.record();
    }

    public void lagAlert(boolean alert) {
        lagAlert = alert;
    }

    public void ddlApplied() {
        ddl.record();
    }

    public void securityDefinerDowngraded() {
        securityDefiner.record();
    }

    public void gapSkipped() {
        gaps.record();
    }

    public void transactionUnfinished() {
        unfinished.record();
    }

    @Override
    public void close() {
        metrics.close();
    }
}
