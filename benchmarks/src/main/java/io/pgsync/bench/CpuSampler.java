package io.pgsync.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import io.pgsync.testkit.pg.PostgresCluster;

/**
 * Measures CPU time from {@code /proc}: the JVM itself, its exited children (pgbench), each PostgreSQL cluster (the
 * postmaster, its live children, and through the postmaster's child counters the children that exited), the whole
 * machine, and single JVM threads (through {@link ThreadMXBean}) and single PostgreSQL processes (labelled from
 * {@code pg_stat_activity}). JVM threads are also summed by pipeline stage ({@link #threadGroup}). Linux only.
 */
final class CpuSampler implements AutoCloseable {

    /** USER_HZ: /proc reports CPU times in these ticks per second on Linux. */
    private static final double TICKS_PER_SECOND = 100.0;
    private static final int TOP = 4;
    private static final double LISTED_CORES = 0.02;
    private static final Pattern SOURCE_TASK = Pattern.compile("task-thread-.*-source-\\d+");
    private static final Pattern SINK_TASK = Pattern.compile("task-thread-.*-sink-\\d+");
    static final String UNATTRIBUTED = "ended or native threads";

    /** Counters at one moment. */
    static final class Snapshot {
        private final long nanos;
        private final long machineTicks;
        private final long jvmTicks;
        private final long childTicks;
        private final Map<Long, Long> threadNanos;
        private final Map<String, Long> internalTicks;
        private final ClusterTicks source;
        private final ClusterTicks destination;

        private Snapshot(long nanos, long machineTicks, long jvmTicks, long childTicks, Map<Long, Long> threadNanos,
                Map<String, Long> internalTicks, ClusterTicks source, ClusterTicks destination) {
            this.nanos = nanos;
            this.machineTicks = machineTicks;
            this.jvmTicks = jvmTicks;
            this.childTicks = childTicks;
            this.threadNanos = threadNanos;
            this.internalTicks = internalTicks;
            this.source = source;
            this.destination = destination;
        }
    }

    /** A cluster's total ticks (including reaped children) and the ticks of each live process. */
    private record ClusterTicks(long total, Map<Integer, Long> perProcess) {
    }

    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final int cores = Runtime.getRuntime().availableProcessors();
    private final PostgresCluster source;
    private final PostgresCluster destination;
    private final Connection sourceActivity;
    private final Connection destinationActivity;

    CpuSampler(PostgresCluster source, PostgresCluster destination) throws SQLException {
        this.source = source;
        this.destination = destination;
        this.sourceActivity = Databases.connect(source, "postgres", "bench-sampler");
        this.destinationActivity = Databases.connect(destination, "postgres", "bench-sampler");
        if (threads.isThreadCpuTimeSupported() && !threads.isThreadCpuTimeEnabled()) {
            threads.setThreadCpuTimeEnabled(true);
        }
    }

    Snapshot snapshot() {
        long[] self = stat("self");
        return new Snapshot(System.nanoTime(), machineTicks(), self[0] + self[1], self[2] + self[3], threadNanos(),
                internalTicks(), clusterTicks(source), clusterTicks(destination));
    }

    /** CPU use from {@code start} until now. */
    CpuUsage since(Snapshot start) throws SQLException {
        Snapshot end = snapshot();
        double seconds = Math.max(1e-3, (end.nanos - start.nanos) / 1e9);
        Tally tally = new Tally(seconds);
        Tally groups = new Tally(seconds);
        Map<Long, String> names = threadNames(end.threadNanos.keySet());
        end.threadNanos.forEach((id, nanos) -> {
            String name = names.getOrDefault(id, "#" + id);
            double cpuSeconds = (nanos - start.threadNanos.getOrDefault(id, 0L)) / 1e9;
            tally.add("JVM thread " + name, cpuSeconds);
            groups.add(threadGroup(name), cpuSeconds);
        });
        end.internalTicks.forEach((thread, ticks) -> {
            String category = thread.substring(0, thread.indexOf('#'));
            double cpuSeconds = (ticks - start.internalTicks.getOrDefault(thread, 0L)) / TICKS_PER_SECOND;
            tally.add(category, cpuSeconds);
            groups.add(category, cpuSeconds);
        });
        double jvmSeconds = (end.jvmTicks - start.jvmTicks) / TICKS_PER_SECOND;
        groups.addUnattributed(UNATTRIBUTED, Math.max(0, jvmSeconds - groups.sum()));
        addProcesses(tally, "src", start.source, end.source, sourceActivity);
        addProcesses(tally, "dst", start.destination, end.destination, destinationActivity);
        double load = (end.childTicks - start.childTicks) / TICKS_PER_SECOND;
        tally.add("pgbench", load);
        return new CpuUsage(jvmSeconds / seconds,
                (end.source.total() - start.source.total()) / TICKS_PER_SECOND / seconds,
                (end.destination.total() - start.destination.total()) / TICKS_PER_SECOND / seconds,
                load / seconds, (end.machineTicks - start.machineTicks) / TICKS_PER_SECOND / seconds, cores,
                tally.top(), groups.all());
    }

    /**
     * The pipeline stage of a JVM thread, from its name: the Connect task threads ({@code
     * task-thread-<connector>-<task>}) of the source and the sink, Debezium's streaming thread, pgsync's full-sync
     * reader, the source's producer ({@code kafka-producer-network-thread | connector-producer-<connector>-<task>}),
     * pgsync's sink apply and write threads; everything else (Kafka broker, Connect worker, the harness's probes) is
     * "other JVM threads". E.g. {@code task-thread-b_pgsync_1_e-sink-0} is "sink task".
     */
    static String threadGroup(String name) {
        if (SOURCE_TASK.matcher(name).matches()) {
            return "source task";
        }
        if (SINK_TASK.matcher(name).matches()) {
            return "sink task";
        }
        if (name.startsWith("debezium-")) {
            return "Debezium streaming";
        }
        if (name.startsWith("pgsync-full-sync-")) {
            return "source full-sync reader";
        }
        if (name.contains("| connector-producer-")) {
            return "source producer";
        }
        if (name.startsWith("pgsync-apply-")) {
            return "sink apply thread";
        }
        if (name.startsWith("pgsync-write-")) {
            return "sink write thread";
        }
        return "other JVM threads";
    }

    /**
     * CPU seconds per named thread or process, summed over those of the same name (four pgbench backends are one
     * entry), keeping the busiest single one for the saturation verdict.
     */
    private static final class Tally {

        private final double seconds;
        private final Map<String, double[]> byName = new HashMap<>();

        Tally(double seconds) {
            this.seconds = seconds;
        }

        /** {@code cpuSeconds} of one thread or process. */
        void add(String name, double cpuSeconds) {
            add(name, cpuSeconds, cpuSeconds);
        }

        /** {@code cpuSeconds} of several processes that cannot be told apart; none of them counts as saturated. */
        void addUnattributed(String name, double cpuSeconds) {
            add(name, cpuSeconds, 0);
        }

        private void add(String name, double cpuSeconds, double single) {
            double[] sumMaxCount = byName.computeIfAbsent(name, key -> new double[3]);
            sumMaxCount[0] += cpuSeconds;
            sumMaxCount[1] = Math.max(sumMaxCount[1], single);
            sumMaxCount[2]++;
        }

        double sum() {
            return byName.values().stream().mapToDouble(sumMaxCount -> sumMaxCount[0]).sum();
        }

        /** Every name, busiest first. */
        List<CpuUsage.Consumer> all() {
            return byName.entrySet().stream()
                    .map(e -> new CpuUsage.Consumer(e.getKey(), (int) e.getValue()[2], e.getValue()[0] / seconds,
                            e.getValue()[1] / seconds))
                    .sorted(Comparator.comparingDouble(CpuUsage.Consumer::cores).reversed())
                    .toList();
        }

        List<CpuUsage.Consumer> top() {
            return all().stream().filter(c -> c.cores() >= LISTED_CORES).limit(TOP).toList();
        }
    }

    @Override
    public void close() throws SQLException {
        sourceActivity.close();
        destinationActivity.close();
    }

    /**
     * Adds each live process of a cluster, and one entry for the rest: processes that exited meanwhile (table sync
     * workers, pgbench's backends), counted through the postmaster's child counters, plus the postmaster itself.
     */
    private static void addProcesses(Tally tally, String side, ClusterTicks start, ClusterTicks end,
            Connection activity) throws SQLException {
        Map<Integer, String> labels = processLabels(activity);
        long live = 0;
        for (Map.Entry<Integer, Long> process : end.perProcess().entrySet()) {
            long ticks = process.getValue() - start.perProcess().getOrDefault(process.getKey(), 0L);
            live += ticks;
            String label = labels.get(process.getKey());
            tally.add(side + " " + (label == null ? commandLine(process.getKey()) : label), ticks / TICKS_PER_SECOND);
        }
        tally.addUnattributed(side + " exited processes and postmaster",
                (end.total() - start.total() - live) / TICKS_PER_SECOND);
    }

    /** A PostgreSQL process's title without its client port, for processes pg_stat_activity no longer lists. */
    private static String commandLine(int pid) {
        try {
            String title = new String(Files.readAllBytes(Path.of("/proc", Integer.toString(pid), "cmdline")),
                    StandardCharsets.UTF_8).replace('\0', ' ').strip();
            return title.replaceFirst("^postgres: ", "").replaceAll("\\(\\d+\\)", "");
        } catch (IOException e) {
            return "postgres process";
        }
    }

    /** JVM-internal threads (not visible to ThreadMXBean) from /proc/self/task, keyed "category#thread id". */
    private static Map<String, Long> internalTicks() {
        Map<String, Long> ticks = new HashMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                int tid = Integer.parseInt(task.getFileName().toString());
                String category = internalCategory(tid);
                String[] fields = category == null ? null : statFields("self/task/" + tid);
                if (fields != null) {
                    ticks.put(category + "#" + tid, Long.parseLong(fields[11]) + Long.parseLong(fields[12]));
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("Cannot list /proc/self/task", e);
        }
        return ticks;
    }

    /** "JVM GC threads", "JVM JIT compiler threads", "JVM VM thread", or null for other threads. */
    private static String internalCategory(int tid) {
        String name;
        try {
            name = Files.readString(Path.of("/proc/self/task", Integer.toString(tid), "comm"),
                    StandardCharsets.US_ASCII).strip();
        } catch (IOException e) {
            return null;
        }
        if (name.startsWith("GC Thread") || name.startsWith("G1 ")) {
            return "JVM GC threads";
        }
        if (name.startsWith("C1 CompilerThre") || name.startsWith("C2 CompilerThre")) {
            return "JVM JIT compiler threads";
        }
        return name.equals("VM Thread") ? "JVM VM thread" : null;
    }

    private static Map<Integer, String> processLabels(Connection activity) throws SQLException {
        Map<Integer, String> labels = new HashMap<>();
        try (Statement statement = activity.createStatement();
                ResultSet rs = statement.executeQuery("SELECT pid, backend_type, coalesce(application_name, '')"
                        + " FROM pg_stat_activity")) {
            while (rs.next()) {
                String type = rs.getString(2);
                String application = rs.getString(3);
                labels.put(rs.getInt(1), application.isEmpty() ? type : type + " (" + application + ")");
            }
        }
        return labels;
    }

    private Map<Long, Long> threadNanos() {
        Map<Long, Long> nanos = new HashMap<>();
        for (long id : threads.getAllThreadIds()) {
            long time = threads.getThreadCpuTime(id);
            if (time >= 0) {
                nanos.put(id, time);
            }
        }
        return nanos;
    }

    private Map<Long, String> threadNames(Iterable<Long> ids) {
        Map<Long, String> names = new HashMap<>();
        List<Long> list = new ArrayList<>();
        ids.forEach(list::add);
        ThreadInfo[] infos = threads.getThreadInfo(list.stream().mapToLong(Long::longValue).toArray());
        for (ThreadInfo info : infos) {
            if (info != null) {
                names.put(info.getThreadId(), info.getThreadName());
            }
        }
        return names;
    }

    private static ClusterTicks clusterTicks(PostgresCluster cluster) {
        int postmaster = postmasterPid(cluster);
        long[] own = stat(Integer.toString(postmaster));
        long total = own[0] + own[1] + own[2] + own[3];
        Map<Integer, Long> perProcess = new HashMap<>();
        try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
            for (Path entry : (Iterable<Path>) entries::iterator) {
                String name = entry.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                String[] fields = statFields(name);
                if (fields != null && Integer.parseInt(fields[1]) == postmaster) {
                    long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
                    perProcess.put(Integer.parseInt(name), ticks);
                    total += ticks;
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("Cannot list /proc", e);
        }
        return new ClusterTicks(total, perProcess);
    }

    private static int postmasterPid(PostgresCluster cluster) {
        Path pidFile = cluster.dataDirectory().resolve("postmaster.pid");
        try {
            return Integer.parseInt(Files.readAllLines(pidFile, StandardCharsets.UTF_8).get(0).strip());
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("Cannot read the postmaster PID from " + pidFile, e);
        }
    }

    /** utime, stime, cutime, cstime of a process. */
    private static long[] stat(String pid) {
        String[] fields = statFields(pid);
        if (fields == null) {
            throw new IllegalStateException("Cannot read /proc/" + pid + "/stat");
        }
        return new long[] {Long.parseLong(fields[11]), Long.parseLong(fields[12]), Long.parseLong(fields[13]),
                Long.parseLong(fields[14])};
    }

    /** The fields of /proc/<pid>/stat after the command name: [0] state, [1] ppid, ... [11] utime; null if gone. */
    private static String[] statFields(String pid) {
        try {
            String line = Files.readString(Path.of("/proc", pid, "stat"), StandardCharsets.US_ASCII);
            return line.substring(line.lastIndexOf(')') + 2).strip().split(" ");
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static long machineTicks() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/stat"))) {
            String[] cpu = lines.filter(line -> line.startsWith("cpu ")).findFirst().orElseThrow().split("\\s+");
            long busy = 0;
            for (int i : new int[] {1, 2, 3, 6, 7, 8}) {
                busy += Long.parseLong(cpu[i]);
            }
            return busy;
        } catch (IOException e) {
            throw new IllegalStateException("Cannot read /proc/stat", e);
        }
    }
}
