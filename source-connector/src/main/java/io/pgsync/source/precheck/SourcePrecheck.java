package io.pgsync.source.precheck;

import java.io.EOFException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import javax.net.ssl.SSLException;

import org.apache.kafka.common.config.ConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.debezium.config.Configuration;
import io.debezium.connector.postgresql.PostgresConnectorConfig;
import io.pgsync.common.catalog.SchemaReader;
import io.pgsync.common.pg.Identifiers;
import io.pgsync.common.pg.TableRef;
import io.pgsync.source.PgSyncSourceConfig;
import io.pgsync.source.ddl.DdlCapture;
import io.pgsync.source.fullsync.SourceDatabase;

/**
 * The source side of the precheck, run by the connector's {@code validate()}: what the source database must offer
 * for the configured capture, item by item. Each failure is reported on the config key it concerns and says what to
 * do, e.g. on {@code database.hostname}: "wal_level is 'replica' on 127.0.0.1:5432/shop; logical decoding needs
 * 'logical': ALTER SYSTEM SET wal_level = logical, then restart PostgreSQL".
 *
 * <p>Items: server version (10 or newer), {@code wal_level}, the REPLICATION attribute of the user, a free
 * replication slot and WAL sender, the right to create the publication when it does not exist, and, among the
 * selected tables, those without a key whose updates and deletes cannot be captured (no primary key and REPLICA
 * IDENTITY DEFAULT, or REPLICA IDENTITY NOTHING; of a partitioned table, each partition counts), refused unless
 * {@code replica.identity.auto.enabled} lets the task give them REPLICA IDENTITY FULL, and unlogged ones;
 * each row filter ({@code filter.<schema>.<table>}) must be a condition on its table that uses only replica identity
 * columns, unless the table has REPLICA IDENTITY FULL; DDL capture needs a superuser unless its event triggers exist.
 * Connectivity and credentials are Debezium's own check; when it fails, {@link #connectivity} says on which key
 * and what to fix, and there is nothing more to check.
 */
public final class SourcePrecheck {

    /** The key a failure to reach the source at all is reported on (host down, port closed, starting up). */
    private static final String UNREACHABLE_KEY = "database.hostname";

    /**
     * One failed item: the config key it is reported on, the message, which names the fix, and whether it is an
     * outage that ends by itself (the server down, restarting or out of connections) rather than a setting to fix.
     */
    public record Failure(String key, String message, boolean outage) {

        public Failure(String key, String message) {
            this(key, message, false);
        }
    }

    private static final Logger log = LoggerFactory.getLogger(SourcePrecheck.class);
    private static final int MAX_NAMED = 10;

    private static final String TABLES_SQL = """
            SELECT n.nspname, c.relname, c.relpersistence, c.relreplident,
                   EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid AND i.indisprimary),
                   EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid AND i.indisreplident),
                   pg_catalog.pg_has_role(c.relowner, 'USAGE')
              FROM pg_catalog.pg_class c
              JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind = 'r' AND c.relpersistence IN ('p', 'u')
               AND\s""" + SchemaReader.USER_SCHEMA + " ORDER BY 1, 2";

    /** Each partitioned table and the partitions, at any depth, that hold its rows (pg_inherits: any version). */
    private static final String PARTITIONS_SQL = """
            WITH RECURSIVE tree(root, relid) AS (
                SELECT i.inhparent, i.inhrelid
                  FROM pg_catalog.pg_inherits i
                  JOIN pg_catalog.pg_class p ON p.oid = i.inhparent
                 WHERE p.relkind = 'p'
                UNION ALL
                SELECT t.root, i.inhrelid
                  FROM tree t
                  JOIN pg_catalog.pg_inherits i ON i.inhparent = t.relid)
            SELECT n.nspname, p.relname, ln.nspname, l.relname
              FROM tree t
              JOIN pg_catalog.pg_class p ON p.oid = t.root
              JOIN pg_catalog.pg_namespace n ON n.oid = p.relnamespace
              JOIN pg_catalog.pg_class l ON l.oid = t.relid
              JOIN pg_catalog.pg_namespace ln ON ln.oid = l.relnamespace
             WHERE l.relkind = 'r' AND\s""" + SchemaReader.USER_SCHEMA + " ORDER BY 1, 2, 3, 4";

    /** Whether the publication sends its partitions' changes as their root's (any version: null before 13). */
    private static final String VIA_ROOT_SQL = "SELECT pg_catalog.to_jsonb(p) ->> 'pubviaroot' "
            + "FROM pg_catalog.pg_publication p WHERE p.pubname = ?";

    private SourcePrecheck() {
    }

    /**
     * Runs every item against the database.
     *
     * @param props the connector configuration with pgsync's defaults applied
     */
    public static List<Failure> check(Map<String, String> props) {
        Configuration config = Configuration.from(props);
        SourceDatabase database = new SourceDatabase(config);
        List<Failure> failures = new ArrayList<>();
        try (Connection connection = database.connect()) {
            String where = database.describe();
            checkServer(connection, where, failures);
            checkUser(connection, config.getString("database.user"), failures);
            checkSlots(connection, where, config.getString("slot.name"), failures);
            PostgresConnectorConfig debezium = new PostgresConnectorConfig(config);
            Predicate<TableRef> selected = PgSyncSourceConfig.tableSelection(debezium);
            List<String> notOwned = checkTables(connection, selected,
                    new PgSyncSourceConfig(props).replicaIdentityAutoEnabled(), failures);
            checkPartitions(connection, props, debezium.publicationName(), selected, failures);
            checkPublication(connection, debezium.publicationName(),
                    config.getString("publication.autocreate.mode", "all_tables"), notOwned, failures);
            checkRowFilters(connection, props, failures);
            checkDdlCapture(connection, props, debezium.publicationName(), failures);
        } catch (SQLException e) {
            log.debug("Precheck skipped: cannot connect to {} ({})", database.describe(), e.getMessage());
        }
        return failures;
    }

    /**
     * Connects as the connector will and, when that fails, says why on the key to fix: a rejected login on
     * {@code database.password}, a missing database on {@code database.dbname}, anything else (host down, port
     * closed, name not resolved) on {@code database.hostname}. Never echoes the password. Empty when the connection
     * works.
     *
     * @param props the connector configuration with pgsync's defaults applied
     */
    public static List<Failure> connectivity(Map<String, String> props) {
        Configuration config = Configuration.from(props);
        SourceDatabase database = new SourceDatabase(config);
        try (Connection connection = database.connect()) {
            return List.of();
        } catch (SQLException e) {
            String state = e.getSQLState() == null ? "" : e.getSQLState();
            String user = Identifiers.quote(String.valueOf(config.getString("database.user")));
            String cause = e.getMessage() + " (SQLState " + (state.isEmpty() ? "none" : state) + ")";
            if (state.startsWith("28")) {
                return List.of(new Failure("database.password", "The source " + database.describe() + " refused "
                        + "the login of user " + user + ": " + cause + ". Set database.user and database.password "
                        + "to a role that may log in (and replicate) there, or allow it in the source's "
                        + "pg_hba.conf"));
            }
            if (state.equals("3D000")) {
                return List.of(new Failure("database.dbname", "The source " + database.describe() + " has no "
                        + "such database: " + cause + ". Set database.dbname to an existing database"));
            }
            return List.of(new Failure(UNREACHABLE_KEY, "Cannot reach the source " + database.describe()
                    + " as user " + user + ": " + cause + ". Check database.hostname and database.port, and that "
                    + "PostgreSQL runs there and listens on that address (listen_addresses, firewall)", isOutage(e)));
        }
    }

    /**
     * Whether a failed connection attempt met a server that is down, starting, shutting down, in crash recovery or
     * out of connections: a refused or timed-out connection, a connection cut during the handshake, SQLSTATE 57P03
     * or 53300. A name that does not resolve, a TLS failure or a refused login is not one: it needs a fix.
     */
    public static boolean isOutage(SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        if (state.equals("57P03") || state.equals("53300")) {
            return true;
        }
        if (!state.equals("08001") && !state.equals("08006")) {
            return false;
        }
        boolean network = false;
        for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
            if (cause instanceof SSLException) {
                return false;
            }
            network |= cause instanceof SocketException || cause instanceof SocketTimeoutException
                    || cause instanceof EOFException;
        }
        return network;
    }

    private static void checkServer(Connection connection, String where, List<Failure> failures) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("""
                SELECT pg_catalog.current_setting('server_version_num')::int,
                       pg_catalog.current_setting('server_version'), pg_catalog.current_setting('wal_level'),
                       pg_catalog.current_setting('max_wal_senders')::int,
                       (SELECT count(*) FROM pg_catalog.pg_stat_replication)""");
                ResultSet rs = ps.executeQuery()) {
            rs.next();
            if (rs.getInt(1) < 100000) {
                failures.add(new Failure("database.hostname", "PostgreSQL " + rs.getString(2) + " on " + where
                        + " is too old: logical replication with pgoutput needs PostgreSQL 10 or newer; upgrade the "
                        + "server"));
            }
            if (!"logical".equals(rs.getString(3))) {
                failures.add(new Failure("database.hostname", "wal_level is '" + rs.getString(3) + "' on " + where
                        + "; logical decoding needs 'logical': run ALTER SYSTEM SET wal_level = logical, then "
                        + "restart PostgreSQL"));
            }
            if (rs.getInt(5) >= rs.getInt(4)) {
                failures.add(new Failure("database.hostname", "All " + rs.getInt(4) + " WAL senders of " + where
                        + " are in use (max_wal_senders); stop an unused replication client, or raise "
                        + "max_wal_senders (ALTER SYSTEM SET max_wal_senders = " + (rs.getInt(4) + 5)
                        + ", then restart PostgreSQL)"));
            }
        }
    }

    private static void checkUser(Connection connection, String user, List<Failure> failures) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT rolreplication OR rolsuper "
                + "FROM pg_catalog.pg_roles WHERE rolname = current_user");
                ResultSet rs = ps.executeQuery()) {
            if (rs.next() && !rs.getBoolean(1)) {
                failures.add(new Failure("database.user", "User " + user + " may not replicate: it needs the "
                        + "REPLICATION attribute to read changes from a replication slot; run ALTER ROLE "
                        + Identifiers.quote(user) + " REPLICATION as a superuser"));
            }
        }
    }

    private static void checkSlots(Connection connection, String where, String slot, List<Failure> failures)
            throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("""
                SELECT pg_catalog.current_setting('max_replication_slots')::int, count(*),
                       bool_or(slot_name = ?),
                       string_agg(slot_name || CASE WHEN active THEN ' (active)' ELSE ' (inactive)' END, ', '
                                  ORDER BY active, slot_name)
                  FROM pg_catalog.pg_replication_slots""")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                int max = rs.getInt(1);
                if (!rs.getBoolean(3) && rs.getInt(2) >= max) {
                    failures.add(new Failure("slot.name", "All " + max + " replication slots of " + where
                            + " are taken (max_replication_slots), so slot " + slot + " cannot be created: "
                            + rs.getString(4) + ". Drop an unused one (SELECT pg_drop_replication_slot('<name>')), "
                            + "or raise max_replication_slots (ALTER SYSTEM SET max_replication_slots = "
                            + (max + 5) + ", then restart PostgreSQL)"));
                }
            }
        }
    }

    /**
     * Checks the selected tables; returns those the user does not own. A table without replica identity is refused
     * when {@code replica.identity.auto.enabled} is off, and when it is on but the user may not alter the table.
     */
    private static List<String> checkTables(Connection connection, Predicate<TableRef> selected,
            boolean identityAuto, List<Failure> failures) throws SQLException {
        List<String> notOwned = new ArrayList<>();
        List<String> keyless = new ArrayList<>();
        List<String> unlogged = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement(TABLES_SQL); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                TableRef table = new TableRef(rs.getString(1), rs.getString(2));
                if (!selected.test(table)) {
                    continue;
                }
                if ("u".equals(rs.getString(3))) {
                    unlogged.add(table.quoted());
                }
                if (!rs.getBoolean(7)) {
                    notOwned.add(table.quoted());
                }
                String identity = rs.getString(4);
                boolean noIdentity = "n".equals(identity) || "d".equals(identity) && !rs.getBoolean(5)
                        || "i".equals(identity) && !rs.getBoolean(6);
                if (noIdentity && !(identityAuto && rs.getBoolean(7))) {
                    keyless.add(table.quoted());
                }
            }
        }
        if (!keyless.isEmpty() && identityAuto) {
            failures.add(new Failure("table.include.list", keyless.size() + " selected "
                    + "table(s) have no replica identity (no primary key and REPLICA IDENTITY DEFAULT, or REPLICA "
                    + "IDENTITY NOTHING), and the connector's user does not own them, so it cannot give them REPLICA "
                    + "IDENTITY FULL as " + PgSyncSourceConfig.REPLICA_IDENTITY_AUTO_ENABLED + "=true asks: "
                    + named(keyless) + ". Have their owner run ALTER TABLE " + keyless.get(0) + " REPLICA IDENTITY "
                    + "FULL (per table), or add a primary key, or leave them out of table.include.list"));
        } else if (!keyless.isEmpty()) {
            failures.add(new Failure("table.include.list", keyless.size() + " selected table(s) have no replica "
                    + "identity (no primary key and REPLICA IDENTITY DEFAULT, or REPLICA IDENTITY NOTHING), so once "
                    + "published the source refuses their UPDATE and DELETE: " + named(keyless) + ". Set "
                    + PgSyncSourceConfig.REPLICA_IDENTITY_AUTO_ENABLED + "=true (the default) to have the connector "
                    + "give them REPLICA IDENTITY FULL, or add a primary key, or run ALTER TABLE " + keyless.get(0)
                    + " REPLICA IDENTITY FULL (per table; the whole old row is then logged), or leave them out of "
                    + "table.include.list"));
        }
        if (!unlogged.isEmpty()) {
            failures.add(new Failure("table.include.list", "Unlogged table(s) are not written to the WAL, so their "
                    + "changes cannot be captured: " + named(unlogged) + ". Run ALTER TABLE " + unlogged.get(0)
                    + " SET LOGGED, or leave them out of table.include.list"));
        }
        return notOwned;
    }

    /**
     * A partitioned table selected without its partitions: PostgreSQL stores the rows in the partitions, and the
     * capture reads each change under the partition's name, so rows of partitions left out would never be synced
     * (unless an existing publication sends them as their root's, {@code publish_via_partition_root}). The failure
     * goes on the list that left them out. Example: {@code table.include.list=public\\.events} with partitions
     * {@code events_2025} and {@code events_2026} names both and suggests {@code public\\.events.*}, which takes both.
     */
    private static void checkPartitions(Connection connection, Map<String, String> props, String publication,
            Predicate<TableRef> selected, List<Failure> failures) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(VIA_ROOT_SQL)) {
            ps.setString(1, publication);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next() && "true".equals(rs.getString(1))) {
                    return;
                }
            }
        }
        Map<TableRef, List<TableRef>> missing = new LinkedHashMap<>();
        try (PreparedStatement ps = connection.prepareStatement(PARTITIONS_SQL); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                TableRef parent = new TableRef(rs.getString(1), rs.getString(2));
                TableRef partition = new TableRef(rs.getString(3), rs.getString(4));
                if (selected.test(parent) && !selected.test(partition)) {
                    missing.computeIfAbsent(parent, p -> new ArrayList<>()).add(partition);
                }
            }
        }
        String key = selectionKey(props);
        missing.forEach((parent, partitions) -> {
            String pattern = literal(parent.schema()) + "\\." + literal(parent.table()) + ".*";
            boolean patternTakesAll = partitions.stream()
                    .allMatch(p -> (p.schema() + "." + p.table()).matches(pattern));
            String fix = !key.equals("table.include.list") ? "Take them out of " + key
                    : patternTakesAll ? "Add them to table.include.list (e.g. " + pattern + ", which also takes "
                            + "partitions created later under names that match)"
                    : "Add them to table.include.list";
            failures.add(new Failure(key, "The selection takes the partitioned table " + parent.quoted()
                    + " but not " + partitions.size() + " of its partitions: "
                    + named(partitions.stream().map(TableRef::quoted).toList()) + ". PostgreSQL keeps the rows in "
                    + "the partitions and the capture reads them there, so their rows would not be synced. " + fix
                    + ", or leave " + parent.quoted() + " out of the selection"));
        });
    }

    /** The include or exclude list that decides which tables are selected, as the user set them. */
    private static String selectionKey(Map<String, String> props) {
        if (!props.getOrDefault("table.include.list", "").isBlank()) {
            return "table.include.list";
        }
        if (!PgSyncSourceConfig.userTableExcludeList(props.getOrDefault("table.exclude.list", "")).isEmpty()) {
            return "table.exclude.list";
        }
        return props.getOrDefault("schema.exclude.list", "").isBlank() ? "schema.include.list"
                : "schema.exclude.list";
    }

    /**
     * A missing publication is created by the task: FOR ALL TABLES needs a superuser, FOR TABLE needs ownership of
     * every table and CREATE on the database. An existing publication of listed tables gets the signal table added
     * by the task, which only its owner may do.
     */
    private static void checkPublication(Connection connection, String publication, String mode,
            List<String> notOwned, List<Failure> failures) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("""
                SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_publication WHERE pubname = ?),
                       (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user),
                       pg_catalog.has_database_privilege(current_database(), 'CREATE'),
                       (SELECT p.puballtables OR p.pubowner = (SELECT oid FROM pg_catalog.pg_roles
                                                                 WHERE rolname = current_user)
                               OR EXISTS (SELECT 1 FROM pg_catalog.pg_publication_tables t
                                           WHERE t.pubname = p.pubname AND t.schemaname = 'pgsync'
                                             AND t.tablename = 'signal')
                          FROM pg_catalog.pg_publication p WHERE p.pubname = ?),
                       (SELECT pg_catalog.pg_get_userbyid(pubowner) FROM pg_catalog.pg_publication
                         WHERE pubname = ?),
                       current_user""")) {
            ps.setString(1, publication);
            ps.setString(2, publication);
            ps.setString(3, publication);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (rs.getBoolean(1) && !rs.getBoolean(2) && !rs.getBoolean(4)) {
                    failures.add(new Failure("publication.name", "Publication " + publication + " belongs to "
                            + rs.getString(5) + ", and the connector adds its signal table pgsync.signal (and, with "
                            + "heartbeat.interval.ms, pgsync.heartbeat) to it when it starts, which only the "
                            + "publication's owner may do: run ALTER PUBLICATION " + Identifiers.quote(publication)
                            + " OWNER TO " + Identifiers.quote(rs.getString(6)) + " (the new owner needs CREATE on "
                            + "the database)"));
                }
                if (rs.getBoolean(1) || rs.getBoolean(2) || "disabled".equalsIgnoreCase(mode)) {
                    return;
                }
                if ("all_tables".equalsIgnoreCase(mode)) {
                    failures.add(new Failure("publication.autocreate.mode", "Publication " + publication
                            + " does not exist, and only a superuser may create one FOR ALL TABLES: set "
                            + "publication.autocreate.mode=filtered, or have a superuser run CREATE PUBLICATION "
                            + Identifiers.quote(publication) + " FOR ALL TABLES"));
                } else if (!rs.getBoolean(3) || !notOwned.isEmpty()) {
                    failures.add(new Failure("publication.autocreate.mode", "Publication " + publication
                            + " does not exist, and the user may not create it: that needs CREATE on the database"
                            + (rs.getBoolean(3) ? "" : " (missing: GRANT CREATE ON DATABASE <db> TO <user>)")
                            + " and ownership of every selected table" + (notOwned.isEmpty() ? ""
                                    : " (not owned: " + named(notOwned) + ")")
                            + "; or have a superuser run CREATE PUBLICATION " + Identifiers.quote(publication)
                            + " FOR TABLE <the selected tables>"));
                }
            }
        }
    }

    /**
     * Each row filter must be a valid condition on its table (PostgreSQL 15 or newer), and use only columns of the
     * table's replica identity unless that is FULL: PostgreSQL refuses UPDATE and DELETE on a published table whose
     * filter needs other columns (a table without any replica identity is given FULL by the task when
     * {@code replica.identity.auto.enabled}). The columns are found by creating the condition as a temporary view,
     * rolled back.
     */
    private static void checkRowFilters(Connection connection, Map<String, String> props, List<Failure> failures)
            throws SQLException {
        boolean identityAuto = new PgSyncSourceConfig(props).replicaIdentityAutoEnabled();
        for (Map.Entry<String, String> filter : props.entrySet()) {
            if (!filter.getKey().startsWith(PgSyncSourceConfig.FILTER_PREFIX)) {
                continue;
            }
            TableRef table;
            try {
                table = PgSyncSourceConfig.filterTable(filter.getKey());
            } catch (ConfigException e) {
                continue;
            }
            String problem = rowFilterProblem(connection, table, filter.getValue(), identityAuto);
            if (problem != null) {
                failures.add(new Failure(filter.getKey(), problem));
            }
        }
    }

    private static String rowFilterProblem(Connection connection, TableRef table, String condition,
            boolean identityAuto) throws SQLException {
        if (connection.getMetaData().getDatabaseMajorVersion() < 15) {
            return "Row filters need PostgreSQL 15 or newer (publication row filters); this server is "
                    + connection.getMetaData().getDatabaseProductVersion() + ". Remove the filter or upgrade";
        }
        boolean autoCommit = connection.getAutoCommit();
        connection.setAutoCommit(false);
        try (Statement statement = connection.createStatement()) {
            try {
                statement.execute("CREATE TEMPORARY VIEW pgsync_row_filter AS SELECT 1 AS one FROM "
                        + table.quoted() + " WHERE (" + condition + ")");
            } catch (SQLException e) {
                return "The row filter of " + table.quoted() + " does not work as a condition on it: "
                        + e.getMessage() + ". Write a boolean SQL expression over the table's columns, e.g. "
                        + "region = 'eu'";
            }
            try (ResultSet rs = statement.executeQuery("""
                    SELECT c.relreplident,
                           (SELECT string_agg(a.attname, ', ' ORDER BY a.attnum)
                              FROM pg_catalog.pg_attribute a
                             WHERE a.attrelid = c.oid AND a.attnum IN (
                                   SELECT d.refobjsubid FROM pg_catalog.pg_depend d
                                     JOIN pg_catalog.pg_rewrite r ON r.oid = d.objid
                                    WHERE d.classid = 'pg_rewrite'::regclass
                                      AND r.ev_class = 'pg_temp.pgsync_row_filter'::regclass
                                      AND d.refobjid = c.oid AND d.refobjsubid > 0)
                               AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_index i
                                                WHERE i.indrelid = c.oid AND a.attnum = ANY ((i.indkey::int2[])[0:i.indnkeyatts - 1])
                                                  AND (c.relreplident = 'd' AND i.indisprimary
                                                       OR c.relreplident = 'i' AND i.indisreplident))),
                           NOT (c.relreplident = 'f'
                                OR c.relreplident = 'd' AND EXISTS (SELECT 1 FROM pg_catalog.pg_index i
                                                                     WHERE i.indrelid = c.oid AND i.indisprimary)
                                OR c.relreplident = 'i' AND EXISTS (SELECT 1 FROM pg_catalog.pg_index i
                                                                     WHERE i.indrelid = c.oid AND i.indisreplident))
                      FROM pg_catalog.pg_class c WHERE c.oid = '%s'::regclass""".formatted(
                    table.quoted().replace("'", "''")))) {
                rs.next();
                // a table without any replica identity gets FULL from the task when replica.identity.auto.enabled
                if (!"f".equals(rs.getString(1)) && rs.getString(2) != null && !(identityAuto && rs.getBoolean(3))) {
                    return "The row filter of " + table.quoted() + " uses column(s) " + rs.getString(2)
                            + ", which are not part of its replica identity: once published, PostgreSQL refuses "
                            + "UPDATE and DELETE on the table. Run ALTER TABLE " + table.quoted()
                            + " REPLICA IDENTITY FULL, or filter on key columns only";
                }
            }
            return null;
        } finally {
            connection.rollback();
            connection.setAutoCommit(autoCommit);
        }
    }

    /**
     * DDL capture (on unless {@code ddl.capture.enabled=false}) needs event triggers, which only a superuser may
     * create; once a superuser installed them, any user's connector uses them, when they are this version's (they
     * write {@code pgsync.ddl_log}) and the publication carries that table, which only its owner may add.
     */
    private static void checkDdlCapture(Connection connection, Map<String, String> props, String publication,
            List<Failure> failures) throws SQLException {
        if (!new PgSyncSourceConfig(props).ddlCaptureEnabled() || DdlCapture.superuser(connection)) {
            return;
        }
        if (!DdlCapture.installed(connection)) {
            failures.add(new Failure(PgSyncSourceConfig.DDL_CAPTURE_ENABLED, "DDL capture needs event triggers in "
                    + "the source database, and only a superuser may create them (PostgreSQL), which user "
                    + props.get("database.user") + " is not. Run the connector once as a superuser (it installs "
                    + "them in schema pgsync, and later connectors of any user use them), or set "
                    + PgSyncSourceConfig.DDL_CAPTURE_ENABLED + "=false to replicate without DDL: schema changes on "
                    + "the source then have to be made on the destination by hand"));
            return;
        }
        if (!DdlCapture.current(connection)) {
            failures.add(new Failure(PgSyncSourceConfig.DDL_CAPTURE_ENABLED, "The DDL capture installed in the "
                    + "source database is from an older pgsync: it writes no pgsync.ddl_log, the only channel whose "
                    + "DDL cannot be forged by other roles. Have a superuser run this version's capture.sql (from the "
                    + "plugin's jar, see the README), or set " + PgSyncSourceConfig.DDL_CAPTURE_ENABLED + "=false"));
            return;
        }
        try (PreparedStatement ps = connection.prepareStatement("""
                SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_publication p WHERE p.pubname = ? AND (p.puballtables
                               OR EXISTS (SELECT 1 FROM pg_catalog.pg_publication_tables t
                                           WHERE t.pubname = p.pubname AND t.schemaname = 'pgsync'
                                             AND t.tablename = 'ddl_log'))),
                       pg_catalog.pg_has_role((SELECT c.relowner FROM pg_catalog.pg_class c
                                                 JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                                                WHERE n.nspname = 'pgsync' AND c.relname = 'ddl_log'), 'USAGE')""")) {
            ps.setString(1, publication);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next() && !rs.getBoolean(1) && !rs.getBoolean(2)) {
                    failures.add(new Failure("publication.name", "Publication " + publication + " must carry the "
                            + "DDL capture's table pgsync.ddl_log (its inserts are how DDL reaches the connector), "
                            + "and only that table's owner may add it: have a superuser run ALTER PUBLICATION "
                            + Identifiers.quote(publication) + " ADD TABLE pgsync.ddl_log (creating the publication "
                            + "first when it does not exist), or set " + PgSyncSourceConfig.DDL_CAPTURE_ENABLED
                            + "=false"));
                }
            }
        }
    }

    /** The name as a regular expression that matches it alone: every character but letters, digits and _ escaped. */
    private static String literal(String name) {
        StringBuilder regex = new StringBuilder(name.length());
        name.codePoints().forEach(c -> {
            if (!Character.isLetterOrDigit(c) && c != '_') {
                regex.append('\\');
            }
            regex.appendCodePoint(c);
        });
        return regex.toString();
    }

    private static String named(List<String> tables) {
        return tables.size() <= MAX_NAMED ? String.join(", ", tables)
                : String.join(", ", tables.subList(0, MAX_NAMED)) + " and " + (tables.size() - MAX_NAMED) + " more";
    }
}
