package io.pgsync.cli;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * A PostgreSQL connection URL as psql takes it: {@code postgresql://user:password@host:port/database?sslmode=...}.
 * A password missing from the URL comes from {@code PGPASSWORD}, else from {@code ~/.pgpass}. The password is never
 * part of {@link #toString()}.
 *
 * @param query the URL's parameters, passed to pgjdbc (e.g. {@code sslmode=verify-full})
 */
record PostgresUrl(String host, int port, String database, String user, String password, String query) {

    /**
     * Parses the URL.
     *
     * @param environment where {@code PGPASSWORD} and {@code HOME} come from
     * @throws IllegalArgumentException naming what is wrong, without the password
     */
    static PostgresUrl parse(String text, Map<String, String> environment) {
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("Not a PostgreSQL URL: " + redact(text)
                    + "; expected postgresql://user:password@host:5432/database");
        }
        if (!"postgresql".equals(uri.getScheme()) && !"postgres".equals(uri.getScheme())) {
            throw new IllegalArgumentException("Not a PostgreSQL URL: " + redact(text)
                    + "; expected postgresql://user:password@host:5432/database");
        }
        String database = uri.getPath() == null || uri.getPath().length() <= 1 ? null : uri.getPath().substring(1);
        if (uri.getHost() == null || database == null) {
            throw new IllegalArgumentException("The URL " + redact(text) + " needs a host and a database, e.g. "
                    + "postgresql://user@host:5432/database");
        }
        String user = environment.getOrDefault("PGUSER", "postgres");
        String password = null;
        if (uri.getRawUserInfo() != null) {
            String[] parts = uri.getRawUserInfo().split(":", 2);
            user = decode(parts[0]);
            password = parts.length > 1 ? decode(parts[1]) : null;
        }
        int port = uri.getPort() < 0 ? 5432 : uri.getPort();
        if (password == null) {
            password = environment.get("PGPASSWORD");
        }
        if (password == null && environment.get("HOME") != null) {
            password = fromPgpass(Path.of(environment.get("HOME"), ".pgpass"), uri.getHost(), port, database, user);
        }
        return new PostgresUrl(uri.getHost(), port, decode(database), user, password, uri.getRawQuery());
    }

    private static String decode(String part) {
        return URLDecoder.decode(part, StandardCharsets.UTF_8);
    }

    /** The password of the first matching {@code host:port:database:user:password} line, {@code *} matching all. */
    private static String fromPgpass(Path file, String host, int port, String database, String user) {
        if (!Files.isReadable(file)) {
            return null;
        }
        try {
            for (String line : Files.readAllLines(file)) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                List<String> fields = List.of(line.split("(?<!\\\\):", 5));
                if (fields.size() == 5 && matches(fields.get(0), host) && matches(fields.get(1), Integer.toString(port))
                        && matches(fields.get(2), database) && matches(fields.get(3), user)) {
                    return fields.get(4).replace("\\:", ":").replace("\\\\", "\\");
                }
            }
        } catch (IOException e) {
            return null;
        }
        return null;
    }

    private static boolean matches(String pattern, String value) {
        return pattern.equals("*") || pattern.replace("\\:", ":").equals(value);
    }

    /** The URL with any password replaced by {@code ***}. */
    static String redact(String text) {
        return text.replaceAll("(//[^:/@]*:)[^@]*@", "$1***@");
    }

    String jdbcUrl() {
        return "jdbc:postgresql://" + host + ":" + port + "/" + database + (query == null ? "" : "?" + query);
    }

    Connection connect() throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", user);
        if (password != null) {
            properties.setProperty("password", password);
        }
        properties.setProperty("ApplicationName", "pgsync-cli");
        return DriverManager.getConnection(jdbcUrl(), properties);
    }

    @Override
    public String toString() {
        return user + "@" + host + ":" + port + "/" + database;
    }
}
