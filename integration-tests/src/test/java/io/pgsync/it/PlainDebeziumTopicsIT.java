package io.pgsync.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.pgsync.testkit.pg.PostgresCluster;

/**
 * The sink fed by an unmodified Debezium PostgreSQL connector (a topic per table, Debezium's default value handling,
 * no propagated source types, no transaction markers): tables are created and columns added from the record schemas,
 * and each table's changes apply in order.
 */
class PlainDebeziumTopicsIT extends PipelineIT {

    @Test
    void perTableTopicsOfPlainDebeziumApplyAndEvolveTheDestination() throws Exception {
        String db = "plain";
        source.cluster().createDatabase(db);
        target.cluster().createDatabase(db);
        source.execute(db,
                "CREATE TABLE a (id int PRIMARY KEY, amount numeric(10,2), note text, at timestamptz, day date)",
                "CREATE TABLE b (id bigint PRIMARY KEY, flag boolean, tags text[])",
                "INSERT INTO a SELECT g, g * 1.25, 'note ' || g, '2024-01-01 00:00:00+00'::timestamptz + g * interval '1 hour', "
                        + "'2024-01-01'::date + g FROM generate_series(1, 50) g",
                "INSERT INTO b SELECT g, g % 2 = 0, ARRAY['t' || g] FROM generate_series(1, 30) g");

        Map<String, String> debezium = new HashMap<>();
        debezium.put("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
        debezium.put("tasks.max", "1");
        debezium.put("database.hostname", source.host());
        debezium.put("database.port", Integer.toString(source.port()));
        debezium.put("database.user", PostgresCluster.SUPERUSER);
        debezium.put("database.password", PostgresCluster.SUPERUSER_PASSWORD);
        debezium.put("database.dbname", db);
        debezium.put("topic.prefix", "plain");
        debezium.put("plugin.name", "pgoutput");
        debezium.put("slot.name", "plain_debezium");
        debezium.put("publication.autocreate.mode", "filtered");
        debezium.put("table.include.list", "public.a,public.b");
        debezium.put("topic.creation.default.partitions", "1");
        debezium.put("topic.creation.default.replication.factor", "-1");
        debezium.putAll(Pipeline.jsonConverters());
        Map<String, String> sink = Pipeline.withJson(Pipeline.sink(target.cluster(), db, "unused", 1));
        sink.remove("topics");
        sink.put("topics.regex", "plain\\.public\\..*");
        sink.put("consumer.override.metadata.max.age.ms", "1000");
        connect.deploy("plain-debezium", debezium);
        connect.awaitRunning("plain-debezium", 1);
        await().atMost(Duration.ofSeconds(60)).until(() -> connect.topics().containsAll(List.of("plain.public.a", "plain.public.b")));
        connect.deploy("plain-sink", sink);
        connect.awaitRunning("plain-sink", 1);
        awaitEqual(db, "a");
        awaitEqual(db, "b");

        source.execute(db,
                "UPDATE a SET amount = amount * 2, note = NULL WHERE id % 5 = 0",
                "DELETE FROM a WHERE id > 45",
                "UPDATE b SET id = id + 1000 WHERE id = 3",
                "ALTER TABLE a ADD COLUMN extra int",
                "UPDATE a SET extra = id * 10 WHERE id <= 10",
                "INSERT INTO a (id, amount, extra) VALUES (100, 1.5, 7)");
        awaitEqual(db, "a");
        awaitEqual(db, "b");
        assertThat(target.query(db, "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                + "WHERE attrelid = 'a'::regclass AND attname = 'extra'")).containsExactly(List.of("integer"));
    }

    private static void awaitEqual(String db, String table) {
        Tables.awaitEqual(source.cluster(), target.cluster(), db, table, Duration.ofSeconds(90),
                () -> "sink: " + connect.statusText("plain-sink"));
    }
}
