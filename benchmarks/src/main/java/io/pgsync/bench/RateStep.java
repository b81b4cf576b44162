package io.pgsync.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One W4 step and whether it passed: pgbench reached at least {@value #ACHIEVED_SHARE} of the rate asked for, the
 * lag's p99 stayed within {@value #LAG_BOUND_SECONDS} s, and the lag did not grow by more than
 * {@value #GROWTH_BOUND_SECONDS} s over the step ({@link LagSeries#growth}), every probe write having arrived.
 *
 * @param requestedTps the rate asked of pgbench, in transactions per second
 * @param achievedTps the rate pgbench reports; NaN when it reported none
 * @param seconds how long the load ran
 * @param changes row changes the load made at the source, the probe's excluded
 * @param lag the lag of the probe writes during the step
 * @param growth the lag's growth over the step, in seconds
 * @param cpu CPU use while the load ran
 */
record RateStep(int requestedTps, double achievedTps, double seconds, long changes, LagStats lag, double growth,
        CpuUsage cpu) {

    /** pgbench must reach this share of the requested rate, or the source load generator is the limit. */
    static final double ACHIEVED_SHARE = 0.95;
    /** The largest p99 lag of a passing step. */
    static final double LAG_BOUND_SECONDS = 1.0;
    /**
     * The largest growth of a passing step, half the lag bound: over a 20-s step, whose first- and last-quarter
     * medians are about 15 s apart, a pipeline about 3% short of the load.
     */
    static final double GROWTH_BOUND_SECONDS = 0.5;

    int requestedChangesPerSecond() {
        return requestedTps * Dataset.CHANGES_PER_TRANSACTION;
    }

    /** Whether pgbench fell short of the requested rate, so that the source side, not the pipeline, set the limit. */
    boolean sourceLimited() {
        return !(achievedTps >= ACHIEVED_SHARE * requestedTps);
    }

    boolean passed() {
        return failures().isEmpty();
    }

    /** Why the step failed, the source load generator's shortfall first; empty when it passed. */
    List<String> failures() {
        List<String> failures = new ArrayList<>();
        if (sourceLimited()) {
            failures.add(String.format(Locale.ROOT, "source load generator could not reach %d tx/s (achieved %.0f)",
                    requestedTps, achievedTps));
        }
        if (lag.missing() > 0) {
            failures.add(lag.missing() + " of " + lag.samples() + " probe writes never arrived");
        }
        if (!(lag.p99() <= LAG_BOUND_SECONDS)) {
            failures.add(String.format(Locale.ROOT, "lag p99 %.2f s > %.0f s", lag.p99(), LAG_BOUND_SECONDS));
        }
        if (growth > GROWTH_BOUND_SECONDS) {
            failures.add(String.format(Locale.ROOT, "lag grew %.2f s > %.1f s over the step", growth,
                    GROWTH_BOUND_SECONDS));
        }
        return failures;
    }

    /**
     * The step as a line of the log, e.g. "3000 tx/s (30000 changes/s): achieved 2994 tx/s, lag p50 0.12 s, p99
     * 0.31 s, max 0.45 s, growth 0.01 s; passed".
     */
    String describe() {
        List<String> failures = failures();
        return String.format(Locale.ROOT, "%d tx/s (%d changes/s): achieved %.0f tx/s, lag p50 %.2f s, p99 %.2f s, "
                + "max %.2f s, growth %.2f s; %s", requestedTps, requestedChangesPerSecond(), achievedTps, lag.p50(),
                lag.p99(), lag.max(), growth, failures.isEmpty() ? "passed" : "failed: " + String.join("; ", failures));
    }
}
