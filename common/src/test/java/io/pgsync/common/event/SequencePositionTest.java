package io.pgsync.common.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import org.apache.kafka.connect.errors.DataException;
import org.junit.jupiter.api.Test;

import io.pgsync.common.pg.TableRef;

class SequencePositionTest {

    private static final SequencePosition POSITION = new SequencePosition(new TableRef("public", "Orders_id_seq"),
            1042, true);

    @Test
    void aStructOrASchemalessMapReadsBackAsTheSamePosition() {
        assertThat(SequencePosition.of(SequencePosition.SCHEMA, POSITION.toStruct())).contains(POSITION);
        assertThat(SequencePosition.of(null, Map.of("schema", "public", "sequence", "Orders_id_seq",
                "last_value", 1042, "is_called", true))).contains(POSITION);
    }

    @Test
    void otherRecordsAreNotPositionsAndAMalformedOneNamesTheField() {
        assertThat(SequencePosition.of(RowChunk.SCHEMA, null)).isEmpty();
        assertThat(SequencePosition.of(null, Map.of("columns", "x"))).isEmpty();
        assertThatThrownBy(() -> SequencePosition.of(null, Map.of("sequence", "s", "last_value", 1)))
                .isInstanceOf(DataException.class).hasMessageContaining("io.pgsync.changelog.Sequence");
    }
}
