package io.pgsync.sink.apply;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTaskContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.pgsync.sink.mapping.NameMapping;

/**
 * Runs the {@link ApplyEngine} on a thread of its own, one delivery behind Connect: while the engine writes delivery
 * N to the destination, Connect fetches and converts delivery N+1 on the task thread, and {@link Delivery} decodes
 * the changes out of it there, so record conversion and destination round trips overlap instead of adding up.
 *
 * <p>Every engine call runs on that one thread, in order; {@code put} waits for the previous delivery before it
 * hands over the next, so at most two deliveries wait here (the engine's {@link WriteQueue} holds the writes of a few
 * more). After each engine call the seeks, pauses and resumes it asked for are passed to Connect, with the number of
 * the first delivery they take effect in, as Kafka Connect's {@code WorkerSinkTask} makes them: seeks asked for in
 * {@code put} or {@code close} at the start of the next poll, so that the delivery of the poll that called {@code close}
 * still comes from before them; seeks asked for in {@code open} at once (its rebalance callback makes every seek made
 * so far). A delivery fetched before a seek took effect still reaches the engine, which applies only the records it
 * needs next. A failure the engine gives up on fails the next {@code put} with the engine's message.
 */
public final class ApplyThread implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ApplyThread.class);

    private final ApplyEngine engine;
    private final ChangelogDecoder decoder;
    private final SinkTaskContext context;
    private final ExecutorService executor;
    private Future<?> inFlight;
    /** The {@code put} calls so far. */
    private long puts;

    /**
     * @param toastPlaceholder Debezium's {@code unavailable.value.placeholder}, for records in Debezium's envelope
     * @param mapping the naming rules put on the rows
     */
    public ApplyThread(ApplyEngine engine, String toastPlaceholder, NameMapping mapping, SinkTaskContext context,
            String threadName) {
        this(engine, new ChangelogDecoder(toastPlaceholder, mapping), context, SingleThread.start(threadName));
    }

    /** Runs the engine on the given executor; visible for testing. */
    ApplyThread(ApplyEngine engine, ChangelogDecoder decoder, SinkTaskContext context, ExecutorService executor) {
        this.engine = engine;
        this.decoder = decoder;
        this.context = context;
        this.executor = executor;
    }

    public void open(Collection<TopicPartition> partitions) {
        awaitInFlight();
        List<TopicPartition> copy = List.copyOf(partitions);
        call(() -> {
            engine.open(copy);
            engine.seeksMade(puts + 1);
            return null;
        });
        passRequests(puts + 1);
    }

    /**
     * Reads the records (while the engine still writes the previous delivery), then hands them to the engine once the
     * previous delivery is written; returns without waiting for them. An empty delivery (Connect's poll found
     * nothing) lets the engine finish its queued writes, so a failed one is handled without waiting for more records.
     */
    public void put(Collection<SinkRecord> records) {
        long number = ++puts;
        Delivery delivery = records.isEmpty() ? null : Delivery.read(number, records, decoder);
        awaitInFlight();
        passRequests(number + 1);
        inFlight = executor.submit(delivery == null ? engine::idle : () -> engine.apply(delivery));
    }

    /**
     * Returns what the destination has committed so far, without waiting for the delivery being written: Connect
     * asks every {@code offset.flush.interval.ms}, and waiting would stall the pipeline each time.
     */
    public Map<TopicPartition, OffsetAndMetadata> committedOffsets() {
        return engine.committedOffsets();
    }

    public void close(Collection<TopicPartition> partitions) {
        awaitInFlight();
        List<TopicPartition> copy = List.copyOf(partitions);
        call(() -> {
            engine.close(copy);
            return null;
        });
        passRequests(puts + 2);
    }

    /** Waits for the delivery being written (its failure, if any, is logged), then closes the engine and the thread. */
    @Override
    public void close() {
        try {
            awaitInFlight();
        } catch (ConnectException e) {
            log.warn("The last delivery failed while the task stopped: {}", e.getMessage());
        }
        try {
            call(() -> {
                engine.close();
                return null;
            });
        } finally {
            SingleThread.stop(executor, "apply thread");
        }
    }

    /**
     * Passes the seeks, pauses and resumes the engine asked for to Connect.
     *
     * @param effectiveFrom the number of the first delivery the seeks take effect in
     */
    private void passRequests(long effectiveFrom) {
        Requests requests = call(() -> new Requests(engine.takeSeeks(effectiveFrom), engine.takePauses(),
                engine.takeResumes()));
        if (!requests.seeks().isEmpty()) {
            log.debug("Seeking {}", requests.seeks());
            context.offset(requests.seeks());
        }
        if (!requests.pauses().isEmpty()) {
            context.pause(requests.pauses().toArray(TopicPartition[]::new));
        }
        if (!requests.resumes().isEmpty()) {
            context.resume(requests.resumes().toArray(TopicPartition[]::new));
        }
    }

    /** What the engine asks of the consumer. */
    private record Requests(Map<TopicPartition, Long> seeks, List<TopicPartition> pauses,
            List<TopicPartition> resumes) {
    }

    private void awaitInFlight() {
        Future<?> pending = inFlight;
        inFlight = null;
        if (pending != null) {
            get(pending);
        }
    }

    private <T> T call(Callable<T> work) {
        return get(executor.submit(work));
    }

    private static <T> T get(Future<T> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConnectException("Interrupted while waiting for the apply thread", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof ConnectException connect) {
                throw connect;
            }
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new ConnectException("The apply thread failed: " + cause, cause);
        }
    }
}
