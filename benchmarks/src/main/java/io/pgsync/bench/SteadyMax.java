package io.pgsync.bench;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * W4's outcome: every step in order, the highest rate that passed, and what ended the stepping. E.g. steps of 1000,
 * 1500 and 2000 tx/s of which the last failed give 15,000 changes/s, ended by the 2000 tx/s step's failures.
 *
 * @param steps the steps run, in order; every one but the last passed
 * @param maxTps the largest rate a step could ask for ({@code --w4-max-tps})
 */
record SteadyMax(List<RateStep> steps, int maxTps) {

    SteadyMax {
        if (steps.isEmpty()) {
            throw new IllegalArgumentException("W4 ran no step");
        }
        steps = List.copyOf(steps);
    }

    /** The last step that passed; empty when the first one failed. */
    Optional<RateStep> highestPassed() {
        return steps.stream().filter(RateStep::passed).reduce((first, second) -> second);
    }

    /** The highest passing rate in row changes per second; 0 when no step passed. */
    int changesPerSecond() {
        return highestPassed().map(RateStep::requestedChangesPerSecond).orElse(0);
    }

    /** The step whose CPU and lag stand for the result: the highest that passed, else the first. */
    RateStep representative() {
        return highestPassed().orElse(steps.get(0));
    }

    /**
     * Whether the step that ended the stepping failed only because pgbench fell short, the lag staying bounded: then
     * the source side, not the pipeline, set the limit, and the result is a lower bound of what the pipeline takes.
     */
    boolean sourceLimited() {
        RateStep last = steps.get(steps.size() - 1);
        return last.sourceLimited() && last.failures().size() == 1;
    }

    /**
     * What ended the stepping: the failed step's reasons and CPU, e.g. "at 2000 tx/s: lag p99 1.84 s > 1 s; CPU
     * machine CPU (1.9 of 2 cores)", or that every step up to {@code maxTps} passed.
     */
    String limit() {
        RateStep last = steps.get(steps.size() - 1);
        if (last.passed()) {
            return "every step passed, up to " + last.requestedTps() + " tx/s (--w4-max-tps " + maxTps + ")";
        }
        return String.format(Locale.ROOT, "at %d tx/s: %s; CPU %s", last.requestedTps(),
                String.join("; ", last.failures()), last.cpu().verdict());
    }
}
