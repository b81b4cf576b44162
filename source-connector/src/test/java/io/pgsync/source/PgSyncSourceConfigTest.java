package io.pgsync.source;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.junit.jupiter.api.Test;

class PgSyncSourceConfigTest {

    @Test
    void appliesLosslessDefaultsNamedAfterTheConnector() {
        Map<String, String> props = PgSyncSourceConfig.withDefaults(Map.of("name", "Orders-Sync", "topic.prefix", "shop"));
        assertThat(props).containsEntry("plugin.name", "pgoutput")
                .containsEntry("publication.autocreate.mode", "filtered")
                .containsEntry("slot.name", "pgsync_orders_sync")
                .containsEntry("publication.name", "pgsync_orders_sync")
                .containsEntry("provide.transaction.metadata", "true")
                .containsEntry("column.propagate.source.type", ".*")
                .containsEntry("decimal.handling.mode", "string")
                .containsEntry("time.precision.mode", "structured")
                .containsEntry("interval.handling.mode", "string")
                .containsEntry("hstore.handling.mode", "map")
                .containsEntry("binary.handling.mode", "bytes")
                .containsEntry("include.unknown.datatypes", "true")
                .containsEntry("event.converting.failure.handling.mode", "fail")
                .containsEntry("database.binaryTransfer", "false")
                .containsEntry("poll.interval.ms", "50")
                .containsEntry("extended.headers.enabled", "false")
                .containsEntry("skipped.operations", "none")
                .containsEntry("tombstones.on.delete", "false");
    }

    @Test
    void userSettingsWin() {
        Map<String, String> props = PgSyncSourceConfig.withDefaults(Map.of("name", "x", "slot.name", "mine",
                "decimal.handling.mode", "precise"));
        assertThat(props).containsEntry("slot.name", "mine").containsEntry("decimal.handling.mode", "precise")
                .containsEntry("publication.name", "pgsync_x");
    }

    @Test
    void pgsyncsFormatCarriesArraysTimesAndBitStringsAsTheirSourceTextAfterTheUsersConverters() {
        assertThat(PgSyncSourceConfig.withDefaults(Map.of("name", "x")))
                .containsEntry("converters", "pgsync_text")
                .containsEntry("pgsync_text.type", "io.pgsync.source.capture.SourceTextConverter")
                .containsEntry("pgsync_text.unavailable.value.placeholder", "__debezium_unavailable_value");
        assertThat(PgSyncSourceConfig.withDefaults(Map.of("name", "x", "converters", "mine",
                "unavailable.value.placeholder", "?")))
                .containsEntry("converters", "mine,pgsync_text")
                .containsEntry("pgsync_text.unavailable.value.placeholder", "?");
        assertThat(PgSyncSourceConfig.withDefaults(Map.of("name", "x", "changelog.format", "debezium")))
                .doesNotContainKey("converters").doesNotContainKey("pgsync_text.type");
    }

    @Test
    void longNamesStayValidAndDistinct() {
        String a = PgSyncSourceConfig.replicationObjectName("a-very-long-connector-name-for-the-orders-database-in-region-eu-west-1");
        String b = PgSyncSourceConfig.replicationObjectName("a-very-long-connector-name-for-the-orders-database-in-region-eu-west-2");
        assertThat(a).hasSizeLessThanOrEqualTo(63).matches("[a-z0-9_]+").isNotEqualTo(b);
        assertThat(PgSyncSourceConfig.replicationObjectName("Zoe's sync")).isEqualTo("pgsync_zoe_s_sync");
    }

    @Test
    void namesOutsideAsciiGetDistinctSlotsThoughTheirCharactersAllBecomeUnderscores() {
        String orders = PgSyncSourceConfig.replicationObjectName("заказы-source");
        String goods = PgSyncSourceConfig.replicationObjectName("товары-source");
        assertThat(orders).isNotEqualTo(goods).startsWith("pgsync________source_").matches("[a-z0-9_]+");
        assertThat(PgSyncSourceConfig.replicationObjectName("é".repeat(63))).hasSize(63).matches("[a-z0-9_]+");
    }

    @Test
    void changelogTopicDefaultsToThePrefix() {
        assertThat(new PgSyncSourceConfig(Map.of("topic.prefix", "shop")).changelogTopic()).isEqualTo("shop.changelog");
        assertThat(new PgSyncSourceConfig(Map.of("topic.prefix", "shop", "changelog.topic", "all")).changelogTopic())
                .isEqualTo("all");
    }

    @Test
    void theFullSyncIsPgsyncsCopyUnlessDebeziumsSnapshotIsAskedFor() {
        Map<String, String> copy = PgSyncSourceConfig.withDefaults(Map.of("name", "x"));
        assertThat(copy).containsEntry("full.sync.mode", "copy").containsEntry("snapshot.mode", "no_data");
        assertThat(new PgSyncSourceConfig(copy).fullSyncMode()).isEqualTo("copy");

        Map<String, String> snapshot = PgSyncSourceConfig.withDefaults(Map.of("name", "x", "snapshot.mode", "initial"));
        assertThat(snapshot).containsEntry("full.sync.mode", "debezium").containsEntry("snapshot.mode", "initial");

        Map<String, String> envelope = PgSyncSourceConfig.withDefaults(Map.of("name", "x",
                "changelog.format", "debezium"));
        assertThat(envelope).containsEntry("full.sync.mode", "debezium").doesNotContainKey("snapshot.mode");

        Map<String, String> none = PgSyncSourceConfig.withDefaults(Map.of("name", "x", "full.sync.mode", "none"));
        assertThat(none).containsEntry("snapshot.mode", "no_data");
        assertThat(new PgSyncSourceConfig(none).fullSyncMode()).isEqualTo("none");
    }

    @Test
    void ddlCaptureNeedsOneChangelogPartition() {
        assertThat(new PgSyncSourceConfig(Map.of()).ddlCaptureConflict()).isNull();
        assertThat(new PgSyncSourceConfig(Map.of("changelog.partitions", "4", "ddl.capture.enabled", "false"))
                .ddlCaptureConflict()).isNull();
        assertThat(new PgSyncSourceConfig(Map.of("changelog.partitions", "4")).ddlCaptureConflict())
                .contains("ddl.capture.enabled=true needs changelog.partitions=1, but it is 4")
                .contains("RENAME").contains("ddl.capture.enabled=false");
    }
}
