package io.pgsync.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.Width;
import org.junit.jupiter.api.Test;

class ConfigReferenceTest {

    private static final ConfigDef DEFINITION = new ConfigDef()
            .define("b.second", Type.INT, 5, ConfigDef.Range.between(1, 9), Importance.LOW, "Second | with a pipe.",
                    "Group A", 2, Width.SHORT, "B")
            .define("a.first", Type.STRING, ConfigDef.NO_DEFAULT_VALUE, Importance.HIGH, "First,\nrequired.",
                    "Group A", 1, Width.SHORT, "A")
            .define("c.list", Type.LIST, "", (name, value) -> { }, Importance.MEDIUM, "A list.", "Group B", 1,
                    Width.SHORT, "C")
            .define("d.unset", Type.PASSWORD, null, Importance.MEDIUM, "Unset.", "Group B", 2, Width.SHORT, "D");

    @Test
    void writesOneTablePerGroupInDefinitionOrderWithTheKeysInTheirOrder() {
        assertThat(ConfigReference.markdown(DEFINITION)).isEqualTo("""
                Group *Group A*:

                | key | type | default | valid values | importance | description |
                |---|---|---|---|---|---|
                | `a.first` | string | (required) |  | high | First, required. |
                | `b.second` | int | `5` | [1,...,9] | low | Second \\| with a pipe. |

                Group *Group B*:

                | key | type | default | valid values | importance | description |
                |---|---|---|---|---|---|
                | `c.list` | list | empty |  | medium | A list. |
                | `d.unset` | password | unset |  | medium | Unset. |
                """);
    }

    @Test
    void replacesOnlyTheTextBetweenTheSectionsMarkers() {
        String readme = "intro\n" + ConfigReference.beginMarker("sink") + "\nold\n" + ConfigReference.endMarker("sink")
                + "\noutro\n";
        String updated = ConfigReference.replaceSection(readme, "sink", "new table\n");
        assertThat(updated).startsWith("intro\n").endsWith("\noutro\n");
        assertThat(ConfigReference.section(updated, "sink")).isEqualTo("new table\n");
        assertThat(ConfigReference.section(updated, "source")).isNull();
        assertThatThrownBy(() -> ConfigReference.replaceSection(readme, "source", "x"))
                .hasMessageContaining("config-reference source begin");
    }
}
