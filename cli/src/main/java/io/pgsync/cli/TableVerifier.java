package io.pgsync.cli;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

import io.pgsync.common.pg.Identifiers;
import io.pgsync.common.pg.TableRef;

/**
 * Compares one table on the source and the destination while the sync may still run: its columns, then its rows in
 * chunks of primary-key ranges, each summarized on both sides by a row count and an order-independent 64-bit sum of
 * row hashes (so memory stays bounded whatever the table's size). A chunk that differs is checked again once the sink
 * has applied the source's WAL up to where the chunk was read (its position in {@code pgsync.applied_offsets}), so
 * changes in flight are not reported; a chunk that still differs is compared row by row, naming the keys.
 *
 * <p>Example: {@code public.orders} with 25,000 rows and 10,000 rows per chunk is summarized as 3 chunks, {@code id <=
 * 10000}, {@code 10000 < id <= 20000} and {@code id > 20000}.
 */
final class TableVerifier {

    /** What the comparison of one table found. */
    record Result(TableRef table, long sourceRows, long targetRows, int chunks, List<String> schemaDifferences,
            List<Map<String, String>> differingKeys, long differingKeyCount, String problem) {

        boolean equal() {
            return problem == null && schemaDifferences.isEmpty() && differingKeyCount == 0
                    && sourceRows == targetRows;
        }
    }

    private record Column(String name, String type) {
    }

    private record Digest(long rows, String hashSum) {
    }

    private final Connection source;
    private final Connection target;
    private final int chunkRows;
    private final int maxKeys;
    private final long recheckTimeoutMs;

    TableVerifier(Connection source, Connection target, int chunkRows, int maxKeys, long recheckTimeoutMs) {
        this.source = source;
        this.target = target;
        this.chunkRows = chunkRows;
        this.maxKeys = maxKeys;
        this.recheckTimeoutMs = recheckTimeoutMs;
    }

    Result verify(TableRef table) throws SQLException, InterruptedException {
        List<Column> sourceColumns = columns(source, table);
        List<Column> targetColumns = columns(target, table);
        if (sourceColumns.isEmpty()) {
            return new Result(table, 0, 0, 0, List.of(), List.of(), 0, "missing at the source");
        }
        if (targetColumns.isEmpty()) {
            return new Result(table, Catalog.count(source, table), 0, 0, List.of(), List.of(), 0,
                    "missing at the destination");
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
        List<List<String>> bounds = key.isEmpty() ? List.of() : bounds(table, key);
        long sourceRows = 0;
        long targetRows = 0;
        List<Map<String, String>> keys = new ArrayList<>();
        long differing = 0;
        for (int chunk = 0; chunk <= bounds.size(); chunk++) {
            List<String> low = chunk == 0 ? null : bounds.get(chunk - 1);
            List<String> high = chunk == bounds.size() ? null : bounds.get(chunk);
            long lsn = currentLsn();
            Digest here = digest(source, table, common, key, low, high);
            Digest there = digest(target, table, common, key, low, high);
            if (!here.equals(there) && awaitApplied(lsn)) {
                here = digest(source, table, common, key, low, high);
                there = digest(target, table, common, key, low, high);
            }
            sourceRows += here.rows();
            targetRows += there.rows();
            if (!here.equals(there)) {
                if (key.isEmpty()) {
                    differing += Math.max(1, Math.abs(here.rows() - there.rows()));
                } else {
                    differing += differingKeys(table, common, key, low, high, keys);
                }
            }
        }
        return new Result(table, sourceRows, targetRows, bounds.size() + 1, schemaDifferences, keys, differing,
                null);
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

    /** Every {@code chunkRows}-th key of the source, in key order: the upper bounds of all chunks but the last. */
    private List<List<String>> bounds(TableRef table, List<Column> key) throws SQLException {
        String columns = names(key, "");
        List<List<String>> bounds = new ArrayList<>();
        try (PreparedStatement ps = source.prepareStatement("SELECT " + names(key, "::text") + " FROM (SELECT "
                + columns + ", row_number() OVER (ORDER BY " + columns + ") AS pgsync_row FROM " + table.quoted()
                + ") s WHERE pgsync_row % ? = 0 ORDER BY pgsync_row")) {
            ps.setInt(1, chunkRows);
            ps.setFetchSize(1000);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    List<String> bound = new ArrayList<>();
                    for (int i = 1; i <= key.size(); i++) {
                        bound.add(rs.getString(i));
                    }
                    bounds.add(bound);
                }
            }
        }
        return bounds;
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

    /** Compares the chunk row by row; adds up to {@code maxKeys} differing keys, returns how many differ. */
    private long differingKeys(TableRef table, List<Column> columns, List<Column> key, List<String> low,
            List<String> high, List<Map<String, String>> keys) throws SQLException {
        Map<List<String>, String> here = hashes(source, table, columns, key, low, high);
        Map<List<String>, String> there = hashes(target, table, columns, key, low, high);
        Map<List<String>, Boolean> all = new TreeMap<>((a, b) -> String.join("\u0000", a)
                .compareTo(String.join("\u0000", b)));
        here.keySet().forEach(k -> all.put(k, true));
        there.keySet().forEach(k -> all.put(k, true));
        long differing = 0;
        for (List<String> k : all.keySet()) {
            if (!Objects.equals(here.get(k), there.get(k))) {
                differing++;
                if (keys.size() < maxKeys) {
                    Map<String, String> named = new LinkedHashMap<>();
                    for (int i = 0; i < key.size(); i++) {
                        named.put(key.get(i).name(), k.get(i));
                    }
                    keys.add(named);
                }
            }
        }
        return differing;
    }

    private static Map<List<String>, String> hashes(Connection connection, TableRef table, List<Column> columns,
            List<Column> key, List<String> low, List<String> high) throws SQLException {
        Map<List<String>, String> hashes = new LinkedHashMap<>();
        try (PreparedStatement ps = connection.prepareStatement("SELECT " + names(key, "::text") + ", md5("
                + row(columns) + "::text) FROM " + table.quoted() + range(key, low, high))) {
            bind(ps, low, high);
            ps.setFetchSize(1000);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    List<String> k = new ArrayList<>();
                    for (int i = 1; i <= key.size(); i++) {
                        k.add(rs.getString(i));
                    }
                    hashes.put(k, rs.getString(key.size() + 1));
                }
            }
        }
        return hashes;
    }

    /**
     * The source's WAL position now, as a number of bytes, or -1 when the destination keeps no applied offsets (no
     * pgsync sink writes it): then there is no sync to wait for.
     */
    private long currentLsn() throws SQLException {
        try (PreparedStatement ps = source.prepareStatement(
                "SELECT (pg_catalog.pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint");
                ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /**
     * Waits until the sink has applied the source's WAL up to the position, within the recheck timeout; returns
     * whether a new comparison can tell more (false when there is no pgsync sink at the destination).
     */
    private boolean awaitApplied(long lsn) throws SQLException, InterruptedException {
        long deadline = System.currentTimeMillis() + recheckTimeoutMs;
        while (true) {
            Long applied = appliedLsn();
            if (applied == null) {
                return false;
            }
            if (applied >= lsn || System.currentTimeMillis() >= deadline) {
                return true;
            }
            Thread.sleep(200);
        }
    }

    private Long appliedLsn() throws SQLException {
        if (!Catalog.exists(target, new TableRef("pgsync", "applied_offsets"))) {
            return null;
        }
        try (PreparedStatement ps = target.prepareStatement("SELECT coalesce(max(greatest(source_commit_lsn, "
                + "source_lsn)), -1) FROM pgsync.applied_offsets"); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
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
