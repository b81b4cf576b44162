package io.pgsync.sink.apply;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import java.time.Duration;

import org.junit.jupiter.api.Test;

class RetryPolicyTest {

    private final RetryPolicy policy = new RetryPolicy(Duration.ofSeconds(60), Duration.ofSeconds(10),
            Duration.ofMillis(500));

    @Test
    void aLostConnectionIsRetriedWithABackoffThatDoublesUpToItsMaximum() {
        SQLException lost = new SQLException("gone", "08006");
        assertThat(policy.failed(lost, 0).backoffMs()).isEqualTo(RetryPolicy.FIRST_BACKOFF_MS);
        assertThat(policy.failed(lost, 1).backoffMs()).isEqualTo(200);
        assertThat(policy.failed(lost, 2).backoffMs()).isEqualTo(400);
        assertThat(policy.failed(lost, 3).backoffMs()).isEqualTo(500);
        assertThat(policy.retries()).isEqualTo(4);
        RetryPolicy.Decision late = policy.failed(lost, 60_000);
        assertThat(late.retry()).isFalse();
        assertThat(late.reason()).contains("gave up after retrying for 60000 ms")
                .contains("retry.connection.timeout.ms=60000");
    }

    @Test
    void otherTransientErrorsGiveUpSooner() {
        SQLException deadlock = new SQLException("deadlock", "40P01");
        assertThat(policy.failed(deadlock, 0).retry()).isTrue();
        assertThat(policy.failed(deadlock, 10_000).reason()).contains("retry.other.timeout.ms=10000");
    }

    @Test
    void errorsRetryingCannotFixAreNeverRetried() {
        assertThat(policy.failed(new SQLException("bad value", "22P02"), 0).retry()).isFalse();
        assertThat(policy.failed(new SQLException("denied", "42501"), 0)).extracting(RetryPolicy.Decision::retry,
                RetryPolicy.Decision::reason).containsExactly(false, "");
    }

    @Test
    void aSuccessStartsTheCountAgain() {
        SQLException lost = new SQLException("gone", "08006");
        policy.failed(lost, 0);
        policy.failed(lost, 59_000);
        policy.succeeded();
        assertThat(policy.retries()).isZero();
        RetryPolicy.Decision again = policy.failed(lost, 120_000);
        assertThat(again.retry()).isTrue();
        assertThat(again.backoffMs()).isEqualTo(RetryPolicy.FIRST_BACKOFF_MS);
    }
}
