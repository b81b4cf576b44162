package io.pgsync.source.fullsync;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.junit.jupiter.api.Test;

class CopyLineTest {

    @Test
    void readsFieldsNullsAndEveryEscapeCopyWrites() {
        String line = "1\tdon't\\nstop\\t\\\\\t\\N\t\t\\b\\f\\r\\v\n";
        assertThat(CopyLine.values(line.getBytes(StandardCharsets.UTF_8)))
                .containsExactly("1", "don't\nstop\t\\", null, "", "\b\f\r\u000b");
    }

    @Test
    void readsByteaHexTextMultibyteTextAndOctalOrHexEscapes() {
        String line = "\\\\x00ff\tкот 😀\t\\101\\x42\n";
        assertThat(CopyLine.values(line.getBytes(StandardCharsets.UTF_8)))
                .containsExactly("\\x00ff", "кот 😀", "AB");
    }

    @Test
    void aLineOfNullsAndEmptyStrings() {
        assertThat(CopyLine.values("\\N\t\n".getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(Arrays.asList(null, ""));
    }
}
