package io.pgsync.it;

import java.util.Map;

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

    /**
     * Deploys a sink of the changelog {@code <db>.changelog} into database {@code db} of the destination, then the
     * source, and waits until the source task runs; the connectors are named {@code <db>-sink} and
     * {@code <db>-source}.
     */
    static void deployPipeline(String db, Map<String, String> source) throws InterruptedException {
        connect.deploy(db + "-sink", Pipeline.withJson(Pipeline.sink(target.cluster(), db, db + ".changelog", 1)));
        connect.deploy(db + "-source", source);
        connect.awaitRunning(db + "-source", 1);
    }

    /** Deletes the connectors {@link #deployPipeline} made. */
    static void undeployPipeline(String db) {
        connect.delete(db + "-source");
        connect.delete(db + "-sink");
    }
}
