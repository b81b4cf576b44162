package io.pgsync.sink.apply;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Collection;
import java.util.Map;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.sink.SinkRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.pgsync.common.event.DdlEvent;
import io.pgsync.common.event.RowChunk;
import io.pgsync.common.event.SchemaObject;
import io.pgsync.common.event.SequencePosition;
import io.pgsync.common.event.ValuePiece;
import io.pgsync.sink.PgSyncSinkConfig;
import io.pgsync.sink.ddl.DdlPolicy;
import io.pgsync.sink.metrics.PgSyncSinkMetrics;
import io.pgsync.sink.offset.AppliedOffset;
import io.pgsync.sink.offset.OffsetStore;
import io.pgsync.sink.offset.PartitionClaim;
import io.pgsync.sink.offset.StatusStore;
import io.pgsync.sink.schema.DestinationCatalog;

/**
 * The destination PostgreSQL database behind {@link Destination}: one {@link DestinationSession}, whose writes run in
 * order on a thread of their own ({@link WriteQueue}) while the engine prepares the next batch. It hands each kind of
 * write to the part that owns it: rows to the {@link ChangeWriter}, schema changes to the {@link SchemaApplier},
 * sequence positions to the {@link SequenceApplier}, commits to the {@link Committer}.
 */
final class JdbcDestination implements Destination {

    private static final Logger log = LoggerFactory.getLogger(JdbcDestination.class);

    private final DestinationSession session;
    private final WriteQueue writes;
    private final DestinationCatalog catalog;
    private final OffsetStore offsets;
    private final StatusStore status;
    private final ChangeWriter changes;
    private final SchemaApplier schema;
    private final SequenceApplier sequences;
    private final Committer committer;

    JdbcDestination(PgSyncSinkConfig config, int task, ErrantRecords errant, PgSyncSinkMetrics metrics,
            String writeThreadName) {
        this.offsets = new OffsetStore(config.connectorName());
        this.status = new StatusStore(config.connectorName(), task);
        this.session = new DestinationSession(config, offsets, status);
        this.writes = new WriteQueue(writeThreadName);
        DdlPolicy ddlPolicy = new DdlPolicy(config.ddlOwnerRole(), config.ddlSecurityDefinerEnabled(), metrics);
        this.catalog = new DestinationCatalog(config.tableCreateEnabled(), config.columnAddEnabled(), ddlPolicy);
        WriteErrors writeErrors = new WriteErrors(catalog, config.connectionUser());
        this.changes = new ChangeWriter(session, writes, catalog, writeErrors, errant, config.batchMaxRecords());
        this.schema = new SchemaApplier(session, writes, catalog, config.nameMapping(), config.schemaConflictFails(),
                errant, metrics, ddlPolicy);
        this.sequences = new SequenceApplier(session, writes);
        this.committer = new Committer(offsets, status, metrics, config.lagAlertThresholdMs());
    }

    @Override
    public void connect() throws SQLException {
        if (!session.isOpen()) {
            session.connection();
            catalog.invalidate();
        }
    }

    @Override
    public Map<TopicPartition, PartitionClaim> claim(Collection<TopicPartition> partitions) throws SQLException {
        return session.claim(conn -> offsets.claim(conn, partitions));
    }

    @Override
    public Map<TopicPartition, PartitionClaim> read(Collection<TopicPartition> partitions) throws SQLException {
        return session.claim(conn -> offsets.read(conn, partitions));
    }

    @Override
    public int row(ChangeEvent event) throws SQLException {
        connect();
        changes.row(event);
        return 1;
    }

    @Override
    public void piece(SinkRecord record, ValuePiece piece) throws SQLException {
        connect();
        changes.piece(record, piece);
    }

    @Override
    public int chunk(SinkRecord record, RowChunk chunk) throws SQLException {
        connect();
        return changes.chunk(record, chunk) ? chunk.rows() : 0;
    }

    @Override
    public int schemaObject(SinkRecord record, SchemaObject object) throws SQLException {
        connect();
        changes.flushAll();
        schema.create(record, object);
        return 1;
    }

    @Override
    public int ddl(SinkRecord record, DdlEvent event) throws SQLException {
        connect();
        changes.flushAll();
        return schema.alter(record, event) ? 1 : 0;
    }

    @Override
    public int sequence(SequencePosition position) throws SQLException {
        connect();
        sequences.advance(position);
        return 1;
    }

    @Override
    public void flush() throws SQLException {
        changes.flush();
    }

    @Override
    public void commit(Map<TopicPartition, AppliedOffset> applied, Map<TopicPartition, Long> epochs,
            OpenTransaction.Stats stats, Runnable onCommitted) throws SQLException {
        connect();
        changes.flushAll();
        Connection conn = session.connection();
        writes.submit(() -> {
            committer.commit(conn, applied, epochs, stats);
            return onCommitted;
        });
    }

    @Override
    public void drain() throws SQLException {
        writes.drain();
    }

    @Override
    public void rollBack() {
        writes.reset();
        changes.clear();
        catalog.invalidate();
        session.rollback();
    }

    @Override
    public void recordError(String message) {
        if (!session.isOpen()) {
            return;
        }
        try {
            status.failed(session.connection(), message);
        } catch (SQLException e) {
            log.debug("Cannot record the error in pgsync.status: {}", e.getMessage());
            session.rollback();
        }
    }

    @Override
    public void disconnect() {
        session.discard();
    }

    @Override
    public void close() {
        writes.close();
        changes.clear();
        session.close();
    }
}
