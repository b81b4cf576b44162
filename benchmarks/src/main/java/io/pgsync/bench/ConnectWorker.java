package io.pgsync.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.runtime.rest.entities.ConnectorStateInfo;
import org.apache.kafka.connect.util.clusters.EmbeddedConnectCluster;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.pgsync.testkit.connect.ConnectExtension;

/**
 * One in-JVM Kafka broker and Connect worker that loads connectors only from {@code plugin.path}, each plugin in its
 * own class loader, as an installed Connect cluster does; driven through the worker's REST API.
 */
final class ConnectWorker implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ConnectWorker.class);
    private static final Duration STATE_TIMEOUT = Duration.ofSeconds(120);
    private static final long STATE_POLL_MILLIS = 100;
    private static final Duration SETTLE_TIMEOUT = Duration.ofMinutes(10);

    private final EmbeddedConnectCluster connect;

    private ConnectWorker(EmbeddedConnectCluster connect) {
        this.connect = connect;
    }

    /**
     * Starts the broker and the worker. The converters are set at worker level, so every connector uses them.
     * {@code connector.client.config.override.policy=All} lets connectors set their own producer and consumer
     * settings ({@code producer.override.*}, {@code consumer.override.*}).
     *
     * @param converters the worker's {@code key.converter*} and {@code value.converter*} settings
     */
    static ConnectWorker start(Path pluginPath, Map<String, String> converters) {
        if (!Files.isDirectory(pluginPath)) {
            throw new IllegalStateException("No plugin directory " + pluginPath + ": run the benchmark through Maven "
                    + "(mvn -Pbench -pl benchmarks -am verify -DskipTests), which unpacks the plugin archives first");
        }
        Map<String, String> worker = new HashMap<>(converters);
        worker.put("offset.flush.interval.ms", "1000");
        worker.put("plugin.path", pluginPath.toAbsolutePath().toString());
        worker.put("plugin.discovery", "service_load");
        worker.put("connector.client.config.override.policy", "All");
        Properties broker = new Properties();
        broker.put("auto.create.topics.enable", "false");
        broker.put("message.max.bytes", "10485760");
        long begin = System.nanoTime();
        EmbeddedConnectCluster connect = new EmbeddedConnectCluster.Builder()
                .name("pgsync-bench")
                .numWorkers(1)
                .numBrokers(1)
                .brokerProps(broker)
                .workerProps(worker)
                .build();
        connect.start();
        log.info("Kafka broker and Connect worker started in {} ms, plugin.path {}",
                (System.nanoTime() - begin) / 1_000_000, pluginPath);
        return new ConnectWorker(connect);
    }

    /** Fails unless the worker has loaded every one of these connector classes from plugin.path. */
    void requirePlugins(String... connectorClasses) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(connect.endpointForResource("connector-plugins")))
                .timeout(Duration.ofSeconds(30)).GET().build();
        HttpResponse<String> response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
        List<String> missing = new ArrayList<>();
        for (String connectorClass : connectorClasses) {
            if (!response.body().contains("\"" + connectorClass + "\"")) {
                missing.add(connectorClass);
            }
        }
        if (response.statusCode() != 200 || !missing.isEmpty()) {
            throw new IllegalStateException("The Connect worker did not load " + missing + " from plugin.path; "
                    + "GET /connector-plugins answered " + response.statusCode() + ": " + response.body());
        }
    }

    /** Creates or updates a connector through {@code PUT /connectors/<name>/config}. */
    void deploy(String name, Map<String, String> config) {
        connect.configureConnector(name, new HashMap<>(config));
    }

    /** Waits until the connector and its one task are RUNNING; fails early if either FAILED. */
    void awaitRunning(String name) throws InterruptedException {
        awaitState(name, "RUNNING");
    }

    /** Pauses the connector and waits until its task is PAUSED. */
    void pause(String name) throws InterruptedException {
        connect.pauseConnector(name);
        awaitState(name, "PAUSED");
    }

    /** Asks the worker to resume the connector; returns without waiting. */
    void resume(String name) {
        connect.resumeConnector(name);
    }

    /** The connector's or a task's failure trace, if either has FAILED. */
    Optional<String> failure(String name) {
        try {
            ConnectorStateInfo info = connect.connectorStatus(name);
            if ("FAILED".equals(info.connector().state())) {
                return Optional.of("connector " + name + " FAILED: " + info.connector().trace());
            }
            return info.tasks().stream().filter(task -> "FAILED".equals(task.state())).findFirst()
                    .map(task -> "task " + name + "-" + task.id() + " FAILED: " + task.trace());
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Deletes the connector and waits until the worker no longer lists it. */
    void delete(String name) throws InterruptedException {
        connect.deleteConnector(name);
        long deadline = System.nanoTime() + STATE_TIMEOUT.toNanos();
        while (connect.connectors().contains(name)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Connector " + name + " still exists " + STATE_TIMEOUT.toSeconds()
                        + " s after it was deleted");
            }
            Thread.sleep(STATE_POLL_MILLIS);
        }
    }

    /**
     * Polls the status until the connector and exactly one task are in {@code state}. Polls itself rather than
     * through Connect's test assertions, which log every 404 of a connector that is still being created as an error.
     */
    private void awaitState(String name, String state) throws InterruptedException {
        long deadline = System.nanoTime() + STATE_TIMEOUT.toNanos();
        while (true) {
            Optional<String> failure = failure(name);
            if (failure.isPresent()) {
                throw new IllegalStateException("Connector " + name + " failed instead of reaching " + state + ": "
                        + failure.get());
            }
            try {
                ConnectorStateInfo info = connect.connectorStatus(name);
                if (state.equals(info.connector().state()) && info.tasks().size() == 1
                        && state.equals(info.tasks().get(0).state())) {
                    return;
                }
            } catch (RuntimeException e) {
                log.debug("No status of {} yet: {}", name, e.getMessage());
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Connector " + name + " did not reach " + state + " with 1 task in "
                        + STATE_TIMEOUT.toSeconds() + " s: " + statusText(name));
            }
            Thread.sleep(STATE_POLL_MILLIS);
        }
    }

    /** Deletes every topic whose name starts with the prefix, to give the disk back between runs. */
    void deleteTopics(String prefix) throws InterruptedException, ExecutionException, TimeoutException {
        try (Admin admin = connect.kafka().createAdminClient()) {
            Set<String> names = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<String> doomed = names.stream().filter(name -> name.startsWith(prefix)).toList();
            if (!doomed.isEmpty()) {
                admin.deleteTopics(doomed).all().get(60, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * Waits until the summed end offsets of the topics whose name starts with the prefix have not moved for the
     * given time: the source connectors writing to them have caught up with their database.
     */
    void awaitTopicsSettled(String prefix, Duration quiet) throws Exception {
        long deadline = System.nanoTime() + SETTLE_TIMEOUT.toNanos();
        try (Admin admin = connect.kafka().createAdminClient()) {
            long last = -1;
            long stableSince = System.nanoTime();
            while (true) {
                long sum = endOffsetSum(admin, prefix);
                long now = System.nanoTime();
                if (sum != last) {
                    last = sum;
                    stableSince = now;
                } else if (now - stableSince >= quiet.toNanos()) {
                    log.info("Topics {}* settled at {} records", prefix, sum);
                    return;
                }
                if (now > deadline) {
                    throw new IllegalStateException("Topics " + prefix + "* still growing after "
                            + SETTLE_TIMEOUT.toSeconds() + " s");
                }
                Thread.sleep(STATE_POLL_MILLIS);
            }
        }
    }

    private static long endOffsetSum(Admin admin, String prefix) throws Exception {
        List<String> topics = admin.listTopics().names().get(30, TimeUnit.SECONDS).stream()
                .filter(name -> name.startsWith(prefix)).toList();
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (TopicDescription topic : admin.describeTopics(topics).allTopicNames().get(30, TimeUnit.SECONDS)
                .values()) {
            topic.partitions().forEach(p -> latest.put(new TopicPartition(topic.name(), p.partition()),
                    OffsetSpec.latest()));
        }
        long sum = 0;
        for (var info : admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS).values()) {
            sum += info.offset();
        }
        return sum;
    }

    String statusText(String name) {
        return ConnectExtension.statusText(connect, name);
    }

    @Override
    public void close() {
        connect.stop();
    }
}
