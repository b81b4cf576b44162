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

    private static final TableRef T = new TableRef("public", "t");
    private static final NameMapping KEYWORD_COLUMNS = NameMapping.of("s", List.of(), "t", List.of(), "c",
            List.of("public.t.text:body", "public.t.type:kind", "public.t.date:day"), "x", List.of("public.t.key"));

    @Test
    void keywordsAndTypeNamesAreNeverTakenForColumnsOfTheirName() {
        assertThat(KEYWORD_COLUMNS.rewrite("CREATE TABLE IF NOT EXISTS \"public\".\"t\" (\"id\" integer NOT NULL, "
                + "\"key\" text, \"text\" text, \"type\" date, \"date\" date DEFAULT CURRENT_DATE, CONSTRAINT "
                + "\"t_pkey\" PRIMARY KEY (id), CONSTRAINT \"t_type_check\" CHECK ((type > '2000-01-01'::date)))", null))
                .contains("CREATE TABLE IF NOT EXISTS \"public\".\"t\" (\"id\" integer NOT NULL, \"body\" text, "
                        + "\"kind\" date, \"day\" date DEFAULT CURRENT_DATE, CONSTRAINT \"t_pkey\" PRIMARY KEY (id), "
                        + "CONSTRAINT \"t_type_check\" CHECK ((\"kind\" > '2000-01-01'::date)))");
        assertThat(KEYWORD_COLUMNS.rewrite("CREATE TABLE IF NOT EXISTS \"public\".\"t\" (\"text\" text, \"date\" "
                + "date)", T)).contains("CREATE TABLE IF NOT EXISTS \"public\".\"t\" (\"body\" text, \"day\" date)");
        assertThat(KEYWORD_COLUMNS.rewrite("PRIMARY KEY (id)", T)).contains("PRIMARY KEY (id)");
        assertThat(KEYWORD_COLUMNS.rewrite("FOREIGN KEY (id) REFERENCES public.other(key) ON DELETE CASCADE", T))
                .contains("FOREIGN KEY (id) REFERENCES public.other(key) ON DELETE CASCADE");
        assertThat(KEYWORD_COLUMNS.rewrite("UNIQUE (type, date)", T)).contains("UNIQUE (\"kind\", \"day\")");
        assertThat(KEYWORD_COLUMNS.rewrite("CHECK (((date > date '2020-01-01') AND (CAST(type AS text) <> "
                + "''::text)))", T)).contains("CHECK (((\"day\" > date '2020-01-01') AND (CAST(\"kind\" AS text) <> "
                        + "''::text)))");
        assertThat(KEYWORD_COLUMNS.rewrite("'key'::text", T)).contains("'key'::text");
        assertThat(KEYWORD_COLUMNS.rewrite("(date + 1)", T)).contains("(\"day\" + 1)");
    }

    @Test
    void columnsOfKeywordNamesAreRenamedWhereTheGrammarPutsAColumn() {
        assertThat(KEYWORD_COLUMNS.rewrite("CREATE INDEX t_text_idx ON public.t USING btree (text text_pattern_ops) "
                + "WHERE (type IS NOT NULL)", null)).contains("CREATE INDEX t_text_idx ON public.t USING btree "
                        + "(\"body\" text_pattern_ops) WHERE (\"kind\" IS NOT NULL)");
        assertThat(KEYWORD_COLUMNS.rewrite("CREATE INDEX i ON public.t USING btree (lower(text), date DESC NULLS LAST)",
                null)).contains("CREATE INDEX i ON public.t USING btree (lower(\"body\"), \"day\" DESC NULLS LAST)");
        assertThat(KEYWORD_COLUMNS.rewrite("CREATE INDEX i ON public.t USING btree (key)", null)).isEmpty();
        assertThat(KEYWORD_COLUMNS.rewrite("ALTER TABLE public.t ADD COLUMN note text", null))
                .contains("ALTER TABLE public.t ADD COLUMN note text");
        assertThat(KEYWORD_COLUMNS.rewrite("COMMENT ON COLUMN public.t.type IS 'the type'", null))
                .contains("COMMENT ON COLUMN public.t.\"kind\" IS 'the type'");
        assertThat(KEYWORD_COLUMNS.rewrite("CREATE OR REPLACE VIEW public.v AS SELECT t.id, t.text, t.type AS type "
                + "FROM public.t t WHERE (t.date > CURRENT_DATE)", null)).contains("CREATE OR REPLACE VIEW public.v AS "
                        + "SELECT t.id, t.\"body\", t.\"kind\" AS type FROM public.t t WHERE (t.\"day\" > CURRENT_DATE)");
        NameMapping both = NameMapping.of("s", List.of("public:sales"), "t", List.of("public.orders:archive.orders_v2"),
                "c", List.of("public.orders.note:remark", "public.t.text:body", "public.t.date:day"), "x", List.of());
        assertThat(both.rewrite("CREATE OR REPLACE VIEW public.w AS SELECT EXTRACT(year FROM t.date) AS y "
                + "FROM public.t t WHERE (EXISTS (SELECT 1 FROM public.orders o WHERE (o.note = t.text)))", null))
                .contains("CREATE OR REPLACE VIEW \"sales\".w AS SELECT EXTRACT(year FROM t.\"day\") AS y FROM "
                        + "\"sales\".t t WHERE (EXISTS (SELECT 1 FROM \"archive\".\"orders_v2\" o WHERE "
                        + "(o.\"remark\" = t.\"body\")))");
        assertThat(KEYWORD_COLUMNS.rewrite("CREATE TRIGGER tr BEFORE UPDATE OF text, type ON public.t FOR EACH ROW "
                + "WHEN ((old.date IS DISTINCT FROM new.date)) EXECUTE FUNCTION public.f()", null))
                .contains("CREATE TRIGGER tr BEFORE UPDATE OF \"body\", \"kind\" ON public.t FOR EACH ROW WHEN "
                        + "((old.\"day\" IS DISTINCT FROM new.\"day\")) EXECUTE FUNCTION public.f()");
    }

    @Test
    void anEntryThatDoesNotParseIsRefusedNamingTheKey() {
        assertThatThrownBy(() -> NameMapping.of("mapping.schemas", List.of(), "mapping.tables",
                List.of("orders:archive.orders"), "c", List.of(), "x", List.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("mapping.tables")
                .hasMessageContaining("<source>:<destination>");
    }
}
