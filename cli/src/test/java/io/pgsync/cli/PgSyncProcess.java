package io.pgsync.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.pgsync.testkit.Processes;
import io.pgsync.testkit.pg.PostgresCluster;

/** The pgsync command run as a user runs it: the distribution's bin/pgsync in a process of its own. */
final class PgSyncProcess {

    /** A finished run: its exit code, standard output and standard error. */
    record Run(int exitCode, String out, String err) {
    }

    private PgSyncProcess() {
    }

    /** A pgsync process still running, its output collected as it comes, its warnings in a file. */
    static final class Running {
        private final Process process;
        private final Path errors;
        private final StringBuffer output = new StringBuffer();
        private final Thread reader;

        Running(Process process, Path errors) {
            this.process = process;
            this.errors = errors;
            reader = new Thread(() -> {
                try (var lines = new java.io.BufferedReader(new java.io.InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = lines.readLine()) != null) {
                        output.append(line).append('\n');
                    }
                } catch (IOException e) {
                    output.append("(output lost: ").append(e.getMessage()).append(")\n");
                }
            });
            reader.setDaemon(true);
            reader.start();
        }

        String output() {
            return output.toString();
        }

        void awaitLine(String text) throws InterruptedException {
            long deadline = System.currentTimeMillis() + 120_000;
            while (!output().contains(text)) {
                assertThat(process.isAlive()).as("pgsync exited early: %s\nIts warnings:\n%s", output(),
                        Processes.tail(errors, 60)).isTrue();
                assertThat(System.currentTimeMillis()).as("waiting for '%s' in: %s", text, output())
                        .isLessThan(deadline);
                Thread.sleep(200);
            }
        }

        /** What Ctrl-C does: SIGINT to the process. */
        void interrupt() throws IOException, InterruptedException {
            new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).start().waitFor();
        }

        int awaitExit() throws InterruptedException {
            assertThat(process.waitFor(90, TimeUnit.SECONDS)).as("pgsync stopped: %s", output()).isTrue();
            // the last lines may still be on their way to the reader, which ends at the end of the output
            reader.join(10_000);
            return process.exitValue();
        }
    }

    static Running start(String... args) throws IOException {
        ProcessBuilder builder = command(args);
        Path errors = Files.createTempFile("pgsync-stderr-", ".log");
        builder.redirectError(errors.toFile());
        return new Running(builder.start(), errors);
    }

    /** A URL with the password left out: the command takes it from PGPASSWORD, as psql does. */
    static String url(PostgresCluster cluster, String db) {
        return "postgresql://" + PostgresCluster.SUPERUSER + "@" + cluster.host() + ":" + cluster.port() + "/" + db;
    }

    /** The command as the distribution runs it: its bin/pgsync, with this JVM's Java as JAVA_HOME. */
    static ProcessBuilder command(String... args) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("pgsync.distribution"), "bin",
                "pgsync").toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        builder.environment().put("PGPASSWORD", PostgresCluster.SUPERUSER_PASSWORD);
        return builder;
    }

    static Run pgsync(String... args) throws IOException, InterruptedException {
        return run(command(args));
    }

    static Run run(ProcessBuilder builder) throws IOException, InterruptedException {
        builder.redirectError(ProcessBuilder.Redirect.PIPE);
        Process process = builder.start();
        java.util.concurrent.CompletableFuture<byte[]> err = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return process.getErrorStream().readAllBytes();
            } catch (IOException e) {
                return new byte[0];
            }
        });
        byte[] out = process.getInputStream().readAllBytes();
        assertThat(process.waitFor(300, TimeUnit.SECONDS)).isTrue();
        return new Run(process.exitValue(), new String(out, StandardCharsets.UTF_8),
                new String(err.join(), StandardCharsets.UTF_8));
    }
}
