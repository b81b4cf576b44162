package io.pgsync.bench;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** A system under test: one way to copy and keep a PostgreSQL database in sync with another. */
enum SystemKind {

    PGSYNC("pgsync", "pgsync: PgSyncSourceConnector → changelog → PgSyncSinkConnector", true,
            EnumSet.allOf(Workload.class)),
    DEBEZIUM_JDBC("debezium-jdbc", "Debezium PostgresConnector → topic per table → Debezium JDBC sink", true,
            EnumSet.of(Workload.FULL_SYNC, Workload.CATCH_UP, Workload.LAG)),
    LOGICAL_REPLICATION("logical-replication", "native logical replication (publication/subscription)", false,
            EnumSet.allOf(Workload.class)),
    COPY_TEXT("copy-text", "COPY pipe, text format (physical limit)", false, EnumSet.of(Workload.FULL_SYNC)),
    COPY_BINARY("copy-binary", "COPY pipe, binary format (physical limit)", false, EnumSet.of(Workload.FULL_SYNC));

    private final String cliName;
    private final String label;
    private final boolean kafka;
    private final Set<Workload> workloads;

    SystemKind(String cliName, String label, boolean kafka, Set<Workload> workloads) {
        this.cliName = cliName;
        this.label = label;
        this.kafka = kafka;
        this.workloads = workloads;
    }

    String cliName() {
        return cliName;
    }

    String label() {
        return label;
    }

    /** Whether the system runs in the Kafka Connect worker. */
    boolean usesKafka() {
        return kafka;
    }

    boolean supports(Workload workload) {
        return workloads.contains(workload);
    }

    /** Parses a comma-separated list of names; {@code lr} is logical-replication, {@code copy} both COPY formats. */
    static List<SystemKind> parseList(String text) {
        List<SystemKind> systems = new ArrayList<>();
        for (String part : text.split(",")) {
            String name = part.strip().toLowerCase(Locale.ROOT);
            if (name.isEmpty()) {
                continue;
            }
            List<SystemKind> named = switch (name) {
                case "lr" -> List.of(LOGICAL_REPLICATION);
                case "copy" -> List.of(COPY_TEXT, COPY_BINARY);
                case "all" -> List.of(values());
                default -> List.of(byName(name));
            };
            named.stream().filter(system -> !systems.contains(system)).forEach(systems::add);
        }
        if (systems.isEmpty()) {
            throw new IllegalArgumentException("No system named in '" + text + "'");
        }
        return systems;
    }

    private static SystemKind byName(String name) {
        for (SystemKind system : values()) {
            if (system.cliName.equals(name)) {
                return system;
            }
        }
        throw new IllegalArgumentException("Unknown system '" + name + "': use pgsync, debezium-jdbc, "
                + "logical-replication (lr), copy-text, copy-binary, copy (both COPY formats) or all");
    }
}
