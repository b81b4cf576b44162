package io.pgsync.sink.ddl;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.pgsync.common.pg.Identifiers;
import io.pgsync.common.pg.SessionSettings;
import io.pgsync.common.sql.SqlLexer;
import io.pgsync.common.sql.SqlLexer.Token;
import io.pgsync.sink.metrics.PgSyncSinkMetrics;

/**
 * What the sink lets DDL from the source do at the destination: it runs as {@code ddl.owner.role} (so what it creates
 * belongs to that role, and runs with that role's rights when called), with {@code check_function_bodies = off}; and a
 * {@code SECURITY DEFINER} function or procedure is created {@code SECURITY INVOKER} unless
 * {@code ddl.security.definer.enabled}, with a WARN and the {@code ddl-security-definer-downgraded-total} metric.
 *
 * <p>Example: {@code CREATE OR REPLACE FUNCTION app.f() ... SECURITY DEFINER AS $function$ ... $function$} runs as
 * {@code ... SECURITY INVOKER AS $function$ ... $function$}; the words in the body, a string, are left as they are.
 */
public final class DdlPolicy {

    private static final Logger log = LoggerFactory.getLogger(DdlPolicy.class);

    private final Optional<String> ownerRole;
    private final boolean securityDefiner;
    private final PgSyncSinkMetrics metrics;

    /**
     * @param ownerRole the role to run DDL as; empty for the session's own
     * @param securityDefiner whether SECURITY DEFINER is kept
     */
    public DdlPolicy(Optional<String> ownerRole, boolean securityDefiner, PgSyncSinkMetrics metrics) {
        this.ownerRole = ownerRole;
        this.securityDefiner = securityDefiner;
        this.metrics = metrics;
    }

    /**
     * Statements run inside the open transaction with the DDL settings; closing it sets the role and the search path
     * (which replayed statement text may have set to its object's schema) back, for the rest of the transaction, and
     * closes the statement.
     */
    public static final class Session implements AutoCloseable {
        private final Statement statement;
        private final boolean roleSet;

        private Session(Statement statement, boolean roleSet) {
            this.statement = statement;
            this.roleSet = roleSet;
        }

        public void execute(String sql) throws SQLException {
            statement.execute(sql);
        }

        /**
         * Lets the statements that follow name types by their bare names, as a record's column types come (a plain
         * Debezium topic names {@code hstore}, not {@code public.hstore}): they are looked up in {@code pg_catalog}
         * first, so no built-in type can be shadowed, then in the schema, then in {@code public}. Such a statement
         * holds type names only (a table or column created from a record), nothing that calls a function.
         */
        public void findTypesIn(String schema) throws SQLException {
            statement.execute("SET LOCAL search_path = pg_catalog, " + Identifiers.quote(schema) + ", public, pg_temp");
        }

        @Override
        public void close() throws SQLException {
            try (statement) {
                statement.execute("SET LOCAL search_path = " + SessionSettings.SEARCH_PATH);
                if (roleSet) {
                    statement.execute("SET LOCAL ROLE NONE");
                }
            }
        }
    }

    /**
     * Prepares the open transaction for DDL from the source: {@code check_function_bodies = off} (for the rest of it),
     * and the owner role until the session closes.
     */
    public Session enter(Connection connection) throws SQLException {
        Statement statement = connection.createStatement();
        try {
            statement.execute("SET LOCAL check_function_bodies = off");
        } catch (SQLException e) {
            statement.close();
            throw e;
        }
        return asOwner(statement);
    }

    /**
     * Runs statements as the owner role until the session closes: also the DDL the sink makes itself (a table created
     * from a record's columns), so that the owner role may alter it later.
     */
    public Session asOwner(Connection connection) throws SQLException {
        return asOwner(connection.createStatement());
    }

    private Session asOwner(Statement statement) throws SQLException {
        if (ownerRole.isPresent()) {
            try {
                statement.execute("SET LOCAL ROLE " + Identifiers.quote(ownerRole.get()));
            } catch (SQLException e) {
                statement.close();
                throw e;
            }
        }
        return new Session(statement, ownerRole.isPresent());
    }

    /** The statement as the policy lets it run: {@code SECURITY DEFINER} turned into {@code SECURITY INVOKER}. */
    public String apply(String object, String sql) {
        if (securityDefiner) {
            return sql;
        }
        List<Token> tokens = SqlLexer.lex(sql).tokens();
        StringBuilder out = new StringBuilder(sql.length());
        Token previous = null;
        boolean downgraded = false;
        for (Token token : tokens) {
            if (token.isWord("definer") && previous != null && previous.isWord("security")) {
                out.append("INVOKER");
                downgraded = true;
            } else {
                out.append(token.text());
            }
            if (token.significant()) {
                previous = token;
            }
        }
        if (downgraded) {
            metrics.securityDefinerDowngraded();
            log.warn("Creating {} SECURITY INVOKER at the destination, not SECURITY DEFINER as on the source: a "
                    + "replicated SECURITY DEFINER routine would run with the rights of its owner for whoever calls "
                    + "it. Set ddl.security.definer.enabled=true to keep it (with ddl.owner.role a role of few "
                    + "rights)", object);
        }
        return out.toString();
    }
}
