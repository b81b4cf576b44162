package io.pgsync.common.pg;

import java.util.Locale;

/** Shows PostgreSQL JDBC URLs in messages and logs without the secrets they may carry. */
public final class JdbcUrls {

    private static final String MASK = "***";

    private JdbcUrls() {
    }

    /**
     * The URL with the value of every parameter that may hold a secret ({@code password}, {@code sslpassword}, any
     * other whose name contains "password", {@code sslfactoryarg}) and any user information before the host
     * ({@code //user:secret@host}) replaced by {@code ***}. Example:
     * {@code jdbc:postgresql://db:5432/shop?sslmode=verify-full&sslpassword=***}.
     */
    public static String forDisplay(String url) {
        if (url == null) {
            return null;
        }
        int query = url.indexOf('?');
        String base = query < 0 ? url : url.substring(0, query);
        int authority = base.indexOf("//");
        int at = authority < 0 ? -1 : base.indexOf('@', authority);
        if (at >= 0) {
            base = base.substring(0, authority + 2) + MASK + base.substring(at);
        }
        if (query < 0) {
            return base;
        }
        StringBuilder shown = new StringBuilder(base).append('?');
        String[] parameters = url.substring(query + 1).split("&", -1);
        for (int i = 0; i < parameters.length; i++) {
            String parameter = parameters[i];
            int equals = parameter.indexOf('=');
            String name = (equals < 0 ? parameter : parameter.substring(0, equals)).toLowerCase(Locale.ROOT);
            shown.append(i == 0 ? "" : "&");
            if (equals >= 0 && (name.contains("password") || name.equals("sslfactoryarg"))) {
                shown.append(parameter, 0, equals + 1).append(MASK);
            } else {
                shown.append(parameter);
            }
        }
        return shown.toString();
    }
}
