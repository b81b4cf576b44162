package io.pgsync.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;

import org.apache.kafka.connect.runtime.rest.entities.ConfigInfos;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;


/**
 * What an operator does: unzip the two plugin archives onto {@code plugin.path} of a Connect worker (service-loader
 * discovery, connectors not on the worker's classpath), find them in {@code GET /connector-plugins}, validate a
 * config, and run a sync through them.
 */
class PluginInstallIT extends PipelineIT {

    private static final String VERSION = System.getProperty("pgsync.version");

    @ParameterizedTest
    @ValueSource(strings = {"source", "sink"})
    void archiveHasTheConfluentHubLayoutWithoutWorkerJars(String kind) throws IOException {
        Path archive = Path.of(System.getProperty("pgsync.root", ".."), kind + "-connector", "target",
                "pgsync-" + kind + "-connector-" + VERSION + ".zip");
        assertThat(archive).exists();
        String base = "pgsync-" + kind + "-connector-" + VERSION + "/";
        List<String> entries = new ArrayList<>();
        try (ZipFile zip = new ZipFile(archive.toFile())) {
            Collections.list(zip.entries()).forEach(e -> entries.add(e.getName()));
            assertThat(entries).allMatch(e -> e.startsWith(base), "every entry under " + base);
            assertThat(entries).contains(base + "manifest.json", base + "lib/");
            String manifest = new String(zip.getInputStream(zip.getEntry(base + "manifest.json")).readAllBytes());
            assertThat(manifest).contains("\"component_types\": [\"" + kind + "\"]", "\"version\": \"" + VERSION + "\"");
            List<String> jars = entries.stream().filter(e -> e.endsWith(".jar")).map(e -> e.substring(e.lastIndexOf('/') + 1)).toList();
            assertThat(jars).contains("pgsync-" + kind + "-connector-" + VERSION + ".jar", "pgsync-common-" + VERSION + ".jar")
                    .anyMatch(j -> j.startsWith("postgresql-42.7."))
                    .noneMatch(j -> j.startsWith("kafka-") || j.startsWith("connect-") || j.startsWith("slf4j-")
                            || j.startsWith("log4j-") || j.startsWith("jackson-core-") || j.startsWith("jackson-databind-")
                            || j.startsWith("jackson-annotations-"));
            String service = "META-INF/services/org.apache.kafka.connect." + kind + "." + (kind.equals("source")
                    ? "SourceConnector" : "SinkConnector");
            ZipEntry connectorJar = zip.getEntry(base + "lib/pgsync-" + kind + "-connector-" + VERSION + ".jar");
            try (ZipInputStream jar = new ZipInputStream(zip.getInputStream(connectorJar))) {
                String services = null;
                for (ZipEntry e = jar.getNextEntry(); e != null; e = jar.getNextEntry()) {
                    if (e.getName().equals(service)) {
                        services = new String(jar.readAllBytes()).trim();
                    }
                }
                assertThat(services).as(service).isEqualTo(kind.equals("source")
                        ? Pipeline.SOURCE_CLASS : Pipeline.SINK_CLASS);
            }
        }
    }

    @Test
    void workerListsBothConnectorsFromThePluginPath() throws Exception {
        assertThat(Files.list(Pipeline.pluginPath()).map(p -> p.getFileName().toString()).toList())
                .containsExactlyInAnyOrder("pgsync-source-connector-" + VERSION, "pgsync-sink-connector-" + VERSION);
        String plugins = connect.connectorPlugins();
        assertThat(plugins)
                .contains("\"class\":\"" + Pipeline.SOURCE_CLASS + "\",\"type\":\"source\",\"version\":\"" + VERSION + "\"")
                .contains("\"class\":\"" + Pipeline.SINK_CLASS + "\",\"type\":\"sink\",\"version\":\"" + VERSION + "\"");
    }

    @Test
    void validateReportsAMissingTopicCreationSettingOnTheChangelogKey() {
        source.cluster().createDatabase("validate_src");
        Map<String, String> config = new java.util.HashMap<>(Pipeline.source(source.cluster(), "validate_src",
                "validate", "public.t", 4));
        config.remove("topic.creation.default.partitions");
        ConfigInfos result = connect.validate(Pipeline.SOURCE_CLASS, config);
        assertThat(Pipeline.validationErrors(result, "changelog.partitions")).singleElement().asString()
                .contains("needs 4 partition(s)", "topic.creation.default.partitions=4");
    }

    @Test
    void validateReportsWrongSinkCredentialsOnThePasswordKey() {
        Map<String, String> config = new java.util.HashMap<>(Pipeline.sink(target.cluster(), "postgres", "x", 1));
        config.put("connection.password", "wrong-password");
        ConfigInfos result = connect.validate(Pipeline.SINK_CLASS, config);
        assertThat(Pipeline.validationErrors(result, "connection.password")).singleElement().asString()
                .contains("Cannot connect to the destination", "password authentication failed", "28P01")
                .doesNotContain("wrong-password");
    }

    @Test
    void syncRunsThroughTheInstalledPlugins() throws Exception {
        source.cluster().createDatabase("installed");
        target.cluster().createDatabase("installed");
        source.execute("installed", "CREATE TABLE \"Mixed Case\" (\"Id\" int PRIMARY KEY, \"select\" text)",
                "INSERT INTO \"Mixed Case\" SELECT g, 'row ' || g FROM generate_series(1, 500) g");
        connect.deploy("installed-source", Pipeline.withJson(Pipeline.source(source.cluster(), "installed", "installed",
                "public.Mixed Case", 1)));
        connect.deploy("installed-sink", Pipeline.withJson(Pipeline.sink(target.cluster(), "installed", "installed.changelog", 1)));
        connect.awaitRunning("installed-source", 1);
        connect.awaitRunning("installed-sink", 1);
        source.execute("installed", "UPDATE \"Mixed Case\" SET \"select\" = 'changed' WHERE \"Id\" % 10 = 0",
                "DELETE FROM \"Mixed Case\" WHERE \"Id\" > 450");
        String query = "SELECT t::text FROM \"Mixed Case\" t ORDER BY \"Id\"";
        await().atMost(Duration.ofSeconds(90)).ignoreExceptions().untilAsserted(() ->
                assertThat(target.query("installed", query)).isEqualTo(source.query("installed", query)));
        assertThat(target.query("installed", "SELECT count(*) FROM \"Mixed Case\" WHERE \"select\" = 'changed'"))
                .containsExactly(List.of("45"));
    }
}
