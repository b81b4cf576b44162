package io.pgsync.testkit.connect;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.pgsync.testkit.Loopback;
import io.pgsync.testkit.Processes;

/**
 * A Kafka Connect distributed worker in a JVM of its own ({@code ConnectDistributed}, as {@code connect-distributed.sh}
 * starts it), so that a test can kill it with SIGKILL and start it again, as a machine failure does. It joins a
 * Kafka cluster the test runs, loads the connectors from {@code plugin.path}, and is driven through its REST API.
 * Its log (all restarts appended) stays in {@link #logFile()} for the test to read.
 */
public final class ConnectWorkerProcess implements AutoCloseable {

    private static final String HOST = Loopback.HOST;
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final int port;
    private final String heap;
    private final List<String> jvmOptions;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final Thread shutdownHook;
    private volatile Process process;

    private ConnectWorkerProcess(Path dir, int port, String heap, List<String> jvmOptions) {
        this.dir = dir;
        this.port = port;
        this.heap = heap;
        this.jvmOptions = List.copyOf(jvmOptions);
        this.shutdownHook = new Thread(() -> {
            Process p = process;
            if (p != null) {
                p.destroyForcibly();
            }
        }, "connect-worker-" + port + "-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /**
     * Starts a worker of its own Connect cluster ({@code group.id} and internal topics named after {@code name}) and
     * waits until its REST API answers.
     *
     * @param heap the worker's maximum heap, e.g. {@code "384m"}
     * @param extra worker properties to add or replace
     */
    public static ConnectWorkerProcess start(String name, String bootstrapServers, Path pluginPath, String heap,
            Map<String, String> extra) {
        return start(name, bootstrapServers, pluginPath, heap, extra, List.of());
    }

    /**
     * Starts a worker as {@link #start(String, String, Path, String, Map)} does, with more JVM options (e.g. a
     * {@code -javaagent:}).
     */
    public static ConnectWorkerProcess start(String name, String bootstrapServers, Path pluginPath, String heap,
            Map<String, String> extra, List<String> jvmOptions) {
        Path dir;
        int port = Loopback.freePort();
        try {
            dir = Files.createTempDirectory("pgsync-connect-" + name + "-");
            Map<String, String> props = new LinkedHashMap<>();
            props.put("bootstrap.servers", bootstrapServers);
            props.put("group.id", name);
            props.put("config.storage.topic", name + "-configs");
            props.put("offset.storage.topic", name + "-offsets");
            props.put("status.storage.topic", name + "-status");
            props.put("config.storage.replication.factor", "1");
            props.put("offset.storage.replication.factor", "1");
            props.put("status.storage.replication.factor", "1");
            props.put("key.converter", "org.apache.kafka.connect.json.JsonConverter");
            props.put("value.converter", "org.apache.kafka.connect.json.JsonConverter");
            props.put("offset.flush.interval.ms", "1000");
            props.put("plugin.path", pluginPath.toAbsolutePath().toString());
            props.put("plugin.discovery", "service_load");
            props.put("listeners", "http://" + HOST + ":" + port);
            // A killed worker comes back as a new member: reassign its tasks at once, not after 5 minutes.
            props.put("scheduled.rebalance.max.delay.ms", "0");
            props.put("session.timeout.ms", "6000");
            props.put("heartbeat.interval.ms", "1000");
            props.putAll(extra);
            StringBuilder text = new StringBuilder();
            props.forEach((k, v) -> text.append(k).append('=').append(v.replace("\\", "\\\\")).append('\n'));
            Files.writeString(dir.resolve("worker.properties"), text);
            Files.writeString(dir.resolve("log4j2.properties"), """
                    status = warn
                    appender.file.type = File
                    appender.file.name = file
                    appender.file.fileName = %s
                    appender.file.append = true
                    appender.file.layout.type = PatternLayout
                    appender.file.layout.pattern = %%d{HH:mm:ss.SSS} %%-5level [%%t] %%c{1.} - %%msg%%n
                    rootLogger.level = INFO
                    rootLogger.appenderRef.file.ref = file
                    """.formatted(dir.resolve("worker.log")));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot prepare a Connect worker directory", e);
        }
        ConnectWorkerProcess worker = new ConnectWorkerProcess(dir, port, heap, jvmOptions);
        worker.launch();
        return worker;
    }

    /** Starts the worker process again after {@link #kill()}, with the same properties, port and log. */
    public void launch() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("The worker on port " + port + " is running");
        }
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> command = new ArrayList<>(List.of(Processes.javaBinary(), "-Xmx" + heap, "-XX:+UseSerialGC",
                "-XX:+ExitOnOutOfMemoryError", "-Dlog4j2.configurationFile=" + dir.resolve("log4j2.properties")));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", classpath, "org.apache.kafka.connect.cli.ConnectDistributed",
                dir.resolve("worker.properties").toString()));
        try {
            process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("worker.out").toFile())).start();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start a Connect worker: " + command, e);
        }
        awaitReady();
    }

    private void awaitReady() {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("The Connect worker exited with " + process.exitValue() + ":\n"
                        + Processes.tail(dir.resolve("worker.out"), 30) + "\n" + Processes.tail(logFile(), 30));
            }
            try {
                if (get("connectors").statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            sleep(200);
        }
        throw new IllegalStateException("The Connect worker on port " + port + " did not answer within "
                + READY_TIMEOUT + ":\n" + Processes.tail(logFile(), 30));
    }

    /** Kills the worker's JVM with SIGKILL: no shutdown hook, no offset flush, no goodbye to the group. */
    public void kill() {
        Process p = process;
        p.destroyForcibly();
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("The Connect worker did not die within 30 s of SIGKILL");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The process id of the running worker JVM. */
    public long pid() {
        return process.pid();
    }

    /**
     * Stops the worker's JVM with SIGSTOP, as a machine that hangs or is cut off from the network: its threads stop
     * where they are, its connections stay open, the groups it belongs to see it go silent and move its work on.
     */
    public void freeze() {
        signal("STOP");
    }

    /** Lets a worker stopped by {@link #freeze()} run on with SIGCONT, unaware of the time that passed. */
    public void thaw() {
        signal("CONT");
    }

    private void signal(String name) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
            if (kill.waitFor() != 0) {
                throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The worker's id in the Connect REST status ({@code worker_id}): its listener's host and port. */
    public String workerId() {
        return HOST + ":" + port;
    }

    /** Creates or updates a connector through {@code PUT /connectors/<name>/config}, retrying during rebalances. */
    public void deploy(String name, Map<String, String> config) {
        String body;
        try {
            body = JSON.writeValueAsString(config);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (true) {
            HttpResponse<String> response = send(HttpRequest.newBuilder(uri("connectors/" + name + "/config"))
                    .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(body)));
            if (response.statusCode() / 100 == 2) {
                return;
            }
            if (response.statusCode() != 409 || System.nanoTime() > deadline) {
                throw new IllegalStateException("PUT /connectors/" + name + "/config answered "
                        + response.statusCode() + ": " + response.body());
            }
            sleep(500);
        }
    }

    /** The body of {@code GET /connectors/<name>/status}, or the error answer's body. */
    public String statusJson(String name) {
        return send(HttpRequest.newBuilder(uri("connectors/" + name + "/status")).GET()).body();
    }

    /** True when the connector and all of its (at least one) tasks are RUNNING. */
    public boolean isRunning(String name) {
        try {
            JsonNode status = JSON.readTree(statusJson(name));
            JsonNode tasks = status.path("tasks");
            if (!"RUNNING".equals(status.path("connector").path("state").asText()) || tasks.isEmpty()) {
                return false;
            }
            for (JsonNode task : tasks) {
                if (!"RUNNING".equals(task.path("state").asText())) {
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Waits until {@link #isRunning} holds for every named connector, failing with their status otherwise. */
    public void awaitRunning(Duration timeout, String... names) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!allRunning(names)) {
            if (System.nanoTime() > deadline) {
                StringBuilder status = new StringBuilder();
                for (String name : names) {
                    status.append('\n').append(name).append(": ").append(statusJson(name));
                }
                throw new IllegalStateException("Not RUNNING within " + timeout + ":" + status);
            }
            sleep(250);
        }
    }

    private boolean allRunning(String... names) {
        for (String name : names) {
            if (!isRunning(name)) {
                return false;
            }
        }
        return true;
    }

    /** Deletes a connector through {@code DELETE /connectors/<name>}. */
    public void delete(String name) {
        send(HttpRequest.newBuilder(uri("connectors/" + name)).DELETE());
    }

    /** The worker's log (log4j, every start appended). */
    public Path logFile() {
        return dir.resolve("worker.log");
    }

    /** Everything the worker JVMs printed to stdout and stderr. */
    public Path outFile() {
        return dir.resolve("worker.out");
    }

    @Override
    public void close() {
        Process p = process;
        if (p != null && p.isAlive()) {
            p.destroy();
            try {
                if (!p.waitFor(30, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook runs anyway
        }
    }

    private HttpResponse<String> get(String path) throws IOException {
        try {
            return http.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(10)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    private HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return http.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException("Connect worker on port " + port + " did not answer", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private URI uri(String path) {
        return URI.create("http://" + HOST + ":" + port + "/" + path);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

}
