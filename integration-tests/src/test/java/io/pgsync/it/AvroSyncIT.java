package io.pgsync.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import io.pgsync.testkit.registry.SchemaRegistry;

/**
 * The sync suite with Avro in the Confluent wire format through a real Confluent-compatible schema registry
 * (Apicurio, started for this class).
 */
class AvroSyncIT extends AbstractSyncIT {

    private static SchemaRegistry registry;

    @BeforeAll
    static void startRegistry() {
        registry = SchemaRegistry.start();
    }

    @AfterAll
    static void checkSubjectsAndStopRegistry() {
        try {
            assertThat(registry.subjects()).as("subjects registered by the connectors")
                    .anyMatch(s -> s.endsWith(".changelog-value"))
                    .anyMatch(s -> s.endsWith(".changelog-key"));
        } finally {
            registry.close();
        }
    }

    @Override
    Map<String, String> converters() {
        return registry.avroKeyAndValueConverters();
    }
}
