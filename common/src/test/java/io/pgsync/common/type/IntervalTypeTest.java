package io.pgsync.common.type;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.kafka.connect.data.Schema;
import org.junit.jupiter.api.Test;

class IntervalTypeTest {

    @Test
    void everyPartKeepsItsOwnSign() {
        assertThat(PgText.of(Schemas.STRUCTURED_DURATION, Schemas.duration(1, 2, -3, 4, 5, 6, 789_000_000)))
                .isEqualTo("+1 years +2 mons -3 days +4 hours +5 mins +6.789 secs");
        assertThat(PgText.of(Schemas.STRUCTURED_DURATION, Schemas.duration(-1, -2, 3, -4, -5, -6, -789_000_000)))
                .isEqualTo("-1 years -2 mons +3 days -4 hours -5 mins -6.789 secs");
        assertThat(PgText.of(Schemas.STRUCTURED_DURATION, Schemas.duration(0, 0, -1, 25, 0, 0, 1_000_000)))
                .isEqualTo("+0 years +0 mons -1 days +25 hours +0 mins +0.001 secs");
    }

    @Test
    void fractionsAndZeroAndExtremes() {
        assertThat(PgText.of(Schemas.STRUCTURED_DURATION, Schemas.duration(0, 0, 0, 0, 0, -1, -500_000_000)))
                .endsWith(" -1.5 secs");
        assertThat(PgText.of(Schemas.STRUCTURED_DURATION, Schemas.duration(0, 0, 0, 0, 0, 0, 1_000)))
                .endsWith(" +0.000001 secs");
        assertThat(PgText.of(Schemas.STRUCTURED_DURATION, Schemas.duration(0, 0, 0, 0, 0, 0, 0)))
                .isEqualTo("+0 years +0 mons +0 days +0 hours +0 mins +0 secs");
        assertThat(PgText.of(Schemas.STRUCTURED_DURATION, Schemas.duration(178_956_970, 7, Integer.MAX_VALUE,
                Integer.MAX_VALUE, 59, 59, 999_999_000))).isEqualTo("+178956970 years +7 mons +2147483647 days "
                        + "+2147483647 hours +59 mins +59.999999 secs");
    }

    @Test
    void microsecondDurationsAndIsoStrings() {
        assertThat(PgText.of(Schemas.named(Schema.Type.INT64, IntervalType.MICRO_DURATION), -1_500_000L))
                .isEqualTo("-1500000 microseconds");
        assertThat(PgText.of(Schemas.named(Schema.Type.STRING, "io.debezium.time.Interval"), "P1Y2M-3DT4H5M6.789S"))
                .isEqualTo("P1Y2M-3DT4H5M6.789S");
    }
}
