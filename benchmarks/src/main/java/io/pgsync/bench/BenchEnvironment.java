package io.pgsync.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.pgsync.testkit.pg.PostgresCluster;

/**
 * The parts every run shares: a source and a destination PostgreSQL cluster, the Kafka broker and Connect worker
 * with its converters (only when a Kafka pipeline is measured), the CPU sampler, and a scratch directory.
 */
final class BenchEnvironment implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(BenchEnvironment.class);

    /** The settings the test kit turns off for speed, and that the end-to-end workloads turn on again. */
    private static final List<String> DURABILITY = List.of("fsync", "synchronous_commit", "full_page_writes");
    private static final long RELOAD_WAIT_MILLIS = 10_000;

    /**
     * Server settings for both clusters on top of the test kit's (fsync, synchronous_commit and full_page_writes off,
     * which {@link #durable} turns on for the end-to-end workloads): room for the data in shared buffers and no
     * checkpoint storms during a run. Identical for every system.
     */
    static PostgresCluster.Options tuned(PostgresCluster.Options options) {
        return options.setting("shared_buffers", "1GB")
                .setting("max_wal_size", "8GB")
                .setting("checkpoint_timeout", "30min");
    }

    private final PostgresCluster source;
    private final PostgresCluster destination;
    private final WorkerConverters converters;
    private final ConnectWorker connect;
    private final CpuSampler sampler;
    private final Path workDir;

    private BenchEnvironment(PostgresCluster source, PostgresCluster destination, WorkerConverters converters,
            ConnectWorker connect, CpuSampler sampler, Path workDir) {
        this.source = source;
        this.destination = destination;
        this.converters = converters;
        this.connect = connect;
        this.sampler = sampler;
        this.workDir = workDir;
    }

    /**
     * Starts the clusters, and if {@code kafka} the Connect worker with {@code converter} and the plugins from
     * {@code pluginPath}. The converters come first: the Avro converters' schema registry fails fast when its jar is
     * not built.
     */
    static BenchEnvironment start(boolean kafka, ConverterKind converter, Path pluginPath) throws SQLException,
            IOException, InterruptedException {
        WorkerConverters converters = kafka ? WorkerConverters.start(converter) : null;
        PostgresCluster source = null;
        PostgresCluster destination = null;
        ConnectWorker connect = null;
        try {
            source = PostgresCluster.start(tuned(PostgresCluster.Options.logical()));
            // The launcher starts a re-enabled subscription's apply worker at most once per this interval (5 s by
            // default), which would add up to 5 s to a short W2.
            destination = PostgresCluster.start(tuned(PostgresCluster.Options.plain())
                    .setting("wal_retrieve_retry_interval", "100ms"));
            if (kafka) {
                connect = ConnectWorker.start(pluginPath, converters.settings());
                connect.requirePlugins(ConnectorConfigs.PGSYNC_SOURCE, ConnectorConfigs.PGSYNC_SINK,
                        ConnectorConfigs.DEBEZIUM_SOURCE, ConnectorConfigs.DEBEZIUM_JDBC_SINK);
            }
            Path workDir = Files.createTempDirectory("pgsync-bench-");
            log.info("Source PostgreSQL {}, destination {}", source, destination);
            return new BenchEnvironment(source, destination, converters, connect, new CpuSampler(source, destination),
                    workDir);
        } catch (IOException | SQLException | InterruptedException | RuntimeException e) {
            if (connect != null) {
                connect.close();
            }
            if (destination != null) {
                destination.close();
            }
            if (source != null) {
                source.close();
            }
            if (converters != null) {
                converters.close();
            }
            throw e;
        }
    }

    /**
     * Turns {@code fsync}, {@code synchronous_commit} and {@code full_page_writes} on in both clusters (PostgreSQL's
     * defaults, what users run), or back off, with {@code ALTER SYSTEM} and a reload, and waits until new connections
     * have them. After turning them on, a checkpoint writes out whatever was written without fsync before, so that
     * the workload does not pay for it.
     */
    void durable(boolean on) throws InterruptedException {
        String value = on ? "on" : "off";
        for (PostgresCluster cluster : List.of(source, destination)) {
            for (String setting : DURABILITY) {
                cluster.execute("postgres", on ? "ALTER SYSTEM SET " + setting + " = on" : "ALTER SYSTEM RESET "
                        + setting);
            }
            cluster.execute("postgres", "SELECT pg_reload_conf()");
            long deadline = System.currentTimeMillis() + RELOAD_WAIT_MILLIS;
            while (!DURABILITY.stream().allMatch(setting -> value.equals(
                    cluster.query("postgres", "SHOW " + setting).get(0).get(0)))) {
                if (System.currentTimeMillis() > deadline) {
                    throw new IllegalStateException(cluster + " did not turn " + DURABILITY + " " + value + " within "
                            + RELOAD_WAIT_MILLIS / 1000 + " s of the reload");
                }
                Thread.sleep(50);
            }
            if (on) {
                cluster.execute("postgres", "CHECKPOINT");
            }
        }
        log.info("{} {} on both clusters", DURABILITY, value);
    }

    PostgresCluster source() {
        return source;
    }

    PostgresCluster destination() {
        return destination;
    }

    /** The Connect worker; only when a Kafka pipeline was selected. */
    ConnectWorker connect() {
        if (connect == null) {
            throw new IllegalStateException("The Connect worker was not started: no Kafka pipeline was selected");
        }
        return connect;
    }

    CpuSampler sampler() {
        return sampler;
    }

    Path workDir() {
        return workDir;
    }

    @Override
    public void close() {
        try {
            sampler.close();
        } catch (SQLException e) {
            log.debug("Could not close the CPU sampler's connections", e);
        }
        if (connect != null) {
            connect.close();
        }
        if (converters != null) {
            converters.close();
        }
        destination.close();
        source.close();
        try (var files = Files.list(workDir)) {
            files.forEach(file -> file.toFile().delete());
            Files.deleteIfExists(workDir);
        } catch (IOException | UncheckedIOException e) {
            log.debug("Could not delete {}", workDir, e);
        }
    }
}
