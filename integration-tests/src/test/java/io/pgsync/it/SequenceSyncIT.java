package io.pgsync.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * Sequence positions follow the source while streaming ({@code sequence.sync.interval.ms}): a serial column's sequence
 * and a standalone sequence reach the source's position, and a destination sequence that has moved further is never
 * moved back.
 */
class SequenceSyncIT extends PipelineIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @Test
    void sequencesFollowTheSourceAndNeverMoveBackwards() throws Exception {
        String db = "seqsync";
        createDatabases(db);
        source.execute(db, "CREATE TABLE t (id serial PRIMARY KEY, v text)", "CREATE SEQUENCE tickets",
                "INSERT INTO t (v) SELECT 'x' FROM generate_series(1, 5)");
        Map<String, String> config = Pipeline.withJson(Pipeline.source(source.cluster(), db, db, "public.t", 1));
        config.put("sequence.sync.interval.ms", "300");
        deployPipeline(db, config);

        source.execute(db, "INSERT INTO t (v) SELECT 'y' FROM generate_series(1, 20)",
                "SELECT nextval('tickets') FROM generate_series(1, 7)");
        awaitPosition(db, "t_id_seq", "25");
        awaitPosition(db, "tickets", "7");
        assertThat(Tables.rows(target.cluster(), db, "t")).hasSize(25);

        target.execute(db, "SELECT setval('tickets', 1000)");
        source.execute(db, "SELECT nextval('tickets') FROM generate_series(1, 3)");
        source.execute(db, "INSERT INTO t (v) VALUES ('z')");
        awaitPosition(db, "t_id_seq", "26");
        assertThat(position(db, "tickets")).isEqualTo("1000");

        source.execute(db, "SELECT setval('tickets', 2000)");
        awaitPosition(db, "tickets", "2000");
        undeployPipeline(db);
    }

    private void awaitPosition(String db, String sequence, String value) {
        await().atMost(TIMEOUT).ignoreExceptions().untilAsserted(() -> assertThat(position(db, sequence))
                .as("last value of %s at the destination (sink: %s)", sequence, connect.statusText(db + "-sink"))
                .isEqualTo(value));
    }

    private static String position(String db, String sequence) {
        List<List<String>> rows = target.query(db, "SELECT last_value FROM pg_sequences WHERE sequencename = '"
                + sequence + "'");
        return rows.isEmpty() ? null : rows.get(0).get(0);
    }
}
