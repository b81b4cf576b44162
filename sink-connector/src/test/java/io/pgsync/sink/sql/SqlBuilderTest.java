package io.pgsync.sink.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.pgsync.common.pg.TableRef;
import io.pgsync.sink.schema.DestinationTable;
import io.pgsync.sink.sql.SqlBuilder.ColumnDefinition;

class SqlBuilderTest {

    private static final DestinationTable ORDERS = table(new TableRef("public", "orders"),
            List.of("id"), "id", "int4", "note", "text", "amount", "numeric(12,2)");

    private static final DestinationTable LINES = table(new TableRef("Sales", "order \"lines\""),
            List.of("order_id", "line"), "order_id", "int8", "line", "int2", "select", "text[]");

    @Test
    void upsertUpdatesEveryNonKeyColumnOnConflict() throws IOException {
        Statement upsert = SqlBuilder.upsert(ORDERS, List.of("id", "note", "amount"));
        assertThat(upsert.sql()).isEqualTo(golden("upsert-single-key.sql"));
        assertThat(upsert.parameters()).containsExactly("id", "note", "amount");
    }

    @Test
    void upsertQuotesHostileNamesAndCompositeKeys() throws IOException {
        Statement upsert = SqlBuilder.upsert(LINES, List.of("order_id", "line", "select"));
        assertThat(upsert.sql()).isEqualTo(golden("upsert-composite-key.sql"));
    }

    @Test
    void upsertOfKeyOnlyRowsDoesNothingOnConflict() {
        DestinationTable keyOnly = table(new TableRef("public", "tags"), List.of("tag"), "tag", "text");
        assertThat(SqlBuilder.upsert(keyOnly, List.of("tag")).sql()).isEqualTo(
                "INSERT INTO \"public\".\"tags\" (\"tag\") OVERRIDING SYSTEM VALUE VALUES (CAST(? AS text)) "
                        + "ON CONFLICT (\"tag\") DO NOTHING");
    }

    @Test
    void keylessTablesGetAPlainInsert() {
        DestinationTable log = table(new TableRef("public", "log"), List.of(), "line", "text");
        assertThat(SqlBuilder.upsert(log, List.of("line")).sql())
                .isEqualTo("INSERT INTO \"public\".\"log\" (\"line\") OVERRIDING SYSTEM VALUE VALUES (CAST(? AS text))");
        assertThatThrownBy(() -> SqlBuilder.deleteByKey(log)).hasMessageContaining("no primary key");
    }

    @Test
    void deleteMatchesEveryKeyColumn() throws IOException {
        Statement delete = SqlBuilder.deleteByKey(LINES);
        assertThat(delete.sql()).isEqualTo(golden("delete-composite-key.sql"));
        assertThat(delete.parameters()).containsExactly("order_id", "line");
    }

    @Test
    void createTableDeclaresTypesNullabilityAndKey() throws IOException {
        Statement create = SqlBuilder.createTable(new TableRef("Sales", "order \"lines\""), List.of(
                new ColumnDefinition("order_id", "int8", false),
                new ColumnDefinition("line", "int2", false),
                new ColumnDefinition("select", "text[]", true)), List.of("order_id", "line"));
        assertThat(create.sql()).isEqualTo(golden("create-table.sql"));
    }

    @Test
    void setWiseUpsertUnnestsOneTextArrayPerColumn() throws IOException {
        Statement upsert = SqlBuilder.upsertRows(LINES, List.of("order_id", "line", "select"));
        assertThat(upsert.sql()).isEqualTo(golden("upsert-rows.sql"));
        assertThat(upsert.parameters()).containsExactly("order_id", "line", "select");
    }

    @Test
    void setWiseDeleteJoinsTheKeyArrays() throws IOException {
        Statement delete = SqlBuilder.deleteRows(LINES);
        assertThat(delete.sql()).isEqualTo(golden("delete-rows.sql"));
        assertThat(delete.parameters()).containsExactly("order_id", "line");
    }

    @Test
    void keylessDeleteRemovesOneRowMatchingEveryColumnAsText() throws IOException {
        DestinationTable log = table(new TableRef("public", "log"), List.of(), "at", "timestamptz", "doc", "json");
        assertThat(SqlBuilder.deleteOneMatching(log, List.of("at", "doc")).sql())
                .isEqualTo(golden("delete-one-matching.sql"));
    }

    private static DestinationTable table(TableRef ref, List<String> key, String... columnsAndTypes) {
        Map<String, String> columns = new LinkedHashMap<>();
        for (int i = 0; i < columnsAndTypes.length; i += 2) {
            columns.put(columnsAndTypes[i], columnsAndTypes[i + 1]);
        }
        return new DestinationTable(ref, columns, key);
    }

    @Test
    void fullSyncChunksAreCopiedOrStagedAndMerged() throws IOException {
        List<String> columns = List.of("order_id", "line", "select");
        assertThat(SqlBuilder.copyIn(LINES.table(), columns).sql())
                .isEqualTo("COPY \"Sales\".\"order \"\"lines\"\"\" (\"order_id\", \"line\", \"select\") FROM STDIN");
        assertThat(SqlBuilder.createStage("pgsync_stage", LINES.table()).sql())
                .isEqualTo("CREATE TEMPORARY TABLE \"pgsync_stage\" (LIKE \"Sales\".\"order \"\"lines\"\"\")");
        assertThat(SqlBuilder.copyIntoStage("pgsync_stage", columns).sql())
                .isEqualTo("COPY pg_temp.\"pgsync_stage\" (\"order_id\", \"line\", \"select\") FROM STDIN");
        assertThat(SqlBuilder.mergeStage(LINES, "pgsync_stage", columns).sql()).isEqualTo(golden("merge-stage.sql"));
    }

    @Test
    void moveKeySetsTheNewKeyWhereTheOldOneIs() throws IOException {
        Statement move = SqlBuilder.moveKey(LINES);
        assertThat(move.sql()).isEqualTo(golden("move-key.sql"));
        assertThat(move.parameters()).containsExactly("order_id", "line", "old.order_id", "old.line");
    }

    @Test
    void truncateNamesEveryTableOfTheSourceStatementWithoutCascade() {
        assertThat(SqlBuilder.truncate(List.of(ORDERS, LINES)).sql())
                .isEqualTo("TRUNCATE \"public\".\"orders\", \"Sales\".\"order \"\"lines\"\"\"");
    }

    private static String golden(String name) throws IOException {
        try (InputStream in = SqlBuilderTest.class.getResourceAsStream("SqlBuilderTest/" + name)) {
            assertThat(in).as("golden file %s", name).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
        }
    }
}
