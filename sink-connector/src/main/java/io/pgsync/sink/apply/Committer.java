package io.pgsync.sink.apply;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;

import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.pgsync.sink.PgSyncSinkConfig;
import io.pgsync.sink.metrics.PgSyncSinkMetrics;
import io.pgsync.sink.offset.AppliedOffset;
import io.pgsync.sink.offset.OffsetStore;
import io.pgsync.sink.offset.StatusStore;

/**
 * Commits the open destination transaction: writes the applied offsets and the task's counts into it, commits, and
 * records the commit in the metrics; raises the lag alert when the end-to-end lag passes
 * {@code lag.alert.threshold.ms}, and lowers it when a commit is back under. Runs on the write thread.
 */
final class Committer {

    private static final Logger log = LoggerFactory.getLogger(Committer.class);

    private final OffsetStore offsets;
    private final StatusStore status;
    private final PgSyncSinkMetrics metrics;
    private final long lagAlertThresholdMs;
    /** Whether the last commit's lag was over the threshold. */
    private boolean lagAlert;

    Committer(OffsetStore offsets, StatusStore status, PgSyncSinkMetrics metrics, long lagAlertThresholdMs) {
        this.offsets = offsets;
        this.status = status;
        this.metrics = metrics;
        this.lagAlertThresholdMs = lagAlertThresholdMs;
    }

    /**
     * Writes the offsets (while the partitions' epochs are still the given ones) and counts, commits, and records
     * the commit.
     *
     * @throws io.pgsync.sink.offset.FencedException when another task claimed a partition since
     */
    void commit(Connection conn, Map<TopicPartition, AppliedOffset> applied, Map<TopicPartition, Long> epochs,
            OpenTransaction.Stats stats) throws SQLException {
        offsets.write(conn, applied, epochs);
        long lagMs = stats.sourceTimeMs() < 0 ? -1 : System.currentTimeMillis() - stats.sourceTimeMs();
        status.committed(conn, stats.phase().text(), lagMs, stats.changes(), stats.transactions());
        conn.commit();
        long latencyMs = stats.startNanos() == 0 ? 0 : (System.nanoTime() - stats.startNanos()) / 1_000_000;
        metrics.committed(stats.changes(), stats.transactions(), latencyMs, lagMs);
        metrics.phase(stats.phase().text());
        checkLag(lagMs);
    }

    /**
     * Logs a warning, and raises the {@code lag-alert} metric, when a commit's end-to-end lag exceeds the threshold;
     * logs again when it is back under.
     */
    private void checkLag(long lagMs) {
        if (lagAlertThresholdMs <= 0 || lagMs < 0) {
            return;
        }
        boolean alert = lagMs > lagAlertThresholdMs;
        if (alert != lagAlert) {
            lagAlert = alert;
            metrics.lagAlert(alert);
            if (alert) {
                log.warn("End-to-end lag is {} ms, over {}={} ms", lagMs, PgSyncSinkConfig.LAG_ALERT_THRESHOLD_MS,
                        lagAlertThresholdMs);
            } else {
                log.info("End-to-end lag is back under {} ms ({} ms)", lagAlertThresholdMs, lagMs);
            }
        }
    }
}
