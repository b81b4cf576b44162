package io.pgsync.bench;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

import io.pgsync.testkit.pg.PostgresCluster;

/**
 * PostgreSQL's own logical replication: a publication of the tables on the source and a subscription on the
 * destination, whose creation starts the initial copy ({@code copy_data}, one table sync worker per table, two at a
 * time by default). W2 disables the subscription, which stops both the apply worker and the walsender decoding for
 * it; enabling it decodes and applies the backlog.
 */
final class LogicalReplicationPipeline implements Pipeline {

    private static final long STOP_WAIT_MILLIS = 60_000;

    private final PostgresCluster source;
    private final PostgresCluster destination;
    private final String database;
    private final List<TableSpec> tables;
    private final String subscription;
    private boolean subscribed;

    LogicalReplicationPipeline(PostgresCluster source, PostgresCluster destination, String database,
            List<TableSpec> tables) {
        this.source = source;
        this.destination = destination;
        this.database = database;
        this.tables = List.copyOf(tables);
        this.subscription = "sub_" + database;
    }

    @Override
    public void prepare() {
        source.execute(database, "CREATE PUBLICATION bench_pub FOR TABLE "
                + tables.stream().map(TableSpec::qualifiedName).collect(Collectors.joining(", ")));
    }

    @Override
    public void startFullSync() {
        subscribed = true;
        destination.execute(database, "CREATE SUBSCRIPTION " + subscription + " CONNECTION 'host=" + source.host()
                + " port=" + source.port() + " dbname=" + database + " user=" + PostgresCluster.SUPERUSER
                + " password=" + PostgresCluster.SUPERUSER_PASSWORD + "' PUBLICATION bench_pub");
    }

    @Override
    public void pauseApply() throws SQLException, InterruptedException {
        destination.execute(database, "ALTER SUBSCRIPTION " + subscription + " DISABLE");
        awaitZero(destination, "SELECT count(*) FROM pg_stat_subscription WHERE subname = '" + subscription
                + "' AND pid IS NOT NULL", "the apply worker of " + subscription + " to stop");
        awaitZero(source, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + subscription
                + "' AND active", "the walsender of " + subscription + " to stop");
    }

    @Override
    public void awaitQueued() {
        // the walsender decodes the WAL only while the subscription is enabled
    }

    @Override
    public void resumeApply() {
        destination.execute(database, "ALTER SUBSCRIPTION " + subscription + " ENABLE");
    }

    /** Creates the publication and then the subscription, whose creation starts the initial copy. */
    @Override
    public void startAll() {
        prepare();
        startFullSync();
    }

    /** Disabling the subscription stops its walsender too, so the changes stay in the WAL: the same as W2. */
    @Override
    public void pauseAll() throws SQLException, InterruptedException {
        pauseApply();
    }

    @Override
    public void resumeAll() {
        resumeApply();
    }

    @Override
    public Optional<String> failure() {
        List<List<String>> errors = destination.query(database, "SELECT apply_error_count + sync_error_count"
                + " FROM pg_stat_subscription_stats WHERE subname = '" + subscription + "'");
        if (errors.isEmpty() || "0".equals(errors.get(0).get(0))) {
            return Optional.empty();
        }
        return Optional.of("logical replication workers of " + subscription + " failed " + errors.get(0).get(0)
                + " time(s); destination server log:\n" + destination.logTail(20));
    }

    @Override
    public void tearDown() throws SQLException, InterruptedException {
        if (subscribed) {
            long deadline = System.currentTimeMillis() + STOP_WAIT_MILLIS;
            while (true) {
                try {
                    destination.execute(database, "DROP SUBSCRIPTION IF EXISTS " + subscription);
                    return;
                } catch (IllegalStateException e) {
                    if (System.currentTimeMillis() > deadline) {
                        throw e;
                    }
                    Thread.sleep(500);
                }
            }
        }
    }

    private void awaitZero(PostgresCluster cluster, String countQuery, String what)
            throws SQLException, InterruptedException {
        long deadline = System.currentTimeMillis() + STOP_WAIT_MILLIS;
        try (Connection connection = Databases.connect(cluster, database, "bench-harness");
                Statement statement = connection.createStatement()) {
            while (true) {
                try (ResultSet rs = statement.executeQuery(countQuery)) {
                    rs.next();
                    if (rs.getLong(1) == 0) {
                        return;
                    }
                }
                if (System.currentTimeMillis() > deadline) {
                    throw new IllegalStateException("Timed out after " + STOP_WAIT_MILLIS / 1000 + " s waiting for "
                            + what);
                }
                Thread.sleep(100);
            }
        }
    }
}
