package io.pgsync.cli;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Checks, item by item, that a pipeline can be switched over now: both connectors run, the source's replication slot
 * is read, heartbeats travel the changelog (they carry the source's position to the sink when the tables are idle),
 * the sink streams without an error and not far behind, on one changelog partition, and the roles to fence are not
 * the ones the sync itself needs.
 */
final class PipelineHealth {

    /** One check: whether it passed, what it checked, and what was found (with the fix when it failed). */
    record Item(boolean passed, String what, String detail) {
    }

    /** The names of the pipeline's parts. */
    record Pipeline(String sourceConnector, String sinkConnector, String slot, String publication, String topic) {
    }

    private PipelineHealth() {
    }

    /**
     * @param rest the Connect cluster running the connectors, or null to judge from the databases alone
     * @param fenceRoles the roles to fence, checked against the roles the sync uses
     */
    static List<Item> check(Pipeline pipeline, Connection source, Connection target, ConnectRest rest,
            long maxLagMs, List<String> fenceRoles) throws Exception {
        List<Item> items = new ArrayList<>();
        if (rest != null) {
            items.add(running(rest, pipeline.sourceConnector()));
            items.add(running(rest, pipeline.sinkConnector()));
        }
        String captureRole = null;
        try (PreparedStatement ps = source.prepareStatement("""
                SELECT s.active, a.usename, pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(),
                       s.confirmed_flush_lsn)::bigint
                  FROM pg_catalog.pg_replication_slots s
                  LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = s.active_pid
                 WHERE s.slot_name = ? AND s.database = current_database()""")) {
            ps.setString(1, pipeline.slot());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    items.add(new Item(false, "replication slot " + pipeline.slot(), "missing in this database: is "
                            + pipeline.sourceConnector() + " the source connector of it (else name it with "
                            + "--source-connector)?"));
                } else if (!rs.getBoolean(1)) {
                    items.add(new Item(false, "replication slot " + pipeline.slot(), "not read by anyone: start "
                            + "or restart " + pipeline.sourceConnector()));
                } else {
                    captureRole = rs.getString(2);
                    items.add(new Item(true, "replication slot " + pipeline.slot(), "read by " + captureRole
                            + ", " + rs.getLong(3) + " bytes of WAL not yet confirmed"));
                }
            }
        }
        items.add(heartbeat(source, pipeline));
        items.addAll(sink(target, pipeline, maxLagMs));
        items.add(fenceRoles(source, fenceRoles, captureRole));
        return items;
    }

    private static Item running(ConnectRest rest, String connector) throws Exception {
        JsonNode status = rest.status(connector);
        if (status == null) {
            return new Item(false, "connector " + connector, "not in the Connect cluster (name it with "
                    + "--source-connector / --sink-connector)");
        }
        boolean running = "RUNNING".equals(status.path("connector").path("state").asText())
                && !status.path("tasks").isEmpty();
        for (JsonNode task : status.path("tasks")) {
            running &= "RUNNING".equals(task.path("state").asText());
        }
        return new Item(running, "connector " + connector, ConnectRest.describe(status).strip().replace('\n', ';'));
    }

    private static Item heartbeat(Connection source, Pipeline pipeline) throws SQLException {
        try (PreparedStatement ps = source.prepareStatement("SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_publication_tables"
                + " WHERE pubname = ? AND schemaname = 'pgsync' AND tablename = 'heartbeat')")) {
            ps.setString(1, pipeline.publication());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1)
                        ? new Item(true, "heartbeat", "pgsync.heartbeat is in publication " + pipeline.publication())
                        : new Item(false, "heartbeat", "pgsync.heartbeat is not in publication "
                                + pipeline.publication() + ": set heartbeat.interval.ms (e.g. 1000) on "
                                + pipeline.sourceConnector() + "; the switchover measures the sink's progress by it");
            }
        }
    }

    private static List<Item> sink(Connection target, Pipeline pipeline, long maxLagMs) throws SQLException {
        List<Item> items = new ArrayList<>();
        if (!Catalog.exists(target, new io.pgsync.common.pg.TableRef("pgsync", "status"))) {
            items.add(new Item(false, "sink " + pipeline.sinkConnector(), "the destination has no pgsync.status: "
                    + "no pgsync sink has written to it yet"));
            return items;
        }
        try (PreparedStatement ps = target.prepareStatement("""
                SELECT task, phase, lag_ms, last_error, last_error_at > coalesce(last_commit_at, '-infinity'),
                       extract(epoch FROM now() - last_commit_at)::bigint
                  FROM pgsync.status WHERE connector = ? ORDER BY task""")) {
            ps.setString(1, pipeline.sinkConnector());
            try (ResultSet rs = ps.executeQuery()) {
                boolean any = false;
                while (rs.next()) {
                    any = true;
                    String task = "sink " + pipeline.sinkConnector() + " task " + rs.getInt(1);
                    long lag = rs.getLong(3);
                    if (!"incremental".equals(rs.getString(2))) {
                        items.add(new Item(false, task, "in phase " + rs.getString(2) + ": wait for the "
                                + "incremental sync"));
                    } else if (rs.getBoolean(5)) {
                        items.add(new Item(false, task, "failing since its last commit: " + rs.getString(4)));
                    } else if (lag > maxLagMs) {
                        items.add(new Item(false, task, "lag " + lag + " ms is over --max-lag-seconds: switch over "
                                + "when it has caught up, so writes are fenced for less time"));
                    } else {
                        items.add(new Item(true, task, "incremental sync, lag " + lag + " ms, last commit "
                                + rs.getLong(6) + " s ago"));
                    }
                }
                if (!any) {
                    items.add(new Item(false, "sink " + pipeline.sinkConnector(), "no row in pgsync.status: has it "
                            + "committed anything yet (else name it with --sink-connector)?"));
                }
            }
        }
        try (PreparedStatement ps = target.prepareStatement("SELECT count(*) FROM pgsync.applied_offsets "
                + "WHERE connector = ? AND topic = ?")) {
            ps.setString(1, pipeline.sinkConnector());
            ps.setString(2, pipeline.topic());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                int partitions = rs.getInt(1);
                items.add(partitions == 1
                        ? new Item(true, "changelog " + pipeline.topic(), "one partition, applied by "
                                + pipeline.sinkConnector())
                        : new Item(false, "changelog " + pipeline.topic(), partitions == 0
                                ? "nothing of it applied by " + pipeline.sinkConnector()
                                : partitions + " partitions: the switchover follows the source's position on one "
                                        + "partition only; stop writes and run pgsync verify instead"));
            }
        }
        return items;
    }

    private static Item fenceRoles(Connection source, List<String> roles, String captureRole) throws SQLException {
        if (roles.isEmpty()) {
            return new Item(true, "write fence", "none asked for (--fence-roles): writes to the source go on, so the "
                    + "destination is only as current as the moment of the sequence sync");
        }
        List<String> problems = new ArrayList<>();
        String self;
        try (PreparedStatement ps = source.prepareStatement("SELECT current_user");
                ResultSet rs = ps.executeQuery()) {
            rs.next();
            self = rs.getString(1);
        }
        for (String role : roles) {
            if (role.equals(captureRole)) {
                problems.add(role + " is the role the source connector captures with");
            } else if (role.equals(self)) {
                problems.add(role + " is the role this command connects as");
            }
            try (PreparedStatement ps = source.prepareStatement("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = ?")) {
                ps.setString(1, role);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        problems.add("no role " + role);
                    }
                }
            }
        }
        return problems.isEmpty() ? new Item(true, "write fence", "roles " + String.join(", ", roles))
                : new Item(false, "write fence", String.join("; ", problems));
    }
}
