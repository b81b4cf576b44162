package io.pgsync.source;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ThrottleTest {

    @Test
    void countsTheTimeItMadeTheCallerWait() throws InterruptedException {
        Throttle throttle = new Throttle(1000, 0);
        long begin = System.nanoTime();
        for (int i = 0; i < 5; i++) {
            throttle.acquire(100, 0, () -> false);
        }
        long elapsedMs = (System.nanoTime() - begin) / 1_000_000;
        assertThat(throttle.waitedMillis()).as("500 rows at 1,000 rows/s wait about 0.4 s after the first 100")
                .isBetween(300L, elapsedMs);
    }

    @Test
    void anUnlimitedThrottleNeverWaits() throws InterruptedException {
        Throttle throttle = new Throttle(0, 0);
        throttle.acquire(1_000_000, 1_000_000, () -> false);
        assertThat(throttle.waitedMillis()).isZero();
    }
}
