package io.pgsync.cli;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import io.pgsync.common.pg.Identifiers;
import io.pgsync.common.pg.TableRef;

/**
 * Compares one table on the source and the destination while the sync may still run: its columns, then its rows in
 * chunks of primary-key ranges, each summarized on both sides by a row count and an order-independent 64-bit sum of
 * row hashes (so memory stays bounded whatever the table's size). A chunk whose sums differ is compared row by row,
 * and each differing row then converges on its own, in rounds over the differing rows of up to a chunk's size of
 * keys at a time: the rows are read again at the source, the source's WAL position after that read is noted, the
 * destination's rows are read once the sink has applied the source's WAL past that position (the position in
 * {@code pgsync.applied_offsets}), and only rows that still differ go to the next round. Rows that differ after
 * {@value #RECHECK_ROUNDS} rounds, or when the sink does not get past the position within the recheck timeout, are
 * reported.
 *
 * <p>Example: {@code public.orders} with 25,000 rows and 10,000 rows per chunk is summarized as 3 chunks, {@code id <=
 * 10000}, {@code 10000 < id <= 20000} and {@code id > 20000}; with 30,000 rows inserted (ids from 25,001 up) while
 * the first chunks are compared, the third chunk ends at {@code id <= 30000} and three more follow, so that no chunk
 * read row by row holds more than a chunk's rows at the source. Under 400 single-row updates a second, the sums of each
 * chunk differ by the rows in flight and the row-by-row comparisons name some dozens of rows; the first round, the
 * destination read after the sink has applied past the source's read, leaves the few rows updated again in between,
 * the second one none, while a row corrupted at the destination differs in every round.
 */
final class TableVerifier {

    /** Rounds of reading differing rows again on both sides, the destination's after the sink applied the source's. */
    private static final int RECHECK_ROUNDS = 10;

    /** Keys per statement that reads rows by key. */
    private static final int KEYS_PER_READ = 1000;

    /** How often the sink's applied position is read while waiting for it. */
    private static final long POLL_MS = 50;

    /**
     * What the comparison of one table found: {@code inFlightRows} differed at first and converged once the sink had
     * applied the source's changes; {@code note} says why differing rows could not be confirmed, or is null.
     */
    record Result(TableRef table, long sourceRows, long targetRows, int chunks, List<String> schemaDifferences,
            List<Map<String, String>> differingKeys, long differingKeyCount, long inFlightRows, String problem,
            String note, long elapsedMs) {

        boolean equal() {
            return problem == null && schemaDifferences.isEmpty() && differingKeyCount == 0
                    && sourceRows == targetRows;
        }
    }

    private record Column(String name, String type) {
    }

    private record Digest(long rows, String hashSum) {
    }

    /** A keyless table's comparison: its rows on each side and how many differ. */
    private record Chunk(long sourceRows, long targetRows, long differing) {
    }

    /**
     * Differing rows after their rounds: how many still differ, how many converged, and the correction to the
     * destination's row count (the rows still only there, less those still missing there).
     */
    private record Converged(long differing, long inFlight, long targetRowsCorrection) {
    }

    /** How a wait for the sink ended. */
    private enum Wait {
        APPLIED, TIMED_OUT, NO_SINK
    }

    /** The comparator of keys in their text form, so the keys listed come in a stable order. */
    private static final Comparator<List<String>> KEY_ORDER = (a, b) -> String.join("\u0000", a)
            .compareTo(String.join("\u0000", b));

    private final Connection source;
    private final Connection target;
    private final int chunkRows;
    private final int maxKeys;
    private final long recheckTimeoutMs;
    private long timedOutAt = -1;

    TableVerifier(Connection source, Connection target, int chunkRows, int maxKeys, long recheckTimeoutMs) {
        this.source = source;
        this.target = target;
        this.chunkRows = chunkRows;
        this.maxKeys = maxKeys;
        this.recheckTimeoutMs = recheckTimeoutMs;
    }

    Result verify(TableRef table) throws SQLException, InterruptedException {
        long started = System.nanoTime();
        timedOutAt = -1;
        List<Column> sourceColumns = columns(source, table);
        List<Column> targetColumns = columns(target, table);
        if (sourceColumns.isEmpty()) {
            return new Result(table, 0, 0, 0, List.of(), List.of(), 0, 0, "missing at the source", null,
                    millisSince(started));
        }
        if (targetColumns.isEmpty()) {
            return new Result(table, Catalog.count(source, table), 0, 0, List.of(), List.of(), 0, 0,
                    "missing at the destination", null, millisSince(started));
        }
        List<String> schemaDifferences = new ArrayList<>();
        for (Column column : sourceColumns) {
            Column other = targetColumns.stream().filter(c -> c.name().equals(column.name())).findFirst()
                    .orElse(null);
            if (other == null) {
                schemaDifferences.add("column " + column.name() + " " + column.type() + " missing at the destination");
            } else if (!other.type().equals(column.type())) {
                schemaDifferences.add("column " + column.name() + " is " + column.type() + " at the source, "
                        + other.type() + " at the destination");
            }
        }
        for (Column column : targetColumns) {
            if (sourceColumns.stream().noneMatch(c -> c.name().equals(column.name()))) {
                schemaDifferences.add("column " + column.name() + " only at the destination");
            }
        }
        List<Column> common = sourceColumns.stream()
                .filter(c -> targetColumns.stream().anyMatch(t -> t.name().equals(c.name()))).toList();
        List<Column> key = key(table, sourceColumns);
        long sourceRows = 0;
        long targetRows = 0;
        long differing = 0;
        long inFlight = 0;
        List<Map<String, String>> keys = new ArrayList<>();
        Set<List<String>> pending = new TreeSet<>(KEY_ORDER);
        int chunks = 0;
        List<String> high = null;
        for (int chunk = 0; chunk == 0 || high != null; chunk++) {
            List<String> low = high;
            high = key.isEmpty() ? null : nextBound(table, key, low);
            chunks++;
            Digest here = digest(source, table, common, key, low, high);
            long position = currentLsn();
            Digest there = digest(target, table, common, key, low, high);
            if (here.equals(there)) {
                sourceRows += here.rows();
                targetRows += there.rows();
            } else if (key.isEmpty()) {
                Chunk compared = keylessChunk(table, common, here, position);
                sourceRows += compared.sourceRows();
                targetRows += compared.targetRows();
                differing += compared.differing();
            } else {
                Map<List<String>, String> rows = hashes(source, table, common, key, low, high);
                sourceRows += rows.size();
                targetRows += rows.size();
                pending.addAll(differing(rows, hashes(target, table, common, key, low, high)));
            }
            if (pending.size() >= chunkRows || high == null && !pending.isEmpty()) {
                Converged converged = converge(table, common, key, pending, keys);
                targetRows += converged.targetRowsCorrection();
                differing += converged.differing();
                inFlight += converged.inFlight();
                pending.clear();
            }
        }
        String note = differing > 0 && timedOutAt >= 0 ? "the sink had not applied the source's WAL up to "
                + lsnText(timedOutAt) + " within " + recheckTimeoutMs / 1000 + " s (--recheck-timeout-seconds): rows "
                + "still in flight may be among those reported" : null;
        return new Result(table, sourceRows, targetRows, chunks, schemaDifferences, keys, differing,
                inFlight, null, note, millisSince(started));
    }

    /**
     * A table without a primary key: its sums read again on both sides, the destination's after the sink has applied
     * past the source's read, up to {@value #RECHECK_ROUNDS} times; what still differs is counted by the difference
     * of the row counts, or as one row.
     */
    private Chunk keylessChunk(TableRef table, List<Column> columns, Digest first, long firstPosition)
            throws SQLException, InterruptedException {
        Digest here = first;
        long position = firstPosition;
        Digest there;
        for (int round = 1; ; round++) {
            Wait wait = awaitApplied(position);
            there = digest(target, table, columns, List.of(), null, null);
            if (here.equals(there) || wait != Wait.APPLIED || round == RECHECK_ROUNDS) {
                break;
            }
            here = digest(source, table, columns, List.of(), null, null);
            position = currentLsn();
        }
        return new Chunk(here.rows(), there.rows(), here.equals(there) ? 0
                : Math.max(1, Math.abs(here.rows() - there.rows())));
    }

    /**
     * Lets each of the rows that differed converge on its own (see the class comment); adds up to {@code maxKeys} of
     * those that still differ to {@code keys}.
     */
    private Converged converge(TableRef table, List<Column> columns, List<Column> key, Set<List<String>> candidates,
            List<Map<String, String>> keys) throws SQLException, InterruptedException {
        Set<List<String>> differing = candidates;
        Map<List<String>, String> here;
        Map<List<String>, String> there;
        for (int round = 1; ; round++) {
            here = hashes(source, table, columns, key, differing);
            Wait wait = awaitApplied(currentLsn());
            there = hashes(target, table, columns, key, differing);
            differing = differing(here, there);
            if (differing.isEmpty() || wait != Wait.APPLIED || round == RECHECK_ROUNDS) {
                break;
            }
        }
        long correction = 0;
        for (List<String> k : differing) {
            correction += (here.containsKey(k) ? 0 : 1) - (there.containsKey(k) ? 0 : 1);
            if (keys.size() < maxKeys) {
                Map<String, String> named = new LinkedHashMap<>();
                for (int i = 0; i < key.size(); i++) {
                    named.put(key.get(i).name(), k.get(i));
                }
                keys.add(named);
            }
        }
        return new Converged(differing.size(), candidates.size() - differing.size(), correction);
    }

    /** The keys whose rows differ between the two reads, a key on one side only included, in key order. */
    private static Set<List<String>> differing(Map<List<String>, String> here, Map<List<String>, String> there) {
        Set<List<String>> differing = new TreeSet<>(KEY_ORDER);
        for (Map.Entry<List<String>, String> row : here.entrySet()) {
            if (!row.getValue().equals(there.get(row.getKey()))) {
                differing.add(row.getKey());
            }
        }
        for (List<String> k : there.keySet()) {
            if (!here.containsKey(k)) {
                differing.add(k);
            }
        }
        return differing;
    }

    private static List<Column> columns(Connection connection, TableRef table) throws SQLException {
        List<Column> columns = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement("""
                SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod)
                  FROM pg_catalog.pg_attribute a
                 WHERE a.attrelid = pg_catalog.to_regclass(?) AND a.attnum > 0 AND NOT a.attisdropped
                 ORDER BY a.attnum""")) {
            ps.setString(1, table.quoted());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    columns.add(new Column(rs.getString(1), rs.getString(2)));
                }
            }
        }
        return columns;
    }

    private List<Column> key(TableRef table, List<Column> columns) throws SQLException {
        List<Column> key = new ArrayList<>();
        try (PreparedStatement ps = source.prepareStatement("""
                SELECT a.attname
                  FROM pg_catalog.pg_index i
                  JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid
                   AND a.attnum = ANY ((i.indkey::int2[])[0:i.indnkeyatts - 1])
                 WHERE i.indrelid = pg_catalog.to_regclass(?) AND i.indisprimary
                 ORDER BY pg_catalog.array_position(i.indkey::int2[], a.attnum)""")) {
            ps.setString(1, table.quoted());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String name = rs.getString(1);
                    columns.stream().filter(c -> c.name().equals(name)).findFirst().ifPresent(key::add);
                }
            }
        }
        return key;
    }

    /**
     * The upper bound of the chunk after {@code low} (null: the first): the source's {@code chunkRows}-th key after
     * {@code low} when the chunk is read, or null when fewer keys follow (the last chunk). Read chunk by chunk, so
     * that no chunk grows with the rows inserted while the table is compared.
     */
    private List<String> nextBound(TableRef table, List<Column> key, List<String> low) throws SQLException {
        try (PreparedStatement ps = source.prepareStatement("SELECT " + names(key, "::text") + " FROM "
                + table.quoted() + range(key, low, null) + " ORDER BY " + names(key, "") + " OFFSET ? LIMIT 1")) {
            bind(ps, low, null);
            ps.setInt(low == null ? 1 : low.size() + 1, chunkRows - 1);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                List<String> bound = new ArrayList<>();
                for (int i = 1; i <= key.size(); i++) {
                    bound.add(rs.getString(i));
                }
                return bound;
            }
        }
    }

    private static Digest digest(Connection connection, TableRef table, List<Column> columns, List<Column> key,
            List<String> low, List<String> high) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT count(*), coalesce(sum(('x' || substr(md5("
                + row(columns) + "::text), 1, 16))::bit(64)::bigint::numeric), 0)::text FROM " + table.quoted()
                + range(key, low, high))) {
            bind(ps, low, high);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return new Digest(rs.getLong(1), rs.getString(2));
            }
        }
    }

    private static Map<List<String>, String> hashes(Connection connection, TableRef table, List<Column> columns,
            List<Column> key, List<String> low, List<String> high) throws SQLException {
        Map<List<String>, String> hashes = new LinkedHashMap<>();
        try (PreparedStatement ps = connection.prepareStatement("SELECT " + names(key, "::text") + ", md5("
                + row(columns) + "::text) FROM " + table.quoted() + range(key, low, high))) {
            bind(ps, low, high);
            read(ps, key.size(), hashes);
        }
        return hashes;
    }

    /** The rows of the given keys, as hashes by key; a key without a row is absent. */
    private static Map<List<String>, String> hashes(Connection connection, TableRef table, List<Column> columns,
            List<Column> key, Set<List<String>> keys) throws SQLException {
        Map<List<String>, String> hashes = new LinkedHashMap<>();
        List<List<String>> all = new ArrayList<>(keys);
        String tuple = "(" + String.join(", ", key.stream().map(c -> "?::" + c.type()).toList()) + ")";
        for (int from = 0; from < all.size(); from += KEYS_PER_READ) {
            List<List<String>> batch = all.subList(from, Math.min(all.size(), from + KEYS_PER_READ));
            try (PreparedStatement ps = connection.prepareStatement("SELECT " + names(key, "::text") + ", md5("
                    + row(columns) + "::text) FROM " + table.quoted() + " WHERE (" + names(key, "") + ") IN ("
                    + String.join(", ", Collections.nCopies(batch.size(), tuple)) + ")")) {
                int index = 1;
                for (List<String> k : batch) {
                    for (String value : k) {
                        ps.setString(index++, value);
                    }
                }
                read(ps, key.size(), hashes);
            }
        }
        return hashes;
    }

    private static void read(PreparedStatement ps, int keyColumns, Map<List<String>, String> hashes)
            throws SQLException {
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                List<String> k = new ArrayList<>(keyColumns);
                for (int i = 1; i <= keyColumns; i++) {
                    k.add(rs.getString(i));
                }
                hashes.put(k, rs.getString(keyColumns + 1));
            }
        }
    }

    /**
     * The source's WAL insert position now, as a number of bytes. Taken after a read, it lies past the commit of
     * every transaction that read saw (also with {@code synchronous_commit = off}, where a commit is visible before
     * its WAL is written, so {@code pg_current_wal_lsn()} may still be before it).
     */
    private long currentLsn() throws SQLException {
        try (PreparedStatement ps = source.prepareStatement(
                "SELECT (pg_catalog.pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint");
                ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /**
     * Waits until the sink has applied the source's WAL up to the position (a transaction committed there or later
     * is applied, so, in commit order, every one before it too), within the recheck timeout. Once a wait of this
     * table has timed out, the next ones do not wait again.
     */
    private Wait awaitApplied(long lsn) throws SQLException, InterruptedException {
        if (!Catalog.exists(target, new TableRef("pgsync", "applied_offsets"))) {
            return Wait.NO_SINK;
        }
        long deadline = timedOutAt >= 0 ? 0 : System.currentTimeMillis() + recheckTimeoutMs;
        while (appliedLsn() < lsn) {
            if (System.currentTimeMillis() >= deadline) {
                timedOutAt = lsn;
                return Wait.TIMED_OUT;
            }
            Thread.sleep(POLL_MS);
        }
        return Wait.APPLIED;
    }

    private long appliedLsn() throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("SELECT coalesce(max(greatest(source_commit_lsn, "
                + "source_lsn)), -1) FROM pgsync.applied_offsets"); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static String lsnText(long lsn) {
        return Long.toHexString(lsn >>> 32).toUpperCase(Locale.ROOT) + "/"
                + Long.toHexString(lsn & 0xFFFFFFFFL).toUpperCase(Locale.ROOT);
    }

    private static long millisSince(long nanos) {
        return (System.nanoTime() - nanos) / 1_000_000;
    }

    private static String names(List<Column> columns, String suffix) {
        return String.join(", ", columns.stream().map(c -> Identifiers.quote(c.name()) + suffix).toList());
    }

    private static String row(List<Column> columns) {
        return "ROW(" + names(columns, "") + ")";
    }

    /** The WHERE clause of a chunk: key above {@code low} (exclusive) and up to {@code high} (inclusive). */
    private static String range(List<Column> key, List<String> low, List<String> high) {
        List<String> conditions = new ArrayList<>();
        String tuple = "(" + names(key, "") + ")";
        String params = "(" + String.join(", ", key.stream().map(c -> "?::" + c.type()).toList()) + ")";
        if (low != null) {
            conditions.add(tuple + " > " + params);
        }
        if (high != null) {
            conditions.add(tuple + " <= " + params);
        }
        return conditions.isEmpty() ? "" : " WHERE " + String.join(" AND ", conditions);
    }

    private static void bind(PreparedStatement ps, List<String> low, List<String> high) throws SQLException {
        int index = 1;
        for (List<String> bound : Arrays.asList(low, high)) {
            if (bound != null) {
                for (String value : bound) {
                    ps.setString(index++, value);
                }
            }
        }
    }
}
