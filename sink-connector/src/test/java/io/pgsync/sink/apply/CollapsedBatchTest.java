package io.pgsync.sink.apply;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.Test;

import io.pgsync.common.event.RowChange;
import io.pgsync.common.pg.TableRef;
import io.pgsync.sink.schema.DestinationTable;

class CollapsedBatchTest {

    private static final String PLACEHOLDER = "__debezium_unavailable_value";
    private static final DestinationTable DOCS = new DestinationTable(new TableRef("public", "docs"),
            columns(), List.of("id"));
    private static final DestinationTable LOG = new DestinationTable(new TableRef("public", "log"),
            columns(), List.of());

    private static Map<String, String> columns() {
        Map<String, String> columns = new LinkedHashMap<>();
        columns.put("id", "int4");
        columns.put("big", "text");
        columns.put("n", "int4");
        return columns;
    }

    private static final ChangeReader READER = new ChangeReader(PLACEHOLDER);

    /** A change as the sink reads it from pgsync's changelog; {@code big} = the placeholder means "not sent". */
    private static Change change(DestinationTable table, ChangeEvent.Op op, int id, String big, Integer n) {
        boolean unchanged = PLACEHOLDER.equals(big);
        List<String> row = Arrays.asList(Integer.toString(id), unchanged ? null : big, n == null ? null : n.toString());
        String code = switch (op) {
            case READ -> "r";
            case CREATE -> "c";
            case UPDATE -> "u";
            case DELETE -> "d";
            case TRUNCATE -> "t";
        };
        RowChange rowChange = new RowChange(code, table.table(), List.of("id", "big", "n"),
                List.of("integer not null", "text", "integer"), table.keyColumns(), op.writesRow() ? row : null,
                op.writesRow() ? null : row, unchanged ? List.of("big") : List.of(), null, -1);
        SinkRecord record = new SinkRecord("t", 0, null, null, RowChange.SCHEMA, rowChange.toStruct(), 0);
        return Change.of(READER.read(rowChange, record), table);
    }

    @Test
    void lastChangeOfEachKeyWins() {
        List<Change> changes = new ArrayList<>();
        changes.add(change(DOCS, ChangeEvent.Op.CREATE, 1, "a", 1));
        changes.add(change(DOCS, ChangeEvent.Op.UPDATE, 1, "b", 2));
        changes.add(change(DOCS, ChangeEvent.Op.CREATE, 2, "x", 1));
        changes.add(change(DOCS, ChangeEvent.Op.DELETE, 2, "x", 1));
        changes.add(change(DOCS, ChangeEvent.Op.DELETE, 3, null, null));
        changes.add(change(DOCS, ChangeEvent.Op.CREATE, 3, "again", 3));
        CollapsedBatch.TableChanges docs = CollapsedBatch.of(changes).tables().iterator().next();
        assertThat(docs.deletes()).extracting(Change::key).containsExactly(List.of("2"));
        assertThat(docs.upsertsByColumns()).hasSize(1);
        assertThat(docs.upsertsByColumns().values().iterator().next())
                .extracting(c -> c.values().get("id") + "=" + c.values().get("big") + "/" + c.values().get("n"))
                .containsExactly("1=b/2", "3=again/3");
    }

    @Test
    void unchangedToastColumnsAreLeftOutOrTakenFromAnEarlierChange() {
        CollapsedBatch.TableChanges alone = CollapsedBatch.of(List.of(
                change(DOCS, ChangeEvent.Op.UPDATE, 1, PLACEHOLDER, 5))).tables().iterator().next();
        assertThat(alone.upsertsByColumns().keySet()).containsExactly(List.of("id", "n"));

        CollapsedBatch.TableChanges filled = CollapsedBatch.of(List.of(
                change(DOCS, ChangeEvent.Op.UPDATE, 1, "full value", 5),
                change(DOCS, ChangeEvent.Op.UPDATE, 1, PLACEHOLDER, 6))).tables().iterator().next();
        Map.Entry<List<String>, List<Change>> group = filled.upsertsByColumns().entrySet().iterator().next();
        assertThat(group.getKey()).containsExactly("id", "big", "n");
        assertThat(group.getValue().get(0).values()).containsEntry("big", "full value").containsEntry("n", "6");
    }

    @Test
    void aTableWithAKeyChangeKeepsEveryChangeInOrder() {
        RowChange moved = new RowChange("d", DOCS.table(), List.of("id", "big", "n"),
                List.of("integer not null", "text", "integer"), List.of("id"), null, Arrays.asList("1", null, null),
                List.of(), null, -1, List.of("2"));
        SinkRecord record = new SinkRecord("t", 0, null, null, RowChange.SCHEMA, moved.toStruct(), 0);
        Change move = Change.of(READER.read(RowChange.of(RowChange.SCHEMA, record.value()).orElseThrow(), record),
                DOCS);
        assertThat(move.isMove()).isTrue();
        assertThat(move.event().movedTo()).containsEntry("id", "2");
        CollapsedBatch.TableChanges docs = CollapsedBatch.of(List.of(
                change(DOCS, ChangeEvent.Op.UPDATE, 1, "a", 1),
                change(DOCS, ChangeEvent.Op.UPDATE, 1, "b", 2),
                move,
                change(DOCS, ChangeEvent.Op.CREATE, 2, PLACEHOLDER, 3),
                change(DOCS, ChangeEvent.Op.UPDATE, 2, PLACEHOLDER, 4))).tables().iterator().next();
        assertThat(docs.inOrder()).hasSize(5).extracting(c -> c.event().op()).containsExactly(ChangeEvent.Op.UPDATE,
                ChangeEvent.Op.UPDATE, ChangeEvent.Op.DELETE, ChangeEvent.Op.CREATE, ChangeEvent.Op.UPDATE);
        assertThat(docs.deletes()).isEmpty();
        assertThat(docs.upsertsByColumns()).isEmpty();
        assertThat(change(DOCS, ChangeEvent.Op.DELETE, 1, "a", 1).isMove()).as("a plain delete").isFalse();
    }

    @Test
    void keylessTablesKeepEveryChangeInOrder() {
        CollapsedBatch batch = CollapsedBatch.of(List.of(
                change(LOG, ChangeEvent.Op.CREATE, 1, "a", 1),
                change(DOCS, ChangeEvent.Op.CREATE, 9, "d", 9),
                change(LOG, ChangeEvent.Op.CREATE, 1, "a", 1)));
        assertThat(batch.tables()).extracting(t -> t.table().table().table()).containsExactly("log", "docs");
        CollapsedBatch.TableChanges log = batch.tables().iterator().next();
        assertThat(log.inOrder()).hasSize(2);
        assertThat(log.deletes()).isEmpty();
        assertThat(log.upsertsByColumns()).isEmpty();
    }
}
