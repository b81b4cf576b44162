package io.pgsync.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The pgsync command as {@code mvn package} ships it ({@code target/pgsync-<version>.tar.gz} and the same tree
 * unpacked): its {@code lib/} holds no test library, and {@code bin/pgsync} runs from the distribution alone.
 */
class DistributionIT {

    /** Jar names of test libraries: JUnit, AssertJ, Awaitility and their helpers, Kafka's and pgsync's test kits. */
    private static final List<String> TEST_JAR_NAMES = List.of("junit", "assertj", "awaitility", "hamcrest",
            "opentest4j", "apiguardian", "mockito", "pgsync-testkit", "kafka-test-common", "-test.jar", "-tests.jar");

    /** Packages of test libraries, so a test library shaded or renamed into another jar is found too. */
    private static final List<String> TEST_PACKAGES = List.of("org/junit/", "org/assertj/", "org/awaitility/",
            "org/hamcrest/", "org/opentest4j/", "org/mockito/", "org/apache/kafka/test/",
            "org/apache/kafka/common/test/", "org/apache/kafka/connect/util/clusters/", "io/pgsync/testkit/connect/",
            "io/pgsync/testkit/registry/");

    private static final Path DISTRIBUTION = Path.of(System.getProperty("pgsync.distribution"));

    @Test
    void libHoldsNoTestLibrary() throws IOException {
        List<Path> jars = jars();
        assertThat(jars).as("jars in %s", DISTRIBUTION.resolve("lib")).hasSizeGreaterThan(20)
                .anySatisfy(jar -> assertThat(jar.getFileName().toString()).startsWith("pgsync-cli-"))
                .anySatisfy(jar -> assertThat(jar.getFileName().toString()).startsWith("pgsync-launch-"));
        List<String> testJars = new ArrayList<>();
        List<String> testClasses = new ArrayList<>();
        for (Path jar : jars) {
            String name = jar.getFileName().toString();
            if (TEST_JAR_NAMES.stream().anyMatch(name::contains)) {
                testJars.add(name);
            }
            try (JarFile file = new JarFile(jar.toFile())) {
                file.stream().map(e -> e.getName()).filter(e -> TEST_PACKAGES.stream().anyMatch(e::startsWith))
                        .findFirst().ifPresent(entry -> testClasses.add(name + "!" + entry));
            }
        }
        assertThat(testJars).as("test libraries in lib/").isEmpty();
        assertThat(testClasses).as("classes of test libraries in lib/").isEmpty();
    }

    @Test
    void theArchiveHoldsTheSameTreeAndTheCommandRunsFromIt() throws Exception {
        Path archive = DISTRIBUTION.getParent().resolveSibling(DISTRIBUTION.getFileName() + ".tar.gz");
        String listing = run(List.of("tar", "tzvf", archive.toString()));
        String base = DISTRIBUTION.getFileName().toString();
        assertThat(listing).containsPattern("-rwxr-xr-x .* " + base + "/bin/pgsync\\n");
        for (Path jar : jars()) {
            assertThat(listing).contains(base + "/lib/" + jar.getFileName());
        }

        String version = run(List.of(DISTRIBUTION.resolve("bin/pgsync").toString(), "--version"));
        assertThat(version.strip()).isEqualTo("pgsync " + base.substring("pgsync-".length()));
        assertThat(run(List.of(DISTRIBUTION.resolve("bin/pgsync").toString(), "--help")))
                .contains("switchover", "demo", "verify", "run");
    }

    private static List<Path> jars() throws IOException {
        try (Stream<Path> files = Files.list(DISTRIBUTION.resolve("lib"))) {
            return files.filter(f -> f.toString().endsWith(".jar")).sorted().toList();
        }
    }

    /** Runs a command with this JVM's Java as JAVA_HOME; returns its output, failing on a non-zero exit. */
    private static String run(List<String> command) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process process = builder.start();
        byte[] output = process.getInputStream().readAllBytes();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String text = new String(output, StandardCharsets.UTF_8);
        assertThat(process.exitValue()).as("%s: %s", command, text).isZero();
        return text;
    }
}
