package io.pgsync.sink.apply;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashSet;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.pgsync.common.event.SequencePosition;
import io.pgsync.common.pg.TableRef;

/**
 * Moves destination sequences to the source's positions, never backwards: a sequence the destination has already
 * moved as far or further (e.g. by writing with it) keeps its value. A sequence missing at the destination is
 * reported once, with the fix.
 */
final class SequenceApplier {

    private static final Logger log = LoggerFactory.getLogger(SequenceApplier.class);

    private final DestinationSession session;
    private final WriteQueue writes;
    /** Sequences found missing at the destination, each reported once; touched only on the write thread. */
    private final Set<TableRef> missing = new HashSet<>();

    SequenceApplier(DestinationSession session, WriteQueue writes) {
        this.session = session;
        this.writes = writes;
    }

    /** Queues moving the sequence to the position, in the open transaction. */
    void advance(SequencePosition position) throws SQLException {
        Connection conn = session.connection();
        writes.submit(() -> {
            try (PreparedStatement ps = conn.prepareStatement("SELECT last_value FROM pg_catalog.pg_sequences "
                    + "WHERE schemaname = ? AND sequencename = ?")) {
                ps.setString(1, position.sequence().schema());
                ps.setString(2, position.sequence().table());
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        if (missing.add(position.sequence())) {
                            log.warn("Sequence {} does not exist at the destination, so its position ({}) is not "
                                    + "applied; create it (the schema sync does), then its next position applies",
                                    position.sequence(), position.lastValue());
                        }
                        return null;
                    }
                    long current = rs.getLong(1);
                    boolean used = !rs.wasNull();
                    if (used && progress(current, true) >= progress(position.lastValue(), position.called())) {
                        return null;
                    }
                }
            }
            try (PreparedStatement ps = conn.prepareStatement("SELECT pg_catalog.setval(?::regclass, ?, ?)")) {
                ps.setString(1, position.sequence().quoted());
                ps.setLong(2, position.lastValue());
                ps.setBoolean(3, position.called());
                ps.execute();
            }
            return null;
        });
    }

    /**
     * Orders the positions of an ascending sequence: {@code (v, called)} has handed out {@code v}, {@code (v, not
     * called)} hands out {@code v} next.
     */
    static long progress(long lastValue, boolean called) {
        return 2 * lastValue + (called ? 1 : 0);
    }
}
