package io.pgsync.cli;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import io.pgsync.common.pg.QualifiedName;
import io.pgsync.common.pg.TableRef;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code pgsync verify}: compares the selected tables of the source and the destination (schema, row counts,
 * checksums over primary-key ranges, then the rows of ranges that differ), each differing row read again until the
 * sync has applied past the source's read before it is reported ({@link TableVerifier}). Exit code 0 when equal, 1
 * when different, 2 on error.
 */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = "Compare source and destination tables (columns, row counts, checksums over primary-key "
                + "ranges) while the sync runs. Exit code 0 when equal, 1 when different, 2 on error.")
final class VerifyCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--source", required = true, description = "Source URL, postgresql://user:password@host:port/db")
    private String source;

    @Option(names = "--target", required = true, description = "Destination URL")
    private String target;

    @Option(names = "--tables", split = ",", description = "Tables to compare, schema.table (default: every table "
            + "of the source outside pg_catalog, information_schema and pgsync)")
    private List<String> tables;

    @Option(names = "--chunk-rows", defaultValue = "10000", description = "Rows per checksummed key range "
            + "(default: ${DEFAULT-VALUE})")
    private int chunkRows;

    @Option(names = "--max-keys", defaultValue = "20", description = "Differing keys listed per table "
            + "(default: ${DEFAULT-VALUE})")
    private int maxKeys;

    @Option(names = "--recheck-timeout-seconds", defaultValue = "30", description = "How long to wait for the "
            + "sync to apply the source's changes past a read before differing rows are read again at the "
            + "destination; rows that still differ when it runs out are reported, with a note "
            + "(default: ${DEFAULT-VALUE})")
    private int recheckTimeoutSeconds;

    @Option(names = "--json", description = "Print the result as JSON")
    private boolean json;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        List<TableVerifier.Result> results = new ArrayList<>();
        try (Connection from = PostgresUrl.parse(source, System.getenv()).connect();
                Connection to = PostgresUrl.parse(target, System.getenv()).connect()) {
            TableVerifier verifier = new TableVerifier(from, to, chunkRows, maxKeys, recheckTimeoutSeconds * 1000L);
            for (TableRef table : selected(from)) {
                results.add(verifier.verify(table));
            }
        } catch (SQLException | IllegalArgumentException e) {
            err.println("pgsync verify: " + e.getMessage());
            return 2;
        }
        boolean equal = results.stream().allMatch(TableVerifier.Result::equal);
        if (json) {
            out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsString(report(results, equal)));
        } else {
            print(out, results, equal);
        }
        out.flush();
        return equal ? 0 : 1;
    }

    private List<TableRef> selected(Connection connection) throws SQLException {
        List<TableRef> selected = new ArrayList<>();
        if (tables != null && !tables.isEmpty()) {
            for (String name : tables) {
                List<String> parts = QualifiedName.split(name.trim());
                if (parts.size() != 2) {
                    throw new IllegalArgumentException("--tables takes schema.table names, e.g. public.orders; got "
                            + name);
                }
                selected.add(new TableRef(parts.get(0), parts.get(1)));
            }
            return selected;
        }
        return Catalog.userTables(connection);
    }

    private static void print(PrintWriter out, List<TableVerifier.Result> results, boolean equal) {
        int width = Math.max(5, results.stream().mapToInt(r -> r.table().toString().length()).max().orElse(5));
        String format = "%-" + width + "s  %12s  %12s  %6s  %s%n";
        out.printf(format, "TABLE", "SOURCE ROWS", "TARGET ROWS", "RANGES", "RESULT");
        for (TableVerifier.Result result : results) {
            out.printf(format, result.table(), result.sourceRows(), result.targetRows(), result.chunks(),
                    outcome(result));
            for (String difference : result.schemaDifferences()) {
                out.println("    schema: " + difference);
            }
            for (Map<String, String> key : result.differingKeys()) {
                out.println("    differs: " + key);
            }
            if (result.differingKeyCount() > result.differingKeys().size()) {
                out.println("    ... and " + (result.differingKeyCount() - result.differingKeys().size())
                        + " more");
            }
            if (result.note() != null) {
                out.println("    note: " + result.note());
            }
        }
        out.println(equal ? "Equal: " + results.size() + " table(s)." : "DIFFERENT: "
                + results.stream().filter(r -> !r.equal()).count() + " of " + results.size() + " table(s).");
    }

    private static String outcome(TableVerifier.Result result) {
        if (result.problem() != null) {
            return "DIFFERENT: " + result.problem();
        }
        if (result.equal()) {
            return "equal";
        }
        List<String> parts = new ArrayList<>();
        if (!result.schemaDifferences().isEmpty()) {
            parts.add(result.schemaDifferences().size() + " schema difference(s)");
        }
        if (result.differingKeyCount() > 0) {
            parts.add(result.differingKeyCount() + " differing row(s)");
        }
        if (result.sourceRows() != result.targetRows()) {
            parts.add("row counts differ");
        }
        return "DIFFERENT: " + String.join(", ", parts);
    }

    private static Map<String, Object> report(List<TableVerifier.Result> results, boolean equal) {
        List<Map<String, Object>> tables = new ArrayList<>();
        for (TableVerifier.Result result : results) {
            Map<String, Object> table = new LinkedHashMap<>();
            table.put("table", result.table().toString());
            table.put("equal", result.equal());
            table.put("sourceRows", result.sourceRows());
            table.put("targetRows", result.targetRows());
            table.put("ranges", result.chunks());
            table.put("problem", result.problem());
            table.put("schemaDifferences", result.schemaDifferences());
            table.put("differingRows", result.differingKeyCount());
            table.put("differingKeys", result.differingKeys());
            table.put("inFlightRows", result.inFlightRows());
            table.put("note", result.note());
            table.put("elapsedMs", result.elapsedMs());
            tables.add(table);
        }
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("equal", equal);
        report.put("tables", tables);
        return report;
    }
}
