package io.pgsync.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.apache.kafka.common.utils.AppInfoParser;

import io.pgsync.testkit.pg.PostgresCluster;

/** What a results table was measured with: machine, software versions, the pgsync commit, and other load. */
final class Provenance {

    private static final Pattern JAR_VERSION = Pattern.compile("(debezium-connector-(?:postgres|jdbc))-(.+)\\.jar");

    private Provenance() {
    }

    /** Markdown lines describing the machine and the software. */
    static List<String> describe(PostgresCluster source, Path pluginPath, Path root, ConverterKind converter) {
        List<String> lines = new ArrayList<>();
        lines.add("- Machine: " + Runtime.getRuntime().availableProcessors() + " cores (" + cpuModel() + "), "
                + memory() + " RAM; load average at start " + loadAverage());
        lines.add("- PostgreSQL " + source.query("postgres", "SHOW server_version").get(0).get(0)
                + " (both clusters; fsync, synchronous_commit and full_page_writes off, on in W1e, W2e and W4;"
                + " shared_buffers 1GB)");
        lines.add("- Kafka " + AppInfoParser.getVersion() + " (one in-JVM broker and Connect worker, "
                + converter.label() + "); " + pluginVersions(pluginPath));
        lines.add("- pgsync: commit " + gitCommit(root) + ", Java " + System.getProperty("java.version"));
        return lines;
    }

    /** The 1, 5 and 15 minute load averages, to show other work on the machine. */
    static String loadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg"), StandardCharsets.US_ASCII).split(" ");
            return fields[0] + " " + fields[1] + " " + fields[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static String cpuModel() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            return lines.filter(line -> line.startsWith("model name")).findFirst()
                    .map(line -> line.substring(line.indexOf(':') + 1).strip()).orElse("unknown model");
        } catch (IOException | RuntimeException e) {
            return "unknown model";
        }
    }

    private static String memory() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/meminfo"))) {
            long kb = lines.filter(line -> line.startsWith("MemTotal:")).findFirst()
                    .map(line -> Long.parseLong(line.replaceAll("\\D", ""))).orElse(0L);
            return String.format(Locale.ROOT, "%.0f GiB", kb / 1024.0 / 1024.0);
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static String pluginVersions(Path pluginPath) {
        List<String> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(pluginPath, 3)) {
            files.map(file -> JAR_VERSION.matcher(file.getFileName().toString())).filter(Matcher::matches)
                    .map(m -> m.group(1) + " " + m.group(2)).sorted().forEach(found::add);
        } catch (IOException | RuntimeException e) {
            return "plugin versions unknown";
        }
        return found.isEmpty() ? "no Debezium plugins found" : String.join(", ", found);
    }

    /** {@code git rev-parse --short HEAD}, with "+ local changes" when the work tree differs from it. */
    private static String gitCommit(Path root) {
        String commit = git(root, "rev-parse", "--short", "HEAD");
        if (commit.isEmpty()) {
            return "unknown";
        }
        return git(root, "status", "--porcelain", "--untracked-files=no").isEmpty() ? commit
                : commit + " + local changes";
    }

    private static String git(Path root, String... args) {
        List<String> command = new ArrayList<>(List.of("git", "-C", root.toString()));
        command.addAll(List.of(args));
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            process.getOutputStream().close();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            boolean done = process.waitFor(30, TimeUnit.SECONDS);
            return done && process.exitValue() == 0 ? output : "";
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }
}
