package io.pgsync.sink.ddl;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.pgsync.sink.metrics.PgSyncSinkMetrics;

class DdlPolicyTest {

    private static final String FUNCTION = """
            CREATE OR REPLACE FUNCTION app.f()
             RETURNS integer
             LANGUAGE sql
             SECURITY DEFINER
             SET search_path TO 'pg_catalog'
            AS $function$ SELECT 'SECURITY DEFINER'::text IS NOT NULL; -- security definer
            SELECT 1 $function$""";

    private final PgSyncSinkMetrics metrics = new PgSyncSinkMetrics("policy-test", 0);

    @AfterEach
    void closeMetrics() {
        metrics.close();
    }

    @Test
    void aSecurityDefinerRoutineIsCreatedSecurityInvokerUnlessAllowed() {
        assertThat(new DdlPolicy(Optional.empty(), false, metrics).apply("function app.f()", FUNCTION))
                .isEqualTo(FUNCTION.replace(" SECURITY DEFINER\n", " SECURITY INVOKER\n"));
        assertThat(new DdlPolicy(Optional.empty(), false, metrics).apply("function app.g()",
                "ALTER FUNCTION app.g() EXTERNAL SECURITY DEFINER"))
                .isEqualTo("ALTER FUNCTION app.g() EXTERNAL SECURITY INVOKER");
        assertThat(new DdlPolicy(Optional.empty(), true, metrics).apply("function app.f()", FUNCTION))
                .isEqualTo(FUNCTION);
    }

    @Test
    void otherStatementsAndTheWordsInBodiesAndStringsStayAsTheyAre() {
        String view = "CREATE VIEW app.v AS SELECT 'security definer' AS definer FROM app.t";
        assertThat(new DdlPolicy(Optional.empty(), false, metrics).apply("view app.v", view)).isEqualTo(view);
    }
}
