package io.pgsync.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;

/** What the test kit's servers and child processes share: the java binary to start, the tail of their logs. */
public final class Processes {

    private Processes() {
    }

    /** The java binary of this JVM, to start child JVMs with. */
    public static String javaBinary() {
        return ProcessHandle.current().info().command()
                .orElseGet(() -> Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    }

    /** The last lines of a log file (bytes that are not UTF-8 replaced), or why it cannot be read. */
    public static String tail(Path file, int lines) {
        try {
            List<String> all = new String(Files.readAllBytes(file), StandardCharsets.UTF_8).lines().toList();
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e + ")";
        }
    }
}
