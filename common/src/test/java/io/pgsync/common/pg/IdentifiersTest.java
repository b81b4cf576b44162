package io.pgsync.common.pg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class IdentifiersTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "orders|\"orders\"",
        "Orders|\"Orders\"",
        "select|\"select\"",
        "a\"b|\"a\"\"b\"",
        "x\"; DROP TABLE t; --|\"x\"\"; DROP TABLE t; --\"",
        "zoë 表|\"zoë 表\""
    })
    void quotesEveryIdentifierLiterally(String name, String quoted) {
        assertThat(Identifiers.quote(name)).isEqualTo(quoted);
    }

    @Test
    void rejectsNamesPostgresCannotStore() {
        assertThatThrownBy(() -> Identifiers.quote("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Identifiers.quote(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Identifiers.quote("a\0b")).hasMessageContaining("NUL");
    }

    @Test
    void quotesBothPartsOfATableName() {
        assertThat(new TableRef("Sales", "order\"s").quoted()).isEqualTo("\"Sales\".\"order\"\"s\"");
        assertThat(new TableRef("public", "t")).hasToString("public.t");
    }
}
