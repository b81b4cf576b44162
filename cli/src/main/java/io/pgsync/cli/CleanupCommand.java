package io.pgsync.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

import io.pgsync.common.pg.Identifiers;
import io.pgsync.source.PgSyncSourceConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code pgsync cleanup}: removes what a deleted source connector left in its source database, by running the
 * source plugin's {@code cleanup-source.sql} (the script operators run with psql): the replication slot, the
 * publication, and, when no other pgsync slot uses the database, the DDL capture's event triggers and the
 * {@code pgsync} schema. It asks first unless {@code --yes}; it refuses, changing nothing, while the slot is in use.
 */
@Command(name = "cleanup", mixinStandardHelpOptions = true,
        description = "Remove the replication slot, publication, event triggers and pgsync schema a deleted source "
                + "connector left in the source database. Asks first unless --yes.")
final class CleanupCommand implements Callable<Integer> {

    private static final String SCRIPT = "/io/pgsync/source/dist/cleanup-source.sql";

    @Spec
    private CommandSpec spec;

    @Option(names = "--source", required = true, description = "Source URL, postgresql://user:password@host:port/db")
    private String source;

    @Option(names = "--connector", description = "The source connector's name (default: pgsync-<database>-source, "
            + "as pgsync run names it)")
    private String connector;

    @Option(names = "--yes", description = "Do not ask for confirmation")
    private boolean yes;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        PostgresUrl url;
        try {
            url = PostgresUrl.parse(source, System.getenv());
        } catch (IllegalArgumentException e) {
            err.println("pgsync cleanup: " + e.getMessage());
            return 2;
        }
        String name = connector == null ? Connectors.sourceName(url.database()) : connector;
        String slot = PgSyncSourceConfig.replicationObjectName(name);
        out.println("On " + url + ": drop replication slot " + slot + " and publication " + slot
                + ", and, when no other pgsync slot uses the database, the event triggers and the pgsync schema.");
        if (!yes) {
            out.print("Proceed? [y/N] ");
            out.flush();
            String answer = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            if (answer == null || !answer.trim().equalsIgnoreCase("y")) {
                out.println("Nothing changed.");
                return 1;
            }
        }
        try (Connection connection = url.connect(); Statement statement = connection.createStatement()) {
            statement.execute(script(slot));
        } catch (SQLException e) {
            err.println("pgsync cleanup: " + e.getMessage());
            return 2;
        }
        out.println("Removed.");
        return 0;
    }

    /**
     * The plugin's script with its psql parts resolved: {@code \set} lines dropped, {@code :'slot'} and
     * {@code :"publication"} replaced by the quoted names (slot and publication share the name).
     */
    private static String script(String slot) throws IOException {
        try (InputStream in = CleanupCommand.class.getResourceAsStream(SCRIPT)) {
            if (in == null) {
                throw new IOException(SCRIPT + " is missing from the source connector's jar");
            }
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return text.lines().filter(line -> !line.startsWith("\\")).collect(Collectors.joining("\n"))
                    .replace(":'slot'", "'" + slot.replace("'", "''") + "'")
                    .replace(":'publication'", "'" + slot.replace("'", "''") + "'")
                    .replace(":\"publication\"", Identifiers.quote(slot));
        }
    }
}
