package io.pgsync.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import io.pgsync.testkit.pg.PostgresCluster;

/**
 * Measures what the DDL capture costs the user's own DDL: one cluster, two databases with the same tables, the capture
 * (as the source task installs it, with a publication registered as the task registers it) in one and nothing in the
 * other, the same DDL statements run in both, interleaved, and each statement's time (execution and commit) compared
 * per statement kind. In the captured database the capture's functions are timed too, per statement, from
 * {@code pg_stat_xact_user_functions} ({@code track_functions = all}) read before and after the statement, untimed.
 *
 * <p>Run: {@code mvn -B -Pbench -pl benchmarks -am verify -DskipTests -Dbench.main=io.pgsync.bench.DdlCaptureCost
 * -Dbench.args='--rounds 40'}. Options: {@code --rounds N} (measured rounds, default 40), {@code --warmup N} (rounds
 * thrown away first, default 5), {@code --tables N} (tables, each with an index, in both databases before the capture
 * is installed, default 200), {@code --selection schema|tables} (the publication the connector creates for a selection
 * by schema, FOR TABLES IN SCHEMA, or by table list, FOR TABLE, which a new selected table joins; default schema), {@code --capture FILE} (another version
 * of {@code capture.sql}, to compare; default the one of the source tree).
 */
public final class DdlCaptureCost {

    private static final String PUBLICATION = "pgsync_bench";
    private static final String CAPTURE_SCRIPT = "source-connector/src/main/resources/io/pgsync/source/ddl/capture.sql";

    /**
     * A statement kind of the mix: its name, its text for round {@code %1$d}, and whether it runs as the first
     * statement of a new session (which pays for compiling the capture's PL/pgSQL functions).
     */
    private record Kind(String name, String sql, boolean newSession) {

        Kind(String name, String sql) {
            this(name, sql, false);
        }

        String forRound(int round) {
            return String.format(Locale.ROOT, sql, round);
        }
    }

    /** In round order: each statement may use what the ones before it made in the same round. */
    private static final List<Kind> KINDS = List.of(
            new Kind("CREATE TABLE with primary key", "CREATE TABLE public.t%1$d (id bigint PRIMARY KEY, a text NOT NULL, "
                    + "b integer, c timestamptz DEFAULT now())"),
            new Kind("CREATE TABLE without key", "CREATE TABLE public.n%1$d (a text, b integer)"),
            new Kind("CREATE INDEX", "CREATE INDEX t%1$d_a ON public.t%1$d (a)"),
            new Kind("ALTER TABLE ADD COLUMN", "ALTER TABLE public.t%1$d ADD COLUMN d numeric(12,2)"),
            new Kind("ALTER TABLE ALTER COLUMN TYPE", "ALTER TABLE public.t%1$d ALTER COLUMN b TYPE bigint"),
            new Kind("CREATE FUNCTION", "CREATE FUNCTION public.touch%1$d() RETURNS trigger LANGUAGE plpgsql "
                    + "AS $$BEGIN NEW.c := now(); RETURN NEW; END$$"),
            new Kind("CREATE TRIGGER", "CREATE TRIGGER t%1$d_touch BEFORE UPDATE ON public.t%1$d FOR EACH ROW "
                    + "EXECUTE FUNCTION public.touch%1$d()"),
            new Kind("COMMENT ON TABLE", "COMMENT ON TABLE public.t%1$d IS 'orders, round %1$d'"),
            new Kind("DROP TABLE", "DROP TABLE public.n%1$d"),
            new Kind("CREATE TABLE with primary key, first in its session", "CREATE TABLE public.s%1$d "
                    + "(id bigint PRIMARY KEY, a text)", true));

    private DdlCaptureCost() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = 40;
        int warmup = 5;
        int tables = 200;
        String selection = "schema";
        Path root = Path.of(System.getProperty("bench.root", ".."));
        Path capture = root.resolve(CAPTURE_SCRIPT);
        // Maven's exec passes -Dbench.args as one argument: split it on whitespace
        List<String> tokens = new ArrayList<>();
        for (String arg : args) {
            Arrays.stream(arg.strip().split("\\s+")).filter(token -> !token.isEmpty()).forEach(tokens::add);
        }
        for (int i = 0; i < tokens.size(); i += 2) {
            String value = i + 1 < tokens.size() ? tokens.get(i + 1) : "";
            switch (tokens.get(i)) {
                case "--rounds" -> rounds = Integer.parseInt(value);
                case "--warmup" -> warmup = Integer.parseInt(value);
                case "--tables" -> tables = Integer.parseInt(value);
                case "--selection" -> selection = value;
                case "--capture" -> capture = Path.of(value);
                default -> throw new IllegalArgumentException("Unknown option " + tokens.get(i)
                        + ": use --rounds N, --warmup N, --tables N, --selection schema|tables, --capture FILE");
            }
        }
        if (!selection.equals("schema") && !selection.equals("tables")) {
            throw new IllegalArgumentException("--selection is schema or tables, not " + selection);
        }
        String script = Files.readString(capture);
        try (PostgresCluster cluster = PostgresCluster.start(PostgresCluster.Options.logical()
                .setting("track_functions", "all"))) {
            cluster.createDatabase("captured");
            cluster.createDatabase("plain");
            try (Connection captured = cluster.connect("captured"); Connection plain = cluster.connect("plain")) {
                for (Connection connection : List.of(captured, plain)) {
                    createTables(connection, tables);
                }
                install(captured, script, selection, tables);
                report(measure(cluster, captured, plain, rounds, warmup), rounds, tables, selection,
                        cluster.query("plain", "SHOW server_version").get(0).get(0), capture);
            }
        }
        System.exit(0);
    }

    private static void createTables(Connection connection, int tables) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            for (int i = 0; i < tables; i++) {
                statement.execute("CREATE TABLE public.base" + i + " (id bigint PRIMARY KEY, name text, "
                        + "created timestamptz)");
                statement.execute("CREATE INDEX base" + i + "_name ON public.base" + i + " (name)");
            }
        }
    }

    /** As the source task does: the capture script, the publication with pgsync.ddl_log, the registration. */
    private static void install(Connection connection, String script, String selection, int tables)
            throws SQLException {
        connection.setAutoCommit(false);
        try (Statement statement = connection.createStatement()) {
            statement.execute("SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('pgsync.ddl_capture'))");
            statement.execute(script);
            connection.commit();
            if (selection.equals("schema")) {
                statement.execute("CREATE PUBLICATION " + PUBLICATION + " FOR TABLES IN SCHEMA public");
            } else {
                List<String> names = new ArrayList<>();
                for (int i = 0; i < tables; i++) {
                    names.add("public.base" + i);
                }
                statement.execute("CREATE PUBLICATION " + PUBLICATION + " FOR TABLE " + String.join(", ", names));
            }
            statement.execute("ALTER PUBLICATION " + PUBLICATION + " ADD TABLE pgsync.ddl_log");
            statement.execute("SELECT pgsync.capture_register('" + PUBLICATION + "', true, "
                    + (selection.equals("schema") ? "'{public}', NULL, NULL, NULL" : "NULL, NULL, '{public\\..*}', NULL")
                    + ")");
            connection.commit();
        }
    }

    /** Each kind's times in ms without and with the capture, and the capture's functions' self time per call. */
    private record Samples(Map<String, double[]> plain, Map<String, double[]> captured,
            Map<String, Map<String, Double>> functions) {
    }

    private static Samples measure(PostgresCluster cluster, Connection captured, Connection plain, int rounds,
            int warmup) throws SQLException {
        Map<String, double[]> plainTimes = new LinkedHashMap<>();
        Map<String, double[]> capturedTimes = new LinkedHashMap<>();
        Map<String, Map<String, Double>> functions = new LinkedHashMap<>();
        for (Kind kind : KINDS) {
            plainTimes.put(kind.name(), new double[rounds]);
            capturedTimes.put(kind.name(), new double[rounds]);
            functions.put(kind.name(), new TreeMap<>());
        }
        captured.setAutoCommit(false);
        plain.setAutoCommit(false);
        for (int round = 0; round < warmup + rounds; round++) {
            int measured = round - warmup;
            for (Kind kind : KINDS) {
                String sql = kind.forRound(round);
                Map<String, Double> calls = new TreeMap<>();
                // alternate which database goes first, so neither always runs on the caches the other warmed
                boolean capturedFirst = round % 2 == 0;
                double first;
                double second;
                if (kind.newSession()) {
                    try (Connection newCaptured = cluster.connect("captured");
                            Connection newPlain = cluster.connect("plain")) {
                        newCaptured.setAutoCommit(false);
                        newPlain.setAutoCommit(false);
                        first = timed(capturedFirst ? newCaptured : newPlain, sql, capturedFirst ? calls : null);
                        second = timed(capturedFirst ? newPlain : newCaptured, sql, capturedFirst ? null : calls);
                    }
                } else {
                    first = timed(capturedFirst ? captured : plain, sql, capturedFirst ? calls : null);
                    second = timed(capturedFirst ? plain : captured, sql, capturedFirst ? null : calls);
                }
                if (measured >= 0) {
                    capturedTimes.get(kind.name())[measured] = capturedFirst ? first : second;
                    plainTimes.get(kind.name())[measured] = capturedFirst ? second : first;
                    Map<String, Double> sums = functions.get(kind.name());
                    calls.forEach((name, ms) -> sums.merge(name, ms / rounds, Double::sum));
                }
            }
        }
        return new Samples(plainTimes, capturedTimes, functions);
    }

    /**
     * Runs the statement in a transaction of its own and returns the time of its execution and commit in ms; with
     * {@code functions}, first adds the self time of each of the capture's functions in that transaction.
     */
    private static double timed(Connection connection, String sql, Map<String, Double> functions)
            throws SQLException {
        try (Statement statement = connection.createStatement()) {
            // the view also shows what earlier transactions left unflushed: the statement's share is the difference
            Map<String, Double> before = functions == null ? Map.of() : functionTimes(statement);
            long start = System.nanoTime();
            statement.execute(sql);
            long executed = System.nanoTime();
            if (functions != null) {
                functionTimes(statement).forEach((name, ms) -> functions.merge(name, ms - before.getOrDefault(name,
                        0.0), Double::sum));
            }
            long commitStart = System.nanoTime();
            connection.commit();
            long committed = System.nanoTime();
            return ((executed - start) + (committed - commitStart)) / 1e6;
        }
    }

    private static Map<String, Double> functionTimes(Statement statement) throws SQLException {
        Map<String, Double> times = new TreeMap<>();
        try (ResultSet rs = statement.executeQuery("SELECT funcname, self_time FROM "
                + "pg_catalog.pg_stat_xact_user_functions WHERE schemaname = 'pgsync'")) {
            while (rs.next()) {
                times.put(rs.getString(1), rs.getDouble(2));
            }
        }
        return times;
    }

    private static void report(Samples samples, int rounds, int tables, String selection, String version,
            Path capture) {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%nDDL capture cost: PostgreSQL %s, %d measured rounds, %d tables before, "
                + "publication for a selection by %s. Times in ms: median (p10-p90), execution and commit.%n%n",
                version, rounds, tables, selection));
        out.append("Capture: ").append(capture).append("\n\n");
        out.append("| statement | without capture | with capture | capture's cost (median difference) |\n");
        out.append("|---|---|---|---|\n");
        double plainSum = 0;
        double capturedSum = 0;
        for (Kind kind : KINDS) {
            double[] plain = samples.plain().get(kind.name());
            double[] captured = samples.captured().get(kind.name());
            plainSum += Stats.median(plain);
            capturedSum += Stats.median(captured);
            out.append(String.format(Locale.ROOT, "| %s | %.2f (%.2f-%.2f) | %.2f (%.2f-%.2f) | %+.2f |%n",
                    kind.name(), Stats.median(plain), Stats.percentile(plain, 10), Stats.percentile(plain, 90),
                    Stats.median(captured), Stats.percentile(captured, 10), Stats.percentile(captured, 90),
                    Stats.median(captured) - Stats.median(plain)));
        }
        out.append(String.format(Locale.ROOT, "| all %d, summed | %.2f | %.2f | %+.2f |%n%n", KINDS.size(), plainSum,
                capturedSum, capturedSum - plainSum));
        out.append("Capture functions' self time per statement, ms (mean; pg_stat_xact_user_functions):\n\n");
        for (Kind kind : KINDS) {
            StringBuilder line = new StringBuilder();
            samples.functions().get(kind.name()).entrySet().stream()
                    .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                    .filter(e -> e.getValue() >= 0.01)
                    .forEach(e -> line.append(String.format(Locale.ROOT, " %s %.2f,", e.getKey(), e.getValue())));
            out.append("- ").append(kind.name()).append(':').append(line.length() > 0
                    ? line.substring(0, line.length() - 1) : " none").append('\n');
        }
        System.out.println(out);
    }
}
