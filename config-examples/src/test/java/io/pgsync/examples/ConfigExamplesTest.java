package io.pgsync.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.apache.kafka.common.config.ConfigValue;
import org.apache.kafka.connect.connector.Connector;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.pgsync.sink.PgSyncSinkConnector;
import io.pgsync.source.PgSyncSourceConnector;

/** Every example is a valid POST /connectors body whose config passes the connector's own key validation. */
class ConfigExamplesTest {

    static Stream<Path> examples() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("."))) {
            List<Path> found = files.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList();
            assertThat(found).as("config examples in %s", Path.of(".").toAbsolutePath()).isNotEmpty();
            return found.stream();
        }
    }

    @ParameterizedTest
    @MethodSource("examples")
    void exampleIsAValidCreateConnectorRequest(Path file) throws IOException {
        JsonNode body = new ObjectMapper().readTree(file.toFile());
        assertThat(body.path("name").asText()).as("name of %s", file).isNotBlank();
        Map<String, String> config = new LinkedHashMap<>();
        body.path("config").fields().forEachRemaining(e -> {
            assertThat(e.getValue().isTextual()).as("%s: value of %s must be a JSON string", file, e.getKey()).isTrue();
            config.put(e.getKey(), e.getValue().asText());
        });
        Connector connector = switch (config.get("connector.class")) {
            case "io.pgsync.source.PgSyncSourceConnector" -> new PgSyncSourceConnector();
            case "io.pgsync.sink.PgSyncSinkConnector" -> new PgSyncSinkConnector();
            default -> throw new AssertionError(file + ": unknown connector.class " + config.get("connector.class"));
        };
        List<ConfigValue> values = connector.config().validate(config);
        assertThat(values).filteredOn(v -> !v.errorMessages().isEmpty())
                .as("%s: keys with errors", file).isEmpty();
        if (connector instanceof PgSyncSourceConnector) {
            assertThat(config.get("topic.creation.default.partitions")).as("%s: topic creation", file)
                    .isEqualTo(config.getOrDefault("changelog.partitions", "1"));
        }
    }
}
