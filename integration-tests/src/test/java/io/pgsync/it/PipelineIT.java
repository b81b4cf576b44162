package io.pgsync.it;

import org.junit.jupiter.api.extension.RegisterExtension;

import io.pgsync.testkit.connect.ConnectExtension;
import io.pgsync.testkit.pg.PostgresExtension;

/**
 * The real parts every end-to-end test class gets, started once per class: a source PostgreSQL with
 * {@code wal_level=logical}, a destination PostgreSQL, and a Kafka broker with a Connect worker that loads the
 * connectors from the unpacked plugin archives.
 */
abstract class PipelineIT {

    @RegisterExtension
    static final PostgresExtension source = PostgresExtension.logical();

    @RegisterExtension
    static final PostgresExtension target = PostgresExtension.plain();

    @RegisterExtension
    static final ConnectExtension connect = ConnectExtension.withPluginPath(Pipeline.pluginPath());

    /** Creates the database on both clusters. */
    static void createDatabases(String db) {
        source.cluster().createDatabase(db);
        target.cluster().createDatabase(db);
    }
}
