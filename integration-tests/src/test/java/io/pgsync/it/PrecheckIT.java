package io.pgsync.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.connect.runtime.rest.entities.ConfigInfos;
import org.junit.jupiter.api.Test;

/**
 * The prechecks of both connectors through Connect's {@code PUT /connector-plugins/.../config/validate}, against real
 * misconfigured databases: each failed item is reported on its config key and names the fix; a correct setup reports
 * nothing.
 */
class PrecheckIT extends PipelineIT {

    @Test
    void aServerWithoutLogicalWalLevelIsReportedOnTheHost() {
        target.cluster().createDatabase("plainwal");
        ConfigInfos infos = validate(Pipeline.source(target.cluster(), "plainwal", "plainwal", "public.*", 1));
        assertThat(Pipeline.validationErrors(infos, "database.hostname")).singleElement().asString()
                .contains("wal_level is 'replica'", "ALTER SYSTEM SET wal_level = logical", "restart PostgreSQL");
    }

    @Test
    void aUserWithoutPrivilegesAndTablesThatCannotBeCapturedAreReportedOneByOne() {
        String db = "prechecked";
        source.cluster().createDatabase(db);
        source.execute(db,
                "CREATE TABLE keyless (a int, b text)",
                "CREATE TABLE nothing (id int PRIMARY KEY)",
                "ALTER TABLE nothing REPLICA IDENTITY NOTHING",
                "CREATE UNLOGGED TABLE fast (id int PRIMARY KEY)",
                "CREATE TABLE full_row (a int)",
                "ALTER TABLE full_row REPLICA IDENTITY FULL",
                "CREATE TABLE fine (id int PRIMARY KEY)",
                "CREATE ROLE \"Plain User\" LOGIN PASSWORD 'secret-pw'",
                "GRANT SELECT ON ALL TABLES IN SCHEMA public TO \"Plain User\"");
        Map<String, String> config = Pipeline.source(source.cluster(), db, db, "public.*", 1);
        config.put("database.user", "Plain User");
        config.put("database.password", "secret-pw");

        ConfigInfos infos = validate(config);

        assertThat(Pipeline.validationErrors(infos, "database.user")).anyMatch(e -> e.contains(
                "User Plain User may not replicate") && e.contains("ALTER ROLE \"Plain User\" REPLICATION"));
        List<String> tables = Pipeline.validationErrors(infos, "table.include.list");
        assertThat(tables).anyMatch(e -> e.contains("2 selected table(s) have no replica identity")
                && e.contains("\"public\".\"keyless\"") && e.contains("\"public\".\"nothing\"")
                && e.contains("REPLICA IDENTITY FULL") && !e.contains("full_row") && !e.contains("fine"));
        assertThat(tables).anyMatch(e -> e.contains("Unlogged") && e.contains("\"public\".\"fast\"")
                && e.contains("SET LOGGED"));
        assertThat(Pipeline.validationErrors(infos, "publication.autocreate.mode")).singleElement().asString()
                .contains("does not exist", "GRANT CREATE ON DATABASE", "not owned: \"public\".\"fast\"");
        assertThat(Pipeline.validationErrors(infos, "ddl.capture.enabled")).singleElement().asString()
                .contains("only a superuser may create them", "Plain User", "ddl.capture.enabled=false");
        assertThat(infos.toString()).doesNotContain("secret-pw");
    }

    @Test
    void noFreeReplicationSlotIsReportedOnTheSlotNameWithTheSlotsThatHoldThem() {
        String db = "fullslots";
        source.cluster().createDatabase(db);
        source.execute(db, "CREATE TABLE t (id int PRIMARY KEY)");
        int max = Integer.parseInt(source.query(db, "SHOW max_replication_slots").get(0).get(0));
        int used = Integer.parseInt(source.query(db, "SELECT count(*) FROM pg_replication_slots").get(0).get(0));
        for (int i = used; i < max; i++) {
            source.execute(db, "SELECT pg_create_logical_replication_slot('filler_" + i + "', 'pgoutput')");
        }
        try {
            ConfigInfos infos = validate(Pipeline.source(source.cluster(), db, db, "public.t", 1));
            assertThat(Pipeline.validationErrors(infos, "slot.name")).singleElement().asString()
                    .contains("All " + max + " replication slots", "filler_" + (max - 1) + " (inactive)",
                            "pg_drop_replication_slot", "max_replication_slots");
        } finally {
            source.execute(db, "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                    + "WHERE slot_name LIKE 'filler\\_%'");
        }
    }

    @Test
    void aSourceReadyForCaptureValidatesWithoutErrors() {
        String db = "ready";
        source.cluster().createDatabase(db);
        source.execute(db, "CREATE TABLE t (id int PRIMARY KEY)", "CREATE TABLE log (a int)",
                "ALTER TABLE log REPLICA IDENTITY FULL");
        ConfigInfos infos = validate(Pipeline.source(source.cluster(), db, db, "public.*", 1));
        assertThat(infos.errorCount()).as("%s", infos).isZero();
    }

    @Test
    void aSinkUserThatMayNotCreateSchemasNorWriteAsAReplicaIsToldWhatToGrant() {
        String db = "sinkgrants";
        target.cluster().createDatabase(db);
        target.execute(db, "CREATE ROLE \"Sink User\" LOGIN PASSWORD 'sink-secret'",
                "REVOKE CREATE ON SCHEMA public FROM PUBLIC");
        Map<String, String> sink = new LinkedHashMap<>(Pipeline.sink(target.cluster(), db, db + ".changelog", 1));
        sink.put("name", db + "-sink");
        sink.put("connection.user", "Sink User");
        sink.put("connection.password", "sink-secret");

        ConfigInfos infos = connect.validate(Pipeline.SINK_CLASS, sink);
        assertThat(Pipeline.validationErrors(infos, "connection.user"))
                .anyMatch(e -> e.contains("GRANT CREATE ON DATABASE \"sinkgrants\" TO \"Sink User\""))
                .anyMatch(e -> e.contains("GRANT SET ON PARAMETER session_replication_role TO \"Sink User\""));
        assertThat(infos.toString()).doesNotContain("sink-secret");

        target.execute(db, "GRANT CREATE ON DATABASE sinkgrants TO \"Sink User\"",
                "GRANT SET ON PARAMETER session_replication_role TO \"Sink User\"");
        assertThat(connect.validate(Pipeline.SINK_CLASS, sink).errorCount()).isZero();
    }

    private static ConfigInfos validate(Map<String, String> config) {
        Map<String, String> named = new LinkedHashMap<>(config);
        named.put("name", config.get("topic.prefix") + "-source");
        return connect.validate(Pipeline.SOURCE_CLASS, named);
    }
}
