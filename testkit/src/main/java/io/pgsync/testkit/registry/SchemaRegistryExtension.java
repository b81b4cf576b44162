package io.pgsync.testkit.registry;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Starts one empty {@link SchemaRegistry} per test class and stops it after the class.
 *
 * <p>Use it as {@code @RegisterExtension static final SchemaRegistryExtension registry = new
 * SchemaRegistryExtension();}. {@code @Nested} classes share the registry of the class that registered the extension.
 */
public final class SchemaRegistryExtension implements BeforeAllCallback, AfterAllCallback {

    private SchemaRegistry registry;
    private String ownerId;

    @Override
    public void beforeAll(ExtensionContext context) {
        if (registry == null) {
            registry = SchemaRegistry.start();
            ownerId = context.getUniqueId();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (registry != null && context.getUniqueId().equals(ownerId)) {
            try {
                registry.close();
            } finally {
                registry = null;
                ownerId = null;
            }
        }
    }

    /**
     * The running registry of the current test class.
     *
     * @throws IllegalStateException outside the class's lifecycle, e.g. when the extension is not a static field
     */
    public SchemaRegistry registry() {
        if (registry == null) {
            throw new IllegalStateException("No schema registry is running: register SchemaRegistryExtension on a"
                    + " static field with @RegisterExtension and use it from tests or @BeforeAll/@AfterAll methods");
        }
        return registry;
    }
}
