package io.pgsync.bench;

import java.util.LinkedHashMap;
import java.util.Map;

import io.pgsync.testkit.registry.SchemaRegistry;

/**
 * The Connect worker's key and value converter settings. For Avro, this also runs the schema registry that the
 * converters register and look up their schemas in, until it is closed.
 */
final class WorkerConverters implements AutoCloseable {

    private static final String AVRO_COMMAND = "mvn -B -Pbench -pl schema-registry,benchmarks -am verify -DskipTests "
            + "-Dbench.args='--converter avro ...'";

    private static final String KEY = "key.converter";
    private static final String VALUE = "value.converter";

    private final Map<String, String> settings;
    private final SchemaRegistry registry;

    private WorkerConverters(Map<String, String> settings, SchemaRegistry registry) {
        this.settings = Map.copyOf(settings);
        this.registry = registry;
    }

    /** The settings for {@code kind}; for Avro, starts the schema registry first. */
    static WorkerConverters start(ConverterKind kind) {
        return switch (kind) {
            case JSON -> json();
            case AVRO -> avro();
        };
    }

    /**
     * JSON with schemas, which the Debezium JDBC sink needs; pgsync's connectors turn them off
     * ({@link ConnectorConfigs#withPgsyncConverters}).
     */
    private static WorkerConverters json() {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put(KEY, "org.apache.kafka.connect.json.JsonConverter");
        settings.put(VALUE, "org.apache.kafka.connect.json.JsonConverter");
        settings.put(KEY + ".schemas.enable", "true");
        settings.put(VALUE + ".schemas.enable", "true");
        return new WorkerConverters(settings, null);
    }

    /** Avro in the Confluent wire format through a new, empty schema registry (the schema-registry module's jar). */
    private static WorkerConverters avro() {
        if (SchemaRegistry.findRunnerJar().isEmpty()) {
            String explicit = System.getProperty(SchemaRegistry.JAR_PROPERTY, "");
            throw new IllegalStateException("--converter avro needs the schema registry runner jar"
                    + (explicit.isBlank() ? "" : " " + explicit) + ", which is not built. Build it together with "
                    + "the benchmark: " + AVRO_COMMAND);
        }
        SchemaRegistry registry = SchemaRegistry.start();
        return new WorkerConverters(registry.avroKeyAndValueConverters(), registry);
    }

    /** The worker settings {@code key.converter*} and {@code value.converter*}. */
    Map<String, String> settings() {
        return settings;
    }

    @Override
    public void close() {
        if (registry != null) {
            registry.close();
        }
    }
}
