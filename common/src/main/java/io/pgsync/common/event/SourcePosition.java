package io.pgsync.common.event;

import java.util.Comparator;

import org.apache.kafka.connect.data.Struct;

/**
 * Where a streamed change sits in the source's commit order: the commit LSN of the transaction committed before
 * it, the change's own LSN, and its order within its transaction. Debezium's PostgreSQL connector writes the first
 * two into {@code source.sequence} as {@code ["<last commit lsn>","<lsn>"]} and the third into
 * {@code transaction.total_order}. Transactions are decoded in commit order and a transaction's changes in LSN order,
 * so positions grow strictly along the changelog; a change whose position is not past the last applied one is a
 * duplicate a source restart re-sent. The order tells apart the two events of one WAL record, such as the DELETE and
 * CREATE Debezium emits for a primary-key change.
 *
 * @param commitLsn the commit LSN of the previously committed transaction, or -1 when the source did not know it
 * @param lsn the change's LSN
 * @param order the change's order within its transaction (from 1), or 0 without transaction metadata
 */
public record SourcePosition(long commitLsn, long lsn, long order) implements Comparable<SourcePosition> {

    private static final Comparator<SourcePosition> ORDER = Comparator.comparingLong(SourcePosition::commitLsn)
            .thenComparingLong(SourcePosition::lsn).thenComparingLong(SourcePosition::order);

    /**
     * Returns the position of a streamed change, or null for snapshot reads and records without a sequence.
     *
     * @param transaction the event's {@code transaction} block, or null
     */
    public static SourcePosition of(Struct source, Struct transaction) {
        SourcePosition position = of(source);
        if (position == null || transaction == null || transaction.schema().field("total_order") == null) {
            return position;
        }
        Object order = transaction.get("total_order");
        return order instanceof Number n ? new SourcePosition(position.commitLsn, position.lsn, n.longValue())
                : position;
    }

    private static SourcePosition of(Struct source) {
        if (source == null || source.schema().field("sequence") == null) {
            return null;
        }
        if (source.schema().field("snapshot") != null) {
            Object snapshot = source.get("snapshot");
            if (snapshot != null && !"false".equals(snapshot.toString())) {
                return null;
            }
        }
        return parse(source.getString("sequence"));
    }

    /**
     * Parses Debezium's {@code ["123","456"]} (the first element may be null); null when it is not that shape. Read
     * for every streamed change, so it scans the text in place.
     */
    public static SourcePosition parse(String sequence) {
        if (sequence == null) {
            return null;
        }
        String body = sequence.trim();
        int comma = body.indexOf(',');
        if (!body.startsWith("[") || !body.endsWith("]") || comma < 0 || body.indexOf(',', comma + 1) >= 0) {
            return null;
        }
        Long commit = number(body, 1, comma);
        Long lsn = number(body, comma + 1, body.length() - 1);
        return lsn == null ? null : new SourcePosition(commit == null ? -1 : commit, lsn, 0);
    }

    /** The number between {@code start} and {@code end}, blanks and one pair of quotes around it ignored. */
    private static Long number(String text, int start, int end) {
        while (start < end && Character.isWhitespace(text.charAt(start))) {
            start++;
        }
        while (end > start && Character.isWhitespace(text.charAt(end - 1))) {
            end--;
        }
        if (end - start >= 2 && text.charAt(start) == '"' && text.charAt(end - 1) == '"') {
            start++;
            end--;
        }
        if (start == end) {
            return null;
        }
        try {
            return Long.parseLong(text, start, end, 10);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    @Override
    public int compareTo(SourcePosition other) {
        return ORDER.compare(this, other);
    }

    /**
     * Tells whether this change comes after the other one. Without transaction metadata ({@code order} 0) the two
     * events of one WAL record (a primary-key change) share a position, so an equal position counts as after: only
     * changes strictly before are then known duplicates.
     */
    public boolean isAfter(SourcePosition other) {
        if (other == null) {
            return true;
        }
        int comparison = compareTo(other);
        return comparison > 0 || (comparison == 0 && order == 0);
    }
}
