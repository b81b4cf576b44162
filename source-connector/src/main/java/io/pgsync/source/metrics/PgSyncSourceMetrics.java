package io.pgsync.source.metrics;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.JmxReporter;
import org.apache.kafka.common.metrics.KafkaMetricsContext;
import org.apache.kafka.common.metrics.Measurable;
import org.apache.kafka.common.metrics.MetricConfig;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.metrics.stats.CumulativeSum;
import org.apache.kafka.common.metrics.stats.Rate;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

import io.pgsync.common.event.DdlEvent;
import io.pgsync.common.event.DebeziumEnvelope;
import io.pgsync.common.event.RowChange;
import io.pgsync.common.event.RowChunk;
import io.pgsync.common.event.SchemaObject;
import io.pgsync.common.pg.TableRef;

/**
 * The source task's metrics, in Kafka's metrics style: JMX beans
 * {@code kafka.connect:type=pgsync-source-metrics,connector=<name>,task=<id>} (and {@code ,table=<schema.table>} for a
 * table's full sync progress). They are counted from the records the task hands to Connect, so they say what left
 * the task, not what Debezium read.
 */
public final class PgSyncSourceMetrics implements AutoCloseable {

    public static final String GROUP = "pgsync-source-metrics";
    public static final String JMX_PREFIX = "kafka.connect";

    /** The task's phase, as the {@code phase} metric shows it. */
    public enum Phase {
        STARTING, SCHEMA_SYNC, FULL_SYNC, INCREMENTAL
    }

    private final Metrics metrics;
    private final Map<String, String> tags = new LinkedHashMap<>();
    private final Sensor changes;
    private final Sensor fullSyncRows;
    private final Sensor ddl;
    private final Sensor rejectedMessages;
    private final Sensor identitiesSet;
    private final Sensor publicationJoins;
    private final Sensor fitFailures;
    private final Set<TableRef> identityMissing = ConcurrentHashMap.newKeySet();
    private final Map<TableRef, AtomicLong> copied = new ConcurrentHashMap<>();
    private final Set<TableRef> started = ConcurrentHashMap.newKeySet();
    private volatile Phase phase = Phase.STARTING;
    private volatile int fullSyncTables;

    /** @param throttledMillis the time the task's throttles have made it wait so far, in milliseconds */
    public PgSyncSourceMetrics(String connector, int task, LongSupplier throttledMillis) {
        tags.put("connector", connector);
        tags.put("task", Integer.toString(task));
        metrics = new Metrics(new MetricConfig(), List.of(new JmxReporter()), org.apache.kafka.common.utils.Time.SYSTEM,
                new KafkaMetricsContext(JMX_PREFIX));
        changes = sensor("changes-sent", "row changes of the incremental sync handed to Kafka");
        fullSyncRows = sensor("full-sync-rows", "rows of the full sync handed to Kafka");
        ddl = metrics.sensor("ddl-captured");
        ddl.add(name("ddl-captured-total", "Total DDL commands captured at the source and sent"), new CumulativeSum());
        rejectedMessages = metrics.sensor("ddl-messages-rejected");
        rejectedMessages.add(name("ddl-messages-rejected-total", "Logical messages with pgsync's prefix that were "
                + "dropped: the DDL capture never emits them, any role on the source can"), new CumulativeSum());
        identitiesSet = metrics.sensor("replica-identity-full-set");
        identitiesSet.add(name("replica-identity-full-set-total", "Selected tables given REPLICA IDENTITY FULL because "
                + "they had no usable replica identity (replica.identity.auto.enabled), at start or by the DDL "
                + "capture"), new CumulativeSum());
        publicationJoins = metrics.sensor("publication-tables-added");
        publicationJoins.add(name("publication-tables-added-total", "Tables created (or renamed) into the selection "
                + "while streaming that the DDL capture added to the connector's publication of listed tables, in "
                + "the transaction of their DDL"), new CumulativeSum());
        fitFailures = metrics.sensor("publication-fit-failed");
        fitFailures.add(name("publication-fit-failed-total", "Tables the DDL capture could neither add to the "
                + "publication nor give REPLICA IDENTITY FULL, each logged with the error (the user's DDL went "
                + "through)"), new CumulativeSum());
        metrics.addMetric(name("replica-identity-missing-tables", "Selected tables without a usable replica identity "
                + "(replica.identity.auto.enabled=false): once published, the source refuses their UPDATE and DELETE"),
                (Measurable) (config, now) -> identityMissing.size());
        metrics.addMetric(name("phase", "What the task sends: 0 starting, 1 schema sync, 2 full sync, 3 incremental "
                + "sync"), (Measurable) (config, now) -> phase.ordinal());
        metrics.addMetric(name("full-sync-tables-total", "Tables the full sync copies"),
                (Measurable) (config, now) -> fullSyncTables);
        metrics.addMetric(name("full-sync-tables-done", "Tables the full sync has copied"),
                (Measurable) (config, now) -> phase == Phase.INCREMENTAL ? fullSyncTables
                        : Math.max(0, started.size() - 1));
        metrics.addMetric(name("throttle-wait-ms-total", "Time the throttles (throttle.*) made the task wait, in "
                + "milliseconds"), (Measurable) (config, now) -> throttledMillis.getAsLong());
    }

    private Sensor sensor(String base, String what) {
        Sensor sensor = metrics.sensor(base);
        sensor.add(name(base + "-total", "Total " + what), new CumulativeSum());
        sensor.add(name(base + "-rate", what + " per second"), new Rate());
        return sensor;
    }

    private MetricName name(String name, String description) {
        return metrics.metricName(name, GROUP, description, tags);
    }

    /**
     * The full sync starts: per table, the rows expected (the catalog's estimate), shown next to the rows copied in
     * metrics tagged with the table.
     */
    public void fullSyncStarted(Map<TableRef, Long> expectedRows) {
        fullSyncTables = expectedRows.size();
        expectedRows.forEach((table, expected) -> {
            Map<String, String> tableTags = new LinkedHashMap<>(tags);
            tableTags.put("table", table.toString());
            AtomicLong rows = copied.computeIfAbsent(table, t -> new AtomicLong());
            metrics.addMetric(metrics.metricName("full-sync-rows-copied", GROUP, "Rows of the table the full sync "
                    + "has handed to Kafka", tableTags), (Measurable) (config, now) -> rows.get());
            metrics.addMetric(metrics.metricName("full-sync-rows-expected", GROUP, "Rows of the table the full sync "
                    + "expects (the catalog's estimate when it started)", tableTags),
                    (Measurable) (config, now) -> expected);
        });
    }

    /** Counts the records a poll hands to Connect. */
    public void sent(List<SourceRecord> records) {
        if (records == null) {
            return;
        }
        long now = System.currentTimeMillis();
        int rowChanges = 0;
        for (SourceRecord record : records) {
            String schema = record.valueSchema() == null ? null : record.valueSchema().name();
            if (RowChunk.SCHEMA_NAME.equals(schema) && record.value() instanceof Struct value) {
                TableRef table = new TableRef(value.getString("schema"), value.getString("table"));
                int rows = value.getInt32("rows");
                phase = Phase.FULL_SYNC;
                started.add(table);
                copied.computeIfAbsent(table, t -> new AtomicLong()).addAndGet(rows);
                fullSyncRows.record(rows, now);
            } else if (SchemaObject.SCHEMA_NAME.equals(schema)) {
                if (phase == Phase.STARTING) {
                    phase = Phase.SCHEMA_SYNC;
                }
            } else if (DdlEvent.SCHEMA_NAME.equals(schema)) {
                ddl.record(1, now);
            } else if (RowChange.SCHEMA_NAME.equals(schema)
                    || DebeziumEnvelope.tableOf(record.valueSchema(), record.value()).isPresent()) {
                rowChanges++;
            }
        }
        if (rowChanges > 0) {
            changes.record(rowChanges, now);
        }
    }

    /** The full sync is over (or there was none): what follows is the incremental sync. */
    public void streaming() {
        phase = Phase.INCREMENTAL;
    }

    /** Counts one logical message with pgsync's prefix that was dropped. */
    public void ddlMessageRejected() {
        rejectedMessages.record();
    }

    /** Counts a table given REPLICA IDENTITY FULL. */
    public void replicaIdentitySet(TableRef table) {
        identityMissing.remove(table);
        identitiesSet.record();
    }

    /** Counts a table the DDL capture added to the connector's publication. */
    public void publicationTableAdded() {
        publicationJoins.record();
    }

    /** Counts a table the DDL capture failed to fit the publication. */
    public void publicationFitFailed() {
        fitFailures.record();
    }

    /**
     * Tracks whether a selected table has a usable replica identity now; a dropped table is passed with
     * {@code missing} false.
     */
    public void replicaIdentityMissing(TableRef table, boolean missing) {
        if (missing) {
            identityMissing.add(table);
        } else {
            identityMissing.remove(table);
        }
    }

    @Override
    public void close() {
        metrics.close();
    }
}
