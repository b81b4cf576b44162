package io.pgsync.it;

import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import io.pgsync.testkit.registry.SchemaRegistry;

/**
 * The type matrix with Avro in the Confluent wire format through a real schema registry (Apicurio) and pgsync's
 * changelog format, including NaN, the infinities and -0 of floating-point values. The source computes every
 * column's type before Avro names a struct type once per record, so tables that repeat a Debezium struct type with
 * different modifiers are created exactly too.
 */
class AvroTypeMatrixIT extends AbstractTypeMatrixIT {

    private static SchemaRegistry registry;

    @BeforeAll
    static void startRegistry() {
        registry = SchemaRegistry.start();
    }

    @AfterAll
    static void stopRegistry() {
        registry.close();
    }

    @Override
    Map<String, String> converters() {
        return registry.avroKeyAndValueConverters();
    }
}
