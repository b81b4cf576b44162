package io.pgsync.bench;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Where the CPU went during a measured interval, in cores (CPU seconds per wall second).
 *
 * @param jvm the benchmark JVM: Kafka broker, Connect worker, connectors, and the harness's own probes
 * @param sourcePostgres every process of the source cluster, including backends that exited meanwhile
 * @param destinationPostgres every process of the destination cluster
 * @param loadGenerator pgbench, and any other child process of the JVM that exited in the interval
 * @param machine all busy CPU of the machine (from /proc/stat), including other work on it
 * @param cores CPUs of the machine
 * @param top the busiest single threads and processes, busiest first
 * @param jvmGroups the JVM's CPU by pipeline stage ({@link CpuSampler#threadGroup}), busiest first; they add up to
 *     {@code jvm}, with what no live thread accounts for (threads that ended in the interval) as
 *     {@value CpuSampler#UNATTRIBUTED}
 */
record CpuUsage(double jvm, double sourcePostgres, double destinationPostgres, double loadGenerator, double machine,
        int cores, List<Consumer> top, List<Consumer> jvmGroups) {

    /**
     * Threads or processes of one name and the cores they used.
     *
     * @param count how many threads or processes had this name
     * @param cores their cores together
     * @param busiestSingle the cores of the busiest one of them
     */
    record Consumer(String name, int count, double cores, double busiestSingle) {

        @Override
        public String toString() {
            String times = count > 1 ? " ×" + count : "";
            return String.format(Locale.ROOT, "%s%s %.2f", name, times, cores);
        }
    }

    /** A thread or process this busy is taken to be the bottleneck: it has one core at most. */
    static final double SATURATED_CORES = 0.85;

    /** The share of all cores above which the machine itself is the limit. */
    static final double MACHINE_SATURATED = 0.9;

    CpuUsage {
        top = List.copyOf(top);
        jvmGroups = List.copyOf(jvmGroups);
    }

    /**
     * What limited the interval, judged from the CPU figures alone: the whole machine (at least
     * {@value #MACHINE_SATURATED} of all cores busy), and/or one thread or process at one core (at least
     * {@value #SATURATED_CORES}); otherwise no CPU limit, naming the busiest.
     */
    String verdict() {
        List<String> limits = new ArrayList<>();
        if (machine >= MACHINE_SATURATED * cores) {
            limits.add(String.format(Locale.ROOT, "machine CPU (%.1f of %d cores)", machine, cores));
        }
        top.stream().max(Comparator.comparingDouble(Consumer::busiestSingle))
                .filter(single -> single.busiestSingle() >= SATURATED_CORES)
                .ifPresent(single -> limits.add(String.format(Locale.ROOT, "one core: %s (%.2f)", single.name(),
                        single.busiestSingle())));
        if (limits.isEmpty()) {
            return "no CPU limit; busiest: " + (top.isEmpty() ? "nothing" : top.get(0));
        }
        if (limits.size() == 1 && !top.isEmpty() && top.get(0).busiestSingle() < SATURATED_CORES) {
            limits.add("busiest: " + top.get(0));
        }
        return String.join("; ", limits);
    }

    /** Busy CPU of the machine outside the measured processes: other work on the machine, the kernel. */
    double other() {
        return Math.max(0, machine - jvm - sourcePostgres - destinationPostgres - loadGenerator);
    }

    /** JVM / source PG / destination PG / load generator / other / machine, in cores. */
    String split() {
        return String.format(Locale.ROOT, "%.2f / %.2f / %.2f / %.2f / %.2f / %.2f", jvm, sourcePostgres,
                destinationPostgres, loadGenerator, other(), machine);
    }

    String topList() {
        return top.stream().map(Consumer::toString).collect(Collectors.joining(", "));
    }
}
