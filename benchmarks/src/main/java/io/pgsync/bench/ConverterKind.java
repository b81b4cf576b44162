package io.pgsync.bench;

import java.util.Locale;

/** The key and value converters of the Connect worker, which both Kafka pipelines use. */
enum ConverterKind {

    JSON("json", "JSON converters: with schemas for Debezium's pipeline, without schemas for pgsync's connectors"),
    AVRO("avro", "Avro converters in the Confluent wire format (Apicurio AvroConverter) through a schema registry "
            + "started for the run");

    private final String cliName;
    private final String label;

    ConverterKind(String cliName, String label) {
        this.cliName = cliName;
        this.label = label;
    }

    String cliName() {
        return cliName;
    }

    String label() {
        return label;
    }

    /** What a results file name carries for these converters: nothing for JSON, the default, else {@code -avro}. */
    String fileSuffix() {
        return this == JSON ? "" : "-" + cliName;
    }

    static ConverterKind parse(String text) {
        String name = text.strip().toLowerCase(Locale.ROOT);
        for (ConverterKind kind : values()) {
            if (kind.cliName.equals(name)) {
                return kind;
            }
        }
        throw new IllegalArgumentException("--converter needs json or avro, not '" + text + "'");
    }
}
