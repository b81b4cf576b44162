package io.pgsync.common.event;

import java.nio.charset.StandardCharsets;

import io.pgsync.common.pg.TableRef;

/** Names the changelog topic and assigns tables to its partitions, the same way on both sides. */
public final class Changelog {

    public static final String TOPIC_SUFFIX = ".changelog";

    private Changelog() {
    }

    /** Returns the default changelog topic of a source connector, {@code <topic.prefix>.changelog}. */
    public static String defaultTopic(String topicPrefix) {
        return topicPrefix + TOPIC_SUFFIX;
    }

    /**
     * Returns the partition that carries every change of the table when the changelog has {@code partitions}
     * partitions. The hash is of the table's {@code schema.table} name in UTF-8 (FNV-1a, 32 bit), so it is stable
     * across JVMs, restarts and versions: a table never moves to another partition while its order matters.
     */
    public static int partitionFor(TableRef table, int partitions) {
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be at least 1, was " + partitions);
        }
        if (partitions == 1) {
            return 0;
        }
        int hash = 0x811c9dc5;
        for (byte b : table.toString().getBytes(StandardCharsets.UTF_8)) {
            hash ^= b & 0xff;
            hash *= 0x01000193;
        }
        return Math.floorMod(hash, partitions);
    }
}
