package io.pgsync.sink.apply;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Which destination errors are retried, which fail the task, and what the explained ones say. */
class FailuresTest {

    @ParameterizedTest
    @CsvSource({
            "08006, CONNECTION", "57P01, CONNECTION", "53100, CONNECTION",
            "40001, TRANSIENT", "40P01, TRANSIENT",
            "28P01, DESTINATION", "28000, DESTINATION", "42501, DESTINATION", "42703, DESTINATION",
            "42P01, DESTINATION", "42804, DESTINATION", "25006, DESTINATION",
            "23505, PERMANENT", "23514, PERMANENT", "22P02, PERMANENT"})
    void classifiesByTheSqlStateOfTheFirstErrorInTheChain(String state, Failures.Kind kind) {
        SQLException wrapped = new SQLException("outer", (String) null, new SQLException("inner", state));
        assertThat(Failures.classify(new SQLException("error", state))).isEqualTo(kind);
        assertThat(Failures.classify(wrapped)).isEqualTo(kind);
    }

    @Test
    void anErrorTheDestinationMustFixNamesTheTablesAndTheFixAndKeepsItsSqlState() {
        SQLException denied = new SQLException("ERROR: permission denied for table t", "42501");
        SQLException explained = Failures.writing(denied, "public.t",
                Failures.fix("42501", "\"public\".\"t\"", "\"sinker\""));
        assertThat(explained.getMessage()).isEqualTo("Writing public.t: ERROR: permission denied for table t; the "
                + "sink's role lacks a privilege there: run GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON "
                + "\"public\".\"t\" TO \"sinker\" (and GRANT USAGE, CREATE on its schema), then restart the task; it "
                + "resumes from the offsets applied in the destination, nothing is skipped");
        assertThat(explained.getSQLState()).isEqualTo("42501");
        assertThat(explained.getCause()).isSameAs(denied);
        assertThat(Failures.fix("53100", "\"public\".\"t\"", "\"sinker\"")).contains("out of disk space",
                "retry.connection.timeout.ms");
        assertThat(Failures.fix("23505", "\"public\".\"t\"", "\"sinker\"")).isNull();
    }
}
