package io.pgsync.bench;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The probe row {@code accounts.aid = 0}: the harness writes ever larger numbers into its {@code abalance} at the
 * source, and reads it at the destination to see when a write has arrived. It travels in the same table, topic and
 * transaction stream as the load, so it arrives after every change committed before it. Not thread-safe: one thread
 * writes, another reads, each through its own connection.
 */
final class ProbeRow implements AutoCloseable {

    private final PreparedStatement write;
    private final PreparedStatement read;
    private final AtomicLong last;

    ProbeRow(Connection source, Connection destination) throws SQLException {
        this.write = source.prepareStatement("UPDATE public.accounts SET abalance = ? WHERE aid = 0");
        this.read = destination.prepareStatement("SELECT abalance FROM public.accounts WHERE aid = 0");
        try (PreparedStatement current = source.prepareStatement("SELECT abalance FROM public.accounts WHERE aid = 0");
                ResultSet rs = current.executeQuery()) {
            if (!rs.next()) {
                throw new IllegalStateException("The source has no probe row accounts.aid = 0");
            }
            this.last = new AtomicLong(rs.getLong(1));
        }
    }

    /** Writes the next number at the source (committed when this returns, auto-commit) and returns it. */
    long write() throws SQLException {
        long value = last.incrementAndGet();
        write.setLong(1, value);
        write.executeUpdate();
        return value;
    }

    /** The number the destination has now; -1 before the probe row arrived. */
    long read() throws SQLException {
        try (ResultSet rs = read.executeQuery()) {
            return rs.next() ? rs.getLong(1) : -1;
        }
    }

    @Override
    public void close() throws SQLException {
        write.close();
        read.close();
    }
}
