package io.pgsync.bench;

import java.util.Optional;

/**
 * A streaming system under test, set up between one source and one destination database. For W1–W3 the harness calls
 * {@link #prepare}, starts the W1 clock, calls {@link #startFullSync}, and later pauses and resumes the apply side
 * for W2. End to end (W1e, W2e) it starts the clock and calls {@link #startAll} instead, and pauses and resumes the
 * whole pipeline ({@link #pauseAll}, {@link #resumeAll}). Implementations block until a step has taken effect, except
 * {@link #startFullSync}, {@link #startAll}, {@link #resumeApply} and {@link #resumeAll}, which return as soon as the
 * step is requested (the clock runs from there).
 */
interface Pipeline {

    /** Everything that should not count in the full sync time, such as starting the apply side. */
    void prepare() throws Exception;

    /** Starts copying the existing rows, then streaming changes. */
    void startFullSync() throws Exception;

    /**
     * Stops applying changes at the destination and waits until it has stopped. In a Kafka pipeline the source
     * connector keeps capturing into Kafka; a subscription stops decoding as well.
     */
    void pauseApply() throws Exception;

    /**
     * Waits until every change made at the source so far is queued for the apply side. A Kafka pipeline waits for
     * its source connector to have written them all to Kafka; a subscription queues nothing (its walsender decodes
     * only while it applies), so it returns at once.
     */
    void awaitQueued() throws Exception;

    /** Starts applying again. */
    void resumeApply() throws Exception;

    /**
     * W1e: sets up the apply side and the capture side in one step, as an operator deploying both at once, which
     * starts the full sync; nothing is set up beforehand.
     */
    void startAll() throws Exception;

    /**
     * W2e: stops capturing and applying and waits until both have stopped, so that changes made from now on stay in
     * the source's WAL until {@link #resumeAll}.
     */
    void pauseAll() throws Exception;

    /** W2e: starts capturing and applying again. */
    void resumeAll() throws Exception;

    /** A description of the failure if the pipeline has failed, otherwise empty. */
    Optional<String> failure();

    /** Removes everything the pipeline created (connectors, topics, slots, subscriptions). */
    void tearDown() throws Exception;
}
