package io.pgsync.testkit.pg;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throwaway certificate authority in a directory, made with the {@code openssl} command: it signs a server
 * certificate for {@code 127.0.0.1} and client certificates whose common name is a role.
 */
public final class Certificates {

    private static final long OPENSSL_TIMEOUT_SECONDS = 60;

    private final Path dir;

    private Certificates(Path dir) {
        this.dir = dir;
    }

    /** A client certificate: the certificate (PEM) and its key, as PEM for libpq and as PKCS-8 DER for pgjdbc. */
    public record Client(Path certificate, Path keyPem, Path keyPk8) {
    }

    /**
     * Creates the directory with a new CA ({@code ca.crt}, {@code ca.key}) and a server certificate
     * ({@code server.crt}, {@code server.key}, subject alternative names IP 127.0.0.1 and DNS localhost).
     */
    public static Certificates create(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create " + dir, e);
        }
        Certificates certificates = new Certificates(dir);
        certificates.openssl("req", "-x509", "-new", "-nodes", "-newkey", "rsa:2048", "-days", "2",
                "-keyout", "ca.key", "-out", "ca.crt", "-subj", "/CN=pgsync test CA",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        certificates.sign("server", "127.0.0.1", "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
        return certificates;
    }

    public Path directory() {
        return dir;
    }

    /** The CA's certificate, to trust ({@code sslrootcert}, {@code ssl_ca_file}). */
    public Path caCertificate() {
        return dir.resolve("ca.crt");
    }

    public Path serverCertificate() {
        return dir.resolve("server.crt");
    }

    public Path serverKey() {
        return dir.resolve("server.key");
    }

    /** Issues (or returns the already issued) client certificate for a role: common name = the role's name. */
    public synchronized Client client(String role) {
        String name = "client-" + role.replaceAll("[^A-Za-z0-9_]", "_");
        Client client = new Client(dir.resolve(name + ".crt"), dir.resolve(name + ".key"), dir.resolve(name + ".pk8"));
        if (!Files.exists(client.keyPk8())) {
            sign(name, role, "extendedKeyUsage=clientAuth\n");
            openssl("pkcs8", "-topk8", "-inform", "PEM", "-outform", "DER", "-nocrypt", "-in", name + ".key",
                    "-out", name + ".pk8");
            restrict(client.keyPk8());
        }
        return client;
    }

    /** Makes a key and a certificate {@code <name>.crt} signed by the CA, with the extensions given. */
    private void sign(String name, String commonName, String extensions) {
        Path extensionFile = dir.resolve(name + ".ext");
        try {
            Files.writeString(extensionFile, extensions);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write " + extensionFile, e);
        }
        openssl("req", "-new", "-nodes", "-newkey", "rsa:2048", "-keyout", name + ".key", "-out", name + ".csr",
                "-subj", "/CN=" + commonName.replace("/", "\\/"));
        openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                "-days", "2", "-out", name + ".crt", "-extfile", name + ".ext");
        restrict(dir.resolve(name + ".key"));
    }

    /** Key files are readable by their owner only: PostgreSQL and libpq refuse keys with group or world access. */
    private static void restrict(Path key) {
        try {
            Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot restrict the permissions of " + key, e);
        }
    }

    private void openssl(String... args) {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Path out = dir.resolve("openssl.out");
        try {
            Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(out.toFile()).start();
            process.getOutputStream().close();
            if (!process.waitFor(OPENSSL_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("openssl timed out: " + String.join(" ", command));
            }
            if (process.exitValue() != 0) {
                throw new IllegalStateException("openssl failed with exit code " + process.exitValue() + ": "
                        + String.join(" ", command) + "\n" + Files.readString(out, StandardCharsets.UTF_8).strip());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot run openssl (install the openssl package): "
                    + String.join(" ", command), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while running openssl", e);
        }
    }
}
