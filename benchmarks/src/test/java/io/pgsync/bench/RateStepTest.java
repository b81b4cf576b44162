package io.pgsync.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

class RateStepTest {

    static final CpuUsage CPU = new CpuUsage(1.0, 0.5, 0.2, 0.2, 1.96, 2, List.of(), List.of());

    static RateStep step(int requestedTps, double achievedTps, double p99, double growth) {
        return new RateStep(requestedTps, achievedTps, 20, requestedTps * 200L, new LagStats(400, 0, 0.1, p99, p99),
                growth, CPU);
    }

    @Test
    void passesWhenTheRateIsReachedAndTheLagStaysBounded() {
        RateStep step = step(2000, 1950, 0.8, 0.1);

        assertThat(step.passed()).isTrue();
        assertThat(step.requestedChangesPerSecond()).isEqualTo(20_000);
        assertThat(step.describe()).endsWith("; passed");
    }

    @Test
    void failsWhenTheP99LagExceedsOneSecond() {
        assertThat(step(2000, 2000, 1.2, 0.0).failures()).containsExactly("lag p99 1.20 s > 1 s");
    }

    @Test
    void failsWhenTheLagGrowsOverTheStep() {
        assertThat(step(2000, 2000, 0.9, 0.6).failures()).containsExactly("lag grew 0.60 s > 0.5 s over the step");
    }

    @Test
    void failsWhenAProbeWriteNeverArrived() {
        RateStep step = new RateStep(2000, 2000, 20, 400_000, new LagStats(400, 3, 0.1, 0.2, 180), 0, CPU);

        assertThat(step.failures()).containsExactly("3 of 400 probe writes never arrived");
    }

    @Test
    void aShortfallOfTheLoadGeneratorIsTheSourcesLimitAndNamedFirst() {
        RateStep step = step(2000, 1800, 1.5, 0.0);

        assertThat(step.sourceLimited()).isTrue();
        assertThat(step.failures()).containsExactly("source load generator could not reach 2000 tx/s (achieved 1800)",
                "lag p99 1.50 s > 1 s");
    }

    @Test
    void aRateWithinFivePercentCountsAsReached() {
        assertThat(step(2000, 1900, 0.2, 0.0).sourceLimited()).isFalse();
    }

    @Test
    void noRateReportedCountsAsNotReached() {
        assertThat(step(2000, Double.NaN, 0.2, 0.0).sourceLimited()).isTrue();
    }
}
