package io.pgsync.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;

/** Renders the measurements as a markdown report (summary over runs, then every run) and writes it. */
final class ResultsReport {

    private final BenchmarkOptions options;
    private final Dataset data;
    private final List<String> provenance;
    private final List<Measurement> measurements;
    private final ZonedDateTime started;
    private final String endLoadAverage;

    ResultsReport(BenchmarkOptions options, Dataset data, List<String> provenance, List<Measurement> measurements,
            ZonedDateTime started, String endLoadAverage) {
        this.options = options;
        this.data = data;
        this.provenance = List.copyOf(provenance);
        this.measurements = List.copyOf(measurements);
        this.started = started;
        this.endLoadAverage = endLoadAverage;
    }

    String render() {
        StringBuilder out = new StringBuilder();
        out.append("# pgsync-connect benchmark, ")
                .append(started.format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'", Locale.ROOT)))
                .append("\n\n");
        if (options.scale() < 1.0) {
            out.append("**Scaled run (--scale ").append(options.scale())
                    .append("): a smoke test of the harness, not a result to publish.**\n\n");
        }
        out.append("Command: `mvn -B -Pbench -pl ")
                .append(options.converter() == ConverterKind.AVRO ? "schema-registry,benchmarks" : "benchmarks")
                .append(" -am verify -DskipTests")
                .append(options.arguments().isEmpty() ? "" : " -Dbench.args='" + options.arguments() + "'")
                .append("`\n\n");
        out.append(String.format(Locale.ROOT, "- Data: accounts %,d rows + 1 probe row, items %,d rows "
                + "(%,d rows, %.1f MB by pg_total_relation_size); W2 %,d transactions of %d row changes; "
                + "W3 %d transactions/s (%,d row changes/s) for %d s, %d pgbench clients\n",
                data.accounts(), data.items(), data.rows(), data.sizeBytes() / 1e6, data.transactions(),
                Dataset.CHANGES_PER_TRANSACTION, options.lagRate(),
                options.lagRate() * Dataset.CHANGES_PER_TRANSACTION, options.lagSeconds(), options.clients()));
        if (options.workloads().contains(Workload.STEADY_MAX_END_TO_END)) {
            BenchmarkOptions.Stepping stepping = options.stepping();
            out.append(String.format(Locale.ROOT, "- W4 steps: from %d transactions/s, %d more each step, %d s each, "
                    + "up to %d transactions/s, %d pgbench clients\n", stepping.startTps(), stepping.stepTps(),
                    stepping.stepSeconds(), stepping.maxTps(), stepping.clients()));
        }
        provenance.forEach(line -> out.append(line).append('\n'));
        out.append("- Load average at end: ").append(endLoadAverage).append('\n');
        out.append("- Runs: ").append(options.runs()).append(" of every system; each cell is the median, the "
                + "range over runs in brackets. How it is measured: benchmarks/README.md.\n\n");
        if (options.workloads().stream().anyMatch(w -> !w.endToEnd())) {
            summary(out);
        }
        if (options.workloads().stream().anyMatch(Workload::endToEnd)) {
            endToEnd(out);
        }
        limits(out);
        details(out);
        return out.toString();
    }

    /**
     * Writes the report to {@code <dir>/<date>.md}, {@code <date>-scale<s>.md} for a scaled run, with {@code -avro}
     * before {@code .md} for a run with Avro converters.
     */
    Path write(Path dir, String report) throws IOException {
        Files.createDirectories(dir);
        String base = started.format(DateTimeFormatter.ofPattern("yyyy-MM-dd", Locale.ROOT))
                + (options.scale() < 1.0 ? "-scale" + options.scale() : "") + options.converter().fileSuffix();
        Path file = dir.resolve(base + ".md");
        for (int i = 2; Files.exists(file); i++) {
            file = dir.resolve(base + "-" + i + ".md");
        }
        Files.writeString(file, report, StandardCharsets.UTF_8);
        return file;
    }

    private void summary(StringBuilder out) {
        out.append("## Summary\n\n");
        out.append("| system | W1 full sync rows/s | W1 MB/s | W1 seconds | W2 catch-up changes/s | W2 seconds "
                + "| W3 lag p50 / p99 (s) | W3 changes/s |\n");
        out.append("|---|---|---|---|---|---|---|---|\n");
        for (SystemKind system : options.systems()) {
            List<Measurement> w1 = successful(system, Workload.FULL_SYNC);
            List<Measurement> w2 = successful(system, Workload.CATCH_UP);
            List<Measurement> w3 = successful(system, Workload.LAG);
            out.append("| ").append(system.cliName())
                    .append(" | ").append(cell(system, Workload.FULL_SYNC, w1, Measurement::rate, true))
                    .append(" | ").append(cell(system, Workload.FULL_SYNC, w1, Measurement::megabytesPerSecond, false))
                    .append(" | ").append(cell(system, Workload.FULL_SYNC, w1, Measurement::seconds, false))
                    .append(" | ").append(cell(system, Workload.CATCH_UP, w2, Measurement::rate, true))
                    .append(" | ").append(cell(system, Workload.CATCH_UP, w2, Measurement::seconds, false))
                    .append(" | ").append(lagCell(system, w3))
                    .append(" | ").append(cell(system, Workload.LAG, w3, Measurement::rate, true))
                    .append(" |\n");
        }
        out.append('\n');
        for (SystemKind system : options.systems()) {
            out.append("- ").append(system.cliName()).append(": ").append(system.label()).append('\n');
        }
        out.append('\n');
    }

    /**
     * W1e, W2e and W4: rates, the ratio pgsync / logical replication, what ended each W4 run, and CPU per row or
     * change of each process.
     */
    private void endToEnd(StringBuilder out) {
        out.append("## End to end (W1e, W2e, W4)\n\n");
        out.append("pgsync with the connector settings of config-examples/source-connector.json and "
                + "sink-connector.json; both clusters with fsync, synchronous_commit and full_page_writes on. W1e: "
                + "both sides set up in the timed interval. W2e: the whole pipeline paused (both connectors, or the "
                + "subscription) while the changes are made, so the timed catch-up also decodes the WAL backlog. W4: "
                + "the highest steady rate of the steps that passed: pgbench reached at least ")
                .append(Math.round(RateStep.ACHIEVED_SHARE * 100)).append("% of the rate, lag p99 at most ")
                .append(String.format(Locale.ROOT, "%.0f s and growing at most %.1f s over the step",
                        RateStep.LAG_BOUND_SECONDS, RateStep.GROWTH_BOUND_SECONDS))
                .append(" (0 when the first step failed).\n\n");
        out.append("| system | W1e full sync rows/s | W1e seconds | W2e catch-up changes/s | W2e seconds "
                + "| W4 highest steady changes/s |\n");
        out.append("|---|---|---|---|---|---|\n");
        List<SystemKind> systems = options.systems().stream()
                .filter(system -> system.supports(Workload.FULL_SYNC_END_TO_END)).toList();
        for (SystemKind system : systems) {
            List<Measurement> w1 = successful(system, Workload.FULL_SYNC_END_TO_END);
            List<Measurement> w2 = successful(system, Workload.CATCH_UP_END_TO_END);
            out.append("| ").append(system.cliName())
                    .append(" | ").append(cell(system, Workload.FULL_SYNC_END_TO_END, w1, Measurement::rate, true))
                    .append(" | ").append(cell(system, Workload.FULL_SYNC_END_TO_END, w1, Measurement::seconds, false))
                    .append(" | ").append(cell(system, Workload.CATCH_UP_END_TO_END, w2, Measurement::rate, true))
                    .append(" | ").append(cell(system, Workload.CATCH_UP_END_TO_END, w2, Measurement::seconds, false))
                    .append(" | ").append(steadyMaxCell(system))
                    .append(" |\n");
        }
        if (systems.contains(SystemKind.PGSYNC) && systems.contains(SystemKind.LOGICAL_REPLICATION)) {
            out.append("| pgsync / logical-replication (medians) | ").append(ratio(Workload.FULL_SYNC_END_TO_END))
                    .append(" | | ").append(ratio(Workload.CATCH_UP_END_TO_END)).append(" | | ")
                    .append(ratio(Workload.STEADY_MAX_END_TO_END))
                    .append(sourceLimitedRuns(SystemKind.PGSYNC) + sourceLimitedRuns(SystemKind.LOGICAL_REPLICATION) > 0
                            ? " (a source-capped rate in it)" : "").append(" |\n");
        }
        out.append('\n');
        steadyMaxLimits(out, systems);
        out.append("### CPU per row (W1e) or change (W2e, W4)\n\n");
        out.append("CPU microseconds per row or change over the timed interval (W4: the highest passing step's, or "
                + "the first step's when none passed), median over runs: the benchmark JVM "
                + "(Kafka broker, Connect worker, connectors, the harness's probes), each PostgreSQL cluster, the "
                + "three together, the whole machine, and the JVM by thread group (\"")
                .append(CpuSampler.UNATTRIBUTED).append("\": threads that ended in the interval, such as pgsync's "
                        + "full-sync reader).\n\n");
        out.append("| system | workload | JVM | source PostgreSQL | destination PostgreSQL | together | machine "
                + "| JVM by thread group |\n|---|---|---|---|---|---|---|---|\n");
        for (SystemKind system : systems) {
            for (Workload workload : List.of(Workload.FULL_SYNC_END_TO_END, Workload.CATCH_UP_END_TO_END,
                    Workload.STEADY_MAX_END_TO_END)) {
                List<Measurement> runs = successful(system, workload);
                if (runs.isEmpty()) {
                    continue;
                }
                out.append("| ").append(system.cliName()).append(" | ").append(workload.code())
                        .append(" | ").append(micros(runs, m -> m.cpu().jvm()))
                        .append(" | ").append(micros(runs, m -> m.cpu().sourcePostgres()))
                        .append(" | ").append(micros(runs, m -> m.cpu().destinationPostgres()))
                        .append(" | ").append(micros(runs, m -> m.cpu().jvm() + m.cpu().sourcePostgres()
                                + m.cpu().destinationPostgres()))
                        .append(" | ").append(micros(runs, m -> m.cpu().machine()))
                        .append(" | ").append(threadGroups(runs)).append(" |\n");
            }
        }
        out.append('\n');
    }

    /** The W4 cell, saying in how many runs the source load generator, not the pipeline, capped the rate. */
    private String steadyMaxCell(SystemKind system) {
        String cell = cell(system, Workload.STEADY_MAX_END_TO_END, successful(system, Workload.STEADY_MAX_END_TO_END),
                Measurement::rate, true);
        long capped = sourceLimitedRuns(system);
        return capped == 0 ? cell : cell + ", capped by the source load generator in " + capped + " run(s)";
    }

    private long sourceLimitedRuns(SystemKind system) {
        return successful(system, Workload.STEADY_MAX_END_TO_END).stream()
                .filter(m -> m.steadyMax().sourceLimited()).count();
    }

    /**
     * W4: what ended each run's stepping, the failed step's reasons and CPU. When only pgbench fell short, the source
     * side capped the result, which is then a lower bound on what the pipeline takes.
     */
    private void steadyMaxLimits(StringBuilder out, List<SystemKind> systems) {
        List<Measurement> runs = measurements.stream()
                .filter(m -> m.workload() == Workload.STEADY_MAX_END_TO_END && systems.contains(m.system()))
                .filter(Measurement::valid).toList();
        if (runs.isEmpty()) {
            return;
        }
        out.append("What ended W4 (the steps are under Every run):\n\n");
        for (Measurement m : runs) {
            out.append("- ").append(m.system().cliName()).append(" run ").append(m.run()).append(": ")
                    .append(m.steadyMax().sourceLimited() ? "limited by the source load generator, not the "
                            + "pipeline: " : "")
                    .append(escape(m.steadyMax().limit())).append('\n');
        }
        out.append('\n');
    }

    /** The median rate of pgsync over that of logical replication, e.g. "0.37×". */
    private String ratio(Workload workload) {
        double pgsync = Stats.median(successful(SystemKind.PGSYNC, workload).stream()
                .mapToDouble(Measurement::rate).toArray());
        double replication = Stats.median(successful(SystemKind.LOGICAL_REPLICATION, workload).stream()
                .mapToDouble(Measurement::rate).toArray());
        return Double.isNaN(pgsync) || !(replication > 0) ? "–"
                : String.format(Locale.ROOT, "%.2f×", pgsync / replication);
    }

    /** Median over runs of the CPU µs per row or change of what used {@code cores}. */
    private static String micros(List<Measurement> runs, ToDoubleFunction<Measurement> cores) {
        return String.format(Locale.ROOT, "%.1f",
                Stats.median(runs.stream().mapToDouble(m -> m.microsPerUnit(cores.applyAsDouble(m))).toArray()));
    }

    /** The JVM's thread groups with their median µs per row or change (0 in a run without them), busiest first. */
    private static String threadGroups(List<Measurement> runs) {
        Map<String, double[]> perRun = new LinkedHashMap<>();
        for (int i = 0; i < runs.size(); i++) {
            Measurement m = runs.get(i);
            for (CpuUsage.Consumer group : m.cpu().jvmGroups()) {
                perRun.computeIfAbsent(group.name(), name -> new double[runs.size()])[i] =
                        m.microsPerUnit(group.cores());
            }
        }
        return perRun.entrySet().stream()
                .map(e -> Map.entry(e.getKey(), Stats.median(e.getValue())))
                .filter(e -> e.getValue() >= 0.05)
                .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                .map(e -> String.format(Locale.ROOT, "%s %.1f", e.getKey(), e.getValue()))
                .collect(Collectors.joining(", "));
    }

    private void limits(StringBuilder out) {
        out.append("## What limited each (median run)\n\n");
        out.append("CPU in cores over the timed interval: JVM (Kafka, Connect, connectors, probes) / source "
                + "PostgreSQL / destination PostgreSQL / pgbench / other (the rest of the machine's busy time: "
                + "other work on it, the kernel) / whole machine. \"one core\" means a single thread or process "
                + "was at least ").append(CpuUsage.SATURATED_CORES).append(" core busy.\n\n");
        out.append("| system | workload | CPU cores | limit |\n|---|---|---|---|\n");
        for (SystemKind system : options.systems()) {
            for (Workload workload : Workload.values()) {
                List<Measurement> runs = successful(system, workload);
                if (runs.isEmpty()) {
                    continue;
                }
                Measurement median = runs.stream()
                        .sorted(Comparator.comparingDouble(Measurement::seconds)).toList().get((runs.size() - 1) / 2);
                out.append("| ").append(system.cliName()).append(" | ").append(workload.code()).append(' ')
                        .append(workload.title()).append(" | ").append(median.cpu().split()).append(" | ")
                        .append(median.cpu().verdict()).append(" |\n");
            }
        }
        out.append('\n');
    }

    private void details(StringBuilder out) {
        out.append("## Every run\n\n");
        out.append("| system | workload | run | seconds | result | CPU cores | busiest | check | note |\n");
        out.append("|---|---|---|---|---|---|---|---|---|\n");
        for (Measurement m : measurements) {
            out.append("| ").append(m.system().cliName()).append(" | ").append(m.workload().code()).append(" | ")
                    .append(m.run()).append(" | ")
                    .append(m.succeeded() ? String.format(Locale.ROOT, "%.2f", m.seconds()) : "–").append(" | ")
                    .append(result(m)).append(" | ")
                    .append(m.succeeded() ? m.cpu().split() : "–").append(" | ")
                    .append(m.succeeded() ? m.cpu().topList() : "–").append(" | ")
                    .append(escape(m.check())).append(" | ")
                    .append(escape(m.note())).append(" |\n");
        }
        out.append('\n');
        for (Measurement m : measurements) {
            if (m.steadyMax() != null) {
                steps(out, m);
            }
        }
    }

    /** One W4 run's steps, in order. */
    private static void steps(StringBuilder out, Measurement m) {
        out.append("### W4 steps, ").append(m.system().cliName()).append(" run ").append(m.run()).append("\n\n");
        out.append("| requested tx/s | requested changes/s | achieved tx/s | lag p50 / p99 / max (s) | lag growth (s) "
                + "| CPU cores | result |\n|---|---|---|---|---|---|---|\n");
        for (RateStep step : m.steadyMax().steps()) {
            out.append(String.format(Locale.ROOT, "| %d | %s | %.0f | %.3f / %.3f / %.3f | %.3f | %s | %s |\n",
                    step.requestedTps(), compact(step.requestedChangesPerSecond()), step.achievedTps(),
                    step.lag().p50(), step.lag().p99(), step.lag().max(), step.growth(), step.cpu().split(),
                    step.passed() ? "passed" : "failed: " + escape(String.join("; ", step.failures()))));
        }
        out.append('\n');
    }

    private static String result(Measurement m) {
        if (!m.succeeded()) {
            return "failed";
        }
        return switch (m.workload()) {
            case FULL_SYNC, FULL_SYNC_END_TO_END -> String.format(Locale.ROOT, "%,d rows, %s rows/s, %.1f MB/s",
                    m.units(), compact(m.rate()), m.megabytesPerSecond());
            case CATCH_UP, CATCH_UP_END_TO_END -> String.format(Locale.ROOT, "%,d changes, %s changes/s",
                    m.units(), compact(m.rate()));
            case LAG -> String.format(Locale.ROOT, "lag p50 %.3f s, p99 %.3f s, max %.3f s at %s changes/s",
                    m.lag().p50(), m.lag().p99(), m.lag().max(), compact(m.rate()));
            case STEADY_MAX_END_TO_END -> String.format(Locale.ROOT, "highest steady %s changes/s (%d tx/s), "
                    + "lag there p50 %.3f s, p99 %.3f s", compact(m.rate()),
                    Math.round(m.rate() / Dataset.CHANGES_PER_TRANSACTION), m.lag().p50(), m.lag().p99());
        };
    }

    private List<Measurement> successful(SystemKind system, Workload workload) {
        return measurements.stream().filter(m -> m.system() == system && m.workload() == workload)
                .filter(Measurement::valid).toList();
    }

    private String cell(SystemKind system, Workload workload, List<Measurement> runs,
            ToDoubleFunction<Measurement> metric, boolean compactNumbers) {
        if (!system.supports(workload) || !options.workloads().contains(workload)) {
            return "–";
        }
        long failed = measurements.stream().filter(m -> m.system() == system && m.workload() == workload)
                .filter(m -> !m.valid()).count();
        if (runs.isEmpty()) {
            return failed > 0 ? "failed (see every run)" : "–";
        }
        double[] values = runs.stream().mapToDouble(metric).toArray();
        String median = number(Stats.median(values), compactNumbers);
        String range = values.length < 2 ? ""
                : " (" + number(Stats.min(values), compactNumbers) + "–" + number(Stats.max(values), compactNumbers)
                        + ")";
        return median + range + (failed > 0 ? ", " + failed + " run(s) failed" : "");
    }

    private String lagCell(SystemKind system, List<Measurement> runs) {
        if (!system.supports(Workload.LAG) || !options.workloads().contains(Workload.LAG)) {
            return "–";
        }
        if (runs.isEmpty()) {
            return "failed";
        }
        double[] p50 = runs.stream().mapToDouble(m -> m.lag().p50()).toArray();
        double[] p99 = runs.stream().mapToDouble(m -> m.lag().p99()).toArray();
        return String.format(Locale.ROOT, "%.3f / %.3f", Stats.median(p50), Stats.median(p99))
                + (runs.size() < 2 ? "" : String.format(Locale.ROOT, " (p99 %.3f–%.3f)", Stats.min(p99),
                        Stats.max(p99)));
    }

    private static String number(double value, boolean compactNumbers) {
        return compactNumbers ? compact(value) : String.format(Locale.ROOT, value >= 100 ? "%.0f" : "%.1f", value);
    }

    /** 1234 as 1.23k, 25400 as 25.4k, 588000 as 588k. */
    static String compact(double value) {
        if (Double.isNaN(value)) {
            return "–";
        }
        if (value < 1000) {
            return String.format(Locale.ROOT, "%.0f", value);
        }
        double k = value / 1000;
        return String.format(Locale.ROOT, k >= 100 ? "%.0fk" : k >= 10 ? "%.1fk" : "%.2fk", k);
    }

    private static String escape(String text) {
        return text == null ? "" : text.replace("|", "\\|").replace("\n", " ");
    }
}
