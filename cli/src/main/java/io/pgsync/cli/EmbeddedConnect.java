package io.pgsync.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.connect.cli.ConnectDistributed;
import org.apache.kafka.connect.runtime.Connect;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;

/**
 * A single-node Kafka (KRaft, broker and controller in one) and a Kafka Connect distributed worker in this JVM, with
 * their data under one directory, so that a second start resumes where the first stopped: Kafka keeps the changelog
 * and Connect's config, offset and status topics. The connectors are on this process's classpath.
 *
 * <p>Layout: {@code <data-dir>/kafka} (the log directory, formatted on first start).
 */
final class EmbeddedConnect implements AutoCloseable {

    private final KafkaRaftServer kafka;
    private final Connect<?> connect;
    private final String bootstrapServers;
    private final int restPort;

    private EmbeddedConnect(KafkaRaftServer kafka, Connect<?> connect, String bootstrapServers, int restPort) {
        this.kafka = kafka;
        this.connect = connect;
        this.bootstrapServers = bootstrapServers;
        this.restPort = restPort;
    }

    /**
     * Starts Kafka, then Connect with its REST API on the port (0: a free one).
     *
     * @throws IOException when the data directory cannot be made or formatted
     */
    static EmbeddedConnect start(Path dataDir, int restPort) throws Exception {
        Path logDir = dataDir.resolve("kafka").toAbsolutePath();
        Files.createDirectories(logDir);
        int brokerPort = freePort();
        int controllerPort = freePort();
        Properties props = new Properties();
        props.put("process.roles", "broker,controller");
        props.put("node.id", "1");
        props.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        props.put("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
        props.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
        props.put("controller.listener.names", "CONTROLLER");
        props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        props.put("inter.broker.listener.name", "PLAINTEXT");
        props.put("log.dirs", logDir.toString());
        props.put("offsets.topic.replication.factor", "1");
        props.put("offsets.topic.num.partitions", "1");
        props.put("transaction.state.log.replication.factor", "1");
        props.put("transaction.state.log.min.isr", "1");
        props.put("group.initial.rebalance.delay.ms", "0");
        props.put("log.retention.hours", "-1");
        props.put("log.retention.bytes", "-1");
        if (!Files.exists(logDir.resolve("meta.properties"))) {
            new Formatter().setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
                    .setClusterId(Uuid.randomUuid().toString()).setNodeId(1)
                    .setControllerListenerName("CONTROLLER").setMetadataLogDirectory(logDir.toString())
                    .setDirectories(List.of(logDir.toString())).setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                    .run();
        }
        KafkaRaftServer kafka = new KafkaRaftServer(new KafkaConfig(props), Time.SYSTEM);
        kafka.startup();
        String bootstrap = "127.0.0.1:" + brokerPort;
        int port = restPort == 0 ? freePort() : restPort;
        Map<String, String> worker = new HashMap<>();
        worker.put("bootstrap.servers", bootstrap);
        worker.put("group.id", "pgsync");
        worker.put("config.storage.topic", "pgsync-connect-configs");
        worker.put("offset.storage.topic", "pgsync-connect-offsets");
        worker.put("status.storage.topic", "pgsync-connect-status");
        worker.put("config.storage.replication.factor", "1");
        worker.put("offset.storage.replication.factor", "1");
        worker.put("status.storage.replication.factor", "1");
        worker.put("offset.flush.interval.ms", "1000");
        worker.put("key.converter", "org.apache.kafka.connect.json.JsonConverter");
        worker.put("value.converter", "org.apache.kafka.connect.json.JsonConverter");
        worker.put("listeners", "http://127.0.0.1:" + port);
        worker.put("plugin.discovery", "service_load");
        try {
            Connect<?> connect = new ConnectDistributed().startConnect(worker);
            return new EmbeddedConnect(kafka, connect, bootstrap, port);
        } catch (RuntimeException e) {
            kafka.shutdown();
            kafka.awaitShutdown();
            throw e;
        }
    }

    String connectUrl() {
        return "http://127.0.0.1:" + restPort;
    }

    String bootstrapServers() {
        return bootstrapServers;
    }

    /** Stops Connect (its tasks commit their offsets), then Kafka. */
    @Override
    public void close() {
        connect.stop();
        connect.awaitStop();
        kafka.shutdown();
        kafka.awaitShutdown();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
