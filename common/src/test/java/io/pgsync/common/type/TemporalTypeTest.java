package io.pgsync.common.type;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.apache.kafka.connect.errors.DataException;
import org.junit.jupiter.api.Test;

class TemporalTypeTest {

    @Test
    void structuredDatesKeepInfinitiesEraAndRange() {
        assertThat(PgText.of(Schemas.STRUCTURED_DATE, Schemas.special(Schemas.STRUCTURED_DATE, "POSITIVE_INFINITY")))
                .isEqualTo("infinity");
        assertThat(PgText.of(Schemas.STRUCTURED_DATE, Schemas.special(Schemas.STRUCTURED_DATE, "NEGATIVE_INFINITY")))
                .isEqualTo("-infinity");
        assertThat(PgText.of(Schemas.STRUCTURED_DATE, Schemas.date(-43, 3, 15))).isEqualTo("0044-03-15 BC");
        assertThat(PgText.of(Schemas.STRUCTURED_DATE, Schemas.date(0, 12, 31))).isEqualTo("0001-12-31 BC");
        assertThat(PgText.of(Schemas.STRUCTURED_DATE, Schemas.date(-4712, 1, 1))).isEqualTo("4713-01-01 BC");
        assertThat(PgText.of(Schemas.STRUCTURED_DATE, Schemas.date(5874897, 12, 31))).isEqualTo("5874897-12-31");
        assertThat(PgText.of(Schemas.STRUCTURED_DATE, Schemas.date(2024, 2, 29))).isEqualTo("2024-02-29");
    }

    @Test
    void structuredTimestampsKeepMicrosecondsOffsetAndEra() {
        assertThat(PgText.of(Schemas.STRUCTURED_TIMESTAMP, Schemas.timestamp(Schemas.STRUCTURED_TIMESTAMP,
                -43, 3, 15, 12, 34, 56, 789_012_000))).isEqualTo("0044-03-15 12:34:56.789012 BC");
        assertThat(PgText.of(Schemas.STRUCTURED_TIMESTAMP, Schemas.timestamp(Schemas.STRUCTURED_TIMESTAMP,
                294276, 12, 31, 23, 59, 59, 999_999_000))).isEqualTo("294276-12-31 23:59:59.999999");
        assertThat(PgText.of(Schemas.STRUCTURED_TIMESTAMP, Schemas.timestamp(Schemas.STRUCTURED_TIMESTAMP,
                1970, 1, 1, 0, 0, 0, 0))).isEqualTo("1970-01-01 00:00:00");
        assertThat(PgText.of(Schemas.STRUCTURED_ZONED_TIMESTAMP, Schemas.timestamp(Schemas.STRUCTURED_ZONED_TIMESTAMP,
                -43, 3, 15, 11, 34, 56, 1_000).put("offsetSeconds", 0).put("zoneId", "Z")))
                .isEqualTo("0044-03-15 11:34:56.000001+00:00:00 BC");
        assertThat(PgText.of(Schemas.STRUCTURED_ZONED_TIMESTAMP, Schemas.timestamp(Schemas.STRUCTURED_ZONED_TIMESTAMP,
                2024, 2, 29, 23, 59, 59, 0).put("offsetSeconds", 19_800)))
                .isEqualTo("2024-02-29 23:59:59+05:30:00");
        assertThat(PgText.of(Schemas.STRUCTURED_ZONED_TIMESTAMP,
                Schemas.special(Schemas.STRUCTURED_ZONED_TIMESTAMP, "NEGATIVE_INFINITY"))).isEqualTo("-infinity");
        assertThat(PgText.of(Schemas.STRUCTURED_TIMESTAMP,
                Schemas.special(Schemas.STRUCTURED_TIMESTAMP, "POSITIVE_INFINITY"))).isEqualTo("infinity");
    }

    @Test
    void structuredTimesKeepHour24AndTheOriginalOffset() {
        assertThat(PgText.of(Schemas.STRUCTURED_ZONED_TIME, Schemas.time(Schemas.STRUCTURED_ZONED_TIME, 24, 0, 0, 0)
                .put("offsetSeconds", 19_800))).isEqualTo("24:00:00+05:30:00");
        assertThat(PgText.of(Schemas.STRUCTURED_ZONED_TIME, Schemas.time(Schemas.STRUCTURED_ZONED_TIME, 0, 0, 0, 0)
                .put("offsetSeconds", -57_540))).isEqualTo("00:00:00-15:59:00");
        assertThat(PgText.of(Schemas.STRUCTURED_ZONED_TIME, Schemas.time(Schemas.STRUCTURED_ZONED_TIME, 1, 2, 3, 0)
                .put("offsetSeconds", -60))).isEqualTo("01:02:03-00:01:00");
        assertThat(PgText.of(Schemas.STRUCTURED_TIME, Schemas.time(Schemas.STRUCTURED_TIME, 23, 59, 59, 999_999_000)))
                .isEqualTo("23:59:59.999999");
        assertThat(PgText.of(Schemas.STRUCTURED_TIME, Schemas.time(Schemas.STRUCTURED_TIME, 0, 0, 0, 1_000)))
                .isEqualTo("00:00:00.000001");
    }

    @Test
    void unknownSpecialValuesAreRefused() {
        assertThatThrownBy(() -> PgText.of(Schemas.STRUCTURED_DATE, Schemas.special(Schemas.STRUCTURED_DATE, "NOW")))
                .isInstanceOf(DataException.class).hasMessageContaining("NOW");
    }
}
