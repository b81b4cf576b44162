package io.pgsync.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.apache.kafka.common.config.ConfigDef;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.pgsync.common.config.ConfigReference;
import io.pgsync.sink.PgSyncSinkConfig;
import io.pgsync.source.PgSyncSourceConfig;

/**
 * The README's configuration reference is the one the build writes from the connectors' {@code ConfigDef}s, so a key
 * added, changed or documented anew cannot leave it behind.
 */
class ReadmeConfigReferenceTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource({"source", "sink"})
    void readmeSectionIsTheOneGeneratedFromTheConfigDef(String section) throws IOException {
        ConfigDef definition = section.equals("source") ? PgSyncSourceConfig.CONFIG_DEF : PgSyncSinkConfig.CONFIG_DEF;
        String readme = Files.readString(Path.of("..", "README.md"));
        assertThat(ConfigReference.section(readme, section))
                .as("README section %s ... %s; rewrite it with: mvn -B -q -pl source-connector,sink-connector -am "
                        + "process-classes -Dpgsync.readme.update=true", ConfigReference.beginMarker(section),
                        ConfigReference.endMarker(section))
                .isEqualTo(ConfigReference.markdown(definition));
    }
}
