package io.pgsync.source;

import java.util.List;

import org.apache.kafka.connect.source.SourceRecord;

import io.debezium.config.Configuration;
import io.debezium.connector.postgresql.PostgresConnectorTask;
import io.debezium.connector.postgresql.PostgresOffsetContext;
import io.debezium.connector.postgresql.PostgresPartition;
import io.debezium.pipeline.ChangeEventSourceCoordinator;
import io.pgsync.common.Version;
import io.pgsync.source.capture.ChangelogRouter;
import io.pgsync.source.capture.RowChangeEncoder;

/**
 * Runs Debezium's PostgreSQL capture unchanged and hands Connect its records re-addressed to the changelog.
 *
 * <p>It extends {@link PostgresConnectorTask} rather than wrapping it: Debezium's lifecycle (start, the final
 * {@code poll()} with its commit and error handling, offset commit to the slot) stays Debezium's own, and pgsync
 * only overrides the one step that produces records.
 */
public class PgSyncSourceTask extends PostgresConnectorTask {

    private volatile ChangelogRouter router;

    @Override
    public ChangeEventSourceCoordinator<PostgresPartition, PostgresOffsetContext> start(Configuration config) {
        PgSyncSourceConfig pgsync = new PgSyncSourceConfig(config.asMap());
        router = new ChangelogRouter(pgsync.changelogTopic(), pgsync.changelogPartitions(),
                pgsync.pgsyncFormat() ? new RowChangeEncoder(pgsync.unavailablePlaceholder()) : null);
        return super.start(config);
    }

    @Override
    public String version() {
        return Version.get();
    }

    @Override
    public List<SourceRecord> doPoll() throws InterruptedException {
        return router.route(super.doPoll());
    }
}
