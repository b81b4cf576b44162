package io.pgsync.sink.apply;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.pgsync.common.event.DdlEvent;
import io.pgsync.common.event.SchemaObject;
import io.pgsync.common.event.TypedColumns;
import io.pgsync.common.pg.Identifiers;
import io.pgsync.common.pg.TableRef;
import io.pgsync.sink.PgSyncSinkConfig;
import io.pgsync.sink.ddl.DdlPolicy;
import io.pgsync.sink.ddl.DdlTranslator;
import io.pgsync.sink.mapping.NameMapping;
import io.pgsync.sink.metrics.PgSyncSinkMetrics;
import io.pgsync.sink.schema.DestinationCatalog;
import io.pgsync.sink.schema.DestinationTable;

/**
 * Applies schema changes in their place in the stream, inside the open transaction and after the queued writes: the
 * schema sync's objects and the DDL captured while streaming, translated through the naming rules. Each statement
 * runs under a savepoint, and one that fails because the object already exists counts as done, so applying a DDL
 * again after a restart fails on nothing. A statement the destination refuses for another reason fails the task, even
 * with {@code errors.tolerance=all}: passing over it would leave the destination's schema differing from the source's,
 * and the rows that follow written into it, or dead-lettered one by one.
 */
final class SchemaApplier {

    private static final Logger log = LoggerFactory.getLogger(SchemaApplier.class);
    /** SQLSTATEs of "already exists": duplicate table, object, function, schema. */
    private static final Set<String> ALREADY_EXISTS = Set.of("42P07", "42710", "42723", "42P06");

    private final DestinationSession session;
    private final WriteQueue writes;
    private final DestinationCatalog catalog;
    private final NameMapping mapping;
    private final boolean conflictFails;
    private final ErrantRecords errant;
    private final PgSyncSinkMetrics metrics;
    private final DdlPolicy ddlPolicy;

    SchemaApplier(DestinationSession session, WriteQueue writes, DestinationCatalog catalog, NameMapping mapping,
            boolean conflictFails, ErrantRecords errant, PgSyncSinkMetrics metrics, DdlPolicy ddlPolicy) {
        this.session = session;
        this.writes = writes;
        this.catalog = catalog;
        this.mapping = mapping;
        this.conflictFails = conflictFails;
        this.errant = errant;
        this.metrics = metrics;
        this.ddlPolicy = ddlPolicy;
    }

    /**
     * Creates an object of the schema sync. A table that exists with other columns fails the task when
     * {@code schema.sync.conflict=precheck}.
     */
    void create(SinkRecord record, SchemaObject object) throws SQLException {
        writes.drain();
        if (object.table() != null && conflictFails) {
            checkConflict(object);
        }
        List<DdlTranslator.Step> steps = new ArrayList<>();
        if (object.table() != null && !mapping.isNone()) {
            steps.add(new DdlTranslator.Step("schema of " + object.identity(), "CREATE SCHEMA IF NOT EXISTS "
                    + Identifiers.quote(mapping.table(object.table()).schema())));
        }
        for (String sql : object.statements()) {
            Optional<String> rewritten = mapping.rewrite(sql, object.table());
            if (rewritten.isPresent()) {
                steps.add(new DdlTranslator.Step(object.kind() + " " + object.identity(), rewritten.get()));
            } else {
                log.warn("Not created at the destination under the naming rules (it needs a column that "
                        + "columns.exclude leaves out, or ties a sequence to a table in another schema): {}", sql);
            }
        }
        run(record, steps, "the schema sync's " + object.kind() + " " + object.identity());
    }

    /**
     * Applies a DDL command captured on the source while streaming.
     *
     * @return whether it was applied (false when it can be neither translated nor replayed and went to the
     *     errant-record reporter)
     */
    boolean alter(SinkRecord record, DdlEvent event) throws SQLException {
        List<DdlTranslator.Step> steps;
        try {
            steps = DdlTranslator.translate(event, mapping);
        } catch (DdlTranslator.UntranslatableDdlException | DataException e) {
            errant.reportOrFail(record, new ConnectException("Cannot apply DDL from " + Records.position(record)
                    + ": " + e.getMessage(), e));
            return false;
        }
        writes.drain();
        run(record, steps, event.query().isBlank() ? "a " + event.tag() + " command on the source"
                : "the source's " + event.query());
        return true;
    }

    /**
     * Runs DDL statements in order, each under a savepoint with {@code check_function_bodies = off}; one that fails
     * because the object already exists counts as done. Any other failure fails the task, naming the object, the
     * statement, what it came from and the fix.
     *
     * @param origin what the statements come from, e.g. {@code the source's ALTER TABLE app.t ...}
     */
    private void run(SinkRecord record, List<DdlTranslator.Step> steps, String origin) throws SQLException {
        Connection conn = session.connection();
        try (DdlPolicy.Session ddl = ddlPolicy.enter(conn)) {
            for (DdlTranslator.Step step : steps) {
                Savepoint savepoint = conn.setSavepoint();
                try {
                    ddl.execute(ddlPolicy.apply(step.object(), step.sql()));
                    conn.releaseSavepoint(savepoint);
                } catch (SQLException e) {
                    conn.rollback(savepoint);
                    if (ALREADY_EXISTS.contains(e.getSQLState())) {
                        log.debug("{} already exists at the destination: {}", step.object(), e.getMessage());
                        continue;
                    }
                    Failures.Kind kind = Failures.classify(e);
                    if (kind == Failures.Kind.CONNECTION || kind == Failures.Kind.TRANSIENT) {
                        throw e;
                    }
                    catalog.invalidate();
                    log.warn("The destination refused DDL for {}: {}", step.object(), step.sql());
                    throw new ConnectException("Cannot apply DDL to " + step.object() + " at the destination ("
                            + Failures.message(e) + "); statement: " + step.sql() + "; made for " + origin
                            + " at " + Records.position(record) + ". The task stops here, whatever errors.tolerance "
                            + "says, so that the destination's schema does not part from the source's: change the "
                            + "destination so that this statement succeeds (create what it needs, such as a role, an "
                            + "extension or a type, or remove what is in its way), then restart the task, which runs "
                            + "it again and goes on", e);
                }
            }
        }
        catalog.invalidate();
        metrics.ddlApplied();
    }

    /** Fails when the table exists at the destination with other columns or types than the source's. */
    private void checkConflict(SchemaObject object) throws SQLException {
        TableRef source = object.table();
        TableRef target = mapping.table(source);
        DestinationTable existing = catalog.existing(session.connection(), target).orElse(null);
        if (existing == null) {
            return;
        }
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < object.columns().size(); i++) {
            String column = object.columns().get(i);
            if (!mapping.excluded(source, column)) {
                expected.add(mapping.column(source, column) + " "
                        + unqualified(TypedColumns.type(object.types().get(i))));
            }
        }
        List<String> actual = new ArrayList<>();
        existing.columnTypes().forEach((column, type) -> actual.add(column + " " + unqualified(type)));
        if (!expected.equals(actual)) {
            throw new ConnectException("Destination table " + target + " already exists with columns "
                    + actual + ", but the source table has " + expected + "; drop or fix the destination table, or "
                    + "set " + PgSyncSinkConfig.SCHEMA_CONFLICT + "=" + PgSyncSinkConfig.SCHEMA_CONFLICT_IGNORE
                    + " to keep it and write the source rows into it");
        }
    }

    /** A type name without its schema, so that {@code public.mood} and {@code mood} compare equal. */
    private static String unqualified(String type) {
        return type.replaceFirst("^(\"(?:[^\"]|\"\")+\"|[^\".\\[( ]+)\\.", "");
    }
}
