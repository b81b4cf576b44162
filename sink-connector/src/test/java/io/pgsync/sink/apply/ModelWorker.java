package io.pgsync.sink.apply;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.metrics.PluginMetrics;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTaskContext;

import io.pgsync.sink.mapping.NameMapping;
import io.pgsync.sink.metrics.PgSyncSinkMetrics;

/**
 * One sink task instance of the model, driven the way Kafka Connect 4.3's {@code WorkerSinkTask} drives a task: its
 * consumer's positions, the seeks the task asks for (applied at the start of the next poll; at once after
 * {@code open}, as the rebalance callback does; and those asked for in {@code close}, which runs inside a poll, only
 * after that poll's delivery), pauses, the consumer group's committed offsets (what {@code preCommit} returned), and
 * rebalances, eager or cooperative. The engine runs on the calling thread.
 */
final class ModelWorker implements SinkTaskContext {

    private final ModelSource source;
    private final Map<TopicPartition, Long> group;
    private final int maxPoll;
    final String name;
    final ModelDestination destination;
    private final PgSyncSinkMetrics metrics;
    private final ApplyThread thread;
    final Set<TopicPartition> assignment = new LinkedHashSet<>();
    private final Map<TopicPartition, Long> positions = new HashMap<>();
    private final Map<TopicPartition, Long> seeks = new HashMap<>();
    /** Seeks asked for in {@code close}: the delivery of the poll that revoked the partitions comes before them. */
    private final Map<TopicPartition, Long> afterNextPoll = new HashMap<>();
    private final ApplyEngine engine;
    private final Set<TopicPartition> paused = new HashSet<>();
    /** Why the task failed, or null while it runs. */
    String failure;

    ModelWorker(String name, ModelSource source, ModelDatabase db, Map<TopicPartition, Long> group, int maxPoll) {
        this.name = name;
        this.source = source;
        this.group = group;
        this.maxPoll = maxPoll;
        this.destination = new ModelDestination(db, name);
        this.metrics = new PgSyncSinkMetrics("model-" + name, 0);
        this.engine = new ApplyEngine(destination, new ErrantRecords(false, null, metrics),
                new RetryPolicy(Duration.ofDays(1), Duration.ofHours(1), Duration.ofMillis(1)), metrics,
                new ApplyEngine.Settings("model", 4, false, false, "model", "sink"));
        this.thread = new ApplyThread(engine, new ChangelogDecoder("__debezium_unavailable_value", NameMapping.NONE),
                this, new DirectExecutor());
    }

    boolean running() {
        return failure == null;
    }

    /** A rebalance gives the task partitions: its consumer starts from the group's offsets, then {@code open}. */
    void assign(Collection<TopicPartition> added) {
        for (TopicPartition tp : added) {
            positions.put(tp, group.getOrDefault(tp, 0L));
            assignment.add(tp);
        }
        run(() -> thread.open(List.copyOf(added)));
        seeks.putAll(afterNextPoll);
        afterNextPoll.clear();
        rewind();
    }

    /** A rebalance takes partitions away: the offsets are committed first, then {@code close}. */
    void revoke(Collection<TopicPartition> revoked) {
        commitOffsets();
        run(() -> thread.close(List.copyOf(revoked)));
        afterNextPoll.putAll(seeks);
        seeks.clear();
        forget(revoked);
    }

    /** Whether the task has claimed every partition it was given. */
    boolean claimedAll() {
        return engine.claimedAll();
    }

    /** The task's partitions were lost (it was cut off from the group): {@code close} without a commit. */
    void lose() {
        List<TopicPartition> lost = List.copyOf(assignment);
        run(() -> thread.close(lost));
        forget(lost);
    }

    private void forget(Collection<TopicPartition> partitions) {
        assignment.removeAll(partitions);
        partitions.forEach(tp -> {
            positions.remove(tp);
            seeks.remove(tp);
            afterNextPoll.remove(tp);
            paused.remove(tp);
        });
    }

    /** One iteration: apply the seeks asked for, fetch what the consumer has, {@code put} it. */
    void poll(Random random) {
        rewind();
        List<SinkRecord> records = new ArrayList<>();
        List<TopicPartition> order = new ArrayList<>(assignment);
        java.util.Collections.shuffle(order, random);
        for (TopicPartition tp : order) {
            if (paused.contains(tp) || records.size() >= maxPoll) {
                continue;
            }
            List<SinkRecord> log = source.records(tp.partition());
            long position = positions.get(tp);
            int take = Math.min(1 + random.nextInt(maxPoll), maxPoll - records.size());
            int end = (int) Math.min(log.size(), position + take);
            for (int i = (int) position; i < end; i++) {
                records.add(log.get(i));
            }
            positions.put(tp, (long) Math.max(position, end));
        }
        run(() -> thread.put(records));
        seeks.putAll(afterNextPoll);
        afterNextPoll.clear();
    }

    /** Commits the group offsets the task offers, as Connect does every {@code offset.flush.interval.ms}. */
    void commitOffsets() {
        if (!running()) {
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> offered = thread.committedOffsets();
        for (TopicPartition tp : assignment) {
            OffsetAndMetadata offset = offered.get(tp);
            if (offset != null && offset.offset() <= positions.get(tp)) {
                group.put(tp, offset.offset());
            }
        }
    }

    /** Whether the consumer has read every record there is. */
    boolean caughtUp() {
        for (TopicPartition tp : assignment) {
            if (seeks.containsKey(tp) || afterNextPoll.containsKey(tp) || paused.contains(tp)
                    || positions.get(tp) < source.records(tp.partition()).size()) {
                return false;
            }
        }
        return true;
    }

    /** A graceful stop: the partitions are revoked (committing offsets), then the task stops. */
    void stop() {
        revoke(List.copyOf(assignment));
        close();
    }

    /** A crash: nothing more runs; the destination session goes, and with it the open transaction. */
    void crash() {
        destination.disconnect();
        metrics.close();
    }

    void close() {
        run(thread::close);
        metrics.close();
    }

    private void rewind() {
        seeks.forEach((tp, offset) -> {
            if (positions.containsKey(tp)) {
                positions.put(tp, offset);
            }
        });
        seeks.clear();
    }

    private void run(Runnable call) {
        if (!running()) {
            return;
        }
        try {
            call.run();
        } catch (ConnectException e) {
            failure = e.getMessage();
        }
    }

    @Override
    public Map<String, String> configs() {
        return Map.of();
    }

    @Override
    public void offset(Map<TopicPartition, Long> offsets) {
        seeks.putAll(offsets);
    }

    @Override
    public void offset(TopicPartition tp, long offset) {
        seeks.put(tp, offset);
    }

    @Override
    public void timeout(long timeoutMs) {
    }

    @Override
    public Set<TopicPartition> assignment() {
        return Set.copyOf(assignment);
    }

    @Override
    public void pause(TopicPartition... partitions) {
        paused.addAll(List.of(partitions));
    }

    @Override
    public void resume(TopicPartition... partitions) {
        List.of(partitions).forEach(paused::remove);
    }

    @Override
    public void requestCommit() {
    }

    @Override
    public PluginMetrics pluginMetrics() {
        return null;
    }

    /** Runs every task on the calling thread, so that a model run is one deterministic sequence of calls. */
    private static final class DirectExecutor extends AbstractExecutorService {
        private boolean shutdown;

        @Override
        public void execute(Runnable command) {
            command.run();
        }

        @Override
        public void shutdown() {
            shutdown = true;
        }

        @Override
        public List<Runnable> shutdownNow() {
            shutdown = true;
            return List.of();
        }

        @Override
        public boolean isShutdown() {
            return shutdown;
        }

        @Override
        public boolean isTerminated() {
            return shutdown;
        }

        @Override
        public boolean awaitTermination(long timeout, TimeUnit unit) {
            return true;
        }
    }
}
