package io.pgsync.bench;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyManager;
import org.postgresql.copy.CopyOut;

/**
 * The physical limit of a full sync: {@code COPY ... TO STDOUT} on the source piped, buffer by buffer, into
 * {@code COPY ... FROM STDIN} on the destination, one table after another, in one thread.
 */
final class CopyPipe {

    private final Connection source;
    private final Connection destination;
    private final String format;

    /** @param format {@code text} or {@code binary} */
    CopyPipe(Connection source, Connection destination, String format) {
        this.source = source;
        this.destination = destination;
        this.format = format;
    }

    /** Copies every table; returns the rows copied. */
    long run(List<TableSpec> tables) throws SQLException {
        CopyManager from = source.unwrap(PGConnection.class).getCopyAPI();
        CopyManager to = destination.unwrap(PGConnection.class).getCopyAPI();
        long rows = 0;
        for (TableSpec table : tables) {
            String options = " (FORMAT " + format + ")";
            CopyOut out = from.copyOut("COPY " + table.qualifiedName() + " TO STDOUT" + options);
            CopyIn in = to.copyIn("COPY " + table.qualifiedName() + " FROM STDIN" + options);
            try {
                byte[] buffer;
                while ((buffer = out.readFromCopy()) != null) {
                    in.writeToCopy(buffer, 0, buffer.length);
                }
                rows += in.endCopy();
            } finally {
                if (in.isActive()) {
                    in.cancelCopy();
                }
                if (out.isActive()) {
                    out.cancelCopy();
                }
            }
        }
        return rows;
    }
}
