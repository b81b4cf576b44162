package io.pgsync.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigTransformer;
import org.apache.kafka.common.config.provider.ConfigProvider;
import org.apache.kafka.common.config.provider.FileConfigProvider;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.pgsync.sink.PgSyncSinkConnector;
import io.pgsync.source.PgSyncSourceConnector;

/**
 * Config provider references ({@code ${provider:path:key}}) in the examples stand only in password keys, name a
 * provider that {@code worker-config-providers.properties} declares, and resolve through that provider.
 */
class ConfigProviderExamplesTest {

    private static final Pattern REFERENCE = Pattern.compile("\\$\\{([^:}]+):([^:}]+):([^}]+)}");

    static Iterable<Path> examples() throws IOException {
        return ConfigExamplesTest.examples().toList();
    }

    @ParameterizedTest
    @MethodSource("examples")
    void referencesStandInPasswordKeysAndResolveThroughTheDeclaredProvider(Path file, @TempDir Path dir)
            throws IOException {
        Properties worker = new Properties();
        try (Reader reader = Files.newBufferedReader(Path.of("worker-config-providers.properties"))) {
            worker.load(reader);
        }
        Map<String, String> config = new LinkedHashMap<>();
        new ObjectMapper().readTree(file.toFile()).path("config").fields()
                .forEachRemaining(e -> config.put(e.getKey(), e.getValue().asText()));
        ConfigDef definition = "io.pgsync.source.PgSyncSourceConnector".equals(config.get("connector.class"))
                ? new PgSyncSourceConnector().config() : new PgSyncSinkConnector().config();

        Map<String, String> local = new HashMap<>();
        Properties secrets = new Properties();
        Path secretsFile = dir.resolve("secrets.properties");
        config.forEach((key, value) -> {
            if (!value.contains("${")) {
                return;
            }
            Matcher reference = REFERENCE.matcher(value);
            assertThat(reference.matches()).as("%s: %s is one whole reference", file, key).isTrue();
            assertThat(definition.configKeys().get(key)).as("%s: %s is a connector key", file, key).isNotNull();
            assertThat(definition.configKeys().get(key).type).as("%s: type of %s", file, key)
                    .isEqualTo(ConfigDef.Type.PASSWORD);
            String provider = reference.group(1);
            assertThat(worker.getProperty("config.providers.file.class")).isEqualTo(FileConfigProvider.class.getName());
            assertThat(worker.getProperty("config.providers")).as("%s: provider %s declared", file, provider)
                    .isEqualTo(provider);
            secrets.setProperty(reference.group(3), "secret of " + key);
            local.put(key, value.replace(reference.group(2), secretsFile.toString()));
        });
        if (local.isEmpty()) {
            return;
        }
        try (var out = Files.newBufferedWriter(secretsFile)) {
            secrets.store(out, null);
        }
        try (FileConfigProvider provider = new FileConfigProvider()) {
            provider.configure(Map.of());
            Map<String, ConfigProvider> providers = Map.of("file", provider);
            Map<String, String> resolved = new ConfigTransformer(providers).transform(local).data();
            local.keySet().forEach(key -> assertThat(resolved.get(key)).isEqualTo("secret of " + key));
        }
    }

    @ParameterizedTest
    @MethodSource("examples")
    void secretsExamplesKeepNoPasswordInline(Path file) throws IOException {
        if (!file.getFileName().toString().contains("secrets")) {
            return;
        }
        JsonNode config = new ObjectMapper().readTree(file.toFile()).path("config");
        String key = config.has("database.password") ? "database.password" : "connection.password";
        assertThat(config.path(key).asText()).as("%s: %s", file, key).matches(REFERENCE.pattern());
    }
}
