package io.pgsync.sink.apply;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class OpenTransactionTest {

    @Test
    void aCommitIsDueForSizeDdlOrAge() {
        OpenTransaction transaction = new OpenTransaction();
        long now = System.nanoTime();
        assertThat(transaction.due(10, now + OpenTransaction.MAX_OPEN_NANOS)).as("empty").isFalse();
        transaction.changed(3);
        assertThat(transaction.due(10, now)).isFalse();
        assertThat(transaction.due(3, now)).as("batch full").isTrue();
        assertThat(transaction.due(10, System.nanoTime() + OpenTransaction.MAX_OPEN_NANOS)).as("open long").isTrue();
        transaction.ddl();
        assertThat(transaction.due(10, now)).as("holds DDL").isTrue();
    }

    @Test
    void aCommitTakesTheCountsAndEmptiesTheTransaction() {
        OpenTransaction transaction = new OpenTransaction();
        transaction.phase(OpenTransaction.Phase.FULL);
        transaction.changed(5);
        transaction.transactionEnded();
        transaction.sourceTime(100);
        transaction.sourceTime(90);
        OpenTransaction.Stats stats = transaction.commit();
        assertThat(stats.changes()).isEqualTo(5);
        assertThat(stats.transactions()).isEqualTo(1);
        assertThat(stats.sourceTimeMs()).isEqualTo(100);
        assertThat(stats.phase().text()).isEqualTo("full");
        assertThat(stats.startNanos()).isPositive();
        assertThat(transaction.changes()).isZero();
        assertThat(transaction.commit().sourceTimeMs()).isEqualTo(-1);
    }
}
