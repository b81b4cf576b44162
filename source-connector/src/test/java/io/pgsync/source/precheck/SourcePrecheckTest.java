package io.pgsync.source.precheck;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import javax.net.ssl.SSLException;

import org.junit.jupiter.api.Test;
import org.postgresql.util.PSQLException;
import org.postgresql.util.PSQLState;

import io.pgsync.source.PgSyncSourceConfig;

/**
 * Which failures to reach the source are outages the task waits out (retriable), and which are settings to fix (the
 * task fails naming them): a real refused connection and a real name that does not resolve, and the SQLSTATEs a
 * server sends while it cannot take connections.
 */
class SourcePrecheckTest {

    @Test
    void aClosedPortIsAnOutage() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        List<SourcePrecheck.Failure> failures = SourcePrecheck.connectivity(props("127.0.0.1", port));
        assertThat(failures).singleElement().satisfies(failure -> {
            assertThat(failure.key()).isEqualTo("database.hostname");
            assertThat(failure.outage()).as(failure.message()).isTrue();
        });
    }

    @Test
    void aNameThatDoesNotResolveIsASettingToFix() {
        List<SourcePrecheck.Failure> failures = SourcePrecheck.connectivity(props("pgsync-no-such-host.invalid",
                5432));
        assertThat(failures).singleElement().satisfies(failure -> {
            assertThat(failure.key()).isEqualTo("database.hostname");
            assertThat(failure.message()).contains("Check database.hostname");
            assertThat(failure.outage()).as(failure.message()).isFalse();
        });
    }

    @Test
    void aServerStartingOrFullIsAnOutageAndATlsFailureIsNot() {
        assertThat(SourcePrecheck.isOutage(new SQLException("the database system is starting up",
                "57P03"))).isTrue();
        assertThat(SourcePrecheck.isOutage(new SQLException("too many clients already", "53300")))
                .isTrue();
        assertThat(SourcePrecheck.isOutage(new PSQLException("SSL error", PSQLState.CONNECTION_FAILURE,
                new SSLException("PKIX path building failed")))).isFalse();
        assertThat(SourcePrecheck.isOutage(new PSQLException("The server does not support SSL.",
                PSQLState.CONNECTION_REJECTED))).isFalse();
    }

    private static Map<String, String> props(String host, int port) {
        Map<String, String> props = new HashMap<>();
        props.put("name", "precheck");
        props.put("topic.prefix", "precheck");
        props.put("database.hostname", host);
        props.put("database.port", Integer.toString(port));
        props.put("database.user", "postgres");
        props.put("database.password", "secret");
        props.put("database.dbname", "postgres");
        return PgSyncSourceConfig.withDefaults(props);
    }
}
