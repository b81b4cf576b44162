package io.pgsync.source.selection;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

import org.apache.kafka.connect.errors.ConnectException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.debezium.config.Configuration;
import io.debezium.connector.postgresql.PostgresConnectorConfig;
import io.pgsync.common.catalog.SchemaReader;
import io.pgsync.common.pg.TableRef;
import io.pgsync.source.PgSyncSourceConfig;
import io.pgsync.source.fullsync.SourceDatabase;
import io.pgsync.source.metrics.PgSyncSourceMetrics;

/**
 * Finds the selected tables whose UPDATE and DELETE the source would refuse once they are published (no usable
 * replica identity), and gives them {@code REPLICA IDENTITY FULL} when {@code replica.identity.auto.enabled} says so.
 *
 * <p>Example: {@code public.events (at timestamptz, what text)} without a primary key, selected with whole schemas:
 * the task runs {@code ALTER TABLE "public"."events" REPLICA IDENTITY FULL} before the publication exists, so no
 * {@code UPDATE public.events} ever fails with "cannot update table ... because it does not have a replica identity".
 * Tables created while streaming are the DDL capture's job ({@code pgsync.ddl_fit_publications} in capture.sql).
 */
public final class ReplicaIdentity {

    /** A selected table without a usable replica identity, and whether the connector's user may alter it. */
    public record Missing(TableRef table, boolean owned) {
    }

    private static final Logger log = LoggerFactory.getLogger(ReplicaIdentity.class);

    /** Ordinary tables and partitions (a partitioned table's UPDATE checks the identity of the partition it hits). */
    private static final String MISSING_SQL = """
            SELECT n.nspname, c.relname, pg_catalog.pg_has_role(c.relowner, 'USAGE')
              FROM pg_catalog.pg_class c
              JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind = 'r' AND c.relpersistence = 'p'
               AND NOT (c.relreplident = 'f'
                        OR c.relreplident = 'd' AND EXISTS (SELECT 1 FROM pg_catalog.pg_index i
                                                             WHERE i.indrelid = c.oid AND i.indisprimary)
                        OR c.relreplident = 'i' AND EXISTS (SELECT 1 FROM pg_catalog.pg_index i
                                                             WHERE i.indrelid = c.oid AND i.indisreplident))
               AND\s""" + SchemaReader.USER_SCHEMA + " ORDER BY 1, 2";

    private ReplicaIdentity() {
    }

    /**
     * At the task's start, before the publication is created or streamed: gives the selected tables without a usable
     * replica identity REPLICA IDENTITY FULL when {@code replica.identity.auto.enabled}, else counts them in
     * {@code replica-identity-missing-tables} and warns, naming each.
     *
     * @throws ConnectException naming the table and the fix when one cannot be altered or the source is unreachable
     */
    public static void start(Configuration config, PgSyncSourceConfig pgsync, PgSyncSourceMetrics metrics) {
        Predicate<TableRef> selected = PgSyncSourceConfig.tableSelection(new PostgresConnectorConfig(config));
        SourceDatabase database = new SourceDatabase(config);
        try (Connection connection = database.connect()) {
            if (pgsync.replicaIdentityAutoEnabled()) {
                setFull(connection, selected).forEach(metrics::replicaIdentitySet);
                return;
            }
            for (Missing table : missing(connection, selected)) {
                metrics.replicaIdentityMissing(table.table(), true);
                log.warn("The selected table {} has no primary key or other replica identity: once published, the "
                        + "source refuses its UPDATE and DELETE. Run {} or add a primary key, or set {}=true",
                        table.table().quoted(), alterSql(table.table()),
                        PgSyncSourceConfig.REPLICA_IDENTITY_AUTO_ENABLED);
            }
        } catch (SQLException e) {
            throw new ConnectException("Cannot read the replica identities of the selected tables on "
                    + database.describe() + ": " + e.getMessage() + "; then restart the task", e);
        }
    }

    /** The selected tables without a usable replica identity, in name order. */
    public static List<Missing> missing(Connection connection, Predicate<TableRef> selected) throws SQLException {
        List<Missing> missing = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement(MISSING_SQL); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                TableRef table = new TableRef(rs.getString(1), rs.getString(2));
                if (selected.test(table)) {
                    missing.add(new Missing(table, rs.getBoolean(3)));
                }
            }
        }
        return missing;
    }

    /**
     * Sets {@code REPLICA IDENTITY FULL} on each selected table without a usable replica identity, logging each, and
     * returns them.
     *
     * @throws ConnectException naming the table and the fix when the connector's user may not alter it
     */
    public static List<TableRef> setFull(Connection connection, Predicate<TableRef> selected) throws SQLException {
        List<TableRef> changed = new ArrayList<>();
        for (Missing table : missing(connection, selected)) {
            String sql = alterSql(table.table());
            try (Statement statement = connection.createStatement()) {
                statement.execute(sql);
            } catch (SQLException e) {
                throw new ConnectException("Cannot give " + table.table().quoted() + " REPLICA IDENTITY FULL ("
                        + e.getMessage() + "): it has no primary key or other replica identity, so once published the "
                        + "source would refuse its UPDATE and DELETE. Have its owner run " + sql + ", or add a primary "
                        + "key, or leave it out of the selection; or set "
                        + PgSyncSourceConfig.REPLICA_IDENTITY_AUTO_ENABLED + "=false to be refused instead", e);
            }
            log.info("Set REPLICA IDENTITY FULL on {}, a selected table without a primary key or other replica "
                    + "identity ({}=true): its UPDATE and DELETE now log the whole old row", table.table().quoted(),
                    PgSyncSourceConfig.REPLICA_IDENTITY_AUTO_ENABLED);
            changed.add(table.table());
        }
        return changed;
    }

    /** The statement that gives the table a replica identity without a key. */
    public static String alterSql(TableRef table) {
        return "ALTER TABLE " + table.quoted() + " REPLICA IDENTITY FULL";
    }
}
