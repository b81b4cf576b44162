package io.pgsync.cli;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code pgsync status}: per connector of a Connect cluster, its state and its tasks' (from Connect's REST API); with
 * {@code --target}, per sink task its phase, lag, rows applied and last error from the destination's
 * {@code pgsync.status}. Exit code 0 when everything runs, 1 when something failed, 2 on error.
 */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Show the connectors' state (Connect REST API) and, with --target, each sink's phase, lag, "
                + "rows applied and last error (pgsync.status).")
final class StatusCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--connect-url", defaultValue = "http://127.0.0.1:8083", description = "Kafka Connect REST API "
            + "(default: ${DEFAULT-VALUE})")
    private String connectUrl;

    @Option(names = "--target", description = "Destination URL, to read pgsync.status")
    private String target;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        boolean failed = false;
        try {
            ConnectRest rest = new ConnectRest(connectUrl);
            for (JsonNode name : rest.connectors()) {
                String status = ConnectRest.describe(rest.status(name.asText()));
                failed |= status.contains("FAILED");
                out.println(name.asText() + ": " + status);
            }
            if (target != null) {
                try (Connection connection = PostgresUrl.parse(target, System.getenv()).connect();
                        PreparedStatement ps = connection.prepareStatement("SELECT connector, task, phase, lag_ms, "
                                + "rows_applied, last_commit_at, last_error FROM pgsync.status ORDER BY 1, 2");
                        ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.printf("%s task %d: phase %s, lag %s ms, %d rows applied, last commit %s%s%n",
                                rs.getString(1), rs.getInt(2), rs.getString(3), rs.getString(4), rs.getLong(5),
                                rs.getString(6), rs.getString(7) == null ? "" : ", last error: " + rs.getString(7));
                    }
                }
            }
        } catch (Exception e) {
            spec.commandLine().getErr().println("pgsync status: " + e.getMessage());
            return 2;
        }
        out.flush();
        return failed ? 1 : 0;
    }
}
