package io.pgsync.bench;

import java.util.Locale;

/**
 * The measured workloads, in the order a run executes them. W1–W3 run on one pipeline with the harness's tuned
 * connector settings; W1e, W2e and W4 run on another, end to end, with the settings of {@code config-examples/} and
 * durable clusters.
 */
enum Workload {

    FULL_SYNC("W1", "full sync", false),
    CATCH_UP("W2", "catch-up", false),
    LAG("W3", "lag under load", false),
    FULL_SYNC_END_TO_END("W1e", "full sync end to end", true),
    CATCH_UP_END_TO_END("W2e", "catch-up end to end", true),
    STEADY_MAX_END_TO_END("W4", "highest steady rate end to end", true);

    private final String code;
    private final String title;
    private final boolean endToEnd;

    Workload(String code, String title, boolean endToEnd) {
        this.code = code;
        this.title = title;
        this.endToEnd = endToEnd;
    }

    String code() {
        return code;
    }

    String title() {
        return title;
    }

    /** Whether the workload runs on the end-to-end pipeline (example settings, fsync on) rather than the tuned one. */
    boolean endToEnd() {
        return endToEnd;
    }

    /** Parses {@code W1}, {@code w2}, {@code W1e}, {@code w4}, ... */
    static Workload parse(String text) {
        String wanted = text.strip().toUpperCase(Locale.ROOT);
        for (Workload workload : values()) {
            if (workload.code.toUpperCase(Locale.ROOT).equals(wanted)) {
                return workload;
            }
        }
        throw new IllegalArgumentException("Unknown workload '" + text + "': use W1 (full sync), W2 (catch-up), "
                + "W3 (lag under load), W1e (full sync end to end), W2e (catch-up end to end) or W4 (highest steady "
                + "rate end to end)");
    }
}
