package io.pgsync.sink.mapping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

import io.pgsync.common.pg.TableRef;

class NameMappingTest {

    private static final TableRef ORDERS = new TableRef("public", "orders");

    private static final NameMapping MAPPING = NameMapping.of("s", List.of("public:sales"),
            "t", List.of("public.orders:archive.orders_v2", "\"My.Schema\".\"T\":public.t"),
            "c", List.of("public.orders.note:remark"), "x", List.of("public.orders.secret"));

    @Test
    void tablesSchemasAndColumnsGetTheirDestinationNames() {
        assertThat(MAPPING.table(ORDERS)).isEqualTo(new TableRef("archive", "orders_v2"));
        assertThat(MAPPING.table(new TableRef("public", "customers"))).isEqualTo(new TableRef("sales", "customers"));
        assertThat(MAPPING.table(new TableRef("My.Schema", "T"))).isEqualTo(new TableRef("public", "t"));
        assertThat(MAPPING.table(new TableRef("other", "x"))).isEqualTo(new TableRef("other", "x"));
        assertThat(MAPPING.column(ORDERS, "note")).isEqualTo("remark");
        assertThat(MAPPING.excluded(ORDERS, "secret")).isTrue();
    }

    @Test
    void sqlTextIsRewrittenTokenByTokenOutsideLiteralsAndBodies() {
        assertThat(MAPPING.rewrite("CREATE INDEX orders_note_idx ON public.orders USING btree (note) "
                + "WHERE (note <> 'note'::text)", null)).contains("CREATE INDEX orders_note_idx ON "
                        + "\"archive\".\"orders_v2\" USING btree (\"remark\") WHERE (\"remark\" <> 'note'::text)");
        assertThat(MAPPING.rewrite("ALTER TABLE ONLY \"public\".\"customers\" ADD CONSTRAINT c CHECK (note > 0)",
                null)).contains("ALTER TABLE ONLY \"sales\".\"customers\" ADD CONSTRAINT c CHECK (note > 0)");
        assertThat(MAPPING.rewrite("CHECK ((note <> ''::text))", ORDERS)).contains("CHECK ((\"remark\" <> ''::text))");
        assertThat(MAPPING.rewrite("CREATE FUNCTION public.f() RETURNS int AS $$ SELECT note FROM public.orders $$ "
                + "LANGUAGE sql", null)).contains("CREATE FUNCTION \"sales\".f() RETURNS int AS $$ SELECT note FROM "
                        + "public.orders $$ LANGUAGE sql");
    }

    @Test
    void schemaNamesAndRegclassLiteralsAreRewrittenToo() {
        assertThat(MAPPING.rewrite("CREATE SCHEMA IF NOT EXISTS public", null))
                .contains("CREATE SCHEMA IF NOT EXISTS \"sales\"");
        assertThat(MAPPING.rewrite("COMMENT ON SCHEMA public IS 'the public schema'", null))
                .contains("COMMENT ON SCHEMA \"sales\" IS 'the public schema'");
        assertThat(MAPPING.rewrite("id integer DEFAULT nextval('public.orders_id_seq'::regclass)", null))
                .contains("id integer DEFAULT nextval('\"sales\".\"orders_id_seq\"'::regclass)");
        assertThat(MAPPING.rewrite("SELECT pg_catalog.setval('public.orders_id_seq', 42, true)", null))
                .contains("SELECT pg_catalog.setval('\"sales\".\"orders_id_seq\"', 42, true)");
    }

    @Test
    void anExcludedColumnLeavesTheTableDefinitionAndTakesAStatementThatNeedsItAway() {
        assertThat(MAPPING.rewrite("CREATE TABLE IF NOT EXISTS \"public\".\"orders\" (id integer NOT NULL, "
                + "secret text, note text, CONSTRAINT s CHECK (secret <> ''), CONSTRAINT p PRIMARY KEY (id))", null))
                .contains("CREATE TABLE IF NOT EXISTS \"archive\".\"orders_v2\" (id integer NOT NULL, \"remark\" "
                        + "text, CONSTRAINT p PRIMARY KEY (id))");
        assertThat(MAPPING.rewrite("CREATE INDEX i ON public.orders USING btree (secret)", null)).isEmpty();
        assertThat(MAPPING.rewrite("ALTER SEQUENCE public.orders_id_seq OWNED BY public.orders.id", null)).isEmpty();
        assertThat(MAPPING.rewrite("ALTER SEQUENCE public.customers_id_seq OWNED BY public.customers.id", null))
                .contains("ALTER SEQUENCE \"sales\".customers_id_seq OWNED BY \"sales\".customers.id");
    }

    @Test
    void anEntryThatDoesNotParseIsRefusedNamingTheKey() {
        assertThatThrownBy(() -> NameMapping.of("mapping.schemas", List.of(), "mapping.tables",
                List.of("orders:archive.orders"), "c", List.of(), "x", List.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("mapping.tables")
                .hasMessageContaining("<source>:<destination>");
    }
}
