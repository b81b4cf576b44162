package io.pgsync.common.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Set;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.junit.jupiter.api.Test;

import io.pgsync.common.pg.TableRef;

class ChangelogTest {

    @Test
    void namesTheTopicAfterThePrefix() {
        assertThat(Changelog.defaultTopic("shop")).isEqualTo("shop.changelog");
    }

    @Test
    void keepsEveryTableOnOnePartitionWhenThereIsOne() {
        assertThat(Changelog.partitionFor(new TableRef("public", "orders"), 1)).isZero();
    }

    @Test
    void partitionIsStableAcrossRunsAndSpreadsTables() {
        // pinned values: changing the hash would move tables between partitions of existing changelogs
        assertThat(Changelog.partitionFor(new TableRef("public", "orders"), 8)).isEqualTo(3);
        assertThat(Changelog.partitionFor(new TableRef("Sales", "Zoë"), 16)).isEqualTo(10);
        Set<Integer> used = new HashSet<>();
        for (int i = 0; i < 64; i++) {
            int p = Changelog.partitionFor(new TableRef("public", "t" + i), 4);
            assertThat(p).isBetween(0, 3);
            used.add(p);
        }
        assertThat(used).containsExactlyInAnyOrder(0, 1, 2, 3);
        assertThatThrownBy(() -> Changelog.partitionFor(new TableRef("a", "b"), 0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void findsTheTableOfAChangeEventOnly() {
        Schema source = SchemaBuilder.struct().field("schema", Schema.STRING_SCHEMA).field("table", Schema.STRING_SCHEMA)
                .build();
        Schema envelope = SchemaBuilder.struct().field("op", Schema.STRING_SCHEMA).field("source", source).build();
        Struct value = new Struct(envelope).put("op", "c")
                .put("source", new Struct(source).put("schema", "Sales").put("table", "orders"));
        assertThat(DebeziumEnvelope.tableOf(envelope, value)).contains(new TableRef("Sales", "orders"));

        Schema marker = SchemaBuilder.struct().field("status", Schema.STRING_SCHEMA).build();
        assertThat(DebeziumEnvelope.tableOf(marker, new Struct(marker).put("status", "BEGIN"))).isEmpty();
        assertThat(DebeziumEnvelope.tableOf(null, null)).isEmpty();
    }
}
