package io.pgsync.sink.apply;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;

import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

import io.pgsync.common.event.RowChunk;
import io.pgsync.sink.schema.DestinationTable;
import io.pgsync.sink.sql.SqlBuilder;
import io.pgsync.sink.sql.Statement;

/**
 * Writes the full sync's row chunks with {@code COPY ... FROM STDIN}, the values in the text form the source's
 * {@code COPY ... TO STDOUT} produced. A chunk goes straight into the table; when that hits rows already there (a
 * full sync restarted after some chunks were committed), it is copied into a temporary staging table instead and
 * upserted from there by key. Tables without key take the rows as they come.
 */
final class CopyWriter {

    private static final String UNIQUE_VIOLATION = "23505";
    private static final String STAGE = "pgsync_stage";

    private final Connection connection;
    private final CopyManager copy;

    CopyWriter(Connection connection) throws SQLException {
        this.connection = connection;
        this.copy = connection.unwrap(PGConnection.class).getCopyAPI();
    }

    /**
     * Writes the chunk's rows into the table, inside the open transaction; first empties the table when the chunk
     * says so (a full sync that starts again). DELETE rather than TRUNCATE: it works on tables that foreign keys
     * reference, and with {@code session_replication_role = replica} those keys are not checked.
     */
    void write(DestinationTable table, RowChunk chunk) throws SQLException {
        if (chunk.reset()) {
            try (java.sql.Statement statement = connection.createStatement()) {
                statement.execute(SqlBuilder.deleteAll(table.table()).sql());
            }
        }
        if (chunk.rows() == 0) {
            return;
        }
        byte[] rows = chunk.copy().getBytes(StandardCharsets.UTF_8);
        if (table.keyColumns().isEmpty()) {
            copyIn(SqlBuilder.copyIn(table.table(), chunk.columns()), rows);
            return;
        }
        Savepoint savepoint = connection.setSavepoint();
        try {
            copyIn(SqlBuilder.copyIn(table.table(), chunk.columns()), rows);
            connection.releaseSavepoint(savepoint);
            return;
        } catch (SQLException e) {
            if (!UNIQUE_VIOLATION.equals(e.getSQLState())) {
                throw e;
            }
            connection.rollback(savepoint);
        }
        try (java.sql.Statement statement = connection.createStatement()) {
            statement.execute(SqlBuilder.dropStage(STAGE).sql());
            statement.execute(SqlBuilder.createStage(STAGE, table.table()).sql());
            copyIn(SqlBuilder.copyIntoStage(STAGE, chunk.columns()), rows);
            statement.execute(SqlBuilder.mergeStage(table, STAGE, chunk.columns()).sql());
            statement.execute(SqlBuilder.dropStage(STAGE).sql());
        }
    }

    private void copyIn(Statement statement, byte[] rows) throws SQLException {
        try {
            copy.copyIn(statement.sql(), new ByteArrayInputStream(rows));
        } catch (IOException e) {
            throw new SQLException("Cannot stream rows to the destination: " + e.getMessage(), "08006", e);
        }
    }
}
