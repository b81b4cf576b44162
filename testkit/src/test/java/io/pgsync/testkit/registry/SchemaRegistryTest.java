package io.pgsync.testkit.registry;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Round trip through a real registry. Skipped when the runner jar is not built yet, e.g. when testkit is built alone
 * from a clean tree; the reactor builds the schema-registry module first.
 */
@EnabledIf(value = "runnerJarBuilt",
        disabledReason = "schema registry runner jar not built; run `mvn -pl schema-registry package` first")
class SchemaRegistryTest {

    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final SchemaRegistryExtension registry = new SchemaRegistryExtension();

    private final HttpClient http = HttpClient.newHttpClient();

    static boolean runnerJarBuilt() {
        return SchemaRegistry.findRunnerJar().isPresent();
    }

    @Test
    void registersAnAvroSchemaAndServesItThroughTheConfluentApi() throws Exception {
        SchemaRegistry reg = registry.registry();
        String subject = "orders-value";
        String schema = "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"io.pgsync.test\",\"fields\":["
                + "{\"name\":\"id\",\"type\":\"long\"},"
                + "{\"name\":\"amount\",\"type\":{\"type\":\"bytes\",\"logicalType\":\"decimal\","
                + "\"precision\":10,\"scale\":2}},"
                + "{\"name\":\"note\",\"type\":[\"null\",\"string\"],\"default\":null}]}";

        HttpResponse<String> registered = send(HttpRequest.newBuilder(
                        URI.create(reg.ccompatUrl() + "/subjects/" + subject + "/versions"))
                .header("Content-Type", CONTENT_TYPE)
                .POST(HttpRequest.BodyPublishers.ofString(
                        JSON.writeValueAsString(Map.of("schema", schema)), StandardCharsets.UTF_8)));
        assertThat(registered.statusCode()).as(registered.body()).isEqualTo(200);
        int id = JSON.readTree(registered.body()).path("id").asInt(-1);
        assertThat(id).as(registered.body()).isPositive();

        assertThat(reg.subjects()).contains(subject);

        HttpResponse<String> byId = send(HttpRequest.newBuilder(URI.create(reg.ccompatUrl() + "/schemas/ids/" + id)));
        assertThat(byId.statusCode()).as(byId.body()).isEqualTo(200);
        JsonNode served = JSON.readTree(JSON.readTree(byId.body()).path("schema").asText());
        assertThat(served).isEqualTo(JSON.readTree(schema));
    }

    @Test
    void describesTheConverterInConfluentWireFormat() {
        SchemaRegistry reg = registry.registry();

        assertThat(reg.avroConverterConfig("key.converter")).isEqualTo(Map.of(
                "key.converter", "io.apicurio.registry.utils.converter.AvroConverter",
                "key.converter.apicurio.registry.url", "http://127.0.0.1:" + reg.port() + "/apis/registry/v2",
                "key.converter.apicurio.registry.auto-register", "true",
                "key.converter.apicurio.registry.find-latest", "true",
                "key.converter.apicurio.registry.as-confluent", "true",
                "key.converter.apicurio.registry.use-id", "contentId",
                "key.converter.apicurio.registry.headers.enabled", "false"));
        assertThat(reg.apicurioApiUrl()).isEqualTo("http://127.0.0.1:" + reg.port() + "/apis/registry/v2");
        assertThat(reg.ccompatUrl()).isEqualTo("http://127.0.0.1:" + reg.port() + "/apis/ccompat/v7");
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return http.send(request.timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }
}
