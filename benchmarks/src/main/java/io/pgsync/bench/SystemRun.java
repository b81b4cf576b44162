package io.pgsync.bench;

import java.sql.Connection;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the selected workloads of one system once: fresh copies of the data on both clusters, the initial sync (timed
 * as W1, or untimed when W1 is not selected), then W2 and W3 on the same running pipeline; removes everything
 * afterwards. A failure ends this system's run with failed measurements, not the benchmark. An end-to-end run
 * ({@link #endToEnd}) does the same for W1e, W2e and W4, on databases of its own, with pgsync's connectors configured
 * as the repository's examples and both clusters durable.
 */
final class SystemRun {

    private static final Logger log = LoggerFactory.getLogger(SystemRun.class);
    private static final String EQUAL = "equal";

    private final BenchEnvironment env;
    private final Dataset data;
    private final BenchmarkOptions options;
    private final SystemKind system;
    private final int run;
    /** pgsync's connector settings for W1e, W2e and W4; null for W1–W3. */
    private final ConnectorConfigs.Examples examples;
    private final String database;
    private final String label;

    /** W1–W3. @param run the measured run's number from 1, or the warm-up round's as a negative number */
    SystemRun(BenchEnvironment env, Dataset data, BenchmarkOptions options, SystemKind system, int run) {
        this(env, data, options, system, run, null);
    }

    private SystemRun(BenchEnvironment env, Dataset data, BenchmarkOptions options, SystemKind system, int run,
            ConnectorConfigs.Examples examples) {
        this.env = env;
        this.data = data;
        this.options = options;
        this.system = system;
        this.run = run;
        this.examples = examples;
        String name = (run > 0 ? Integer.toString(run) : "warmup" + -run) + (examples == null ? "" : "e");
        // A database name of its own also gives the end-to-end connectors names without offsets from W1–W3.
        this.database = "b_" + system.cliName().replace('-', '_') + "_" + name;
        this.label = "[" + system.cliName() + " run " + name + "]";
    }

    /**
     * W1e, W2e and W4 of run {@code run}, with pgsync's connectors configured as {@code examples}, e.g.
     * {@code SystemRun.endToEnd(env, data, options, SystemKind.PGSYNC, 1, examples).execute()}.
     */
    static SystemRun endToEnd(BenchEnvironment env, Dataset data, BenchmarkOptions options, SystemKind system,
            int run, ConnectorConfigs.Examples examples) {
        return new SystemRun(env, data, options, system, run, examples);
    }

    /** Whether {@code system} has a selected workload among the end-to-end ones ({@code endToEnd}) or W1–W3. */
    static boolean applies(BenchmarkOptions options, SystemKind system, boolean endToEnd) {
        return options.workloads().stream().anyMatch(w -> w.endToEnd() == endToEnd && system.supports(w));
    }

    List<Measurement> execute() {
        List<Measurement> results = new ArrayList<>();
        try {
            if (examples != null) {
                env.durable(true);
            }
            data.createSource(env.source(), database);
            data.createDestination(env.destination(), database);
            try (Connection source = Databases.connect(env.source(), database, "bench-harness");
                    Connection destination = Databases.connect(env.destination(), database, "bench-harness")) {
                if (system == SystemKind.COPY_TEXT || system == SystemKind.COPY_BINARY) {
                    results.add(copy(source, destination));
                } else if (examples != null) {
                    streamEndToEnd(source, destination, results);
                } else {
                    stream(source, destination, results);
                }
            }
        } catch (Exception e) {
            log.error("{} failed: {}", label, e.getMessage(), e);
            for (Workload workload : options.workloads()) {
                boolean done = results.stream().anyMatch(m -> m.workload() == workload);
                if (workload.endToEnd() == (examples != null) && system.supports(workload) && !done) {
                    results.add(Measurement.failed(system, workload, run, firstLine(e)));
                }
            }
        } finally {
            dropDatabases();
            if (examples != null) {
                undoDurable();
            }
        }
        return results;
    }

    private Measurement copy(Connection source, Connection destination) throws Exception {
        String format = system == SystemKind.COPY_TEXT ? "text" : "binary";
        CpuSampler.Snapshot cpuStart = env.sampler().snapshot();
        long begin = System.nanoTime();
        long rows = new CopyPipe(source, destination, format).run(data.tables());
        long end = System.nanoTime();
        CpuUsage cpu = env.sampler().since(cpuStart);
        Convergence convergence = new Convergence(source, destination, data.tables(), Optional::empty,
                options.timeout());
        return fullSync(Workload.FULL_SYNC, begin, end, rows, cpu, check(convergence), "");
    }

    private void stream(Connection source, Connection destination, List<Measurement> results) throws Exception {
        Pipeline pipeline = createPipeline();
        try {
            pipeline.prepare();
            Convergence convergence = new Convergence(source, destination, data.tables(), pipeline::failure,
                    options.timeout());
            log.info("{} full sync of {} rows", label, data.rows());
            CpuSampler.Snapshot cpuStart = env.sampler().snapshot();
            long begin = System.nanoTime();
            pipeline.startFullSync();
            Convergence.Converged synced = convergence.awaitAllRows();
            CpuUsage cpu = env.sampler().since(cpuStart);
            String check = check(convergence);
            if (options.workloads().contains(Workload.FULL_SYNC)) {
                results.add(fullSync(Workload.FULL_SYNC, begin, synced.nanos(), data.rows(), cpu, check,
                        synced.note()));
            }
            if (!check.equals(EQUAL)) {
                throw new IllegalStateException("After the full sync the destination differs from the source: "
                        + check);
            }
            ChangeLoad load = new ChangeLoad(env.source(), database, data.accounts(), options.clients(),
                    env.workDir());
            ChangeCounter counter = new ChangeCounter(source, data.tables().get(0));
            try (ProbeRow probe = new ProbeRow(source, destination)) {
                if (options.workloads().contains(Workload.CATCH_UP)) {
                    results.add(catchUp(Workload.CATCH_UP, pipeline, convergence, probe, load, counter));
                }
                if (options.workloads().contains(Workload.LAG)) {
                    results.add(lag(convergence, probe, load, counter));
                }
            }
        } finally {
            tearDown(pipeline);
        }
    }

    /**
     * W1e, then W2e and W4 on the same pipeline: the capture and apply sides set up together in the timed interval
     * (the Kafka pipeline's two connectors, or the publication and the subscription), then the whole pipeline paused
     * while the changes are made, so that resuming it decodes them from the WAL as well as applying them, then the
     * steady load stepped up until the lag is no longer bounded.
     */
    private void streamEndToEnd(Connection source, Connection destination, List<Measurement> results)
            throws Exception {
        Pipeline pipeline = createPipeline();
        try {
            Convergence convergence = new Convergence(source, destination, data.tables(), pipeline::failure,
                    options.timeout());
            log.info("{} end-to-end full sync of {} rows", label, data.rows());
            CpuSampler.Snapshot cpuStart = env.sampler().snapshot();
            long begin = System.nanoTime();
            pipeline.startAll();
            Convergence.Converged synced = convergence.awaitAllRows();
            CpuUsage cpu = env.sampler().since(cpuStart);
            String check = check(convergence);
            if (options.workloads().contains(Workload.FULL_SYNC_END_TO_END)) {
                results.add(fullSync(Workload.FULL_SYNC_END_TO_END, begin, synced.nanos(), data.rows(), cpu, check,
                        synced.note()));
            }
            if (!check.equals(EQUAL)) {
                throw new IllegalStateException("After the full sync the destination differs from the source: "
                        + check);
            }
            boolean catchUp = options.workloads().contains(Workload.CATCH_UP_END_TO_END);
            boolean steadyMax = options.workloads().contains(Workload.STEADY_MAX_END_TO_END);
            if (catchUp || steadyMax) {
                ChangeCounter counter = new ChangeCounter(source, data.tables().get(0));
                try (ProbeRow probe = new ProbeRow(source, destination)) {
                    if (catchUp) {
                        ChangeLoad load = new ChangeLoad(env.source(), database, data.accounts(), options.clients(),
                                env.workDir());
                        results.add(catchUp(Workload.CATCH_UP_END_TO_END, pipeline, convergence, probe, load,
                                counter));
                    }
                    if (steadyMax) {
                        ChangeLoad load = new ChangeLoad(env.source(), database, data.accounts(),
                                options.stepping().clients(), env.workDir());
                        results.add(steadyMax(convergence, probe, load, counter));
                    }
                }
            }
        } finally {
            tearDown(pipeline);
        }
    }

    /** Turns durability off again for W1–W3, logging rather than hiding a failure on its way out. */
    private void undoDurable() {
        try {
            env.durable(false);
        } catch (InterruptedException | RuntimeException e) {
            log.warn("{} could not turn durability off again: {}", label, e.getMessage(), e);
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Tears the pipeline down without hiding the failure that may be on its way out. */
    private void tearDown(Pipeline pipeline) {
        try {
            pipeline.tearDown();
        } catch (Exception e) {
            log.warn("{} could not tear the pipeline down: {}", label, e.getMessage(), e);
        }
    }

    /** W1 or W1e. */
    private Measurement fullSync(Workload workload, long begin, long end, long rows, CpuUsage cpu, String check,
            String note) {
        double seconds = (end - begin) / 1e9;
        Measurement m = new Measurement(system, workload, run, seconds, rows, rows / seconds,
                data.sizeBytes() / 1e6 / seconds, null, cpu, check, note, null);
        log.info("{} {} {}: {} rows in {} s = {} rows/s, {} MB/s; CPU {}; {}", label, workload.code(),
                workload.title(), rows, fmt(seconds), fmt(m.rate()), fmt(m.megabytesPerSecond()), cpu.split(), check);
        return m;
    }

    /**
     * W2: pause the apply side, make the changes, wait until they are queued for it, resume, and time until the
     * destination equals the source. W2e: pause the whole pipeline instead, so the changes stay in the WAL, and
     * resume it.
     */
    private Measurement catchUp(Workload workload, Pipeline pipeline, Convergence convergence, ProbeRow probe,
            ChangeLoad load, ChangeCounter counter) throws Exception {
        boolean endToEnd = workload.endToEnd();
        if (endToEnd) {
            pipeline.pauseAll();
        } else {
            pipeline.pauseApply();
        }
        long before = counter.settled();
        ChangeLoad.Result generated = load.runTransactions(data.transactions());
        long changes = counter.settled() - before;
        long marker = probe.write();
        log.info("{} {}: {} changes made in {} s while {} paused", label, workload.code(), changes,
                fmt(generated.seconds()), endToEnd ? "the pipeline was" : "the apply side was");
        if (!endToEnd) {
            log.info("{} W2: waiting until the changes are queued", label);
            pipeline.awaitQueued();
        }
        CpuSampler.Snapshot cpuStart = env.sampler().snapshot();
        long begin = System.nanoTime();
        if (endToEnd) {
            pipeline.resumeAll();
        } else {
            pipeline.resumeApply();
        }
        Convergence.Converged equal = convergence.awaitEqualAfter(probe, marker);
        CpuUsage cpu = env.sampler().since(cpuStart);
        double seconds = (equal.nanos() - begin) / 1e9;
        String note = String.format(Locale.ROOT, "changes made in %.1f s (%.0f tx/s)%s", generated.seconds(),
                generated.tps(), equal.note().isEmpty() ? "" : "; " + equal.note());
        Measurement m = new Measurement(system, workload, run, seconds, changes, changes / seconds,
                Double.NaN, null, cpu, EQUAL, note, null);
        log.info("{} {} {}: {} changes in {} s = {} changes/s; CPU {}", label, workload.code(), workload.title(),
                changes, fmt(seconds), fmt(m.rate()), cpu.split());
        return m;
    }

    /** W3: a steady load while the lag probe measures; then the destination must equal the source. */
    private Measurement lag(Convergence convergence, ProbeRow probe, ChangeLoad load, ChangeCounter counter)
            throws Exception {
        long before = counter.settled();
        LagProbe lagProbe = new LagProbe(probe);
        CpuSampler.Snapshot cpuStart = env.sampler().snapshot();
        lagProbe.start();
        ChangeLoad.Result generated = load.startSteady(options.lagRate(), options.lagSeconds()).await();
        CpuUsage cpu = env.sampler().since(cpuStart);
        LagStats lag = lagProbe.finish(options.timeout()).stats();
        long changes = counter.settled() - before - lag.samples();
        Convergence.Converged equal = convergence.awaitEqualAfter(probe, lagProbe.lastWritten());
        String note = String.format(Locale.ROOT, "load %.0f of %d tx/s requested, %d probes%s%s", generated.tps(),
                options.lagRate(), lag.samples(), lag.missing() > 0 ? ", " + lag.missing() + " never arrived" : "",
                equal.note().isEmpty() ? "" : "; " + equal.note());
        Measurement m = new Measurement(system, Workload.LAG, run, generated.seconds(), changes,
                changes / generated.seconds(), Double.NaN, lag, cpu, EQUAL, note, null);
        log.info("{} W3 lag at {} changes/s: p50 {} s, p99 {} s, max {} s; CPU {}", label, fmt(m.rate()),
                fmt(lag.p50()), fmt(lag.p99()), fmt(lag.max()), cpu.split());
        return m;
    }

    /**
     * W4: the steady load stepped up ({@link SteadyMaxSearch}) on the pipeline in sync; then the destination must
     * equal the source.
     */
    private Measurement steadyMax(Convergence convergence, ProbeRow probe, ChangeLoad load, ChangeCounter counter)
            throws Exception {
        // After the full sync the capture may not stream yet (pgsync's source switches from its snapshot to the
        // slot), so the first step would measure the start: wait, untimed, until a probe write has come through.
        convergence.awaitProbe(probe, probe.write());
        SteadyMax result = new SteadyMaxSearch(load, probe, counter, env.sampler(), options.stepping(),
                options.timeout(), label).run();
        Convergence.Converged equal = convergence.awaitEqualAfter(probe, probe.write());
        RateStep step = result.representative();
        String note = String.format(Locale.ROOT, "%d steps; ended %s%s", result.steps().size(), result.limit(),
                equal.note().isEmpty() ? "" : "; " + equal.note());
        Measurement m = new Measurement(system, Workload.STEADY_MAX_END_TO_END, run, step.seconds(), step.changes(),
                result.changesPerSecond(), Double.NaN, step.lag(), step.cpu(), EQUAL, note, result);
        log.info("{} W4 {}: {} changes/s ({} tx/s); ended {}", label, Workload.STEADY_MAX_END_TO_END.title(),
                result.changesPerSecond(), result.changesPerSecond() / Dataset.CHANGES_PER_TRANSACTION,
                result.limit());
        return m;
    }

    private Map<String, String> withPgsyncConverters(Map<String, String> config) {
        return ConnectorConfigs.withPgsyncConverters(config, options.converter());
    }

    private Pipeline createPipeline() {
        String slot = "bench_" + database;
        if (examples != null && system == SystemKind.PGSYNC) {
            return new KafkaPipeline(env.connect(), env.source(), database, slot,
                    withOverrides(examples.source(env.source(), database, slot, data.tables()), "source"),
                    withOverrides(examples.sink(env.destination(), database), "sink"));
        }
        return switch (system) {
            case PGSYNC -> new KafkaPipeline(env.connect(), env.source(), database, slot,
                    withOverrides(withPgsyncConverters(ConnectorConfigs.pgsyncSource(env.source(), database, slot,
                            data.tables())), "source"),
                    withOverrides(withPgsyncConverters(ConnectorConfigs.pgsyncSink(env.destination(), database)),
                            "sink"));
            case DEBEZIUM_JDBC -> new KafkaPipeline(env.connect(), env.source(), database, slot,
                    withOverrides(ConnectorConfigs.debeziumSource(env.source(), database, slot, data.tables()),
                            "source"),
                    withOverrides(ConnectorConfigs.debeziumJdbcSink(env.destination(), database, data.tables()),
                            "sink"));
            case LOGICAL_REPLICATION -> new LogicalReplicationPipeline(env.source(), env.destination(), database,
                    data.tables());
            case COPY_TEXT, COPY_BINARY -> throw new IllegalArgumentException(system.cliName() + " does not stream");
        };
    }

    private Map<String, String> withOverrides(Map<String, String> config, String side) {
        Map<String, String> merged = new HashMap<>(config);
        merged.putAll(options.overridesFor(system, side));
        return merged;
    }

    private static String check(Convergence convergence) throws Exception {
        List<String> differences = convergence.differences();
        return differences.isEmpty() ? EQUAL : String.join("; ", differences);
    }

    private void dropDatabases() {
        try {
            Dataset.drop(env.destination(), database);
            Dataset.drop(env.source(), database);
        } catch (RuntimeException e) {
            log.warn("{} could not drop database {}: {}", label, database, e.getMessage());
        }
    }

    private static String firstLine(Exception e) {
        String message = e.getMessage() == null ? e.toString() : e.getMessage();
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }

    static String fmt(double value) {
        return String.format(Locale.ROOT, value >= 100 ? "%.0f" : "%.2f", value);
    }
}
