package io.pgsync.source.selection;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.debezium.relational.TableId;
import io.pgsync.common.pg.TableRef;

class AddedTablesTest {

    @Test
    void theSnapshotSignalNamesEachTableSoThatDebeziumParsesItBackExactly() throws Exception {
        List<TableRef> tables = List.of(new TableRef("public", "orders"),
                new TableRef("Ünï \"Sch\"; DROP TABLE victim; -- ema", "Added \"t\"; --"),
                new TableRef("a.b", "c d"), new TableRef("back\\slash", "x"));

        JsonNode signal = new ObjectMapper().readTree(AddedTables.snapshotSignal(tables));

        assertThat(signal.path("type").asText()).isEqualTo("incremental");
        List<String> entries = new ArrayList<>();
        signal.path("data-collections").forEach(entry -> entries.add(entry.asText()));
        assertThat(entries).hasSize(tables.size());
        for (int i = 0; i < tables.size(); i++) {
            TableId expected = new TableId(null, tables.get(i).schema(), tables.get(i).table());
            // Debezium matches an entry as a regular expression against schema.table first, then parses it.
            assertThat(Pattern.compile(entries.get(i)).matcher(expected.identifier()).matches()).isFalse();
            assertThat(TableId.parse(entries.get(i), false)).isEqualTo(expected);
        }
    }
}
