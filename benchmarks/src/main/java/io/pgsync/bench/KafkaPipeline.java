package io.pgsync.bench;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.pgsync.testkit.pg.PostgresCluster;

/**
 * A source connector and a sink connector in the Connect worker. For W1 the sink is deployed first, outside the timed
 * interval; the full sync starts when the source connector is created; W2 pauses the sink, lets the source write every
 * change to Kafka, and resumes the sink. End to end, W1e deploys both connectors in the timed interval, and W2e pauses
 * both through Connect's REST API ({@code PUT /connectors/<name>/pause}), so that the changes wait in the source's WAL.
 */
final class KafkaPipeline implements Pipeline {

    private static final Logger log = LoggerFactory.getLogger(KafkaPipeline.class);
    private static final long SLOT_RELEASE_MILLIS = 60_000;
    private static final Duration QUEUE_SETTLED = Duration.ofSeconds(3);

    private final ConnectWorker connect;
    private final PostgresCluster source;
    private final String database;
    private final String slot;
    private final String sourceName;
    private final String sinkName;
    private final Map<String, String> sourceConfig;
    private final Map<String, String> sinkConfig;
    private boolean sourceDeployed;
    private boolean sinkDeployed;

    /**
     * @param database the source and destination database; also the topic prefix, and the connector name prefix
     * @param slot the replication slot (and publication) the source connector is configured with
     */
    KafkaPipeline(ConnectWorker connect, PostgresCluster source, String database, String slot,
            Map<String, String> sourceConfig, Map<String, String> sinkConfig) {
        this.connect = connect;
        this.source = source;
        this.database = database;
        this.slot = slot;
        this.sourceName = database + "-source";
        this.sinkName = database + "-sink";
        this.sourceConfig = Map.copyOf(sourceConfig);
        this.sinkConfig = Map.copyOf(sinkConfig);
    }

    @Override
    public void prepare() throws InterruptedException {
        sinkDeployed = true;
        connect.deploy(sinkName, sinkConfig);
        connect.awaitRunning(sinkName);
    }

    @Override
    public void startFullSync() {
        sourceDeployed = true;
        connect.deploy(sourceName, sourceConfig);
    }

    @Override
    public void pauseApply() throws InterruptedException {
        connect.pause(sinkName);
    }

    @Override
    public void awaitQueued() throws Exception {
        connect.awaitTopicsSettled(database + ".", QUEUE_SETTLED);
    }

    @Override
    public void resumeApply() {
        connect.resume(sinkName);
    }

    @Override
    public void startAll() {
        sinkDeployed = true;
        connect.deploy(sinkName, sinkConfig);
        sourceDeployed = true;
        connect.deploy(sourceName, sourceConfig);
    }

    /**
     * Pauses the source, then the sink. A paused source task takes no more records from Debezium, whose streaming
     * thread stops decoding once its queue ({@code max.queue.size}) is full.
     */
    @Override
    public void pauseAll() throws InterruptedException {
        connect.pause(sourceName);
        connect.pause(sinkName);
    }

    @Override
    public void resumeAll() {
        connect.resume(sinkName);
        connect.resume(sourceName);
    }

    @Override
    public Optional<String> failure() {
        Optional<String> failure = sourceDeployed ? connect.failure(sourceName) : Optional.empty();
        return failure.isPresent() || !sinkDeployed ? failure : connect.failure(sinkName);
    }

    @Override
    public void tearDown() throws Exception {
        if (sourceDeployed) {
            connect.delete(sourceName);
        }
        if (sinkDeployed) {
            connect.delete(sinkName);
        }
        dropSlot();
        connect.deleteTopics(database + ".");
    }

    /** Drops the source's replication slot once the stopped connector has let go of it. */
    private void dropSlot() throws SQLException, InterruptedException {
        long deadline = System.currentTimeMillis() + SLOT_RELEASE_MILLIS;
        try (Connection connection = Databases.connect(source, database, "bench-cleanup");
                PreparedStatement active = connection.prepareStatement(
                        "SELECT active FROM pg_replication_slots WHERE slot_name = ?");
                PreparedStatement drop = connection.prepareStatement("SELECT pg_drop_replication_slot(?)")) {
            active.setString(1, slot);
            drop.setString(1, slot);
            while (true) {
                try (ResultSet rs = active.executeQuery()) {
                    if (!rs.next()) {
                        return;
                    }
                    if (!rs.getBoolean(1)) {
                        drop.execute();
                        return;
                    }
                }
                if (System.currentTimeMillis() > deadline) {
                    log.warn("Replication slot {} is still in use {} s after its connector was deleted; left behind",
                            slot, SLOT_RELEASE_MILLIS / 1000);
                    return;
                }
                Thread.sleep(500);
            }
        }
    }
}
