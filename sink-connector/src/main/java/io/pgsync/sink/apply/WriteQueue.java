package io.pgsync.sink.apply;

import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

import org.apache.kafka.connect.errors.ConnectException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the engine's destination writes on a thread of its own, in the order they were submitted, so the engine
 * prepares the next batch while the destination executes the previous one. The writes share one connection and its
 * open transaction; the engine touches that connection itself only after {@link #drain}. At most
 * {@value #MAX_PENDING} writes wait, each holding at most one batch ({@code apply.batch.max.records} changes), so
 * memory stays bounded by the batch size.
 *
 * <p>A failed write turns the writes queued after it into no-ops, and the failure sticks: {@link #submit} and
 * {@link #drain} rethrow it on the engine's thread until the engine has rolled back and called {@link #reset}. A
 * write may return an action that the engine's thread runs once it knows the write succeeded (a commit's
 * bookkeeping), so the engine's state is only ever changed on its own thread.
 */
final class WriteQueue implements AutoCloseable {

    /** A destination write; runs on the write thread. */
    @FunctionalInterface
    interface Write {
        /** Writes; returns what the engine does once it learns of the success, or null for nothing. */
        Runnable run() throws SQLException;
    }

    private static final Logger log = LoggerFactory.getLogger(WriteQueue.class);
    /**
     * A delivery usually queues two writes (its changes, then the commit), so this lets the engine run up to three
     * deliveries ahead of the destination and absorb a slow conversion without leaving the destination idle. With 2,
     * the destination backend was idle between deliveries and busy 0.44 core in W2; with 6, 0.51.
     */
    private static final int MAX_PENDING = 6;

    private final ExecutorService executor;
    private final ArrayDeque<Future<Runnable>> pending = new ArrayDeque<>();
    /** Set on the write thread when a write fails, cleared by {@link #reset} when nothing is pending. */
    private volatile boolean skipping;
    private Exception failure;

    WriteQueue(String threadName) {
        this.executor = SingleThread.start(threadName);
    }

    /** Queues a write, first waiting for the oldest one when {@value #MAX_PENDING} are pending. */
    void submit(Write write) throws SQLException {
        throwFailure();
        while (pending.size() >= MAX_PENDING) {
            settle(pending.removeFirst());
        }
        pending.addLast(executor.submit(() -> {
            if (skipping) {
                return null;
            }
            boolean done = false;
            try {
                Runnable then = write.run();
                done = true;
                return then;
            } finally {
                if (!done) {
                    skipping = true;
                }
            }
        }));
    }

    /** Waits until every queued write has run; rethrows the first failure. */
    void drain() throws SQLException {
        throwFailure();
        while (!pending.isEmpty()) {
            settle(pending.removeFirst());
        }
    }

    /** Waits until nothing is pending and forgets the failure; for the engine, after it rolled back. */
    void reset() {
        while (!pending.isEmpty()) {
            try {
                settle(pending.removeFirst());
            } catch (SQLException | RuntimeException e) {
                log.debug("A queued write failed while the engine was rolling back: {}", e.getMessage());
            }
        }
        failure = null;
        skipping = false;
    }

    private void settle(Future<Runnable> write) throws SQLException {
        Runnable then;
        try {
            then = write.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConnectException("Interrupted while waiting for a destination write", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (failure == null) {
                failure = cause instanceof SQLException || cause instanceof RuntimeException ? (Exception) cause
                        : new ConnectException("A destination write failed: " + cause, cause);
            }
            throwFailure();
            return;
        }
        if (then != null && failure == null) {
            then.run();
        }
    }

    private void throwFailure() throws SQLException {
        if (failure instanceof SQLException sql) {
            throw sql;
        }
        if (failure instanceof RuntimeException runtime) {
            throw runtime;
        }
    }

    @Override
    public void close() {
        reset();
        SingleThread.stop(executor, "destination write thread");
    }
}
