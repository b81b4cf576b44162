package io.pgsync.common.pg;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Properties;

import org.junit.jupiter.api.Test;

class SessionSettingsTest {

    private static final SessionSettings SETTINGS = new SessionSettings(Duration.ofHours(1), Duration.ofMinutes(1),
            Duration.ofMinutes(61), Duration.ofSeconds(30));

    @Test
    void everySessionGetsAFixedSearchPathTimeoutsAndKeepalives() {
        assertThat(SETTINGS.statements()).containsExactly("SET search_path = pg_catalog, pg_temp",
                "SET standard_conforming_strings = on", "SET row_security = off", "SET statement_timeout = 3600000",
                "SET lock_timeout = 60000",
                "SET tcp_keepalives_idle = 30", "SET tcp_keepalives_interval = 10", "SET tcp_keepalives_count = 3");
    }

    @Test
    void theConnectionPropertiesAddTheSocketTimeoutAndTheKeepaliveFactoryToTheGivenOnes() {
        Properties base = new Properties();
        base.setProperty("user", "u");
        Properties properties = SETTINGS.properties(base);
        assertThat(properties).containsEntry("user", "u").containsEntry("socketTimeout", "3660")
                .containsEntry("tcpKeepAlive", "true")
                .containsEntry("socketFactory", KeepAliveSocketFactory.class.getName())
                .containsEntry(KeepAliveSocketFactory.IDLE_SECONDS, "30");
        assertThat(base).doesNotContainKey("socketTimeout");
    }

    @Test
    void zeroKeepaliveLeavesTheOperatingSystemsTimes() {
        SessionSettings settings = new SessionSettings(Duration.ZERO, Duration.ZERO, Duration.ZERO, Duration.ZERO);
        assertThat(settings.statements()).containsExactly("SET search_path = pg_catalog, pg_temp",
                "SET standard_conforming_strings = on", "SET row_security = off", "SET statement_timeout = 0",
                "SET lock_timeout = 0");
        assertThat(settings.properties(new Properties())).doesNotContainKey("socketFactory")
                .containsEntry("socketTimeout", "0");
    }
}
