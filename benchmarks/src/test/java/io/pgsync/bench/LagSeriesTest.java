package io.pgsync.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class LagSeriesTest {

    @Test
    void steadyLagHasNoGrowth() {
        LagSeries series = new LagSeries(new double[] {0.2, 0.3, 0.2, 0.3, 0.2, 0.3, 0.2, 0.3}, 0);

        assertThat(series.growth()).isCloseTo(0.0, within(1e-9));
    }

    @Test
    void growthIsTheLastQuartersMedianLessTheFirsts() {
        LagSeries series = new LagSeries(new double[] {0.1, 0.2, 0.5, 0.5, 0.5, 0.5, 1.0, 1.4}, 0);

        assertThat(series.growth()).isCloseTo(1.2 - 0.15, within(1e-9));
    }

    @Test
    void aSingleSpikeDoesNotCountAsGrowth() {
        LagSeries series = new LagSeries(new double[] {0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 3.0},
                0);

        assertThat(series.growth()).isCloseTo(0.0, within(1e-9));
    }

    @Test
    void fewerThanFourWritesHaveNoGrowth() {
        assertThat(new LagSeries(new double[] {0.1, 2.0, 5.0}, 0).growth()).isZero();
    }

    @Test
    void statsCountTheWritesAndTheMissingOnes() {
        LagStats stats = new LagSeries(new double[] {0.4, 0.1, 0.3, 0.2}, 1).stats();

        assertThat(stats).isEqualTo(new LagStats(4, 1, 0.2, 0.4, 0.4));
    }
}
