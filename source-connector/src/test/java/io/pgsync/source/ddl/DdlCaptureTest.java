package io.pgsync.source.ddl;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import javax.management.ObjectName;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.pgsync.common.event.DdlEvent;
import io.pgsync.common.event.DebeziumEnvelope;
import io.pgsync.source.metrics.PgSyncSourceMetrics;

class DdlCaptureTest {

    /** As Debezium's: schema and table required, and empty in a logical message's source block. */
    private static final Schema SOURCE = SchemaBuilder.struct().name("io.debezium.connector.postgresql.Source")
            .field("schema", Schema.STRING_SCHEMA).field("table", Schema.STRING_SCHEMA)
            .field("lsn", Schema.OPTIONAL_INT64_SCHEMA).field("txId", Schema.OPTIONAL_INT64_SCHEMA)
            .field("sequence", Schema.OPTIONAL_STRING_SCHEMA).field("ts_ms", Schema.INT64_SCHEMA).build();
    private static final Schema LOG_ROW = SchemaBuilder.struct().name("pgsync.pgsync.ddl_log.Value")
            .field("id", Schema.INT64_SCHEMA).field("content", Schema.OPTIONAL_STRING_SCHEMA).optional().build();
    private static final Schema CHANGE = SchemaBuilder.struct().name("pgsync.pgsync.ddl_log.Envelope")
            .field("before", LOG_ROW).field("after", LOG_ROW).field("source", SOURCE)
            .field("op", Schema.STRING_SCHEMA).build();
    private static final Schema MESSAGE_BLOCK = SchemaBuilder.struct().name("io.debezium.connector.postgresql.Message")
            .field("prefix", Schema.STRING_SCHEMA).field("content", Schema.BYTES_SCHEMA).build();
    private static final Schema MESSAGE = SchemaBuilder.struct().name("io.debezium.connector.common.Message")
            .field("op", Schema.STRING_SCHEMA).field("source", SOURCE).field("message", MESSAGE_BLOCK).build();
    private static final String DDL = "{\"tag\":\"CREATE TABLE\",\"statement\":\"CREATE TABLE app.t (id int)\","
            + "\"origin\":\"statement\",\"commands\":[{\"kind\":\"table\",\"before\":null,\"after\":{\"schema\":\"app\","
            + "\"name\":\"t\",\"columns\":[]},\"origin\":\"statement\",\"standardConformingStrings\":true}]}";

    private final PgSyncSourceMetrics metrics = new PgSyncSourceMetrics("capture-test", 0, () -> 0);
    private final DdlCapture capture = DdlCapture.converting("db.changelog", 1, table -> table.schema().equals("app"),
            metrics, "pgsync_db", true);

    @AfterEach
    void closeMetrics() {
        metrics.close();
    }

    /** The records as the source task passes them through the capture, one at a time, dropped ones left out. */
    private List<SourceRecord> convert(List<SourceRecord> records) {
        List<SourceRecord> converted = new ArrayList<>();
        for (SourceRecord record : records) {
            SourceRecord kept = capture.convert(record, DebeziumEnvelope.tableOf(record.valueSchema(),
                    record.value()));
            if (kept != null) {
                converted.add(kept);
            }
        }
        return converted;
    }

    @Test
    void anInsertIntoTheCapturesLogBecomesADdlRecordAndItsDeleteIsDropped() {
        List<SourceRecord> converted = convert(List.of(logged("c", DDL), logged("d", null)));

        assertThat(converted).hasSize(1);
        DdlEvent event = DdlEvent.of(converted.get(0).valueSchema(), converted.get(0).value()).orElseThrow();
        assertThat(event.tag()).isEqualTo("CREATE TABLE");
        assertThat(event.query()).isEqualTo("CREATE TABLE app.t (id int)");
        assertThat(event.commands()).contains("\"origin\":\"statement\"");
        assertThat(converted.get(0).topic()).isEqualTo("db.changelog");
    }

    @Test
    void aLogicalMessageWithPgsyncsPrefixIsNeverDdlWhateverItSaysAndIsCounted() throws Exception {
        SourceRecord other = new SourceRecord(Map.of(), Map.of(), "db.message", 0, MESSAGE, message("other", DDL));
        List<SourceRecord> converted = convert(List.of(message(DDL), logged("c", DDL), message(DDL), other));

        assertThat(converted).hasSize(2);
        assertThat(converted.get(0).valueSchema()).isEqualTo(DdlEvent.SCHEMA);
        assertThat(converted.get(1)).isSameAs(other);
        assertThat(ManagementFactory.getPlatformMBeanServer().getAttribute(new ObjectName(
                "kafka.connect:type=pgsync-source-metrics,connector=capture-test,task=0"),
                "ddl-messages-rejected-total")).isEqualTo(2.0);
    }

    @Test
    void recordsOfOtherTablesPassUnchanged() {
        List<SourceRecord> records = List.of(new SourceRecord(Map.of(), Map.of(), "db.app.t", 0, CHANGE,
                change("app", "t", "c", DDL)));
        assertThat(convert(records)).containsExactlyElementsOf(records).first().isSameAs(records.get(0));
    }

    @Test
    void whatTheCaptureAppliedForThisPublicationIsCountedAndNeverSentOn() throws Exception {
        String applied = "{\"tag\":\"CREATE TABLE\",\"statement\":null,\"origin\":\"pgsync\",\"commands\":["
                + "{\"kind\":\"applied\",\"action\":\"publication\",\"publications\":[\"pgsync_db\"],"
                + "\"table\":{\"schema\":\"app\",\"name\":\"t\"}},"
                + "{\"kind\":\"applied\",\"action\":\"replica identity full\",\"publications\":[\"pgsync_db\"],"
                + "\"table\":{\"schema\":\"app\",\"name\":\"t\"}},"
                + "{\"kind\":\"applied\",\"action\":\"publication\",\"publications\":[\"other\"],"
                + "\"table\":{\"schema\":\"app\",\"name\":\"u\"}}]}";

        assertThat(convert(List.of(logged("c", applied), logged("d", null)))).isEmpty();
        ObjectName bean = new ObjectName("kafka.connect:type=pgsync-source-metrics,connector=capture-test,task=0");
        assertThat(ManagementFactory.getPlatformMBeanServer().getAttribute(bean, "publication-tables-added-total"))
                .isEqualTo(1.0);
        assertThat(ManagementFactory.getPlatformMBeanServer().getAttribute(bean, "replica-identity-full-set-total"))
                .isEqualTo(1.0);
    }

    @Test
    void aTableHasAReplicaIdentityWithAPrimaryKeyFullOrAnIndexThatExists() throws Exception {
        ObjectMapper json = new ObjectMapper();
        assertThat(DdlCapture.hasReplicaIdentity(json.readTree("{\"replicaIdentity\":\"d\",\"constraints\":"
                + "[{\"type\":\"p\"}]}"))).isTrue();
        assertThat(DdlCapture.hasReplicaIdentity(json.readTree("{\"replicaIdentity\":\"d\",\"constraints\":"
                + "[{\"type\":\"u\"}]}"))).isFalse();
        assertThat(DdlCapture.hasReplicaIdentity(json.readTree("{\"replicaIdentity\":\"f\"}"))).isTrue();
        assertThat(DdlCapture.hasReplicaIdentity(json.readTree("{\"replicaIdentity\":\"n\"}"))).isFalse();
        assertThat(DdlCapture.hasReplicaIdentity(json.readTree("{\"replicaIdentity\":\"i\","
                + "\"replicaIdentityIndex\":null}"))).isFalse();
        assertThat(DdlCapture.hasReplicaIdentity(json.readTree("{\"replicaIdentity\":\"i\","
                + "\"replicaIdentityIndex\":\"t_k\"}"))).isTrue();
    }

    private static SourceRecord logged(String op, String content) {
        return new SourceRecord(Map.of(), Map.of(), "db.pgsync.ddl_log", 0, CHANGE,
                change("pgsync", "ddl_log", op, content));
    }

    private static Struct change(String schema, String table, String op, String content) {
        Struct row = new Struct(LOG_ROW).put("id", 1L).put("content", content);
        Struct value = new Struct(CHANGE).put("source", source(schema, table)).put("op", op);
        return "d".equals(op) ? value.put("before", row) : value.put("after", row);
    }

    private static SourceRecord message(String content) {
        return new SourceRecord(Map.of(), Map.of(), "db.message", 0, MESSAGE, message("pgsync", content));
    }

    private static Struct message(String prefix, String content) {
        return new Struct(MESSAGE).put("op", "m").put("source", source("", ""))
                .put("message", new Struct(MESSAGE_BLOCK).put("prefix", prefix)
                        .put("content", content.getBytes(StandardCharsets.UTF_8)));
    }

    private static Struct source(String schema, String table) {
        return new Struct(SOURCE).put("schema", schema).put("table", table).put("lsn", 1234L).put("txId", 567L)
                .put("sequence", "[\"1000\",\"1234\"]").put("ts_ms", 1L);
    }
}
