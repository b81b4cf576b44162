package io.pgsync.bench;

import static io.pgsync.bench.RateStepTest.step;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

class SteadyMaxTest {

    @Test
    void theHighestPassingStepIsTheResult() {
        SteadyMax result = new SteadyMax(List.of(step(500, 500, 0.2, 0), step(1000, 1000, 0.3, 0),
                step(1500, 1500, 2.5, 1.1)), 20000);

        assertThat(result.changesPerSecond()).isEqualTo(10_000);
        assertThat(result.representative().requestedTps()).isEqualTo(1000);
        assertThat(result.sourceLimited()).isFalse();
        assertThat(result.limit()).isEqualTo("at 1500 tx/s: lag p99 2.50 s > 1 s; lag grew 1.10 s > 0.5 s over the "
                + "step; CPU machine CPU (2.0 of 2 cores)");
    }

    @Test
    void noPassingStepGivesZeroAndTheFirstStepStandsForIt() {
        SteadyMax result = new SteadyMax(List.of(step(500, 500, 4.0, 2.0)), 20000);

        assertThat(result.changesPerSecond()).isZero();
        assertThat(result.representative().requestedTps()).isEqualTo(500);
    }

    @Test
    void aLoadGeneratorShortfallInTheLastStepCapsTheResult() {
        SteadyMax result = new SteadyMax(List.of(step(500, 500, 0.2, 0), step(1000, 700, 0.2, 0)), 20000);

        assertThat(result.changesPerSecond()).isEqualTo(5_000);
        assertThat(result.sourceLimited()).isTrue();
    }

    @Test
    void aShortfallTogetherWithAnUnboundedLagIsThePipelinesLimit() {
        SteadyMax result = new SteadyMax(List.of(step(500, 500, 0.2, 0), step(1000, 700, 1.4, 0)), 20000);

        assertThat(result.sourceLimited()).isFalse();
    }

    @Test
    void passingEveryStepUpToTheMaximumSaysSo() {
        SteadyMax result = new SteadyMax(List.of(step(500, 500, 0.2, 0), step(1000, 1000, 0.2, 0)), 1200);

        assertThat(result.changesPerSecond()).isEqualTo(10_000);
        assertThat(result.limit()).isEqualTo("every step passed, up to 1000 tx/s (--w4-max-tps 1200)");
    }
}
