package io.pgsync.testkit.connect;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.connect.runtime.rest.entities.ConfigInfos;
import org.apache.kafka.connect.runtime.rest.entities.ConnectorStateInfo;
import org.apache.kafka.connect.util.clusters.EmbeddedConnectCluster;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Starts one in-JVM Kafka broker and Kafka Connect worker per test class and drives the worker through its REST
 * API, as an operator would.
 */
public final class ConnectExtension implements BeforeAllCallback, AfterAllCallback {

    private static final AtomicInteger CLUSTERS = new AtomicInteger();

    private final Map<String, String> workerProps = new HashMap<>();
    private final Map<String, String> brokerProps = new HashMap<>(Map.of(
            "auto.create.topics.enable", "false",
            "message.max.bytes", "10485760"));
    private EmbeddedConnectCluster connect;

    private ConnectExtension() {
        workerProps.put("key.converter", "org.apache.kafka.connect.json.JsonConverter");
        workerProps.put("value.converter", "org.apache.kafka.connect.json.JsonConverter");
        workerProps.put("key.converter.schemas.enable", "true");
        workerProps.put("value.converter.schemas.enable", "true");
        workerProps.put("offset.flush.interval.ms", "1000");
        workerProps.put("plugin.discovery", "hybrid_warn");
    }

    /** A worker that finds connectors on its own classpath (the test classpath). */
    public static ConnectExtension onClasspath() {
        return new ConnectExtension();
    }

    /**
     * A worker that loads connectors only from the given {@code plugin.path} directory, each plugin in its own
     * class loader and discovered through {@code META-INF/services}, as an installed Connect cluster does.
     */
    public static ConnectExtension withPluginPath(Path pluginPath) {
        ConnectExtension extension = new ConnectExtension();
        extension.workerProps.put("plugin.path", pluginPath.toAbsolutePath().toString());
        extension.workerProps.put("plugin.discovery", "service_load");
        return extension;
    }

    /** Adds or replaces a worker property (converters, for example); call before the class starts. */
    public ConnectExtension workerProperty(String name, String value) {
        workerProps.put(name, value);
        return this;
    }

    /**
     * Adds or replaces a broker property for this class's broker (e.g. a larger {@code message.max.bytes} for a test
     * of large values); call before the class starts.
     */
    public ConnectExtension brokerProperty(String name, String value) {
        brokerProps.put(name, value);
        return this;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        Properties broker = new Properties();
        broker.putAll(brokerProps);
        connect = new EmbeddedConnectCluster.Builder()
                .name("pgsync-it-" + CLUSTERS.incrementAndGet())
                .numWorkers(1)
                .numBrokers(1)
                .brokerProps(broker)
                .workerProps(new HashMap<>(workerProps))
                .build();
        connect.start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (connect != null) {
            connect.stop();
            connect = null;
        }
    }

    public EmbeddedConnectCluster cluster() {
        return connect;
    }

    public String bootstrapServers() {
        return connect.kafka().bootstrapServers();
    }

    /** Creates or updates a connector through {@code PUT /connectors/<name>/config}. */
    public void deploy(String name, Map<String, String> config) {
        connect.configureConnector(name, new HashMap<>(config));
    }

    /** Waits until the connector and exactly {@code tasks} tasks are RUNNING, failing with the status otherwise. */
    public void awaitRunning(String name, int tasks) throws InterruptedException {
        connect.assertions().assertConnectorAndExactlyNumTasksAreRunning(name, tasks,
                "Connector " + name + " did not reach RUNNING with " + tasks + " task(s): " + statusText(name));
    }

    public ConnectorStateInfo status(String name) {
        return connect.connectorStatus(name);
    }

    /** Returns the connector status as text, including task traces, for assertion messages. */
    public String statusText(String name) {
        return statusText(connect, name);
    }

    /** Returns a connector's status on any embedded cluster as text, including task traces. */
    public static String statusText(EmbeddedConnectCluster connect, String name) {
        try {
            ConnectorStateInfo info = connect.connectorStatus(name);
            StringBuilder out = new StringBuilder(info.connector().state());
            info.tasks().forEach(t -> out.append("; task ").append(t.id()).append(' ').append(t.state())
                    .append(t.trace() == null ? "" : ": " + t.trace()));
            return out.toString();
        } catch (RuntimeException e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }

    public void delete(String name) {
        connect.deleteConnector(name);
    }

    /** Runs {@code PUT /connector-plugins/<class>/config/validate}. */
    public ConfigInfos validate(String connectorClass, Map<String, String> config) {
        return connect.validateConnectorConfig(connectorClass, new HashMap<>(config));
    }

    /** Returns the body of {@code GET /connector-plugins?connectorsOnly=true}. */
    public String connectorPlugins() throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(connect.endpointForResource("connector-plugins")))
                .timeout(Duration.ofSeconds(30)).GET().build();
        HttpResponse<String> response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException("GET /connector-plugins answered " + response.statusCode() + ": " + response.body());
        }
        return response.body();
    }

    /** Reads at least {@code count} records from the start of the topic, waiting up to {@code timeout}. */
    public List<ConsumerRecord<byte[], byte[]>> readTopic(String topic, int count, Duration timeout) {
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        connect.kafka().consume(count, timeout.toMillis(), topic).forEach(records::add);
        return records;
    }

    /** Reads every record the topic holds now, from the beginning. */
    public List<ConsumerRecord<byte[], byte[]>> readAll(String topic, Duration timeout) throws Exception {
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        connect.kafka().consumeAll(timeout.toMillis(), topic).forEach(records::add);
        return records;
    }

    /** Returns the names of the broker's topics. */
    public java.util.Set<String> topics() throws Exception {
        try (var admin = connect.kafka().createAdminClient()) {
            return admin.listTopics().names().get();
        }
    }

    /** Returns the number of partitions of a topic. */
    public int partitions(String topic) throws Exception {
        try (var admin = connect.kafka().createAdminClient()) {
            return admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size();
        }
    }
}
