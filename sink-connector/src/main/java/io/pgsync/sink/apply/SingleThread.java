package io.pgsync.sink.apply;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Starts and stops the named single-thread executors the sink runs its apply and write stages on. */
final class SingleThread {

    private static final Logger log = LoggerFactory.getLogger(SingleThread.class);
    private static final long STOP_WAIT_SECONDS = 30;

    private SingleThread() {
    }

    /** An executor with one daemon thread called {@code name}, e.g. {@code pgsync-apply-shop-sink-0}. */
    static ExecutorService start(String name) {
        return Executors.newSingleThreadExecutor(runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Interrupts the executor's thread and waits up to {@value #STOP_WAIT_SECONDS} s for it to end. */
    static void stop(ExecutorService executor, String what) {
        executor.shutdownNow();
        try {
            if (!executor.awaitTermination(STOP_WAIT_SECONDS, TimeUnit.SECONDS)) {
                log.warn("The {} did not stop within {} s", what, STOP_WAIT_SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
