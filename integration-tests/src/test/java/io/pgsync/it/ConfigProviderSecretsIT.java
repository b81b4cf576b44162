package io.pgsync.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.pgsync.testkit.connect.ConnectExtension;
import io.pgsync.testkit.pg.PostgresExtension;

/**
 * A worker with Kafka's {@code FileConfigProvider} ({@code config-examples/worker-config-providers.properties}) runs
 * a pipeline whose two passwords are {@code ${file:<path>:<key>}} references to a secrets file: the sync works, and
 * neither password appears in the connectors' configs, task configs or status over the REST API, nor in any record of
 * any Kafka topic (Connect's config, offset and status topics, the changelog).
 */
class ConfigProviderSecretsIT {

    private static final String DB = "secrets";
    private static final String SOURCE_PASSWORD = "src-pw-7f3a9c51";
    private static final String SINK_PASSWORD = "sink-pw-41be02d8";

    @RegisterExtension
    static final PostgresExtension source = PostgresExtension.logical();

    @RegisterExtension
    static final PostgresExtension target = PostgresExtension.plain();

    @RegisterExtension
    static final ConnectExtension connect = ConnectExtension.withPluginPath(Pipeline.pluginPath())
            .workerProperty("config.providers", "file")
            .workerProperty("config.providers.file.class",
                    "org.apache.kafka.common.config.provider.FileConfigProvider");

    private static Path secrets;

    @BeforeAll
    static void createRolesAndSecretsFile() throws Exception {
        source.cluster().createDatabase(DB);
        target.cluster().createDatabase(DB);
        source.execute(DB, "CREATE ROLE vault_source LOGIN SUPERUSER REPLICATION PASSWORD '" + SOURCE_PASSWORD + "'",
                "CREATE TABLE notes (id int PRIMARY KEY, body text)",
                "INSERT INTO notes SELECT g, 'note ' || g FROM generate_series(1, 200) g");
        target.execute(DB, "CREATE ROLE vault_sink LOGIN SUPERUSER PASSWORD '" + SINK_PASSWORD + "'");
        secrets = Files.createTempFile("pgsync-secrets-", ".properties",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(secrets, "source.password=" + SOURCE_PASSWORD + "\nsink.password=" + SINK_PASSWORD + "\n");
    }

    @AfterAll
    static void deleteSecretsFile() throws Exception {
        Files.deleteIfExists(secrets);
    }

    @Test
    void passwordsFromAFileProviderSyncAndAppearNeitherInTheRestApiNorInKafka() throws Exception {
        String sourceReference = "${file:" + secrets + ":source.password}";
        String sinkReference = "${file:" + secrets + ":sink.password}";
        Map<String, String> sink = Pipeline.withJson(Pipeline.sink(target.cluster(), DB, DB + ".changelog", 1));
        sink.put("connection.user", "vault_sink");
        sink.put("connection.password", sinkReference);
        Map<String, String> src = Pipeline.source(source.cluster(), DB, DB, "public.notes", 1);
        src.put("database.user", "vault_source");
        src.put("database.password", sourceReference);
        connect.deploy(DB + "-sink", sink);
        connect.deploy(DB + "-source", src);
        connect.awaitRunning(DB + "-source", 1);
        connect.awaitRunning(DB + "-sink", 1);
        source.execute(DB, "UPDATE notes SET body = body || ' (edited)' WHERE id % 10 = 0",
                "INSERT INTO notes VALUES (201, 'streamed')");
        Tables.awaitEqual(source.cluster(), target.cluster(), DB, "notes", Duration.ofSeconds(60),
                () -> connect.statusText(DB + "-sink") + " / " + connect.statusText(DB + "-source"));
        assertThat(target.query(DB, "SELECT usename FROM pg_stat_activity WHERE application_name = 'pgsync-sink'"))
                .isNotEmpty().allSatisfy(row -> assertThat(row).containsExactly("vault_sink"));

        assertThat(rest("connectors/" + DB + "-source/config")).contains(jsonEscaped(sourceReference));
        assertThat(rest("connectors/" + DB + "-sink/config")).contains(jsonEscaped(sinkReference));
        for (String name : List.of(DB + "-source", DB + "-sink")) {
            for (String resource : List.of("config", "status", "tasks", "tasks/0/status")) {
                String body = rest("connectors/" + name + "/" + resource);
                assertThat(body).as("GET /connectors/%s/%s", name, resource)
                        .doesNotContain(SOURCE_PASSWORD).doesNotContain(SINK_PASSWORD);
            }
        }
        Map<String, List<String>> found = recordsContaining(SOURCE_PASSWORD, SINK_PASSWORD, sourceReference);
        assertThat(found.get(sourceReference)).as("records holding the reference (the config topic's)").isNotEmpty();
        assertThat(found.get(SOURCE_PASSWORD)).as("Kafka records holding the source password").isEmpty();
        assertThat(found.get(SINK_PASSWORD)).as("Kafka records holding the sink password").isEmpty();

        connect.delete(DB + "-source");
        connect.delete(DB + "-sink");
    }

    private static String rest(String resource) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(connect.cluster().endpointForResource(resource)))
                .timeout(Duration.ofSeconds(30)).GET().build();
        HttpResponse<String> response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as("GET %s: %s", resource, response.body()).isEqualTo(200);
        return response.body();
    }

    private static String jsonEscaped(String text) {
        return text.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    /** For each text, topic and offset of every record of every topic of the broker whose key or value holds it. */
    private static Map<String, List<String>> recordsContaining(String... texts) throws Exception {
        Set<String> topics;
        try (Admin admin = connect.cluster().kafka().createAdminClient()) {
            topics = admin.listTopics(new ListTopicsOptions().listInternal(true)).names().get();
        }
        Map<String, List<String>> found = new HashMap<>();
        for (String text : texts) {
            found.put(text, new ArrayList<>());
        }
        try (KafkaConsumer<byte[], byte[]> consumer = connect.cluster().kafka().createConsumer(Map.of())) {
            List<TopicPartition> partitions = topics.stream()
                    .flatMap(t -> consumer.partitionsFor(t).stream().map(p -> new TopicPartition(t, p.partition())))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            assertThat(topics).anyMatch(t -> t.contains("config")).contains(DB + ".changelog");
            while (partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    String key = record.key() == null ? "" : new String(record.key(), StandardCharsets.UTF_8);
                    String value = record.value() == null ? "" : new String(record.value(), StandardCharsets.UTF_8);
                    for (String text : texts) {
                        if (key.contains(text) || value.contains(text)) {
                            found.get(text).add(record.topic() + "@" + record.offset());
                        }
                    }
                }
            }
        }
        return found;
    }
}
