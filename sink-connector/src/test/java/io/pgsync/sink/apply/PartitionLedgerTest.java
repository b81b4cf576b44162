package io.pgsync.sink.apply;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.pgsync.common.event.SourcePosition;
import io.pgsync.sink.apply.PartitionLedger.Admission;
import io.pgsync.sink.offset.AppliedOffset;
import io.pgsync.sink.offset.PartitionClaim;

class PartitionLedgerTest {

    private static final TopicPartition P0 = new TopicPartition("shop.changelog", 0);

    private final PartitionLedger ledger = new PartitionLedger(false);

    @BeforeEach
    void open() {
        ledger.open(List.of(P0));
    }

    private void claimAppliedUpTo(long offset) {
        ledger.claimed(P0, new PartitionClaim(new AppliedOffset(offset, 100L, 150L, 3L), 7));
    }

    private Admission deliver(long number, long offset) {
        ledger.startDelivery(number);
        return ledger.admit(P0, offset);
    }

    @Test
    void nothingIsAppliedBeforeTheAppliedOffsetsAreKnown() {
        assertThat(ledger.unclaimed()).containsExactly(P0);
        assertThat(deliver(1, 0)).isEqualTo(Admission.WAIT);
        assertThat(ledger.takeSeeks(2)).isEmpty();
    }

    @Test
    void aClaimSendsTheConsumerToTheRecordAfterTheLastOneApplied() {
        claimAppliedUpTo(41);
        assertThat(ledger.epoch(P0)).isEqualTo(7);
        assertThat(ledger.takeSeeks(2)).isEqualTo(Map.of(P0, 42L));
        assertThat(ledger.published()).isEqualTo(Map.of(P0, new OffsetAndMetadata(42)));
        assertThat(deliver(2, 42)).isEqualTo(Admission.APPLY);
    }

    @Test
    void aPartitionTheDestinationHasNothingOfIsReadFromTheFirstRecordOfTheTopic() {
        ledger.claimed(P0, new PartitionClaim(null, 1));
        assertThat(ledger.takeSeeks(2)).isEqualTo(Map.of(P0, 0L));
        assertThat(ledger.published()).isEmpty();
    }

    @Test
    void recordsDeliveredBeforeTheSeekTakesEffectWait() {
        claimAppliedUpTo(41);
        ledger.takeSeeks(3);
        assertThat(deliver(2, 50)).isEqualTo(Admission.WAIT);
        assertThat(ledger.admit(P0, 51)).as("the rest of the partition in that delivery").isEqualTo(Admission.WAIT);
        assertThat(ledger.takeSeeks(4)).as("the seek on its way is not asked for again").isEmpty();
        assertThat(deliver(3, 42)).isEqualTo(Admission.APPLY);
    }

    @Test
    void theRightRecordIsAppliedEvenBeforeTheSeekTakesEffect() {
        claimAppliedUpTo(41);
        assertThat(deliver(1, 42)).isEqualTo(Admission.APPLY);
    }

    @Test
    void offsetsMissingAfterTheSeekTwiceInARowAreAGap() {
        claimAppliedUpTo(41);
        ledger.takeSeeks(2);
        assertThat(deliver(2, 100)).isEqualTo(Admission.WAIT);
        assertThat(ledger.takeSeeks(3)).as("the seek is asked for again").isEqualTo(Map.of(P0, 42L));
        assertThat(deliver(3, 100)).isEqualTo(Admission.GAP);
        assertThat(ledger.gap(P0)).isEqualTo(new PartitionLedger.Gap(P0, 42, 100));
    }

    @Test
    void aJumpWhileReadingOnIsCheckedBySeekingBack() {
        claimAppliedUpTo(41);
        ledger.takeSeeks(1);
        deliver(1, 42);
        ledger.read(P0, 42);
        assertThat(deliver(2, 45)).isEqualTo(Admission.WAIT);
        assertThat(ledger.takeSeeks(3)).isEqualTo(Map.of(P0, 43L));
    }

    @Test
    void aJumpWhileReadingOnIsExpectedWhenConnectLeavesRecordsOut() {
        PartitionLedger tolerant = new PartitionLedger(true);
        tolerant.open(List.of(P0));
        tolerant.claimed(P0, new PartitionClaim(new AppliedOffset(41, 100L, 150L, 3L), 7));
        tolerant.takeSeeks(1);
        tolerant.startDelivery(1);
        assertThat(tolerant.admit(P0, 42)).isEqualTo(Admission.APPLY);
        tolerant.read(P0, 42);
        tolerant.startDelivery(2);
        assertThat(tolerant.admit(P0, 45)).as("43 and 44 went to the dead letter queue").isEqualTo(Admission.APPLY);
        assertThat(tolerant.takeSeeks(3)).isEmpty();
    }

    @Test
    void aTopicThatStartsOverIsAGapBackwards() {
        claimAppliedUpTo(41);
        ledger.takeSeeks(2);
        deliver(2, 0);
        ledger.takeSeeks(3);
        assertThat(deliver(3, 0)).isEqualTo(Admission.GAP);
        assertThat(ledger.gap(P0).found()).isZero();
    }

    @Test
    void oneMissingOffsetIsATransactionMarkerNotAGap() {
        claimAppliedUpTo(41);
        ledger.takeSeeks(2);
        assertThat(deliver(2, 43)).isEqualTo(Admission.WAIT);
        ledger.takeSeeks(3);
        assertThat(deliver(3, 43)).isEqualTo(Admission.APPLY);
    }

    @Test
    void aGapPassedOverByPolicyGoesOnFromTheFirstRecordThere() {
        claimAppliedUpTo(41);
        ledger.takeSeeks(2);
        deliver(2, 100);
        ledger.takeSeeks(3);
        deliver(3, 100);
        ledger.passOver(P0);
        ledger.read(P0, 100);
        assertThat(ledger.admit(P0, 101)).isEqualTo(Admission.APPLY);
    }

    @Test
    void aJumpOfTheConsumerIsCheckedLikeASeek() {
        claimAppliedUpTo(41);
        assertThat(deliver(1, 42)).isEqualTo(Admission.APPLY);
        ledger.read(P0, 42);
        assertThat(deliver(2, 44)).as("one offset skipped: a transaction marker").isEqualTo(Admission.APPLY);
        ledger.read(P0, 44);
        assertThat(deliver(3, 60)).isEqualTo(Admission.WAIT);
        assertThat(ledger.takeSeeks(4)).isEqualTo(Map.of(P0, 45L));
    }

    @Test
    void recordsReadBeforeAreSkipped() {
        claimAppliedUpTo(41);
        ledger.takeSeeks(1);
        deliver(1, 42);
        ledger.read(P0, 42);
        assertThat(deliver(2, 42)).isEqualTo(Admission.SKIP);
    }

    @Test
    void aRollbackReadsTheAppliedOffsetsAgainAndSeeksWhereTheySay() {
        claimAppliedUpTo(41);
        ledger.takeSeeks(2);
        deliver(2, 42);
        ledger.read(P0, 42);
        ledger.rollBack();
        assertThat(ledger.unloaded()).containsExactly(P0);
        assertThat(ledger.takeSeeks(3)).as("no seek before the offsets are read again").isEmpty();
        assertThat(deliver(3, 43)).isEqualTo(Admission.WAIT);
        ledger.reloaded(P0, new AppliedOffset(42, 100L, 160L, 1L));
        assertThat(ledger.takeSeeks(4)).as("a commit whose answer was lost").isEqualTo(Map.of(P0, 43L));
    }

    @Test
    void aCommitAdvancesWhatARollbackGoesBackTo() {
        claimAppliedUpTo(41);
        ledger.takeSeeks(1);
        deliver(1, 42);
        ledger.read(P0, 42);
        Map<TopicPartition, PartitionLedger.Mark> marks = ledger.advance();
        assertThat(marks.get(P0).offset()).isEqualTo(42);
        assertThat(ledger.advance()).as("already covered by a queued commit").isEmpty();
        ledger.committed(marks);
        assertThat(ledger.published()).isEqualTo(Map.of(P0, new OffsetAndMetadata(43)));
        assertThat(ledger.epochs(marks.keySet())).isEqualTo(Map.of(P0, 7L));
    }

    @Test
    void changesNotPastTheLastPositionAreDuplicatesUntilAFullSyncRunsAgain() {
        claimAppliedUpTo(41);
        assertThat(ledger.isDuplicate(P0, new SourcePosition(100, 150, 3))).isTrue();
        assertThat(ledger.isDuplicate(P0, new SourcePosition(100, 150, 4))).isFalse();
        assertThat(ledger.isDuplicate(P0, new SourcePosition(-1, 10, 1))).isTrue();
        ledger.forgetPosition(P0);
        assertThat(ledger.isDuplicate(P0, new SourcePosition(-1, 10, 1))).isFalse();
        assertThat(ledger.isDuplicate(P0, null)).isFalse();
    }

    @Test
    void aHeldPartitionWaitsPausedAndGoesOnWhereItWasHeld() {
        claimAppliedUpTo(41);
        ledger.takeSeeks(1);
        deliver(1, 42);
        ledger.read(P0, 42);
        ledger.hold(P0);
        assertThat(ledger.takePauses()).containsExactly(P0);
        assertThat(ledger.admit(P0, 43)).isEqualTo(Admission.WAIT);
        assertThat(ledger.takeSeeks(2)).isEqualTo(Map.of(P0, 43L));
        ledger.releaseHolds();
        assertThat(ledger.takeResumes()).containsExactly(P0);
        assertThat(deliver(2, 43)).isEqualTo(Admission.APPLY);
    }

    @Test
    void closedPartitionsAreForgotten() {
        claimAppliedUpTo(41);
        ledger.close(List.of(P0));
        assertThat(ledger.published()).isEmpty();
        assertThat(ledger.takeSeeks(2)).isEmpty();
        assertThat(deliver(2, 42)).isEqualTo(Admission.WAIT);
    }
}
