package io.pgsync.sink.apply;

import java.sql.SQLException;
import java.time.Duration;

import io.pgsync.sink.PgSyncSinkConfig;

/**
 * Decides, after a failed destination write that was rolled back, whether to try again and after how long: a lost
 * connection for {@code retry.connection.timeout.ms}, other transient errors for {@code retry.other.timeout.ms}, with a
 * backoff that starts at {@value #FIRST_BACKOFF_MS} ms and doubles up to {@code retry.backoff.max.ms}; errors that
 * retrying cannot fix are never retried. Counts from the first failure since the last success. Pure: time is given.
 */
final class RetryPolicy {

    static final long FIRST_BACKOFF_MS = 100;

    private final Duration connectionTimeout;
    private final Duration otherTimeout;
    private final Duration backoffMax;
    private long failingSinceMs = -1;
    private int failures;

    RetryPolicy(Duration connectionTimeout, Duration otherTimeout, Duration backoffMax) {
        this.connectionTimeout = connectionTimeout;
        this.otherTimeout = otherTimeout;
        this.backoffMax = backoffMax;
    }

    /** What to do about one failure. */
    record Decision(boolean retry, long backoffMs, String reason) {
    }

    /**
     * Decides about a failure at {@code nowMs}: retry after {@link Decision#backoffMs}, or give up with a reason to
     * append to the failure's message (empty for errors never retried).
     */
    Decision failed(SQLException e, long nowMs) {
        Failures.Kind kind = Failures.classify(e);
        if (kind == Failures.Kind.PERMANENT || kind == Failures.Kind.DESTINATION) {
            return new Decision(false, 0, "");
        }
        if (failingSinceMs < 0) {
            failingSinceMs = nowMs;
        }
        boolean connection = kind == Failures.Kind.CONNECTION;
        long limit = (connection ? connectionTimeout : otherTimeout).toMillis();
        if (nowMs - failingSinceMs >= limit) {
            return new Decision(false, 0, "; gave up after retrying for " + (nowMs - failingSinceMs) + " ms ("
                    + (connection ? PgSyncSinkConfig.RETRY_CONNECTION_TIMEOUT_MS
                            : PgSyncSinkConfig.RETRY_OTHER_TIMEOUT_MS) + "=" + limit + ")");
        }
        long backoff = Math.min(backoffMax.toMillis(), FIRST_BACKOFF_MS << Math.min(failures, 20));
        failures++;
        return new Decision(true, backoff, "");
    }

    /** The number of retries since the last success. */
    int retries() {
        return failures;
    }

    /** Forgets the failures: a commit succeeded. */
    void succeeded() {
        failingSinceMs = -1;
        failures = 0;
    }
}
