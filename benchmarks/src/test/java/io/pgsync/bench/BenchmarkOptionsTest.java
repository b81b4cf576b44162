package io.pgsync.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class BenchmarkOptionsTest {

    @Test
    void stepsDefaultFrom500By500For20SecondsEachWith16Clients() {
        BenchmarkOptions options = BenchmarkOptions.parse(new String[] {"--workloads W4"});

        assertThat(options.workloads()).containsExactly(Workload.STEADY_MAX_END_TO_END);
        assertThat(options.stepping()).isEqualTo(new BenchmarkOptions.Stepping(500, 500, 20, 20000, 16));
    }

    @Test
    void parsesTheStepOptions() {
        BenchmarkOptions options = BenchmarkOptions.parse(new String[] {
            "--workloads w2e,w4 --w4-start-tps 1000 --w4-step-tps 250 --w4-seconds 10 --w4-max-tps 3000",
            "--w4-clients 8"});

        assertThat(options.workloads()).containsExactly(Workload.CATCH_UP_END_TO_END,
                Workload.STEADY_MAX_END_TO_END);
        assertThat(options.stepping()).isEqualTo(new BenchmarkOptions.Stepping(1000, 250, 10, 3000, 8));
    }

    @Test
    void rejectsAMaximumBelowTheStart() {
        assertThatThrownBy(() -> BenchmarkOptions.parse(new String[] {"--w4-start-tps 2000 --w4-max-tps 1000"}))
                .hasMessageContaining("--w4-max-tps (1000) must be at least --w4-start-tps (2000)");
    }
}
