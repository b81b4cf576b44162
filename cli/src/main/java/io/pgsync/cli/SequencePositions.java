package io.pgsync.cli;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import io.pgsync.common.pg.TableRef;

/**
 * Moves every destination sequence to at least its source sequence's position, read from the sequences themselves
 * (never guessed from the largest key in a table), so that the destination hands out no value the source has used.
 * A sequence that belongs to a column (serial, or an identity column) is found through its column at the
 * destination, whatever its name there; another by its own name. A sequence the destination has moved further keeps
 * its position.
 *
 * <p>Example: the source's {@code orders_id_seq} has handed out 1,042 ({@code last_value 1042, is_called true}), the
 * destination's stands at 1,000 (the last replicated position): it is set to {@code (1042, true)}, so its next value
 * is 1,043.
 */
final class SequencePositions {

    /** What happened to one source sequence. */
    record Outcome(TableRef source, TableRef destination, long sourceLast, boolean sourceCalled, String action) {

        static final String MOVED = "moved";
        static final String KEPT = "kept";
        static final String MISSING = "missing at the destination";
    }

    private record Position(long last, boolean called, long increment) {

        /** The next value this position hands out, compared in the sequence's direction. */
        long next() {
            return called ? last + increment : last;
        }

        boolean ahead(Position other) {
            return increment > 0 ? next() > other.next() : next() < other.next();
        }
    }

    private static final String SEQUENCES_SQL = """
            SELECT n.nspname, c.relname, d.refobjid IS NOT NULL, t.relname, tn.nspname, a.attname
              FROM pg_catalog.pg_class c
              JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
              LEFT JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid
                   AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.deptype IN ('a', 'i')
              LEFT JOIN pg_catalog.pg_class t ON t.oid = d.refobjid
              LEFT JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
              LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
             WHERE c.relkind = 'S' AND n.nspname = ANY (?)
             ORDER BY 1, 2""";

    private SequencePositions() {
    }

    /** Moves the destination's sequences of the schemas of these tables; returns one outcome per source sequence. */
    static List<Outcome> sync(Connection source, Connection destination, Collection<TableRef> tables)
            throws SQLException {
        Set<String> schemas = new TreeSet<>();
        tables.forEach(t -> schemas.add(t.schema()));
        List<Outcome> outcomes = new ArrayList<>();
        try (PreparedStatement ps = source.prepareStatement(SEQUENCES_SQL)) {
            ps.setArray(1, source.createArrayOf("text", schemas.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    TableRef sequence = new TableRef(rs.getString(1), rs.getString(2));
                    TableRef table = rs.getBoolean(3) ? new TableRef(rs.getString(5), rs.getString(4)) : null;
                    outcomes.add(move(source, destination, sequence, table, rs.getString(6)));
                }
            }
        }
        return outcomes;
    }

    private static Outcome move(Connection source, Connection destination, TableRef sequence, TableRef table,
            String column) throws SQLException {
        Position from = position(source, sequence);
        TableRef target = table == null ? existing(destination, sequence) : columnSequence(destination, table, column);
        if (target == null && table != null) {
            target = existing(destination, sequence);
        }
        if (target == null) {
            return new Outcome(sequence, null, from.last(), from.called(), Outcome.MISSING);
        }
        Position to = position(destination, target);
        if (!from.ahead(to)) {
            return new Outcome(sequence, target, from.last(), from.called(), Outcome.KEPT);
        }
        try (PreparedStatement ps = destination.prepareStatement("SELECT pg_catalog.setval(?::regclass, ?, ?)")) {
            ps.setString(1, target.quoted());
            ps.setLong(2, from.last());
            ps.setBoolean(3, from.called());
            ps.execute();
        }
        return new Outcome(sequence, target, from.last(), from.called(), Outcome.MOVED);
    }

    private static Position position(Connection connection, TableRef sequence) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT s.last_value, s.is_called, q.seqincrement "
                + "FROM " + sequence.quoted() + " s, pg_catalog.pg_sequence q WHERE q.seqrelid = ?::regclass")) {
            ps.setString(1, sequence.quoted());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return new Position(rs.getLong(1), rs.getBoolean(2), rs.getLong(3));
            }
        } catch (SQLException e) {
            throw new SQLException("Cannot read the position of sequence " + sequence + ": " + e.getMessage()
                    + " (grant SELECT on it)", e.getSQLState(), e);
        }
    }

    private static TableRef existing(Connection connection, TableRef sequence) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT c.relkind = 'S' FROM pg_catalog.pg_class c "
                + "WHERE c.oid = pg_catalog.to_regclass(?)")) {
            ps.setString(1, sequence.quoted());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1) ? sequence : null;
            }
        }
    }

    /** The destination's sequence of a serial or identity column, or null when the column has none. */
    private static TableRef columnSequence(Connection connection, TableRef table, String column)
            throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("""
                SELECT n.nspname, c.relname
                  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                 WHERE c.oid = pg_catalog.to_regclass(pg_catalog.pg_get_serial_sequence(?, ?))""")) {
            ps.setString(1, table.quoted());
            ps.setString(2, column);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? new TableRef(rs.getString(1), rs.getString(2)) : null;
            }
        } catch (SQLException e) {
            if ("42P01".equals(e.getSQLState()) || "42703".equals(e.getSQLState())) {
                return null;
            }
            throw e;
        }
    }
}
