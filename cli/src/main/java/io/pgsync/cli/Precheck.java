package io.pgsync.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigValue;

import io.pgsync.sink.PgSyncSinkConnector;
import io.pgsync.source.PgSyncSourceConnector;

/**
 * The connectors' own {@code validate()} (the checks Kafka Connect runs on every create), run in this process and
 * printed as items: PASS naming what was checked, or FAIL with the message, which names the fix.
 */
final class Precheck {

    private static final String SOURCE_ITEMS = "connection and credentials, server version, wal_level, WAL senders, "
            + "REPLICATION attribute, free replication slot, publication rights, keys and replica identity of the "
            + "selected tables, unlogged tables, row filters, DDL capture rights";
    private static final String TARGET_ITEMS = "connection and credentials, CREATE on the database, "
            + "session_replication_role";

    private Precheck() {
    }

    /**
     * Checks the source, and the destination when given; prints the items and returns whether all passed.
     *
     * @param tables Debezium's {@code table.include.list}, or null for every table
     */
    static boolean print(PrintWriter out, PostgresUrl source, PostgresUrl target, String tables) {
        List<String[]> rows = new ArrayList<>();
        items(rows, "source " + source, new PgSyncSourceConnector().validate(Connectors.source(source, tables)),
                SOURCE_ITEMS);
        if (target != null) {
            items(rows, "destination " + target, new PgSyncSinkConnector().validate(Connectors.sink(target,
                    source.database())), TARGET_ITEMS);
        }
        int width = rows.stream().mapToInt(r -> r[1].length()).max().orElse(10);
        for (String[] row : rows) {
            out.printf("%-4s  %-" + width + "s  %s%n", row[0], row[1], row[2]);
        }
        boolean ready = rows.stream().noneMatch(r -> r[0].equals("FAIL"));
        out.println(ready ? "Ready." : "Not ready: fix the FAIL items above.");
        out.flush();
        return ready;
    }

    /** Adds a FAIL row per error message, or one PASS row naming what was checked. */
    private static void items(List<String[]> rows, String where, Config config, String checked) {
        Map<String, List<String>> errors = new LinkedHashMap<>();
        for (ConfigValue value : config.configValues()) {
            if (!value.errorMessages().isEmpty()) {
                errors.computeIfAbsent(value.name(), k -> new ArrayList<>()).addAll(value.errorMessages());
            }
        }
        if (errors.isEmpty()) {
            rows.add(new String[] {"PASS", where, checked});
        }
        errors.forEach((key, messages) -> messages.forEach(m -> rows.add(new String[] {"FAIL", where + " (" + key
                + ")", m})));
    }
}
