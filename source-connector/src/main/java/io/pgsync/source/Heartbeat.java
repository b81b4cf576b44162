package io.pgsync.source;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

import org.apache.kafka.connect.errors.ConnectException;

import io.debezium.config.Configuration;
import io.pgsync.source.fullsync.SourceDatabase;

/**
 * The source's heartbeat table, {@code pgsync.heartbeat}: one row whose timestamp Debezium's
 * {@code heartbeat.action.query} updates every {@code heartbeat.interval.ms}. Each update is a change in the
 * changelog, so the replication slot moves forward even when the selected tables are idle (WAL written by other
 * databases or unselected tables is released), and the sink measures its end-to-end lag from it.
 */
final class Heartbeat {

    private static final String CREATE = """
            CREATE SCHEMA IF NOT EXISTS pgsync;
            CREATE TABLE IF NOT EXISTS pgsync.heartbeat (id int PRIMARY KEY, ts timestamptz NOT NULL);
            INSERT INTO pgsync.heartbeat (id, ts) VALUES (1, now()) ON CONFLICT (id) DO NOTHING""";

    private Heartbeat() {
    }

    /** Creates the table when it is missing. */
    static void ensureTable(Configuration config) {
        SourceDatabase database = new SourceDatabase(config);
        try (Connection connection = database.connect(); Statement statement = connection.createStatement()) {
            statement.execute(CREATE);
        } catch (SQLException e) {
            throw new ConnectException("Cannot create the heartbeat table pgsync.heartbeat on " + database.describe()
                    + ": " + e.getMessage() + ". Grant the user CREATE on the database, create the table as "
                    + "(id int PRIMARY KEY, ts timestamptz NOT NULL) yourself, or set heartbeat.action.query", e);
        }
    }
}
