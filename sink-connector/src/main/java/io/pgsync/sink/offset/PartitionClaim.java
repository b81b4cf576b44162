package io.pgsync.sink.offset;

/**
 * A sink task's claim on one topic partition, as {@code pgsync.applied_offsets} holds it: what has been applied, and
 * the epoch under which the task may commit more. Each task that takes the partition over raises the epoch, so a
 * task that lost it (a zombie) can no longer commit.
 *
 * @param applied the last record applied, or null when nothing was applied yet
 * @param epoch the claim's epoch
 */
public record PartitionClaim(AppliedOffset applied, long epoch) {
}
