package io.pgsync.bench;

import java.util.Locale;

/** The three measured workloads, in the order a run executes them on one pipeline. */
enum Workload {

    FULL_SYNC("W1", "full sync"),
    CATCH_UP("W2", "catch-up"),
    LAG("W3", "lag under load");

    private final String code;
    private final String title;

    Workload(String code, String title) {
        this.code = code;
        this.title = title;
    }

    String code() {
        return code;
    }

    String title() {
        return title;
    }

    /** Parses {@code W1}, {@code w2}, ... */
    static Workload parse(String text) {
        String wanted = text.strip().toUpperCase(Locale.ROOT);
        for (Workload workload : values()) {
            if (workload.code.equals(wanted)) {
                return workload;
            }
        }
        throw new IllegalArgumentException("Unknown workload '" + text + "': use W1 (full sync), W2 (catch-up) or "
                + "W3 (lag under load)");
    }
}
