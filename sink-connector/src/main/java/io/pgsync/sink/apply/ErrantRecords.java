package io.pgsync.sink.apply;

import java.util.concurrent.ExecutionException;

import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.ErrantRecordReporter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.pgsync.sink.metrics.PgSyncSinkMetrics;

/**
 * Decides what happens to a record that can never apply: with {@code errors.tolerance=all} and Connect's errant-record
 * reporter, it is reported (the dead-letter queue) and counted; otherwise the task fails with the record's error.
 * Callable from the engine's and the write thread.
 */
final class ErrantRecords {

    private static final Logger log = LoggerFactory.getLogger(ErrantRecords.class);

    private final boolean tolerated;
    private final ErrantRecordReporter reporter;
    private final PgSyncSinkMetrics metrics;

    /**
     * @param tolerated whether {@code errors.tolerance=all}
     * @param reporter Connect's reporter, or null when the worker has none
     */
    ErrantRecords(boolean tolerated, ErrantRecordReporter reporter, PgSyncSinkMetrics metrics) {
        this.tolerated = tolerated;
        this.reporter = reporter;
        this.metrics = metrics;
    }

    /**
     * Reports the record, waiting until the reporter has it, or throws the error.
     *
     * @throws ConnectException the error itself when errors are not tolerated, or why the report failed
     */
    void reportOrFail(SinkRecord record, ConnectException error) {
        if (!tolerated || reporter == null) {
            throw error;
        }
        log.warn("Skipping a record that cannot be applied (errors.tolerance=all): {}", error.getMessage());
        try {
            reporter.report(record, error).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConnectException("Interrupted while reporting " + Records.position(record), e);
        } catch (ExecutionException e) {
            throw new ConnectException("Cannot report errant record " + Records.position(record) + ": "
                    + e.getCause().getMessage(), e.getCause());
        }
        metrics.errantRecord();
    }
}
