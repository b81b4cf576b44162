package io.pgsync.bench;

/**
 * One workload of one system in one run.
 *
 * @param seconds the timed interval (W1: start to all rows; W2: resume to equal; W3: the load's duration; W4: the
 *     load's duration in the highest passing step, or in the first when none passed)
 * @param units rows copied (W1) or row changes applied (W2, W3; W4: in that step)
 * @param rate units per second over the timed interval (W3: the load's changes per second; W4: the highest passing
 *     step's requested changes per second, 0 when none passed)
 * @param megabytesPerSecond W1 only: source table size (pg_total_relation_size, 10^6 bytes) per second; NaN otherwise
 * @param lag W3, and W4 (that step's), else null
 * @param cpu CPU use during the timed interval (W4: that step's); null when the run failed
 * @param check how the destination compared with the source afterwards ("equal", or the difference)
 * @param note anything else worth knowing about this run, or the failure
 * @param steadyMax W4 only: every step, else null
 */
record Measurement(SystemKind system, Workload workload, int run, double seconds, long units, double rate,
        double megabytesPerSecond, LagStats lag, CpuUsage cpu, String check, String note, SteadyMax steadyMax) {

    static Measurement failed(SystemKind system, Workload workload, int run, String reason) {
        return new Measurement(system, workload, run, Double.NaN, 0, Double.NaN, Double.NaN, null, null, "failed",
                reason, null);
    }

    /** Whether the run produced numbers (it may still have left the destination different). */
    boolean succeeded() {
        return cpu != null;
    }

    /**
     * CPU microseconds per row (W1, W1e) or per change (W2, W2e, W3, W4) of something that used {@code cores} over the
     * timed interval: e.g. 0.5 cores for 2 s over 100,000 changes is 10 µs per change.
     */
    double microsPerUnit(double cores) {
        return cores * seconds / units * 1e6;
    }

    /** Whether the numbers count: the run succeeded and the destination equalled the source afterwards. */
    boolean valid() {
        return succeeded() && "equal".equals(check);
    }
}
