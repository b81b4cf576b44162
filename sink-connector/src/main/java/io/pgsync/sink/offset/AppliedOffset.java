package io.pgsync.sink.offset;

/**
 * The last record applied from one topic partition, with its source position.
 *
 * @param offset the Kafka offset of the last applied record
 * @param commitLsn the source commit LSN part of the last applied change's position, or null
 * @param lsn the source LSN part of the last applied change's position, or null
 * @param order the order within its transaction of the last applied change, or null
 */
public record AppliedOffset(long offset, Long commitLsn, Long lsn, Long order) {
}
