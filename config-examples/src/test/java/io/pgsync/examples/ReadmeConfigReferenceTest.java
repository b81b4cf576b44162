package io.pgsync.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

import io.pgsync.sink.PgSyncSinkConfig;
import io.pgsync.source.PgSyncSourceConfig;

/** The README's configuration reference names every key the connectors define, so it cannot silently fall behind. */
class ReadmeConfigReferenceTest {

    @Test
    void readmeDocumentsEveryPgsyncKey() throws IOException {
        String readme = Files.readString(Path.of("..", "README.md"));
        assertThat(PgSyncSinkConfig.CONFIG_DEF.names()).allSatisfy(key ->
                assertThat(readme).as("README entry for sink key %s", key).contains("| `" + key + "` |"));
        assertThat(PgSyncSourceConfig.CONFIG_DEF.names()).allSatisfy(key ->
                assertThat(readme).as("README entry for source key %s", key).contains("| `" + key + "` |"));
    }
}
