package io.pgsync.testkit.pg;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.pgsync.testkit.Loopback;
import io.pgsync.testkit.Processes;

/**
 * A throwaway PostgreSQL cluster in a temporary directory, started from the installed server binaries or from
 * PostgreSQL out of Maven Central ({@link ServerBinaries}).
 */
public final class PostgresCluster implements AutoCloseable {

    public static final String SUPERUSER = "postgres";
    public static final String SUPERUSER_PASSWORD = "postgres";
    private static final String HOST = Loopback.HOST;
    private static final long COMMAND_TIMEOUT_SECONDS = 120;
    private static final System.Logger LOG = System.getLogger(PostgresCluster.class.getName());
    private static final Set<PostgresCluster> RUNNING = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> RUNNING.forEach(PostgresCluster::close),
                "pgsync-postgres-cleanup"));
    }

    /**
     * Server settings of a cluster, and whether it accepts only TLS connections with a client certificate;
     * immutable, {@link #setting} and {@link #tls()} return a changed copy.
     */
    public record Options(Map<String, String> settings, boolean tlsOnly) {

        public Options {
            settings = Collections.unmodifiableMap(new LinkedHashMap<>(settings));
        }

        /** A cluster that can serve logical replication. */
        public static Options logical() {
            return plain().setting("wal_level", "logical").setting("max_replication_slots", "10")
                    .setting("max_wal_senders", "10");
        }

        /** A cluster with the server's default settings. */
        public static Options plain() {
            return new Options(Map.of(), false);
        }

        /** A copy of these options with one more (or a replaced) server setting. */
        public Options setting(String name, String value) {
            Map<String, String> copy = new LinkedHashMap<>(settings);
            copy.put(name, value);
            return new Options(copy, tlsOnly);
        }

        /**
         * A copy of these options for a cluster with {@code ssl=on} and certificates of a CA of its own
         * ({@link PostgresCluster#certificates()}) whose {@code pg_hba.conf} has only {@code hostssl} lines that
         * require a password and a client certificate whose common name is the role ({@code scram-sha-256
         * clientcert=verify-full}): connections without TLS or without a client certificate are refused.
         */
        public Options tls() {
            return new Options(settings, true);
        }
    }

    private final Path bin;
    private final Path baseDir;
    private final Path dataDir;
    private final Path logFile;
    private final boolean asRoot;
    private Certificates certificates;
    private int port;
    private volatile boolean running;

    private PostgresCluster(Path bin, Path baseDir, boolean asRoot) {
        this.bin = bin;
        this.baseDir = baseDir;
        this.dataDir = baseDir.resolve("data");
        this.logFile = baseDir.resolve("postgres.log");
        this.asRoot = asRoot;
    }

    /** Creates a new cluster with initdb and starts it on a free loopback port. */
    public static PostgresCluster start(Options options) {
        boolean asRoot = isRoot();
        if (asRoot && !check(List.of("id", "-u", SUPERUSER))) {
            throw new IllegalStateException("PostgreSQL refuses to run as root, and there is no user " + SUPERUSER
                    + " to run it as: create one (useradd --system --user-group postgres) or run as another user");
        }
        Path bin = ServerBinaries.locate(asRoot);
        Path base;
        try {
            // Under /tmp: reachable by the postgres user, and short enough for the Unix socket path.
            Path parent = Path.of("/tmp");
            if (!Files.isDirectory(parent)) {
                parent = Path.of(System.getProperty("java.io.tmpdir"));
            }
            base = Files.createTempDirectory(parent, "pgsync-pg-");
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create a temporary directory for PostgreSQL", e);
        }
        PostgresCluster cluster = new PostgresCluster(bin, base, asRoot);
        try {
            cluster.initialize(options);
            cluster.port = Loopback.freePort();
            if (!cluster.tryStart()) {
                cluster.port = Loopback.freePort();
                LOG.log(System.Logger.Level.INFO, "Port taken, starting PostgreSQL on {0,number,#}", cluster.port);
                if (!cluster.tryStart()) {
                    throw new IllegalStateException("PostgreSQL did not start: port " + cluster.port + " taken too:\n"
                            + cluster.logTail(40));
                }
            }
            return cluster;
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    private void initialize(Options options) {
        long begin = System.nanoTime();
        Path pwFile = baseDir.resolve("pwfile");
        Path socketDir = baseDir.resolve("sock");
        try {
            Files.createDirectories(socketDir);
            Files.writeString(pwFile, SUPERUSER_PASSWORD + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot prepare " + baseDir, e);
        }
        if (asRoot) {
            check(execute(baseDir, List.of("chown", "-R", "postgres:postgres", baseDir.toString())));
        }
        pgCommand("initdb", "-D", dataDir.toString(), "-U", SUPERUSER, "--auth-local=trust",
                "--auth-host=scram-sha-256", "--pwfile=" + pwFile, "--locale=C", "-E", "UTF8", "--no-sync");
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("listen_addresses", HOST);
        settings.put("unix_socket_directories", socketDir.toString());
        settings.put("fsync", "off");
        settings.put("synchronous_commit", "off");
        settings.put("full_page_writes", "off");
        if (options.tlsOnly()) {
            certificates = Certificates.create(baseDir.resolve("tls"));
            if (asRoot) {
                check(execute(baseDir, List.of("chown", "postgres:postgres", certificates.serverKey().toString())));
            }
            settings.put("ssl", "on");
            settings.put("ssl_ca_file", certificates.caCertificate().toString());
            settings.put("ssl_cert_file", certificates.serverCertificate().toString());
            settings.put("ssl_key_file", certificates.serverKey().toString());
        }
        settings.putAll(options.settings());
        StringBuilder conf = new StringBuilder("\n# pgsync testkit settings\n");
        settings.forEach((name, value) -> conf.append(name).append(" = '")
                .append(value.replace("\\", "\\\\").replace("'", "''")).append("'\n"));
        try {
            Files.deleteIfExists(pwFile);
            Files.writeString(dataDir.resolve("postgresql.conf"), conf, StandardOpenOption.APPEND);
            Path hba = dataDir.resolve("pg_hba.conf");
            if (options.tlsOnly()) {
                Files.writeString(hba, """
                        # pgsync testkit, TLS only: a password and a client certificate for the role
                        local all all trust
                        hostssl all all 127.0.0.1/32 scram-sha-256 clientcert=verify-full
                        hostssl replication all 127.0.0.1/32 scram-sha-256 clientcert=verify-full
                        """);
            }
            String replicationLine = "host(ssl)?\\s+replication\\s+all\\s+127\\.0\\.0\\.1/32\\s.*";
            if (Files.readAllLines(hba).stream().noneMatch(line -> line.matches(replicationLine))) {
                Files.writeString(hba, "host replication all 127.0.0.1/32 scram-sha-256\n", StandardOpenOption.APPEND);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot configure " + dataDir, e);
        }
        LOG.log(System.Logger.Level.DEBUG, "initdb of {0} took {1,number,#} ms", dataDir, millisSince(begin));
    }

    /** Starts the server; false if it failed because the port was taken. */
    private boolean tryStart() {
        long begin = System.nanoTime();
        long logOffset = logFile.toFile().length();
        CommandResult result = execute(baseDir, pgCommandLine("pg_ctl", "start", "-D", dataDir.toString(), "-w",
                "-t", "30", "-l", logFile.toString(), "-o", "-p " + port));
        if (result.exitCode() != 0) {
            String log = logSince(logOffset).strip();
            if (log.contains("Address already in use")) {
                return false;
            }
            throw new IllegalStateException(describe(result) + "\nServer log tail:\n" + log);
        }
        running = true;
        RUNNING.add(this);
        LOG.log(System.Logger.Level.INFO, "PostgreSQL started on {0}:{1,number,#} in {2,number,#} ms (data {3})",
                HOST, port, millisSince(begin), dataDir);
        return true;
    }

    public String host() {
        return HOST;
    }

    public int port() {
        return port;
    }

    public Path dataDirectory() {
        return dataDir;
    }

    public String jdbcUrl(String database) {
        return "jdbc:postgresql://" + HOST + ":" + port + "/" + database;
    }

    /** The cluster's CA and certificates; only for a cluster started with {@link Options#tls()}. */
    public Certificates certificates() {
        if (certificates == null) {
            throw new IllegalStateException(this + " was not started with Options.tls()");
        }
        return certificates;
    }

    /**
     * A new connection to the database as the superuser, over TCP with password authentication (and, on a TLS
     * cluster, {@code sslmode=verify-full} with the superuser's client certificate).
     */
    public Connection connect(String database) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", SUPERUSER);
        props.setProperty("password", SUPERUSER_PASSWORD);
        if (certificates != null) {
            Certificates.Client client = certificates.client(SUPERUSER);
            props.setProperty("sslmode", "verify-full");
            props.setProperty("sslrootcert", certificates.caCertificate().toString());
            props.setProperty("sslcert", client.certificate().toString());
            props.setProperty("sslkey", client.keyPk8().toString());
        }
        return DriverManager.getConnection(jdbcUrl(database), props);
    }

    public void createDatabase(String name) {
        execute("postgres", "CREATE DATABASE " + quoteIdentifier(name));
    }

    /** Runs the statements one after another in auto-commit mode. */
    public void execute(String database, String... statements) {
        String current = "";
        try (Connection connection = connect(database); Statement statement = connection.createStatement()) {
            for (String sql : statements) {
                current = sql;
                statement.execute(sql);
            }
        } catch (SQLException e) {
            throw sqlFailure(database, current, e);
        }
    }

    /** The rows of a query, every column in its text form, SQL NULL as null. */
    public List<List<String>> query(String database, String sql) {
        try (Connection connection = connect(database); Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery(sql)) {
            int columns = rs.getMetaData().getColumnCount();
            List<List<String>> rows = new ArrayList<>();
            while (rs.next()) {
                List<String> row = new ArrayList<>(columns);
                for (int i = 1; i <= columns; i++) {
                    row.add(rs.getString(i));
                }
                rows.add(Collections.unmodifiableList(row));
            }
            return Collections.unmodifiableList(rows);
        } catch (SQLException e) {
            throw sqlFailure(database, sql, e);
        }
    }

    /** The last lines of the server log, for failure messages. */
    public String logTail(int lines) {
        return Processes.tail(logFile, lines);
    }

    private String logSince(long offset) {
        try {
            byte[] log = Files.readAllBytes(logFile);
            return new String(log, (int) Math.min(offset, log.length), (int) Math.max(0, log.length - offset),
                    StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** Stops the server (fast shutdown); the data stays for {@link #restart()}. */
    public void stop() {
        stop("fast");
    }

    /**
     * Stops the server the way a crash does ({@code pg_ctl stop -m immediate}: no checkpoint, every connection cut;
     * the next start runs crash recovery); the data stays for {@link #restart()}.
     */
    public void crash() {
        stop("immediate");
    }

    private void stop(String mode) {
        if (running) {
            pgCommand("pg_ctl", "stop", "-D", dataDir.toString(), "-m", mode, "-w", "-t", "30");
            running = false;
            RUNNING.remove(this);
        }
    }

    /** Stops the server if it runs and starts it again on the same port. */
    public void restart() {
        stop();
        if (!tryStart()) {
            throw new IllegalStateException("PostgreSQL cannot restart: port " + port + " is taken now:\n"
                    + logTail(20));
        }
    }

    /** Stops the server and deletes its directory, quietly. */
    @Override
    public void close() {
        try {
            stop();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "Could not stop PostgreSQL in " + dataDir, e);
        }
        RUNNING.remove(this);
        try (Stream<Path> paths = Files.walk(baseDir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            LOG.log(System.Logger.Level.DEBUG, "Could not delete " + baseDir, e);
        }
    }

    @Override
    public String toString() {
        return "PostgresCluster[" + HOST + ":" + port + ", " + dataDir + (running ? ", running]" : ", stopped]");
    }

    /** Quotes an SQL identifier: double quotes around it, inner double quotes doubled. */
    public static String quoteIdentifier(String name) {
        return "\"" + name.replace("\"", "\"\"") + "\"";
    }

    /** Runs a psql script (stopping at the first error) against the database, as the superuser over TCP. */
    public void runScript(String database, Path script) {
        runScript(database, script, Map.of());
    }

    /** Runs a psql script with psql variables ({@code -v name=value}), stopping at the first error. */
    public void runScript(String database, Path script, Map<String, String> variables) {
        List<String> args = new ArrayList<>(List.of("-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", database));
        variables.forEach((name, value) -> args.addAll(List.of("-v", name + "=" + value)));
        args.addAll(List.of("-f", script.toAbsolutePath().toString()));
        check(execute(baseDir, clientCommandLine("psql", args.toArray(String[]::new)), clientEnvironment()));
    }

    /**
     * Returns pg_dump's schema-only text of the given schemas of the database (no owners, no privileges), for
     * comparing two databases' schemas.
     */
    public String dumpSchema(String database, String... schemas) {
        List<String> args = new ArrayList<>(List.of("--schema-only", "--no-owner", "--no-privileges", "-d",
                database));
        for (String schema : schemas) {
            args.add("--schema=" + schema);
        }
        CommandResult result = execute(baseDir, clientCommandLine("pg_dump", args.toArray(String[]::new)),
                clientEnvironment());
        check(result);
        return result.output();
    }

    /** The superuser's password, and on a TLS cluster its client certificate, for libpq's client tools. */
    private Map<String, String> clientEnvironment() {
        if (certificates == null) {
            return Map.of("PGPASSWORD", SUPERUSER_PASSWORD);
        }
        Certificates.Client client = certificates.client(SUPERUSER);
        return Map.of("PGPASSWORD", SUPERUSER_PASSWORD, "PGSSLMODE", "verify-full",
                "PGSSLROOTCERT", certificates.caCertificate().toString(),
                "PGSSLCERT", client.certificate().toString(), "PGSSLKEY", client.keyPem().toString());
    }

    /** A client tool's command line: it runs as the current user and connects over TCP as the superuser. */
    private List<String> clientCommandLine(String tool, String... args) {
        List<String> command = new ArrayList<>(List.of(bin.resolve(tool).toString(), "-h", HOST, "-p",
                Integer.toString(port), "-U", SUPERUSER));
        command.addAll(List.of(args));
        return command;
    }

    private IllegalStateException sqlFailure(String database, String sql, SQLException e) {
        return new IllegalStateException("SQL failed on database " + database + " at " + HOST + ":" + port
                + " [SQLState " + e.getSQLState() + "]: " + e.getMessage() + "\nStatement: " + sql, e);
    }

    private void pgCommand(String tool, String... args) {
        check(execute(baseDir, pgCommandLine(tool, args)));
    }

    private List<String> pgCommandLine(String tool, String... args) {
        List<String> command = new ArrayList<>();
        if (asRoot) {
            command.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        command.add(bin.resolve(tool).toString());
        command.addAll(List.of(args));
        return command;
    }

    private static boolean isRoot() {
        CommandResult result = execute(Path.of(System.getProperty("java.io.tmpdir")), List.of("id", "-u"));
        if (result.exitCode() == 0) {
            return result.output().strip().equals("0");
        }
        return "root".equals(System.getProperty("user.name"));
    }

    /** Whether a command exits with 0. */
    private static boolean check(List<String> command) {
        return execute(Path.of(System.getProperty("java.io.tmpdir")), command).exitCode() == 0;
    }

    private static long millisSince(long nanos) {
        return (System.nanoTime() - nanos) / 1_000_000;
    }

    private record CommandResult(List<String> command, int exitCode, String output) {
    }

    private static void check(CommandResult result) {
        if (result.exitCode() != 0) {
            throw new IllegalStateException(describe(result));
        }
    }

    private static String describe(CommandResult result) {
        return "Command failed with exit code " + result.exitCode() + ": " + String.join(" ", result.command()) + "\n"
                + result.output().strip();
    }

    /** Runs a command with its output captured in a file, so that no pipe left open by a server can stall it. */
    private static CommandResult execute(Path directory, List<String> command) {
        return execute(directory, command, Map.of());
    }

    private static CommandResult execute(Path directory, List<String> command, Map<String, String> environment) {
        Path out = null;
        try {
            out = Files.createTempFile("pgsync-cmd-", ".out");
            ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile())
                    .redirectErrorStream(true).redirectOutput(out.toFile());
            builder.environment().keySet().removeIf(name -> name.startsWith("PG"));
            builder.environment().putAll(environment);
            Process process = builder.start();
            process.getOutputStream().close();
            boolean finished = process.waitFor(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            if (!finished) {
                process.destroyForcibly();
            }
            String output = new String(Files.readAllBytes(out), StandardCharsets.UTF_8);
            return finished ? new CommandResult(command, process.exitValue(), output)
                    : new CommandResult(command, -1, "(timed out after " + COMMAND_TIMEOUT_SECONDS + " s)\n" + output);
        } catch (IOException e) {
            return new CommandResult(command, -1, "(could not run: " + e + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new CommandResult(command, -1, "(interrupted)");
        } finally {
            if (out != null) {
                out.toFile().delete();
            }
        }
    }
}
