package io.pgsync.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code pgsync} command. */
@Command(name = "pgsync", mixinStandardHelpOptions = true, versionProvider = PgSync.Version.class,
        description = "PostgreSQL-to-PostgreSQL sync on Kafka Connect: run a sync, check the databases, verify a sync, "
                + "switch over to the destination.",
        subcommands = {RunCommand.class, PrecheckCommand.class, VerifyCommand.class, StatusCommand.class,
                CleanupCommand.class, SwitchoverCommand.class, DemoCommand.class})
public final class PgSync {

    private PgSync() {
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new PgSync()).execute(args));
    }

    /** The version of the build. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"pgsync " + io.pgsync.common.Version.get()};
        }
    }
}
