package io.pgsync.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import io.pgsync.testkit.pg.PostgresCluster;

/**
 * The W2/W3 change load on {@code accounts}, run by pgbench with a custom script: transactions of 6 single-row
 * UPDATEs, 2 INSERTs and 2 DELETEs, interleaved. Inserts and deletes slide a window over the table so that every
 * statement changes exactly one row and the table keeps its size: transaction k (from a sequence, step 2) inserts
 * rows n+k and n+k+1 and deletes rows k and k+1, and its updates pick random rows in [k+2, n+k-1], which exist.
 */
final class ChangeLoad {

    /** Outcome of one pgbench run. */
    record Result(long transactions, long failed, double tps, double seconds) {
    }

    /** A pgbench run in the background. */
    final class Running {

        private final Process process;
        private final Path output;
        private final long started;

        private Running(Process process, Path output) {
            this.process = process;
            this.output = output;
            this.started = System.nanoTime();
        }

        /** Waits for pgbench to finish and reads its summary; fails if a client aborted. */
        Result await() throws InterruptedException {
            int exit = process.waitFor();
            double seconds = (System.nanoTime() - started) / 1e9;
            String text;
            try {
                text = Files.readString(output, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot read the pgbench output " + output, e);
            }
            if (exit != 0) {
                throw new IllegalStateException("pgbench exited with " + exit + ":\n" + tail(text));
            }
            return new Result(number(text, PROCESSED), number(text, FAILED), decimal(text, TPS), seconds);
        }
    }

    static final String SCRIPT = """
            BEGIN;
            SELECT nextval('bench_window') AS k \\gset
            \\set ins1 :naccounts + :k
            \\set ins2 :naccounts + :k + 1
            \\set del2 :k + 1
            \\set lo :k + 2
            \\set hi :k + :naccounts - 1
            \\set u1 random(:lo, :hi)
            \\set u2 random(:lo, :hi)
            \\set u3 random(:lo, :hi)
            \\set u4 random(:lo, :hi)
            \\set u5 random(:lo, :hi)
            \\set u6 random(:lo, :hi)
            \\set delta random(-5000, 5000)
            UPDATE accounts SET abalance = abalance + :delta WHERE aid = :u1;
            UPDATE accounts SET abalance = abalance + :delta WHERE aid = :u2;
            INSERT INTO accounts (aid, bid, abalance, filler) VALUES (:ins1, 1, 0, '');
            DELETE FROM accounts WHERE aid = :k;
            UPDATE accounts SET abalance = abalance + :delta WHERE aid = :u3;
            UPDATE accounts SET abalance = abalance + :delta WHERE aid = :u4;
            INSERT INTO accounts (aid, bid, abalance, filler) VALUES (:ins2, 1, 0, '');
            DELETE FROM accounts WHERE aid = :del2;
            UPDATE accounts SET abalance = abalance + :delta WHERE aid = :u5;
            UPDATE accounts SET abalance = abalance + :delta WHERE aid = :u6;
            END;
            """;

    private static final Pattern PROCESSED = Pattern.compile("number of transactions actually processed: (\\d+)");
    private static final Pattern FAILED = Pattern.compile("number of failed transactions: (\\d+)");
    private static final Pattern TPS = Pattern.compile("tps = ([0-9.]+)");

    private final Path pgbench;
    private final PostgresCluster source;
    private final String database;
    private final int accounts;
    private final int clients;
    private final Path workDir;
    private final Path script;

    ChangeLoad(PostgresCluster source, String database, int accounts, int clients, Path workDir) {
        this.pgbench = locatePgbench();
        this.source = source;
        this.database = database;
        this.accounts = accounts;
        this.clients = clients;
        this.workDir = workDir;
        this.script = workDir.resolve("change-load.sql");
        try {
            Files.writeString(script, SCRIPT, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write the pgbench script " + script, e);
        }
    }

    /** W2: {@code transactions} transactions as fast as the clients go. */
    Result runTransactions(int transactions) throws InterruptedException {
        int perClient = Math.max(1, (transactions + clients - 1) / clients);
        return start(List.of("-t", Integer.toString(perClient))).await();
    }

    /** W3: a steady {@code tps} transactions per second for {@code seconds}, started in the background. */
    Running startSteady(int tps, int seconds) {
        return start(List.of("-R", Integer.toString(tps), "-T", Integer.toString(seconds)));
    }

    private Running start(List<String> mode) {
        List<String> command = new ArrayList<>(List.of(pgbench.toString(), "-n", "-M", "prepared",
                "-h", source.host(), "-p", Integer.toString(source.port()), "-U", PostgresCluster.SUPERUSER,
                "-c", Integer.toString(clients), "-j", Integer.toString(Math.min(2, clients)),
                "--max-tries=10", "-D", "naccounts=" + accounts, "-f", script.toString()));
        command.addAll(mode);
        command.add(database);
        Path output = workDir.resolve(String.format(Locale.ROOT, "pgbench-%d.out", System.nanoTime()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile());
        builder.environment().keySet().removeIf(name -> name.startsWith("PG"));
        builder.environment().put("PGPASSWORD", PostgresCluster.SUPERUSER_PASSWORD);
        builder.environment().put("PGAPPNAME", "pgbench");
        try {
            Process process = builder.start();
            process.getOutputStream().close();
            return new Running(process, output);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot run " + String.join(" ", command), e);
        }
    }

    /** pgbench from -Dpgsync.pg.bin or PG_BIN (as the test kit), else the newest /usr/lib/postgresql/<v>/bin. */
    static Path locatePgbench() {
        String configured = System.getProperty("pgsync.pg.bin", System.getenv("PG_BIN"));
        if (configured != null && !configured.isBlank()) {
            Path candidate = Path.of(configured, "pgbench");
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
            throw new IllegalStateException("No pgbench in " + configured + " (from -Dpgsync.pg.bin or PG_BIN)");
        }
        try (Stream<Path> versions = Files.list(Path.of("/usr/lib/postgresql"))) {
            return versions.map(version -> version.resolve("bin/pgbench")).filter(Files::isExecutable)
                    .max(Comparator.comparingDouble(ChangeLoad::versionOf))
                    .orElseThrow(() -> new IllegalStateException("No pgbench under /usr/lib/postgresql/*/bin: install "
                            + "the postgresql package or set -Dbench.pg.bin=<dir with pgbench>"));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot look for pgbench under /usr/lib/postgresql", e);
        }
    }

    private static double versionOf(Path pgbench) {
        try {
            return Double.parseDouble(pgbench.getParent().getParent().getFileName().toString());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static long number(String text, Pattern pattern) {
        Matcher matcher = pattern.matcher(text);
        return matcher.find() ? Long.parseLong(matcher.group(1)) : 0;
    }

    private static double decimal(String text, Pattern pattern) {
        Matcher matcher = pattern.matcher(text);
        return matcher.find() ? Double.parseDouble(matcher.group(1)) : Double.NaN;
    }

    private static String tail(String text) {
        List<String> lines = text.lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    }
}
