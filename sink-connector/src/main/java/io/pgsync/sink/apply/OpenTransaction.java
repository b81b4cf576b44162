package io.pgsync.sink.apply;

/**
 * What the open destination transaction holds so far: its changes and source transactions, whether it holds DDL, its
 * phase and the latest source commit time, for the commit, {@code pgsync.status} and the metrics; and whether a
 * commit is due. It does no I/O.
 */
final class OpenTransaction {

    /** How long a transaction stays open before a commit is due even when it is small. */
    static final long MAX_OPEN_NANOS = 1_000_000_000L;

    /** What a commit reports: the open transaction's counts and times. */
    record Stats(int changes, int transactions, long startNanos, long sourceTimeMs, Phase phase) {
    }

    /** What the open destination transaction applied last, as {@code pgsync.status} shows it. */
    enum Phase {
        SCHEMA("schema"), FULL("full"), INCREMENTAL("incremental");

        private final String text;

        Phase(String text) {
            this.text = text;
        }

        /** The name in {@code pgsync.status.phase}. */
        String text() {
            return text;
        }
    }

    private int changes;
    private int transactions;
    private boolean ddl;
    private long startNanos;
    private long sourceTimeMs = -1;
    private Phase phase = Phase.INCREMENTAL;

    /** Counts changes written into the transaction (rows, DDL commands, sequence positions). */
    void changed(int count) {
        if (count > 0 && startNanos == 0) {
            startNanos = System.nanoTime();
        }
        changes += count;
    }

    /** Counts a source transaction whose END was applied. */
    void transactionEnded() {
        transactions++;
    }

    /**
     * Marks DDL in the transaction: it is committed at the next source transaction boundary, so its locks are
     * released and an enum value it added may be used.
     */
    void ddl() {
        ddl = true;
    }

    boolean holdsDdl() {
        return ddl;
    }

    void phase(Phase phase) {
        this.phase = phase;
    }

    /** Keeps the latest source commit time seen, for the end-to-end lag of the commit. */
    void sourceTime(long ms) {
        sourceTimeMs = Math.max(sourceTimeMs, ms);
    }

    int changes() {
        return changes;
    }

    /**
     * Whether a commit is due at the next boundary: the transaction holds {@code batchMaxRecords} changes, or DDL
     * (whose locks must go), or has been open for {@link #MAX_OPEN_NANOS}.
     */
    boolean due(int batchMaxRecords, long nowNanos) {
        return changes >= batchMaxRecords || ddl || changes > 0 && nowNanos - startNanos >= MAX_OPEN_NANOS;
    }

    /** The counts a commit reports; the transaction is then empty again. */
    Stats commit() {
        Stats stats = new Stats(changes, transactions, startNanos, sourceTimeMs, phase);
        clear();
        return stats;
    }

    /** Forgets everything but the phase: the transaction was committed or rolled back. */
    void clear() {
        changes = 0;
        transactions = 0;
        ddl = false;
        sourceTimeMs = -1;
        startNanos = 0;
    }
}
