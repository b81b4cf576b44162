package io.pgsync.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The benchmark's options, parsed from its command line (Maven passes {@code -Dbench.args} as one argument, so every
 * argument is split on whitespace first).
 *
 * @param scale fraction of the full data and change counts: 1 = 1,000,000 accounts, 200,000 items, 300,000 changes
 * @param systems the systems to measure, in this order within each run
 * @param workloads the workloads to time; a streaming system always does the initial sync, timed or not
 * @param runs how many times every system runs every workload
 * @param lagSeconds how long the W3 load runs
 * @param lagRate W3 load in transactions per second (10 row changes each)
 * @param clients pgbench client connections for W2 and W3
 * @param stepping W4's steps
 * @param timeout how long any wait for the destination may take before the run counts as failed
 * @param warmUp whether each Kafka pipeline first syncs a small data set, unmeasured, so that no system pays for
 *     the JVM's warm-up (class loading, JIT) of the Kafka broker and Connect worker they share
 * @param converter the Connect worker's key and value converters, which both Kafka pipelines use
 * @param overrides connector settings per {@code <system>.<source|sink>}, applied over the harness's own
 * @param arguments the arguments as given, for the report
 */
record BenchmarkOptions(double scale, List<SystemKind> systems, Set<Workload> workloads, int runs, int lagSeconds,
        int lagRate, int clients, Stepping stepping, Duration timeout, boolean warmUp, ConverterKind converter,
        Map<String, Map<String, String>> overrides, String arguments) {

    /**
     * W4's steps, in pgbench transactions per second (10 row changes each): {@code startTps}, then {@code stepTps}
     * more each step, each for {@code stepSeconds}, up to {@code maxTps}, from {@code clients} pgbench clients; e.g.
     * 500, 1000, 1500, ... with the defaults.
     */
    record Stepping(int startTps, int stepTps, int stepSeconds, int maxTps, int clients) {

        Stepping {
            if (maxTps < startTps) {
                throw new IllegalArgumentException("--w4-max-tps (" + maxTps + ") must be at least --w4-start-tps ("
                        + startTps + ")");
            }
        }
    }

    static final String USAGE = """
            Options (pass as -Dbench.args='...'):
              --scale X          fraction of the full size (default 1: 1,000,000 accounts + 200,000 items,
                                 300,000 W2 changes); e.g. 0.02 for a smoke run
              --systems LIST     comma-separated: pgsync, debezium-jdbc, logical-replication (lr), copy-text,
                                 copy-binary, copy (both), all (default all)
              --workloads LIST   comma-separated: W1, W2, W3, W1e, W2e, W4 (default W1,W2,W3); W1e, W2e and W4
                                 (end to end, example settings, fsync on) for pgsync and logical-replication
              --runs N           runs of every system (default 3; publish with at least 2)
              --w3-seconds S     duration of the W3 load (default 60)
              --w3-tps R         W3 load in transactions/s, 10 row changes each (default 1000)
              --w4-start-tps R   W4's first step in transactions/s, 10 row changes each (default 500)
              --w4-step-tps R    W4's increase per step in transactions/s (default 500)
              --w4-seconds S     duration of each W4 step (default 20)
              --w4-max-tps R     W4's last step at most, in transactions/s (default 20000)
              --w4-clients C     pgbench clients for W4 (default 16)
              --clients C        pgbench clients for W2 and W3 (default 4)
              --timeout-minutes M  longest wait for a destination before the run fails (default 30)
              --warmup on|off    sync a small data set through each Kafka pipeline first, unmeasured (default on)
              --converter json|avro  converters of both Kafka pipelines: JSON with schemas, or Avro in the
                                 Confluent wire format through a schema registry started for the run (default json)
              --set SYSTEM.SIDE.KEY=VALUE  a connector setting over the harness's own, e.g.
                                 --set pgsync.sink.consumer.override.max.poll.records=2000 (SIDE: source or sink)
            """;

    BenchmarkOptions {
        systems = List.copyOf(systems);
        workloads = Collections.unmodifiableSet(EnumSet.copyOf(workloads));
        Map<String, Map<String, String>> copy = new LinkedHashMap<>();
        overrides.forEach((target, settings) -> copy.put(target, Map.copyOf(settings)));
        overrides = Collections.unmodifiableMap(copy);
    }

    /** The options of the unmeasured warm-up: W1 and W2 only. */
    BenchmarkOptions forWarmUp() {
        return new BenchmarkOptions(scale, systems, EnumSet.of(Workload.FULL_SYNC, Workload.CATCH_UP), 1, lagSeconds,
                lagRate, clients, stepping, timeout, false, converter, overrides, arguments);
    }

    /** The settings given with {@code --set} for one connector, e.g. {@code pgsync} and {@code sink}. */
    Map<String, String> overridesFor(SystemKind system, String side) {
        return overrides.getOrDefault(system.cliName() + "." + side, Map.of());
    }

    static BenchmarkOptions parse(String[] args) {
        List<String> tokens = new ArrayList<>();
        for (String arg : args) {
            Arrays.stream(arg.strip().split("\\s+")).filter(token -> !token.isEmpty()).forEach(tokens::add);
        }
        double scale = 1.0;
        List<SystemKind> systems = List.of(SystemKind.values());
        Set<Workload> workloads = EnumSet.of(Workload.FULL_SYNC, Workload.CATCH_UP, Workload.LAG);
        int runs = 3;
        int lagSeconds = 60;
        int lagRate = 1000;
        int clients = 4;
        int stepStartTps = 500;
        int stepTps = 500;
        int stepSeconds = 20;
        int stepMaxTps = 20000;
        int stepClients = 16;
        long timeoutMinutes = 30;
        boolean warmUp = true;
        ConverterKind converter = ConverterKind.JSON;
        Map<String, Map<String, String>> overrides = new LinkedHashMap<>();
        for (int i = 0; i < tokens.size(); i++) {
            String option = tokens.get(i);
            if (option.equals("--help") || option.equals("-h")) {
                throw new IllegalArgumentException(USAGE);
            }
            if (i + 1 >= tokens.size()) {
                throw new IllegalArgumentException("Option " + option + " needs a value");
            }
            String value = tokens.get(++i);
            switch (option) {
                case "--scale" -> scale = positiveDouble(option, value);
                case "--systems" -> systems = SystemKind.parseList(value);
                case "--workloads" -> workloads = parseWorkloads(value);
                case "--runs" -> runs = positiveInt(option, value);
                case "--w3-seconds" -> lagSeconds = positiveInt(option, value);
                case "--w3-tps" -> lagRate = positiveInt(option, value);
                case "--w4-start-tps" -> stepStartTps = positiveInt(option, value);
                case "--w4-step-tps" -> stepTps = positiveInt(option, value);
                case "--w4-seconds" -> stepSeconds = positiveInt(option, value);
                case "--w4-max-tps" -> stepMaxTps = positiveInt(option, value);
                case "--w4-clients" -> stepClients = positiveInt(option, value);
                case "--clients" -> clients = positiveInt(option, value);
                case "--timeout-minutes" -> timeoutMinutes = positiveInt(option, value);
                case "--warmup" -> warmUp = onOff(option, value);
                case "--converter" -> converter = ConverterKind.parse(value);
                case "--set" -> addOverride(overrides, value);
                default -> throw new IllegalArgumentException("Unknown option " + option);
            }
        }
        if (scale > 1.0) {
            throw new IllegalArgumentException("--scale must be at most 1 (the full size), not " + scale);
        }
        return new BenchmarkOptions(scale, systems, workloads, runs, lagSeconds, lagRate, clients,
                new Stepping(stepStartTps, stepTps, stepSeconds, stepMaxTps, stepClients),
                Duration.ofMinutes(timeoutMinutes), warmUp, converter, overrides, String.join(" ", tokens));
    }

    private static Set<Workload> parseWorkloads(String value) {
        Set<Workload> workloads = EnumSet.noneOf(Workload.class);
        for (String part : value.split(",")) {
            if (!part.isBlank()) {
                workloads.add(Workload.parse(part));
            }
        }
        if (workloads.isEmpty()) {
            throw new IllegalArgumentException("No workload named in '" + value + "'");
        }
        return workloads;
    }

    private static void addOverride(Map<String, Map<String, String>> overrides, String value) {
        int equals = value.indexOf('=');
        String[] target = equals < 0 ? new String[0] : value.substring(0, equals).split("\\.", 3);
        if (target.length < 3 || !(target[1].equals("source") || target[1].equals("sink"))) {
            throw new IllegalArgumentException("--set " + value + ": expected SYSTEM.SIDE.KEY=VALUE with SIDE source "
                    + "or sink, e.g. pgsync.sink.consumer.override.max.poll.records=2000");
        }
        SystemKind system = SystemKind.parseList(target[0]).get(0);
        if (!system.usesKafka()) {
            throw new IllegalArgumentException("--set " + value + ": " + system.cliName() + " has no connectors");
        }
        overrides.computeIfAbsent(system.cliName() + "." + target[1], key -> new LinkedHashMap<>())
                .put(target[2], value.substring(equals + 1));
    }

    private static boolean onOff(String option, String value) {
        return switch (value) {
            case "on" -> true;
            case "off" -> false;
            default -> throw new IllegalArgumentException(option + " needs on or off, not '" + value + "'");
        };
    }

    private static double positiveDouble(String option, String value) {
        try {
            double number = Double.parseDouble(value);
            if (number > 0) {
                return number;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(option + " needs a positive number, not '" + value + "'");
    }

    private static int positiveInt(String option, String value) {
        try {
            int number = Integer.parseInt(value);
            if (number > 0) {
                return number;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(option + " needs a positive whole number, not '" + value + "'");
    }
}
