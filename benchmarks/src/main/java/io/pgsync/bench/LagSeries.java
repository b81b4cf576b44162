package io.pgsync.bench;

import java.util.Arrays;

/**
 * The lags of one probe run's writes, in seconds, in the order they were written, e.g. {@code [0.10, 0.12, 0.30,
 * 0.41]}: p50 0.12 s, p99 0.41 s, and a growth of 0.31 s (the last quarter's median, 0.41, less the first's, 0.10).
 */
final class LagSeries {

    private final double[] lags;
    private final int missing;

    /**
     * @param lags every write's lag, in write order
     * @param missing how many of them had not arrived when the wait ended; their lag counts as at least the wait
     */
    LagSeries(double[] lags, int missing) {
        this.lags = lags.clone();
        this.missing = missing;
    }

    int samples() {
        return lags.length;
    }

    LagStats stats() {
        return new LagStats(lags.length, missing, Stats.percentile(lags, 50), Stats.percentile(lags, 99),
                Stats.max(lags));
    }

    /**
     * How much the lag rose from the start of the run to its end: the median of the last quarter of the writes less
     * that of the first quarter. A pipeline that keeps up has a steady lag and a growth near 0; one that falls
     * behind by a share f of the load has a lag, and so a growth, rising by about f seconds per second. 0 for fewer
     * than 4 writes.
     */
    double growth() {
        int quarter = lags.length / 4;
        if (quarter == 0) {
            return 0;
        }
        double first = Stats.median(Arrays.copyOfRange(lags, 0, quarter));
        double last = Stats.median(Arrays.copyOfRange(lags, lags.length - quarter, lags.length));
        return last - first;
    }
}
