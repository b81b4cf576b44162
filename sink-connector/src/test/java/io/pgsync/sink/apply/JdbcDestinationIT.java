package io.pgsync.sink.apply;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.SQLException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.pgsync.common.event.RowChange;
import io.pgsync.common.event.SourcePosition;
import io.pgsync.common.event.ValuePiece;
import io.pgsync.common.pg.TableRef;
import io.pgsync.sink.PgSyncSinkConfig;
import io.pgsync.sink.mapping.NameMapping;
import io.pgsync.sink.metrics.PgSyncSinkMetrics;
import io.pgsync.sink.offset.AppliedOffset;
import io.pgsync.sink.offset.FencedException;
import io.pgsync.sink.offset.PartitionClaim;
import io.pgsync.testkit.pg.PostgresCluster;
import io.pgsync.testkit.pg.PostgresExtension;

/**
 * The destination side of the engine against a real PostgreSQL, without Connect: claims and fenced commits in
 * {@code pgsync.applied_offsets} (and its upgrade from an older shape), claims that leave the open transaction alone,
 * the TRUNCATE of tables linked by a foreign key, the move of a row to a new primary key that keeps an unchanged
 * TOASTed value, and rows put together from the pieces of their large values.
 */
class JdbcDestinationIT {

    @RegisterExtension
    static final PostgresExtension postgres = PostgresExtension.plain();

    private static final AtomicInteger DATABASES = new AtomicInteger();
    private static final TopicPartition P0 = new TopicPartition("shop.changelog", 0);
    private static final OpenTransaction.Stats STATS = new OpenTransaction().commit();

    private final String db = "dest" + DATABASES.incrementAndGet();
    private final PgSyncSinkMetrics metrics = new PgSyncSinkMetrics("jdbc-it-" + db, 0);
    private final ChangelogDecoder decoder = new ChangelogDecoder("__debezium_unavailable_value", NameMapping.NONE);

    @AfterEach
    void closeMetrics() {
        metrics.close();
    }

    private PostgresCluster cluster() {
        return postgres.cluster();
    }

    private JdbcDestination destination() {
        Map<String, String> props = new HashMap<>();
        props.put("name", "shop-sink");
        props.put(PgSyncSinkConfig.CONNECTION_URL, cluster().jdbcUrl(db));
        props.put(PgSyncSinkConfig.CONNECTION_USER, PostgresCluster.SUPERUSER);
        props.put(PgSyncSinkConfig.CONNECTION_PASSWORD, PostgresCluster.SUPERUSER_PASSWORD);
        return new JdbcDestination(new PgSyncSinkConfig(props), 0, new ErrantRecords(false, null, metrics), metrics,
                "jdbc-it-write-" + db);
    }

    private ChangeEvent change(String op, TableRef table, List<String> columns, List<String> key, List<String> row,
            List<String> unchanged, SourcePosition position, List<String> movedTo) {
        List<String> types = columns.stream().map(c -> c.equals("id") ? "integer not null" : "text").toList();
        boolean writes = !op.equals("d") && !op.equals("t");
        RowChange change = new RowChange(op, table, op.equals("t") ? List.of() : columns,
                op.equals("t") ? List.of() : types, op.equals("t") ? List.of() : key, writes ? row : null,
                writes || op.equals("t") ? null : row, unchanged, position, 0, movedTo);
        ChangelogEntry entry = decoder.decode(new SinkRecord(P0.topic(), 0, null, null, RowChange.SCHEMA,
                change.toStruct(), 1));
        return ((ChangelogEntry.Row) entry).event();
    }

    private List<List<String>> rows(String sql) {
        return cluster().query(db, sql);
    }

    @Test
    void aClaimRaisesTheEpochAndACommitUnderAnOlderOneIsFencedAndRolledBack() throws Exception {
        cluster().createDatabase(db);
        cluster().execute(db, "CREATE TABLE t (id int PRIMARY KEY, v text)");
        TableRef t = new TableRef("public", "t");
        try (JdbcDestination zombie = destination(); JdbcDestination owner = destination()) {
            PartitionClaim first = zombie.claim(List.of(P0)).get(P0);
            assertThat(first).isEqualTo(new PartitionClaim(null, 1));
            zombie.connect();
            zombie.row(change("c", t, List.of("id", "v"), List.of("id"), List.of("1", "zombie"), List.of(), null,
                    null));

            PartitionClaim second = owner.claim(List.of(P0)).get(P0);
            assertThat(second.epoch()).isEqualTo(2);
            owner.connect();
            owner.row(change("c", t, List.of("id", "v"), List.of("id"), List.of("2", "owner"), List.of(), null,
                    null));
            owner.commit(Map.of(P0, new AppliedOffset(7, 1L, 2L, 3L)), Map.of(P0, 2L), STATS, () -> { });
            owner.drain();

            assertThatThrownBy(() -> {
                zombie.commit(Map.of(P0, new AppliedOffset(5, null, null, null)), Map.of(P0, 1L), STATS, () -> { });
                zombie.drain();
            }).isInstanceOf(FencedException.class).hasMessageContaining("took over partition(s) [shop.changelog-0]");
            zombie.rollBack();
        }
        assertThat(rows("SELECT id, v FROM t ORDER BY id")).containsExactly(List.of("2", "owner"));
        assertThat(rows("SELECT kafka_offset, epoch FROM pgsync.applied_offsets")).containsExactly(List.of("7", "2"));
        try (JdbcDestination reader = destination()) {
            assertThat(reader.read(List.of(P0, new TopicPartition("other", 0))))
                    .isEqualTo(Map.of(P0, new PartitionClaim(new AppliedOffset(7, 1L, 2L, 3L), 2)));
        }
    }

    @Test
    void aClaimLeavesTheOpenTransactionAlone() throws Exception {
        cluster().createDatabase(db);
        cluster().execute(db, "CREATE TABLE t (id int PRIMARY KEY, v text)");
        try (JdbcDestination destination = destination()) {
            destination.claim(List.of(P0));
            destination.connect();
            destination.row(change("c", new TableRef("public", "t"), List.of("id", "v"), List.of("id"),
                    List.of("1", "half a transaction"), List.of(), null, null));
            destination.flush();
            destination.drain();
            destination.claim(List.of(new TopicPartition("shop.changelog", 1)));
            assertThat(rows("SELECT count(*) FROM t")).as("nothing committed by the claim")
                    .containsExactly(List.of("0"));
            destination.rollBack();
        }
        assertThat(rows("SELECT count(*) FROM t")).containsExactly(List.of("0"));
    }

    @Test
    void anOffsetsTableOfAnOlderVersionIsBroughtUpToDateKeepingItsRows() throws Exception {
        cluster().createDatabase(db);
        cluster().execute(db, "CREATE SCHEMA pgsync", """
                CREATE TABLE pgsync.applied_offsets (connector text NOT NULL, topic text NOT NULL,
                  kafka_partition int NOT NULL, kafka_offset bigint NOT NULL, source_commit_lsn bigint,
                  source_lsn bigint, source_order bigint, applied_at timestamptz NOT NULL DEFAULT now(),
                  PRIMARY KEY (connector, topic, kafka_partition))""",
                "INSERT INTO pgsync.applied_offsets VALUES ('shop-sink', 'shop.changelog', 0, 41, 100, 150, 3, now())");
        try (JdbcDestination destination = destination()) {
            assertThat(destination.claim(List.of(P0, new TopicPartition("shop.changelog", 1)))).isEqualTo(Map.of(
                    P0, new PartitionClaim(new AppliedOffset(41, 100L, 150L, 3L), 1),
                    new TopicPartition("shop.changelog", 1), new PartitionClaim(null, 1)));
        }
    }

    @Test
    void theTablesOfOneSourceTruncateAreTruncatedTogether() throws Exception {
        cluster().createDatabase(db);
        cluster().execute(db, "CREATE TABLE parent (id int PRIMARY KEY)",
                "CREATE TABLE child (id int PRIMARY KEY, parent_id int NOT NULL REFERENCES parent)",
                "INSERT INTO parent VALUES (1)", "INSERT INTO child VALUES (1, 1)");
        SourcePosition truncate = new SourcePosition(100, 200, 0);
        try (JdbcDestination destination = destination()) {
            destination.claim(List.of(P0));
            destination.connect();
            destination.row(change("t", new TableRef("public", "parent"), List.of(), List.of(), null, List.of(),
                    truncate, null));
            destination.flush();
            destination.row(change("t", new TableRef("public", "child"), List.of(), List.of(), null, List.of(),
                    truncate, null));
            destination.commit(Map.of(P0, new AppliedOffset(3, 100L, 200L, 0L)), Map.of(P0, 1L), STATS, () -> { });
            destination.drain();
        }
        assertThat(rows("SELECT (SELECT count(*) FROM parent) + (SELECT count(*) FROM child)"))
                .containsExactly(List.of("0"));
    }

    @Test
    void aPrimaryKeyChangeMovesTheRowAndKeepsItsUnchangedToastedValue() throws Exception {
        cluster().createDatabase(db);
        cluster().execute(db, "CREATE TABLE docs (id int PRIMARY KEY, big text, n text)",
                "INSERT INTO docs SELECT 1, string_agg(md5(x::text), ''), '0' FROM generate_series(1, 3125) x");
        TableRef docs = new TableRef("public", "docs");
        List<String> columns = List.of("id", "big", "n");
        try (JdbcDestination destination = destination()) {
            destination.claim(List.of(P0));
            destination.connect();
            destination.row(change("d", docs, columns, List.of("id"), Arrays.asList("1", null, null), List.of(),
                    new SourcePosition(1, 2, 1), List.of("2")));
            destination.row(change("c", docs, columns, List.of("id"), Arrays.asList("2", null, "5"), List.of("big"),
                    new SourcePosition(1, 2, 2), null));
            destination.commit(Map.of(P0, new AppliedOffset(2, 1L, 2L, 2L)), Map.of(P0, 1L), STATS, () -> { });
            destination.drain();
        }
        assertThat(rows("SELECT id, length(big), n FROM docs")).containsExactly(List.of("2", "100000", "5"));
    }

    @Test
    void aRowInPiecesIsWrittenWholeFromItsPiecesAndAnUnfinishedRowsPiecesAreDropped() throws Exception {
        cluster().createDatabase(db);
        cluster().execute(db, "CREATE TABLE big (id int PRIMARY KEY, b bytea, t text)");
        TableRef big = new TableRef("public", "big");
        try (JdbcDestination destination = destination()) {
            destination.claim(List.of(P0));
            destination.connect();
            // an unfinished row: its pieces are dropped by the first piece of the next one
            destination.piece(record(new ValuePiece(big, "t", 0, 2, true, "stale")), new ValuePiece(big, "t", 0, 2,
                    true, "stale"));
            for (ValuePiece piece : List.of(new ValuePiece(big, "b", 0, 2, true, "\\x00ff"),
                    new ValuePiece(big, "b", 1, 2, false, "10"), new ValuePiece(big, "t", 0, 3, false, "кот "),
                    new ValuePiece(big, "t", 1, 3, false, "😀 "), new ValuePiece(big, "t", 2, 3, false, "end"))) {
                destination.piece(record(piece), piece);
            }
            RowChange change = new RowChange("c", big, List.of("id", "b", "t"), List.of("integer not null", "bytea",
                    "text"), List.of("id"), Arrays.asList("1", null, null), null, List.of(), new SourcePosition(1, 2, 1),
                    0).withPieced(Arrays.asList("1", null, null), List.of("b", "t"));
            ChangeEvent event = ((ChangelogEntry.Row) decoder.decode(record(change))).event();
            assertThat(event.assembled()).containsExactly("b", "t");
            destination.row(event);
            destination.commit(Map.of(P0, new AppliedOffset(2, 1L, 2L, 1L)), Map.of(P0, 1L), STATS, () -> { });
            destination.drain();
        }
        assertThat(rows("SELECT id, encode(b, 'hex'), t FROM big")).containsExactly(List.of("1", "00ff10",
                "кот 😀 end"));
    }

    @Test
    void aRowWithoutAllItsPiecesFailsNamingTheTable() throws Exception {
        cluster().createDatabase(db);
        cluster().execute(db, "CREATE TABLE big (id int PRIMARY KEY, t text)");
        TableRef big = new TableRef("public", "big");
        try (JdbcDestination destination = destination()) {
            destination.claim(List.of(P0));
            destination.connect();
            ValuePiece first = new ValuePiece(big, "t", 0, 2, true, "a");
            destination.piece(record(first), first);
            RowChange change = new RowChange("c", big, List.of("id", "t"), List.of("integer not null", "text"),
                    List.of("id"), Arrays.asList("1", null), null, List.of(), new SourcePosition(1, 2, 1), 0)
                    .withPieced(Arrays.asList("1", null), List.of("t"));
            ChangeEvent event = ((ChangelogEntry.Row) decoder.decode(record(change))).event();
            assertThatThrownBy(() -> destination.row(event)).hasMessageContaining("The change of public.big")
                    .hasMessageContaining("column t in pieces");
            ValuePiece late = new ValuePiece(big, "t", 0, 2, false, "b");
            assertThatThrownBy(() -> destination.piece(record(late), late))
                    .hasMessageContaining("piece 0 of 2 of column t of a row of public.big");
        }
    }

    private static SinkRecord record(ValuePiece piece) {
        return new SinkRecord(P0.topic(), 0, null, null, ValuePiece.SCHEMA, piece.toStruct(), 1);
    }

    private static SinkRecord record(RowChange change) {
        return new SinkRecord(P0.topic(), 0, null, null, RowChange.SCHEMA, change.toStruct(), 2);
    }

    @Test
    void aDestinationThatIsDownFailsAsALostConnection() {
        cluster().createDatabase(db);
        try (JdbcDestination destination = destination()) {
            cluster().stop();
            try {
                assertThatThrownBy(() -> destination.claim(List.of(P0))).isInstanceOf(SQLException.class)
                        .satisfies(e -> assertThat(Failures.classify((SQLException) e))
                                .isEqualTo(Failures.Kind.CONNECTION));
            } finally {
                cluster().restart();
            }
        }
    }
}
