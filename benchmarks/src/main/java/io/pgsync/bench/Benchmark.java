package io.pgsync.bench;

import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Entry point: measures full sync (W1), catch-up (W2) and lag under load (W3) of pgsync and of the alternatives, and
 * on request full sync, catch-up and the highest steady rate end to end (W1e, W2e, W4), on one machine, in one run,
 * on the same data, and writes a markdown results table. Run through Maven:
 * {@code mvn -B -Pbench -pl benchmarks -am verify -DskipTests -Dbench.args='--scale 0.02'}; options in
 * {@link BenchmarkOptions#USAGE}.
 */
public final class Benchmark {

    private static final Logger log = LoggerFactory.getLogger(Benchmark.class);
    private static final double WARM_UP_SCALE = 0.05;
    /**
     * The warm-up's W2 changes, relative to the full W2: a quarter, so that the JIT has compiled the apply path
     * before the first measured run (with 5%, pgsync's first W2 run still spent 0.4 core on JIT compiler threads).
     */
    private static final double WARM_UP_CHANGE_SCALE = 0.25;
    private static final int WARM_UP_ROUNDS = 2;

    private Benchmark() {
    }

    public static void main(String[] args) {
        BenchmarkOptions options;
        try {
            options = BenchmarkOptions.parse(args);
        } catch (IllegalArgumentException e) {
            boolean help = BenchmarkOptions.USAGE.equals(e.getMessage());
            System.err.println(help ? BenchmarkOptions.USAGE : e.getMessage() + "\n" + BenchmarkOptions.USAGE);
            System.exit(help ? 0 : 2);
            return;
        }
        int status;
        try {
            run(options);
            status = 0;
        } catch (Exception e) {
            log.error("The benchmark failed", e);
            status = 1;
        }
        // The embedded Kafka and Connect leave non-daemon threads behind.
        System.exit(status);
    }

    private static void run(BenchmarkOptions options) throws Exception {
        Path pluginPath = Path.of(System.getProperty("bench.plugin.path", "target/plugins"));
        Path resultsDir = Path.of(System.getProperty("bench.results.dir", "results"));
        Path root = Path.of(System.getProperty("bench.root", ".."));
        ZonedDateTime started = ZonedDateTime.now(ZoneOffset.UTC);
        boolean kafka = options.systems().stream().anyMatch(SystemKind::usesKafka);
        Dataset data = new Dataset("bench_template", options.scale());
        List<Measurement> measurements = new ArrayList<>();
        ConnectorConfigs.Examples examples = options.workloads().stream().anyMatch(Workload::endToEnd)
                ? ConnectorConfigs.Examples.read(root.resolve("config-examples")) : null;
        try (BenchEnvironment env = BenchEnvironment.start(kafka, options.converter(), pluginPath)) {
            List<String> provenance = Provenance.describe(env.source(), pluginPath, root, options.converter());
            if (kafka && options.warmUp()) {
                warmUp(env, options);
            }
            data.createTemplate(env.source());
            for (int run = 1; run <= options.runs(); run++) {
                for (SystemKind system : inRunOrder(options.systems(), run)) {
                    if (SystemRun.applies(options, system, false)) {
                        measurements.addAll(new SystemRun(env, data, options, system, run).execute());
                    }
                    if (SystemRun.applies(options, system, true)) {
                        measurements.addAll(SystemRun.endToEnd(env, data, options, system, run, examples).execute());
                    }
                }
            }
            ResultsReport report = new ResultsReport(options, data, provenance, measurements, started,
                    Provenance.loadAverage());
            String markdown = report.render();
            Path file = report.write(resultsDir, markdown);
            System.out.println();
            System.out.println(markdown);
            log.info("Results written to {}", file.toAbsolutePath().normalize());
        }
    }

    /**
     * Syncs a small data set through each Kafka pipeline, {@value #WARM_UP_ROUNDS} times, and throws the measurements
     * away. One round was not enough: the first measured pgsync run still spent 0.23 core on JIT compiler threads,
     * recompiling what the switch from the full sync's code paths to the catch-up's had deoptimized.
     */
    private static void warmUp(BenchEnvironment env, BenchmarkOptions options) {
        Dataset small = new Dataset("bench_warmup_template", WARM_UP_SCALE, WARM_UP_CHANGE_SCALE);
        small.createTemplate(env.source());
        for (int round = 1; round <= WARM_UP_ROUNDS; round++) {
            for (SystemKind system : options.systems()) {
                if (system.usesKafka()) {
                    log.info("Warming up with {} ({} rows, round {} of {}, not measured)", system.cliName(),
                            small.rows(), round, WARM_UP_ROUNDS);
                    List<Measurement> discarded = new SystemRun(env, small, options.forWarmUp(), system, -round)
                            .execute();
                    discarded.stream().filter(m -> !m.succeeded()).forEach(m -> log.warn("Warm-up with {} failed: {}",
                            system.cliName(), m.note()));
                }
            }
        }
        Dataset.drop(env.source(), "bench_warmup_template");
    }

    /**
     * The systems in the order of run {@code run}: rotated by one per run, so that no system always runs first
     * (right after the warm-up) or always follows the same one.
     */
    static List<SystemKind> inRunOrder(List<SystemKind> systems, int run) {
        List<SystemKind> order = new ArrayList<>(systems);
        Collections.rotate(order, -((run - 1) % order.size()));
        return order;
    }
}
