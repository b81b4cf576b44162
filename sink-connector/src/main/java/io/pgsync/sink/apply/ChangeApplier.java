package io.pgsync.sink.apply;

import java.sql.BatchUpdateException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.RetriableException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.pgsync.sink.schema.DestinationCatalog;
import io.pgsync.sink.schema.DestinationTable;
import io.pgsync.sink.sql.SqlBuilder;
import io.pgsync.sink.sql.Statement;
import io.pgsync.sink.type.PgText;

/**
 * Applies a batch of change records to the destination in one transaction, in record order: consecutive changes
 * of the same table and kind go to the server as one JDBC batch of the same prepared statement.
 */
public final class ChangeApplier implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ChangeApplier.class);

    private final String url;
    private final Properties connectionProperties;
    private final DestinationCatalog catalog;
    private final Map<String, PreparedStatement> statements = new HashMap<>();
    private Connection connection;

    public ChangeApplier(String url, Properties connectionProperties, boolean createTables) {
        this.url = url;
        this.connectionProperties = connectionProperties;
        this.catalog = new DestinationCatalog(createTables);
    }

    /**
     * Applies the records and commits. Records that change no row (transaction markers, heartbeats) are skipped.
     *
     * @throws RetriableException when the destination is unreachable or the transaction hit a serialization
     *     failure or deadlock: Connect redelivers the same records
     * @throws ConnectException for any other failure, naming the table, the records and the SQL error
     */
    public void apply(Collection<SinkRecord> records) {
        Batch batch = null;
        try {
            Connection conn = connection();
            for (SinkRecord record : records) {
                ChangeEvent event = ChangeEvent.of(record).orElse(null);
                if (event == null) {
                    continue;
                }
                if (event.op() == ChangeEvent.Op.TRUNCATE) {
                    flush(batch);
                    batch = null;
                    DestinationTable table = catalog.resolve(conn, event.table(), null, null);
                    try (java.sql.Statement truncate = conn.createStatement()) {
                        truncate.execute(SqlBuilder.truncate(table).sql());
                    }
                    continue;
                }
                DestinationTable table = catalog.resolve(conn, event.table(), event.row().schema(),
                        record.keySchema());
                Statement statement = statementFor(event, table);
                if (batch == null || !batch.statement.equals(statement)) {
                    flush(batch);
                    batch = new Batch(table, statement, prepared(statement));
                }
                batch.add(event);
            }
            flush(batch);
            conn.commit();
        } catch (SQLException e) {
            rollback();
            throw failure(e, batch);
        } catch (RuntimeException e) {
            rollback();
            throw e;
        }
    }

    private Statement statementFor(ChangeEvent event, DestinationTable table) {
        if (event.op().writesRow()) {
            List<String> columns = new ArrayList<>();
            for (Field field : event.row().schema().fields()) {
                if (!table.hasColumn(field.name())) {
                    throw new ConnectException("Cannot apply " + event.op() + " to " + table.table() + " from "
                            + Records.position(event.record()) + ": column " + field.name() + " does not exist "
                            + "on the destination; add the column to the destination table");
                }
                columns.add(field.name());
            }
            if (event.op() == ChangeEvent.Op.UPDATE && table.keyColumns().isEmpty()) {
                throw new ConnectException("Cannot apply UPDATE to " + table.table() + " from "
                        + Records.position(event.record()) + ": the destination table has no primary key to find "
                        + "the row by; add a primary key to the source and destination tables");
            }
            return SqlBuilder.upsert(table, columns);
        }
        if (table.keyColumns().isEmpty()) {
            throw new ConnectException("Cannot apply DELETE to " + table.table() + " from "
                    + Records.position(event.record()) + ": the destination table has no primary key to find the "
                    + "row by; add a primary key to the source and destination tables");
        }
        return SqlBuilder.deleteByKey(table);
    }

    private void flush(Batch batch) throws SQLException {
        if (batch != null && !batch.events.isEmpty()) {
            batch.prepared.executeBatch();
            if (log.isDebugEnabled()) {
                log.debug("Applied {} change(s) to {}: {}", batch.events.size(), batch.table.table(), batch.statement);
            }
            batch.events.clear();
        }
    }

    private PreparedStatement prepared(Statement statement) throws SQLException {
        PreparedStatement ps = statements.get(statement.sql());
        if (ps == null) {
            ps = connection.prepareStatement(statement.sql());
            statements.put(statement.sql(), ps);
        }
        return ps;
    }

    private Connection connection() throws SQLException {
        if (connection == null || connection.isClosed()) {
            statements.clear();
            catalog.invalidate();
            connection = DriverManager.getConnection(url, connectionProperties);
            setReplicaRole(connection);
            connection.setAutoCommit(false);
        }
        return connection;
    }

    /**
     * Runs writes as a replica, as PostgreSQL's own logical replication does: destination triggers and foreign keys
     * then do not fire for rows the source already checked. Needs superuser or {@code GRANT SET ON PARAMETER
     * session_replication_role}; without it the sink still works, but triggers fire and foreign keys are checked.
     */
    private static void setReplicaRole(Connection conn) {
        try (java.sql.Statement statement = conn.createStatement()) {
            statement.execute("SET session_replication_role = replica");
        } catch (SQLException e) {
            log.warn("Cannot SET session_replication_role = replica ({}): destination triggers will fire and "
                    + "foreign keys will be checked for every applied row. Grant it with: GRANT SET ON PARAMETER "
                    + "session_replication_role TO <sink user> (PostgreSQL 15+), or connect as a superuser.",
                    e.getMessage());
        }
    }

    private void rollback() {
        catalog.invalidate();
        if (connection == null) {
            return;
        }
        try {
            connection.rollback();
        } catch (SQLException e) {
            log.warn("Rollback failed, reconnecting on the next batch: {}", e.getMessage());
            close();
        }
    }

    private RuntimeException failure(SQLException e, Batch batch) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        String where = batch == null || batch.events.isEmpty() ? ""
                : " while applying " + describe(batch, e);
        String message = "Cannot write to the destination" + where + ": " + rootMessage(e) + " (SQLState " + state
                + ")";
        if (state.startsWith("08") || state.equals("40001") || state.equals("40P01") || state.equals("57P01")) {
            close();
            return new RetriableException(message, e);
        }
        return new ConnectException(message, e);
    }

    private static String describe(Batch batch, SQLException e) {
        int failed = 0;
        if (e instanceof BatchUpdateException bue) {
            int[] counts = bue.getUpdateCounts();
            while (failed < counts.length && counts[failed] != java.sql.Statement.EXECUTE_FAILED) {
                failed++;
            }
        }
        ChangeEvent event = batch.events.get(Math.min(failed, batch.events.size() - 1));
        return event.op() + " on " + batch.table.table() + " key " + keyText(event.key()) + " from "
                + Records.position(event.record());
    }

    private static String keyText(Struct key) {
        return key == null ? "(none)" : key.toString();
    }

    private static String rootMessage(SQLException e) {
        SQLException next = e.getNextException();
        return next != null && next.getMessage() != null ? next.getMessage() : e.getMessage();
    }

    @Override
    public void close() {
        statements.clear();
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException e) {
                log.debug("Closing the destination connection failed: {}", e.getMessage());
            }
            connection = null;
        }
    }

    /** Consecutive changes bound to one prepared statement, executed as one JDBC batch. */
    private static final class Batch {
        private final DestinationTable table;
        private final Statement statement;
        private final PreparedStatement prepared;
        private final List<ChangeEvent> events = new ArrayList<>();

        Batch(DestinationTable table, Statement statement, PreparedStatement prepared) {
            this.table = table;
            this.statement = statement;
            this.prepared = prepared;
        }

        void add(ChangeEvent event) throws SQLException {
            int index = 1;
            for (String column : statement.parameters()) {
                bind(index++, event, column);
            }
            prepared.addBatch();
            events.add(event);
        }

        private void bind(int index, ChangeEvent event, String column) throws SQLException {
            Struct source = event.op().writesRow() || event.key() == null
                    || event.key().schema().field(column) == null ? event.row() : event.key();
            Field field = source.schema().field(column);
            if (field == null) {
                throw new ConnectException("Cannot apply " + event.op() + " to " + table.table() + " from "
                        + Records.position(event.record()) + ": the record has no value for key column " + column);
            }
            Schema schema = field.schema();
            String text = PgText.of(schema, source.get(field));
            if (text == null) {
                prepared.setNull(index, Types.OTHER);
            } else {
                prepared.setObject(index, text, Types.OTHER);
            }
        }
    }
}
