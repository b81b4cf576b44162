package io.pgsync.sink.apply;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A model-based test of the engine's delivery guarantees: the real {@link ApplyThread} and {@link ApplyEngine} (ledger,
 * transaction boundaries, commits, retries) run against a model of everything around them: the source and its
 * changelog ({@link ModelSource}), Kafka Connect's task driver ({@link ModelWorker}), and the destination
 * ({@link ModelDatabase}). Random sequences of steps (source transactions, deliveries, broken connections, outages,
 * rebalances eager and cooperative, crashes and restarts, a zombie task, re-sent ranges, a full sync run again, after
 * a transaction the source left unfinished or not) are checked against the reference, the source itself: at every
 * destination commit, each source transaction is there whole or not at all, none twice, none missing before the last
 * one; at the end, every row is.
 *
 * <p>A failing run is shrunk to a shortest sequence of steps that still fails, printed with its seed. Seeds and
 * runs: {@code -Dpgsync.model.seed} (first seed) and {@code -Dpgsync.model.runs}; {@code -Dpgsync.model.without} leaves
 * step kinds out (a comma-separated list, e.g. {@code ZOMBIE}), to look for another failure than the one found first;
 * {@code -Dpgsync.model.replay='[POLL(1), ZOMBIE(2)]'} plays the given steps only (as a failure prints them).
 */
class ApplyModelTest {

    private static final long FIRST_SEED = Long.getLong("pgsync.model.seed", 1);
    private static final int RUNS = Integer.getInteger("pgsync.model.runs", 300);
    private static final Set<Kind> WITHOUT = Arrays.stream(System.getProperty("pgsync.model.without", "").split(","))
            .filter(name -> !name.isBlank()).map(name -> Kind.valueOf(name.trim())).collect(Collectors.toSet());
    private static final int STEPS = 60;
    private static final int MAX_POLL = 7;

    /** What a step does; its details come from the step's own seed, so that a run replays step by step. */
    enum Kind {
        TRANSACTIONS, POLL, COMMIT_OFFSETS, BROKEN_CONNECTIONS, OUTAGE, EAGER_REBALANCE, COOPERATIVE_REBALANCE,
        CRASH, STOP, RESEND, FULL_SYNC_AGAIN, ZOMBIE
    }

    /** One step of a run. */
    record Step(Kind kind, long seed) {
        @Override
        public String toString() {
            return kind + "(" + seed + ")";
        }
    }

    @ParameterizedTest(name = "{0} partition(s), {1} rebalances, source stamps positions as {2}")
    @CsvSource({"1, eager, STREAM_START", "2, eager, STREAM_START", "2, cooperative, STREAM_START",
            "1, eager, DEBEZIUM", "2, cooperative, DEBEZIUM"})
    void everyTransactionIsAppliedOnceWholeAndInOrder(int partitions, String rebalances,
            ModelSource.Stamping stamping) {
        boolean cooperative = rebalances.equals("cooperative");
        String replay = System.getProperty("pgsync.model.replay");
        if (replay != null) {
            List<Step> steps = Arrays.stream(replay.replaceAll("[\\[\\] ]", "").split(",(?=[A-Z])"))
                    .map(text -> new Step(Kind.valueOf(text.substring(0, text.indexOf('('))),
                            Long.parseLong(text.substring(text.indexOf('(') + 1, text.length() - 1)))).toList();
            assertThat(play(partitions, stamping, steps)).as("replay of %s", steps).isEmpty();
            return;
        }
        for (long seed = FIRST_SEED; seed < FIRST_SEED + RUNS; seed++) {
            List<Step> steps = steps(new Random(seed), cooperative);
            List<String> problems = play(partitions, stamping, steps);
            if (!problems.isEmpty()) {
                List<Step> shortest = shrink(partitions, stamping, steps);
                List<String> shortestProblems = play(partitions, stamping, shortest);
                assertThat(shortestProblems).as("seed %d, %d partition(s), %s rebalances, %s stamping; shortest "
                        + "failing sequence of steps: %s", seed, partitions, rebalances, stamping, shortest).isEmpty();
            }
        }
    }

    private static List<Step> steps(Random random, boolean cooperative) {
        List<Step> steps = new ArrayList<>();
        long outageSeed = random.nextLong();
        if (random.nextBoolean() && !WITHOUT.contains(Kind.OUTAGE)) {
            steps.add(new Step(Kind.OUTAGE, outageSeed));
        }
        for (int i = 0; i < STEPS; i++) {
            int dice = random.nextInt(100);
            Kind kind;
            if (dice < 25) {
                kind = Kind.TRANSACTIONS;
            } else if (dice < 55) {
                kind = Kind.POLL;
            } else if (dice < 62) {
                kind = Kind.COMMIT_OFFSETS;
            } else if (dice < 70) {
                kind = Kind.BROKEN_CONNECTIONS;
            } else if (dice < 74) {
                kind = Kind.OUTAGE;
            } else if (dice < 80) {
                kind = cooperative ? Kind.COOPERATIVE_REBALANCE : Kind.EAGER_REBALANCE;
            } else if (dice < 85) {
                kind = Kind.CRASH;
            } else if (dice < 88) {
                kind = Kind.STOP;
            } else if (dice < 92) {
                kind = Kind.RESEND;
            } else if (dice < 96) {
                kind = Kind.FULL_SYNC_AGAIN;
            } else {
                kind = Kind.ZOMBIE;
            }
            long stepSeed = random.nextLong();
            if (!WITHOUT.contains(kind)) {
                steps.add(new Step(kind, stepSeed));
            }
        }
        return steps;
    }

    /** Plays the steps from an empty destination, then lets everything settle; returns what went wrong. */
    static List<String> play(int partitions, ModelSource.Stamping stamping, List<Step> steps) {
        return new Run(partitions, stamping).play(steps);
    }

    /** Removes steps, in ever smaller pieces, as long as the run still fails. */
    private static List<Step> shrink(int partitions, ModelSource.Stamping stamping, List<Step> steps) {
        List<Step> current = new ArrayList<>(steps);
        for (int size = current.size() / 2; size >= 1; size = size / 2) {
            boolean removed = true;
            while (removed) {
                removed = false;
                for (int start = 0; start + size <= current.size(); start += size) {
                    List<Step> shorter = new ArrayList<>(current.subList(0, start));
                    shorter.addAll(current.subList(start + size, current.size()));
                    if (!play(partitions, stamping, shorter).isEmpty()) {
                        current = shorter;
                        removed = true;
                        break;
                    }
                }
            }
        }
        return current;
    }

    /** One run of the model. */
    private static final class Run {
        private final ModelSource source;
        private final ModelDatabase db;
        private final Map<TopicPartition, Long> group = new HashMap<>();
        private final List<TopicPartition> partitions = new ArrayList<>();
        private final List<String> problems = new ArrayList<>();
        private ModelWorker worker;
        private int workers;
        /** Whether a zombie that had not claimed its partitions took them back from the current task. */
        private boolean stolen;

        Run(int partitionCount, ModelSource.Stamping stamping) {
            source = new ModelSource(partitionCount, stamping);
            db = new ModelDatabase(source);
            for (int p = 0; p < partitionCount; p++) {
                partitions.add(new TopicPartition(ModelSource.TOPIC, p));
            }
        }

        List<String> play(List<Step> steps) {
            source.fullSync(false);
            boolean outageFirst = !steps.isEmpty() && steps.get(0).kind() == Kind.OUTAGE;
            db.down = outageFirst;
            worker = newWorker();
            worker.assign(partitions);
            for (Step step : steps) {
                step(step);
            }
            settle();
            return problems;
        }

        private ModelWorker newWorker() {
            return new ModelWorker("w" + (++workers), source, db, group, MAX_POLL);
        }

        private void step(Step step) {
            Random random = new Random(step.seed());
            switch (step.kind()) {
                case TRANSACTIONS -> {
                    for (int i = 1 + random.nextInt(3); i > 0; i--) {
                        source.transaction(random);
                    }
                }
                case POLL -> worker.poll(random);
                case COMMIT_OFFSETS -> worker.commitOffsets();
                case BROKEN_CONNECTIONS -> {
                    worker.destination.random = random;
                    worker.destination.faultRate = 0.3;
                    for (int i = 1 + random.nextInt(3); i > 0; i--) {
                        worker.poll(random);
                    }
                    worker.destination.faultRate = 0;
                }
                case OUTAGE -> {
                    db.down = true;
                    for (int i = 1 + random.nextInt(3); i > 0; i--) {
                        worker.poll(random);
                    }
                    db.down = false;
                }
                case EAGER_REBALANCE -> {
                    worker.revoke(List.copyOf(worker.assignment));
                    worker.assign(partitions);
                }
                case COOPERATIVE_REBALANCE -> {
                    List<TopicPartition> moved = new ArrayList<>(worker.assignment);
                    Collections.shuffle(moved, random);
                    moved = moved.subList(0, 1 + random.nextInt(moved.size()));
                    worker.revoke(moved);
                    for (int i = random.nextInt(3); i > 0; i--) {
                        worker.poll(random);
                    }
                    worker.assign(moved);
                }
                case CRASH -> restart();
                case STOP -> {
                    worker.stop();
                    worker = newWorker();
                    worker.assign(partitions);
                }
                case RESEND -> source.resend(1 + random.nextInt(3));
                case FULL_SYNC_AGAIN -> {
                    if (random.nextBoolean()) {
                        source.tornTransaction(random);
                    }
                    source.fullSync(true);
                }
                case ZOMBIE -> stolen |= zombie(random);
            }
            if (!worker.running()) {
                failed("after " + step);
            }
        }

        /**
         * Restarts a failed task, as an operator would; the failure is a problem unless it is the one fencing
         * expected after a zombie stole the partitions.
         */
        private void failed(String when) {
            if (stolen && worker.failure.startsWith("Another task")) {
                stolen = false;
            } else {
                problems.add("the task failed " + when + ": " + worker.failure);
            }
            restart();
        }

        private void restart() {
            worker.crash();
            worker = newWorker();
            worker.assign(partitions);
        }

        /**
         * The worker is cut off from its group while another task takes over its partitions and applies; then it
         * comes back for one more delivery before it learns that it lost them. Returns whether the zombie had not
         * claimed all its partitions yet (it opened them while the destination was down): its first delivery then
         * claims them, fencing the new owner, which stops; that is loud and loses nothing, and a restart of the new
         * owner's task brings it back (see the README's limitations).
         */
        private boolean zombie(Random random) {
            ModelWorker zombie = worker;
            boolean unclaimed = !zombie.claimedAll();
            worker = newWorker();
            worker.assign(partitions);
            for (int i = random.nextInt(3); i > 0; i--) {
                worker.poll(random);
            }
            zombie.poll(random);
            zombie.lose();
            zombie.close();
            return unclaimed;
        }

        /** Lets everything settle: no more faults, polls until the consumer is at the end and all is committed. */
        private void settle() {
            db.down = false;
            worker.destination.faultRate = 0;
            Random random = new Random(0);
            for (int i = 0; i < 2000 && !(worker.caughtUp() && committedAll()); i++) {
                worker.poll(random);
                if (!worker.running()) {
                    failed("while settling");
                }
            }
            worker.commitOffsets();
            problems.addAll(db.violations);
            if (!db.kv.equals(source.kv)) {
                problems.add("kv at the destination " + db.kv + " but at the source " + source.kv);
            }
            List<String> expected = source.log.stream().sorted().collect(Collectors.toList());
            List<String> actual = db.log.stream().sorted().collect(Collectors.toList());
            if (!actual.equals(expected)) {
                List<String> missing = new ArrayList<>(expected);
                actual.forEach(missing::remove);
                List<String> extra = new ArrayList<>(actual);
                expected.forEach(extra::remove);
                problems.add("log rows missing at the destination " + missing + ", extra " + extra);
            }
        }

        private boolean committedAll() {
            for (TopicPartition tp : partitions) {
                var applied = db.offsets.get(tp);
                if (applied == null || applied.offset() < source.records(tp.partition()).size() - 1) {
                    return false;
                }
            }
            return true;
        }
    }
}
