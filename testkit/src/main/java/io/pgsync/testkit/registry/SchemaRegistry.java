package io.pgsync.testkit.registry;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import io.pgsync.testkit.Loopback;
import io.pgsync.testkit.Processes;

/**
 * Runs a throwaway Confluent-compatible schema registry (the Apicurio runner jar built by the schema-registry module)
 * as a child process on a free loopback port.
 */
public final class SchemaRegistry implements AutoCloseable {

    /** System property that points at the runner jar explicitly, skipping the search from the working directory. */
    public static final String JAR_PROPERTY = "pgsync.registry.jar";

    /** Connect converter class that writes and reads Avro in the Confluent wire format through the registry. */
    public static final String AVRO_CONVERTER_CLASS = "io.apicurio.registry.utils.converter.AvroConverter";

    private static final System.Logger LOG = System.getLogger(SchemaRegistry.class.getName());
    private static final String RUNNER_PREFIX = "pgsync-schema-registry-";
    private static final String RUNNER_SUFFIX = "-runner.jar";
    private static final String HOST = Loopback.HOST;
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
    private static final int LOG_TAIL_LINES = 60;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final int port;
    private final Path logFile;
    private final HttpClient http;
    private final Thread shutdownHook;

    private SchemaRegistry(Process process, int port, Path logFile, HttpClient http) {
        this.process = process;
        this.port = port;
        this.logFile = logFile;
        this.http = http;
        this.shutdownHook = new Thread(process::destroyForcibly, "schema-registry-" + port + "-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /**
     * Starts a new, empty registry on a free loopback port and returns once it answers on the ccompat API.
     *
     * @throws IllegalStateException if the runner jar is not built, or the registry exits or is not ready within 90 s
     *     (the message then carries the tail of its log)
     */
    public static SchemaRegistry start() {
        Path jar = findRunnerJar().orElseThrow(() -> new IllegalStateException(
                "Schema registry runner jar not found: looked for schema-registry/target/" + RUNNER_PREFIX + "*"
                        + RUNNER_SUFFIX + " in " + Paths.get("").toAbsolutePath() + " and its parents. Build it first"
                        + " with `mvn -pl schema-registry package` at the project root, or point -D" + JAR_PROPERTY
                        + " at it."));
        int port = Loopback.freePort();
        Path logFile = logFile(port);
        List<String> command = List.of(Processes.javaBinary(), "-Xmx256m", "-XX:+UseSerialGC",
                "-Dquarkus.http.host=" + HOST, "-Dquarkus.http.port=" + port, "-Dregistry.enable.sentry=false",
                "-jar", jar.toString());
        LOG.log(System.Logger.Level.DEBUG, "Starting schema registry on port {0} from {1}", String.valueOf(port), jar);
        long startNanos = System.nanoTime();
        Process process;
        try {
            process = new ProcessBuilder(command)
                    .directory(jar.getParent().toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(logFile.toFile())
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("Could not start the schema registry: " + command, e);
        }
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        SchemaRegistry registry = new SchemaRegistry(process, port, logFile, http);
        try {
            registry.awaitReady();
        } catch (RuntimeException | Error e) {
            registry.close();
            throw e;
        }
        LOG.log(System.Logger.Level.INFO, "Schema registry ready at {0} after {1} ms, log {2}", registry.ccompatUrl(),
                String.valueOf(Duration.ofNanos(System.nanoTime() - startNanos).toMillis()), logFile);
        return registry;
    }

    /**
     * Returns the runner jar: the {@value #JAR_PROPERTY} system property if set, else the first
     * {@code schema-registry/target/pgsync-schema-registry-*-runner.jar} found from the working directory upwards.
     */
    public static Optional<Path> findRunnerJar() {
        String explicit = System.getProperty(JAR_PROPERTY);
        if (explicit != null && !explicit.isBlank()) {
            Path jar = Paths.get(explicit).toAbsolutePath();
            return Files.isRegularFile(jar) ? Optional.of(jar) : Optional.empty();
        }
        for (Path dir = Paths.get("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path target = dir.resolve("schema-registry").resolve("target");
            if (!Files.isDirectory(target)) {
                continue;
            }
            try (DirectoryStream<Path> jars = Files.newDirectoryStream(target, RUNNER_PREFIX + "*" + RUNNER_SUFFIX)) {
                for (Path jar : jars) {
                    if (Files.isRegularFile(jar)) {
                        return Optional.of(jar);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("Could not list " + target, e);
            }
        }
        return Optional.empty();
    }

    /** Base URL of Apicurio's own API, which the Apicurio converters talk to. */
    public String apicurioApiUrl() {
        return baseUrl() + "/apis/registry/v2";
    }

    /** Base URL of the Confluent-compatible API, e.g. for {@code GET {ccompatUrl}/schemas/ids/{id}}. */
    public String ccompatUrl() {
        return baseUrl() + "/apis/ccompat/v7";
    }

    /** The loopback port the registry listens on. */
    public int port() {
        return port;
    }

    /** The file the registry's stdout and stderr go to. */
    public Path logFile() {
        return logFile;
    }

    /** Lists the registered subjects through {@code GET {ccompatUrl}/subjects}. */
    public List<String> subjects() {
        HttpRequest request = HttpRequest.newBuilder(URI.create(ccompatUrl() + "/subjects"))
                .timeout(REQUEST_TIMEOUT)
                .header("Accept", "application/vnd.schemaregistry.v1+json, application/json")
                .GET()
                .build();
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("GET " + request.uri() + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted during GET " + request.uri(), e);
        }
        if (response.statusCode() != 200) {
            throw new IllegalStateException("GET " + request.uri() + " answered HTTP " + response.statusCode() + ": "
                    + response.body());
        }
        try {
            return List.copyOf(JSON.readValue(response.body(), new TypeReference<List<String>>() { }));
        } catch (IOException e) {
            throw new IllegalStateException("GET " + request.uri() + " did not return a JSON array of strings: "
                    + response.body(), e);
        }
    }

    /**
     * Returns the Connect converter settings for Apicurio's AvroConverter in the Confluent wire format (magic byte,
     * 4-byte id that {@code GET {ccompatUrl}/schemas/ids/{id}} resolves, Avro body), registering schemas as needed.
     *
     * @param prefix the converter key, e.g. {@code "value.converter"} or {@code "key.converter"}
     */
    public Map<String, String> avroConverterConfig(String prefix) {
        Objects.requireNonNull(prefix, "prefix");
        String key = prefix.endsWith(".") ? prefix.substring(0, prefix.length() - 1) : prefix;
        if (key.isBlank()) {
            throw new IllegalArgumentException("Converter prefix must not be blank");
        }
        Map<String, String> config = new LinkedHashMap<>();
        config.put(key, AVRO_CONVERTER_CLASS);
        config.put(key + ".apicurio.registry.url", apicurioApiUrl());
        config.put(key + ".apicurio.registry.auto-register", "true");
        config.put(key + ".apicurio.registry.find-latest", "true");
        config.put(key + ".apicurio.registry.as-confluent", "true");
        config.put(key + ".apicurio.registry.use-id", "contentId");
        config.put(key + ".apicurio.registry.headers.enabled", "false");
        return Collections.unmodifiableMap(config);
    }

    /** Returns the Avro converter settings for both the record key and the record value (see {@link #avroConverterConfig}). */
    public Map<String, String> avroKeyAndValueConverters() {
        Map<String, String> config = new LinkedHashMap<>(avroConverterConfig("key.converter"));
        config.putAll(avroConverterConfig("value.converter"));
        return Collections.unmodifiableMap(config);
    }

    /** Stops the registry: a normal termination first, forcibly after 10 s. */
    @Override
    public void close() {
        try {
            if (process.isAlive()) {
                process.destroy();
                if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                }
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        } finally {
            removeShutdownHook();
        }
    }

    private void removeShutdownHook() {
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException alreadyShuttingDown) {
            process.destroyForcibly();
        }
    }

    private String baseUrl() {
        return "http://" + HOST + ":" + port;
    }

    private void awaitReady() {
        URI probe = URI.create(ccompatUrl() + "/subjects");
        HttpRequest request = HttpRequest.newBuilder(probe).timeout(Duration.ofSeconds(2)).GET().build();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException("Schema registry exited with code " + process.exitValue()
                        + " during start; log " + logFile + ":\n" + logTail());
            }
            try {
                if (http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (ConnectException | HttpTimeoutException notYet) {
                LOG.log(System.Logger.Level.TRACE, "Schema registry not answering yet: {0}", notYet);
            } catch (IOException e) {
                LOG.log(System.Logger.Level.DEBUG, "Schema registry probe failed: {0}", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while waiting for the schema registry to start", e);
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("Schema registry not ready at " + probe + " after "
                        + START_TIMEOUT.toSeconds() + " s; log " + logFile + ":\n" + logTail());
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while waiting for the schema registry to start", e);
            }
        }
    }

    private String logTail() {
        return Processes.tail(logFile, LOG_TAIL_LINES);
    }

    private static Path logFile(int port) {
        String name = "schema-registry-" + port + ".log";
        try {
            Path target = Paths.get("target").toAbsolutePath();
            if (Files.isDirectory(target)) {
                return target.resolve(name);
            }
            Path dir = Files.createTempDirectory("pgsync-schema-registry-");
            return dir.resolve(name);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not create a directory for the schema registry log", e);
        }
    }
}
