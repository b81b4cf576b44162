package io.pgsync.source;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Paces a stream of rows to at most so many rows and bytes per second, by making the caller wait: a token bucket
 * that holds a tenth of a second's worth. Each row passes at the earliest time that keeps both rates; time the caller
 * spent elsewhere counts, up to that tenth of a second (so the time between calls and a sleep's overshoot do not slow
 * the pace, and after a pause at most that much passes at once). Short debts are carried rather than slept off, so
 * that rows passing every few microseconds are paced without a sleep per row.
 *
 * <p>Example: at 2,000 rows/s, a call for 500 rows costs 0.25 s; the next call waits until that time has passed.
 */
public final class Throttle {

    private static final long MIN_SLEEP_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final long BURST_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final double rowsPerSecond;
    private final double bytesPerSecond;
    private long nextFreeNanos = Long.MIN_VALUE;
    /** Written only by the one thread that calls {@link #acquire}. */
    private volatile long waitedNanos;

    /**
     * @param rowsPerSecond the row limit; 0 for none
     * @param megabytesPerSecond the byte limit in MB (10^6 bytes) per second; 0 for none
     */
    public Throttle(double rowsPerSecond, double megabytesPerSecond) {
        this.rowsPerSecond = rowsPerSecond;
        this.bytesPerSecond = megabytesPerSecond * 1_000_000;
    }

    /** Whether this throttle limits anything. */
    public boolean limits() {
        return rowsPerSecond > 0 || bytesPerSecond > 0;
    }

    /**
     * Waits as long as passing the rows needs.
     *
     * @param stopped checked between slices of a long wait; the wait ends early when it says so
     */
    public void acquire(long rows, long bytes, BooleanSupplier stopped) throws InterruptedException {
        if (!limits() || rows == 0 && bytes == 0) {
            return;
        }
        double seconds = Math.max(rowsPerSecond > 0 ? rows / rowsPerSecond : 0,
                bytesPerSecond > 0 ? bytes / bytesPerSecond : 0);
        long now = System.nanoTime();
        long start = nextFreeNanos == Long.MIN_VALUE ? now : Math.max(nextFreeNanos, now - BURST_NANOS);
        nextFreeNanos = start + (long) (seconds * 1e9);
        long wait = nextFreeNanos - now;
        if (wait < MIN_SLEEP_NANOS) {
            return;
        }
        try {
            while (wait >= MIN_SLEEP_NANOS && !stopped.getAsBoolean()) {
                LockSupport.parkNanos(Math.min(wait, SLICE_NANOS));
                if (Thread.interrupted()) {
                    throw new InterruptedException("Interrupted while throttled");
                }
                wait = nextFreeNanos - System.nanoTime();
            }
        } finally {
            waitedNanos += System.nanoTime() - now;
        }
    }

    /** The time callers have waited in {@link #acquire} so far, in milliseconds. */
    public long waitedMillis() {
        return waitedNanos / 1_000_000;
    }
}
