package io.pgsync.sink.apply;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.Test;

import io.pgsync.common.event.RowChange;
import io.pgsync.common.event.TransactionMarker.Status;
import io.pgsync.common.event.ValuePiece;
import io.pgsync.common.pg.TableRef;
import io.pgsync.sink.mapping.NameMapping;

class TransactionBoundariesTest {

    private static final TopicPartition P0 = new TopicPartition("t", 0);
    private static final TopicPartition P1 = new TopicPartition("t", 1);
    private static final TableRef KV = new TableRef("public", "kv");
    private static final TableRef LOG = new TableRef("public", "log");
    private static final Schema MARKER = SchemaBuilder.struct().field("status", Schema.STRING_SCHEMA)
            .field("id", Schema.STRING_SCHEMA).build();

    private final TransactionBoundaries boundaries = new TransactionBoundaries();

    @Test
    void aCommitMayComeOnlyWhereEveryPartitionIsBetweenTransactions() {
        boundaries.add(List.of(P0, P1));
        assertThat(boundaries.atBoundary()).isTrue();
        boundaries.marker(P0, Status.BEGIN);
        assertThat(boundaries.atBoundary()).isFalse();
        boundaries.marker(P1, Status.BEGIN);
        boundaries.marker(P0, Status.END);
        assertThat(boundaries.atBoundary()).isFalse();
        boundaries.marker(P1, Status.END);
        assertThat(boundaries.atBoundary()).isTrue();
        boundaries.marker(P1, Status.BEGIN);
        boundaries.clear();
        assertThat(boundaries.atBoundary()).as("a rollback forgets partly read transactions").isTrue();
    }

    @Test
    void theLastBoundaryOfADeliveryIsAfterItsLastEnd() {
        boundaries.add(List.of(P0));
        // c9 END(t1) BEGIN(t2) c1 c2, read from inside t1
        boundaries.marker(P0, Status.BEGIN);
        Delivery delivery = delivery("c", "END", "BEGIN", "c", "c");
        assertThat(boundaries.lastBoundary(delivery, i -> true)).isEqualTo(2);
        assertThat(boundaries.lastBoundary(delivery, i -> i > 1))
                .as("records read before do not count").isZero();
    }

    @Test
    void aFullSyncThatRunsAgainEndsTheTransactionTheSourceLeftUnfinished() {
        boundaries.add(List.of(P0));
        // BEGIN(t7) kv-change log-change, then the source's worker was killed; the full sync runs again
        boundaries.marker(P0, Status.BEGIN);
        boundaries.changed(P0, KV);
        boundaries.changed(P0, LOG);
        assertThat(boundaries.fullSyncAgain(P0, KV)).as("t7 given up").isTrue();
        assertThat(boundaries.atBoundary()).as("t7's log change alone would be visible").isFalse();
        assertThat(boundaries.fullSyncAgain(P0, LOG)).as("given up already").isFalse();
        assertThat(boundaries.atBoundary()).isTrue();
        boundaries.marker(P0, Status.BEGIN);
        boundaries.changed(P0, KV);
        boundaries.fullSyncAgain(P0, LOG);
        boundaries.marker(P0, Status.BEGIN);
        assertThat(boundaries.atBoundary()).as("the next transaction begins: the full sync is over").isFalse();
        boundaries.marker(P0, Status.END);
        assertThat(boundaries.atBoundary()).isTrue();
    }

    @Test
    void aBarrierHoldsEachPartitionAtItsBoundaryUntilAllHaveReachedOne() {
        boundaries.add(List.of(P0, P1));
        boundaries.marker(P1, Status.BEGIN);
        assertThat(boundaries.raiseBarrier()).as("held at once: between transactions").containsExactly(P0);
        assertThat(boundaries.barrier()).isTrue();
        assertThat(boundaries.reachedBarrier(P0)).as("held already").isFalse();
        assertThat(boundaries.reachedBarrier(P1)).as("inside a transaction").isFalse();
        boundaries.marker(P1, Status.END);
        assertThat(boundaries.atBoundary()).isTrue();
        boundaries.lowerBarrier();
        assertThat(boundaries.barrier()).isFalse();
        boundaries.marker(P1, Status.BEGIN);
        boundaries.marker(P1, Status.END);
        assertThat(boundaries.reachedBarrier(P1)).as("no barrier up").isFalse();
    }

    @Test
    void noCommitFallsBetweenThePiecesOfALargeRowAndItsChange() {
        boundaries.add(List.of(P0));
        // the full sync (no transactions): chunk, the pieces of a row and its change, a chunk
        Delivery delivery = delivery("c", "piece", "piece", "row", "c");
        assertThat(boundaries.lastBoundary(delivery, i -> true)).isEqualTo(5);
        assertThat(boundaries.lastBoundary(delivery("c", "piece", "piece"), i -> true))
                .as("a delivery that ends between pieces commits before the first").isEqualTo(1);
        read(delivery, 1);
        assertThat(boundaries.atBoundary()).isFalse();
        assertThat(boundaries.raiseBarrier()).as("not held between pieces").isEmpty();
        read(delivery, 3);
        assertThat(boundaries.atBoundary()).isTrue();
        read(delivery, 1);
        boundaries.clear();
        assertThat(boundaries.atBoundary()).as("a rollback forgets partly read rows").isTrue();
    }

    @Test
    void aLargeRowEndsAtTheNextRecordThatIsNotAPieceEvenWhenItsChangeIsLeftOutOrNeverComes() {
        boundaries.add(List.of(P0));
        NameMapping excludePieced = NameMapping.of("s", List.of(), "t", List.of(), "c", List.of(), "x",
                List.of("public.big.b"));
        Delivery excluded = delivery(excludePieced, "piece", "piece", "row");
        assertThat(excluded.entries[2]).as("the row's change, its pieced column left out")
                .isInstanceOfSatisfying(ChangelogEntry.Row.class, row -> assertThat(row.event().assembled()).isEmpty());
        assertThat(boundaries.lastBoundary(excluded, i -> true)).isEqualTo(3);
        read(excluded, 0);
        read(excluded, 2);
        assertThat(boundaries.atBoundary()).as("after the change of a row whose pieced column is left out").isTrue();
        // the source stopped between the pieces, then sent a transaction (or its full sync) from an earlier position
        Delivery cut = delivery("piece", "BEGIN", "END");
        assertThat(boundaries.lastBoundary(cut, i -> true)).isEqualTo(3);
        read(cut, 0);
        read(cut, 1);
        boundaries.marker(P0, Status.BEGIN);
        boundaries.marker(P0, Status.END);
        assertThat(boundaries.atBoundary()).as("the row cut off is given up").isTrue();
    }

    private void read(Delivery delivery, int index) {
        boundaries.read(delivery.partitions[index], delivery.entries[index]);
    }

    private static Delivery delivery(String... kinds) {
        return delivery(NameMapping.NONE, kinds);
    }

    private static Delivery delivery(NameMapping mapping, String... kinds) {
        List<SinkRecord> records = new ArrayList<>();
        TableRef table = new TableRef("public", "big");
        for (int i = 0; i < kinds.length; i++) {
            records.add(switch (kinds[i]) {
                case "c" -> new SinkRecord("t", 0, null, null, null, null, i);
                case "piece" -> new SinkRecord("t", 0, null, null, ValuePiece.SCHEMA, new ValuePiece(table, "b", 0, 1,
                        true, "\\x00").toStruct(), i);
                case "row" -> new SinkRecord("t", 0, null, null, RowChange.SCHEMA, new RowChange("r", table,
                        List.of("id", "b"), List.of("integer", "bytea"), List.of("id"), Arrays.asList("1", null),
                        null, List.of(), null, -1).withPieced(Arrays.asList("1", null), List.of("b")).toStruct(), i);
                default -> new SinkRecord("t", 0, null, null, MARKER, new Struct(MARKER).put("status", kinds[i])
                        .put("id", "1"), i);
            });
        }
        return Delivery.read(1, records, new ChangelogDecoder("x", mapping));
    }
}
