package io.pgsync.bench;

import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lag meter of W3 and W4. One thread writes the next number into the probe row at the source every
 * {@value #WRITE_EVERY_MILLIS} ms and notes the time its commit returned; another reads the probe row at the
 * destination every {@value #POLL_EVERY_MILLIS} ms and notes, for every number up to the one it sees, the time of
 * the first read that showed it. A write's lag is the difference, on this JVM's monotonic clock, so no clocks need
 * to agree; it is at most one poll interval plus one read too large.
 */
final class LagProbe {

    private static final long WRITE_EVERY_MILLIS = 50;
    private static final long POLL_EVERY_MILLIS = 5;
    private static final Logger log = LoggerFactory.getLogger(LagProbe.class);

    private final ProbeRow probe;
    private final Map<Long, Long> sentAt = new ConcurrentHashMap<>();
    private final Map<Long, Long> seenAt = new ConcurrentHashMap<>();
    private final AtomicLong lastSent = new AtomicLong(Long.MIN_VALUE);
    private final AtomicLong lastSeen = new AtomicLong(Long.MIN_VALUE);
    private volatile boolean writing;
    private volatile boolean polling;
    private volatile Exception failure;
    private Thread writer;
    private Thread poller;

    LagProbe(ProbeRow probe) {
        this.probe = probe;
    }

    void start() throws SQLException {
        lastSeen.set(probe.read());
        writing = true;
        polling = true;
        poller = new Thread(this::poll, "bench-lag-poller");
        writer = new Thread(this::write, "bench-lag-writer");
        poller.start();
        writer.start();
    }

    /** The last number written, or {@link Long#MIN_VALUE} before the first write. */
    long lastWritten() {
        return lastSent.get();
    }

    /** Stops writing, waits up to {@code timeout} for the last write to arrive, and returns every write's lag. */
    LagSeries finish(Duration timeout) throws InterruptedException {
        writing = false;
        writer.join();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (lastSeen.get() < lastSent.get() && System.nanoTime() < deadline && failure == null) {
            Thread.sleep(POLL_EVERY_MILLIS);
        }
        long end = System.nanoTime();
        polling = false;
        poller.join();
        if (failure != null) {
            throw new IllegalStateException("The lag probe failed: " + failure.getMessage(), failure);
        }
        double[] lags = new double[sentAt.size()];
        int i = 0;
        int missing = 0;
        for (Map.Entry<Long, Long> sent : new TreeMap<>(sentAt).entrySet()) {
            Long seen = seenAt.get(sent.getKey());
            if (seen == null) {
                missing++;
            }
            lags[i++] = Math.max(0, (seen == null ? end : seen) - sent.getValue()) / 1e9;
        }
        if (missing > 0) {
            log.warn("{} of {} probe writes had not arrived after waiting {} s", missing, lags.length,
                    timeout.toSeconds());
        }
        return new LagSeries(lags, missing);
    }

    private void write() {
        long next = System.nanoTime();
        try {
            while (writing) {
                long value = probe.write();
                sentAt.put(value, System.nanoTime());
                lastSent.set(value);
                next += TimeUnit.MILLISECONDS.toNanos(WRITE_EVERY_MILLIS);
                LockSupport.parkNanos(next - System.nanoTime());
            }
        } catch (SQLException | RuntimeException e) {
            failure = e;
        }
    }

    private void poll() {
        try {
            while (polling) {
                long now = System.nanoTime();
                long seen = probe.read();
                for (long value = lastSeen.get() + 1; value <= seen; value++) {
                    seenAt.putIfAbsent(value, now);
                }
                lastSeen.accumulateAndGet(seen, Math::max);
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(POLL_EVERY_MILLIS));
            }
        } catch (SQLException | RuntimeException e) {
            failure = e;
        }
    }
}
