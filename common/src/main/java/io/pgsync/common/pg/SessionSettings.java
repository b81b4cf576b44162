package io.pgsync.common.pg;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * What every connection pgsync opens gets, so that no other role of the database can make it run code of theirs and
 * no wait on the server goes unnoticed: {@code search_path = pg_catalog, pg_temp} (a function, operator or type some
 * role creates in {@code public}, such as {@code public.unnest(text[])}, is never found),
 * {@code standard_conforming_strings = on}, {@code row_security = off} (a table's row-level security never filters
 * what pgsync reads or writes: a statement a policy would filter fails instead, naming the table, as in pg_dump),
 * {@code statement_timeout} and {@code lock_timeout} (a statement that
 * runs or waits too long is cancelled with an error the retry path handles: SQLState 57014 or 55P03), TCP keepalives on
 * both ends of the connection, and pgjdbc's {@code socketTimeout} (a server that stops answering closes the
 * connection, SQLState 08006, instead of leaving the task waiting forever).
 *
 * <p>Example: {@code new SessionSettings(Duration.ofHours(1), Duration.ofMinutes(1), Duration.ofMinutes(61),
 * Duration.ofSeconds(30)).open(url, properties)} gives a session with {@code statement_timeout = 3600000},
 * {@code lock_timeout = 60000} and keepalive probes after 30 s of silence (every 10 s, 3 of them).
 *
 * @param statementTimeout the longest a statement may run; zero for no limit
 * @param lockTimeout the longest a statement may wait for a lock; zero for no limit
 * @param socketTimeout the longest pgjdbc waits for the server to answer; zero for no limit; must exceed the
 *     statement timeout, so that the server cancels a slow statement before the client gives up on the connection
 * @param keepAlive the idle time after which TCP keepalive probes start; zero for the operating system's default
 */
public record SessionSettings(Duration statementTimeout, Duration lockTimeout, Duration socketTimeout,
        Duration keepAlive) {

    /** The search path of every pgsync session: the catalog, then the session's own temporary tables. */
    public static final String SEARCH_PATH = "pg_catalog, pg_temp";
    /** Keepalive probes sent after the idle time before a connection counts as dead. */
    static final int KEEPALIVE_PROBES = 3;

    /**
     * The connection properties: a copy of {@code base} with pgjdbc's {@code socketTimeout}, {@code tcpKeepAlive}
     * and the socket factory that sets the keepalive times.
     */
    public Properties properties(Properties base) {
        Properties properties = new Properties();
        properties.putAll(base);
        properties.setProperty("socketTimeout", Long.toString(socketTimeout.toSeconds()));
        properties.setProperty("tcpKeepAlive", "true");
        if (!keepAlive.isZero()) {
            properties.setProperty("socketFactory", KeepAliveSocketFactory.class.getName());
            properties.setProperty(KeepAliveSocketFactory.IDLE_SECONDS, Long.toString(keepAliveSeconds()));
        }
        return properties;
    }

    /** The statements that set up a session, run once it is open. */
    public List<String> statements() {
        List<String> statements = new ArrayList<>();
        statements.add("SET search_path = " + SEARCH_PATH);
        statements.add("SET standard_conforming_strings = on");
        statements.add("SET row_security = off");
        statements.add("SET statement_timeout = " + statementTimeout.toMillis());
        statements.add("SET lock_timeout = " + lockTimeout.toMillis());
        if (!keepAlive.isZero()) {
            statements.add("SET tcp_keepalives_idle = " + keepAliveSeconds());
            statements.add("SET tcp_keepalives_interval = " + keepAliveInterval());
            statements.add("SET tcp_keepalives_count = " + KEEPALIVE_PROBES);
        }
        return statements;
    }

    /**
     * Opens a connection with these settings; the caller closes it.
     *
     * @param base the connection properties (user, password, TLS), which this adds to
     */
    public Connection open(String url, Properties base) throws SQLException {
        Connection connection = DriverManager.getConnection(url, properties(base));
        try (Statement statement = connection.createStatement()) {
            statement.execute(String.join("; ", statements()));
        } catch (SQLException e) {
            connection.close();
            throw e;
        }
        return connection;
    }

    private long keepAliveSeconds() {
        return Math.max(1, keepAlive.toSeconds());
    }

    long keepAliveInterval() {
        return Math.max(1, keepAliveSeconds() / KEEPALIVE_PROBES);
    }
}
