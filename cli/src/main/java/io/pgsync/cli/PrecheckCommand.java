package io.pgsync.cli;

import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code pgsync precheck}: the connectors' validation of the given databases, item by item ({@link Precheck}). Exit
 * code 0 when every item passes, 1 when one fails, 2 on error.
 */
@Command(name = "precheck", mixinStandardHelpOptions = true,
        description = "Check that the source (and the destination) are ready for pgsync: the connectors' own "
                + "validation, item by item, with the fix. Exit code 0 when ready, 1 when not, 2 on error.")
final class PrecheckCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--source", required = true, description = "Source URL, postgresql://user:password@host:port/db")
    private String source;

    @Option(names = "--target", description = "Destination URL (also checks the destination)")
    private String target;

    @Option(names = "--tables", description = "Debezium table.include.list, e.g. 'public\\.orders,public\\.items' "
            + "(default: every table)")
    private String tables;

    @Override
    public Integer call() {
        PostgresUrl from;
        PostgresUrl to;
        try {
            from = PostgresUrl.parse(source, System.getenv());
            to = target == null ? null : PostgresUrl.parse(target, System.getenv());
        } catch (IllegalArgumentException e) {
            spec.commandLine().getErr().println("pgsync precheck: " + e.getMessage());
            return 2;
        }
        return Precheck.print(spec.commandLine().getOut(), from, to, tables) ? 0 : 1;
    }
}
