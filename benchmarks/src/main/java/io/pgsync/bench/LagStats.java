package io.pgsync.bench;

/**
 * End-to-end lag of the probe writes of W3 or of one W4 step, in seconds.
 *
 * @param samples probe writes made during the load
 * @param missing writes that had not arrived when the wait ended; their lag counts as at least the wait
 * @param p50 median lag
 * @param p99 99th percentile
 * @param max largest lag
 */
record LagStats(int samples, int missing, double p50, double p99, double max) {
}
