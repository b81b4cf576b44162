-- pgsync DDL capture, installed by the source connector (io.pgsync.source.ddl.DdlCapture) in schema pgsync.
--
-- Two event triggers turn every DDL command into a row of pgsync.ddl_log, inserted and deleted again in the
-- command's own transaction: logical decoding sends the insert to the connector exactly between the changes committed
-- before and after it. Only the owner of pgsync.ddl_log (whoever ran this script, a superuser) and the SECURITY
-- DEFINER trigger functions below may write it, so a row there is proof that the capture wrote it, in that
-- transaction. Logical messages are no such proof (pg_logical_emit_message is open to every role): the connector
-- drops every message with pgsync's prefix.
--
-- A row's content is JSON: {"tag": <command tag>, "statement", "origin", "commands": [...]}, one command per object
-- the DDL touched, each also carrying "origin" and "standardConformingStrings":
--   {"kind": "table", "before": <definition or null>, "after": <definition or null>}: a table created, altered or
--     dropped; a definition lists the columns with their numbers (attnum), so a rename is told from a drop and add;
--   {"kind": "statements", "type", "identity", "schema", "table", "statements": [...]}: DDL generated from the
--     catalog after the command (CREATE OR REPLACE, IF NOT EXISTS, renames, drops); "table" names the table an
--     index, constraint, trigger or rule belongs to (null otherwise);
--   {"kind": "verbatim", ...}: a command pgsync does not generate, replayable as its statement text because that text
--     is exactly the command; {"kind": "unsupported", ...}: one it cannot replay.
-- A row of origin 'pgsync' follows the command's when the capture made a table it created or changed fit the
-- registered publications (pgsync.capture_publications below): its commands are {"kind": "applied", "action":
-- "publication" or "replica identity full", "publications", "table"}, for the connector's log and metrics only.
-- "statement" is the text of the statement that ran the command, and only when the capture is certain of it: the
-- command ran at top level and the query string the server received holds exactly that one statement, as the lexer
-- below reads it (comments, quoted identifiers, strings with standard_conforming_strings and E'', dollar quotes).
-- Otherwise it is null and "origin" says why: 'function' (inside a function or DO block), 'query string' (a string of
-- several statements), 'too long', or 'credentials' (commands whose text may carry passwords: servers, user mappings,
-- foreign tables and wrappers, subscriptions). The whole query string never travels: it may hold other statements and
-- their data.
-- pgsync.ddl_objects keeps each captured object's last definition and name, which gives the "before" side.
-- Every function runs with search_path = pg_catalog, pg_temp and names catalog relations with their schema: a
-- relation or type some role creates in its temporary schema (a temporary view pg_namespace, say) is never taken for
-- the catalog's, and the generated DDL qualifies every name.

CREATE SCHEMA IF NOT EXISTS pgsync;

CREATE TABLE IF NOT EXISTS pgsync.ddl_objects (
    classid oid NOT NULL,
    objid oid NOT NULL,
    schema_name text,
    object_name text NOT NULL,
    identity text NOT NULL,
    definition jsonb,
    PRIMARY KEY (classid, objid)
);

-- The capture's channel to the connector: each row is inserted and deleted in the DDL's own transaction, so the table
-- stays empty and logical decoding still sends the insert.
CREATE TABLE IF NOT EXISTS pgsync.ddl_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    content text NOT NULL
);
REVOKE ALL ON pgsync.ddl_objects, pgsync.ddl_log FROM PUBLIC;

-- A table's definition: name, kind, partitioning, columns by attnum, constraints, replica identity. Parents carry
-- their OID, so that a parent renamed is told from another parent.
CREATE OR REPLACE FUNCTION pgsync.ddl_table(rel oid) RETURNS jsonb
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
RETURN (SELECT jsonb_build_object(
    'schema', n.nspname,
    'name', c.relname,
    'kind', c.relkind::text,
    'unlogged', c.relpersistence = 'u',
    'options', to_jsonb(c.reloptions),
    'partitionKey', CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END,
    'parent', (SELECT jsonb_build_object('schema', pn.nspname, 'name', p.relname, 'oid', p.oid)
                 FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class p ON p.oid = i.inhparent
                 JOIN pg_catalog.pg_namespace pn ON pn.oid = p.relnamespace
                WHERE i.inhrelid = c.oid AND c.relispartition),
    'inherits', coalesce((
        SELECT jsonb_agg(jsonb_build_object('schema', pn.nspname, 'name', p.relname, 'oid', p.oid)
                         ORDER BY i.inhseqno)
          FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class p ON p.oid = i.inhparent
          JOIN pg_catalog.pg_namespace pn ON pn.oid = p.relnamespace
         WHERE i.inhrelid = c.oid AND NOT c.relispartition), '[]'),
    'bound', CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END,
    'replicaIdentity', c.relreplident::text,
    'replicaIdentityIndex', (SELECT ic.relname FROM pg_catalog.pg_index x JOIN pg_catalog.pg_class ic ON ic.oid = x.indexrelid
                              WHERE x.indrelid = c.oid AND x.indisreplident),
    'rowSecurity', c.relrowsecurity,
    'forceRowSecurity', c.relforcerowsecurity,
    'columns', coalesce((
        SELECT jsonb_agg(jsonb_build_object(
                   'num', a.attnum,
                   'name', a.attname,
                   'type', format_type(a.atttypid, a.atttypmod),
                   'notNull', a.attnotnull,
                   'default', CASE WHEN a.attgenerated = '' THEN pg_get_expr(d.adbin, d.adrelid) END,
                   'generated', CASE WHEN a.attgenerated <> '' THEN pg_get_expr(d.adbin, d.adrelid) END,
                   'identity', nullif(a.attidentity::text, ''),
                   'collation', CASE WHEN a.attcollation <> t.typcollation
                                     THEN quote_ident(cn.nspname) || '.' || quote_ident(co.collname) END,
                   'local', a.attislocal,
                   'inherited', a.attinhcount > 0) ORDER BY a.attnum)
          FROM pg_catalog.pg_attribute a
          JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
          LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
          LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation
          LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
         WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '[]'),
    'constraints', coalesce((
        SELECT jsonb_agg(jsonb_build_object(
                   'name', k.conname,
                   'type', k.contype::text,
                   'definition', pg_get_constraintdef(k.oid),
                   'local', k.conislocal) ORDER BY k.contype <> 'p', k.conname)
          FROM pg_catalog.pg_constraint k
         WHERE k.conrelid = c.oid AND k.contype IN ('p', 'u', 'c', 'f', 'x')), '[]'))
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE c.oid = rel);
END
$fn$;

-- The publications of pgsync's connectors on this database, and what the capture does for them in the transaction of
-- a DDL (pgsync.capture_register writes a row when a connector's task starts). A table the DDL created or changed
-- that one of them publishes, and that has no usable replica identity (no primary key with REPLICA IDENTITY DEFAULT,
-- REPLICA IDENTITY NOTHING, an index identity without its index), gets REPLICA IDENTITY FULL when
-- replica_identity_full is set: the user's UPDATE and DELETE on it would fail otherwise. A table the connector's
-- selection takes (the include and exclude lists: Debezium's regular expressions, matched whole and case-insensitively
-- against the schema and against schema.table; NULL for no list) joins the publication when that lists tables, so its
-- rows stream from the transaction that created it on.
CREATE TABLE IF NOT EXISTS pgsync.capture_publications (
    publication name PRIMARY KEY,
    replica_identity_full boolean NOT NULL,
    schema_include text[],
    schema_exclude text[],
    table_include text[],
    table_exclude text[]
);
REVOKE ALL ON pgsync.capture_publications FROM PUBLIC;

-- Whether the relation has a replica identity that lets its UPDATE and DELETE be published.
CREATE OR REPLACE FUNCTION pgsync.ddl_has_identity(rel oid) RETURNS boolean
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    RETURN (SELECT c.relreplident = 'f'
                   OR c.relreplident = 'd' AND EXISTS (SELECT 1 FROM pg_catalog.pg_index i
                                                        WHERE i.indrelid = c.oid AND i.indisprimary)
                   OR c.relreplident = 'i' AND EXISTS (SELECT 1 FROM pg_catalog.pg_index i
                                                        WHERE i.indrelid = c.oid AND i.indisreplident)
              FROM pg_catalog.pg_class c WHERE c.oid = rel);
END
$fn$;

-- Whether the publication carries the relation's changes: it publishes all tables, or lists the relation or a
-- partitioned table it is a partition of, or (PostgreSQL 15 and newer) the schema of one of them.
CREATE OR REPLACE FUNCTION pgsync.ddl_publishes(pub oid, rel oid) RETURNS boolean
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    relations oid[] := ARRAY[rel];
BEGIN
    IF (SELECT p.puballtables FROM pg_catalog.pg_publication p WHERE p.oid = pub) THEN
        RETURN true;
    END IF;
    IF (SELECT c.relispartition FROM pg_catalog.pg_class c WHERE c.oid = rel) THEN
        relations := ARRAY(SELECT a.relid FROM pg_catalog.pg_partition_ancestors(rel) a);
    END IF;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_publication_rel pr WHERE pr.prpubid = pub AND pr.prrelid = ANY (relations)) THEN
        RETURN true;
    END IF;
    IF pg_catalog.current_setting('server_version_num')::int >= 150000 THEN
        RETURN EXISTS (SELECT 1 FROM pg_catalog.pg_publication_namespace s
                         JOIN pg_catalog.pg_class c ON c.relnamespace = s.pnnspid
                        WHERE s.pnpubid = pub AND c.oid = ANY (relations));
    END IF;
    RETURN false;
END
$fn$;

-- Whether a registered connector's selection takes the table, as Debezium's include and exclude lists do.
CREATE OR REPLACE FUNCTION pgsync.ddl_selects(p pgsync.capture_publications, schema_name text, table_name text)
RETURNS boolean LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
RETURN (p.schema_include IS NULL
        OR EXISTS (SELECT 1 FROM pg_catalog.unnest(p.schema_include) r WHERE schema_name ~* ('^(?:' || r || ')$')))
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.unnest(p.schema_exclude) r WHERE schema_name ~* ('^(?:' || r || ')$'))
   AND (p.table_include IS NULL
        OR EXISTS (SELECT 1 FROM pg_catalog.unnest(p.table_include) r
                    WHERE (schema_name || '.' || table_name) ~* ('^(?:' || r || ')$')))
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.unnest(p.table_exclude) r
                    WHERE (schema_name || '.' || table_name) ~* ('^(?:' || r || ')$'));
END
$fn$;

-- Makes the tables a DDL created or changed fit the registered publications, in the DDL's transaction: a selected
-- table joins a publication that lists tables (when the publication's owner could add it: it may act as the table's
-- owner), then a published table without a usable replica identity gets REPLICA IDENTITY FULL. Names go in through
-- format's %I only; unlogged tables, which no publication may carry, are left alone. Returns what it did, one
-- {"kind": "applied", ...} entry per change, for the connector's log and metrics. The ALTER TABLE it runs is captured
-- like any other (its own row of pgsync.ddl_log). A change that fails is reported (action "failed", with the error)
-- instead of failing the user's DDL.
CREATE OR REPLACE FUNCTION pgsync.ddl_fit_publications(tables oid[]) RETURNS jsonb
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    rel record;
    p record;
    publications jsonb;
    applied jsonb := '[]';
    joined jsonb;
    identity_set boolean;
BEGIN
    FOR rel IN SELECT c.oid, n.nspname, c.relname, c.relowner
                 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                WHERE c.oid = ANY (tables) AND c.relpersistence = 'p' AND pgsync.ddl_is_table(c.oid)
                ORDER BY n.nspname, c.relname LOOP
        joined := '[]';
        identity_set := false;
        publications := NULL;
        BEGIN
            FOR p IN SELECT cp, pub.oid AS pub, pub.pubname
                       FROM pgsync.capture_publications cp
                       JOIN pg_catalog.pg_publication pub ON pub.pubname = cp.publication
                      WHERE NOT pub.puballtables AND pg_catalog.pg_has_role(pub.pubowner, rel.relowner, 'USAGE')
                      ORDER BY pub.pubname LOOP
                IF NOT pgsync.ddl_publishes(p.pub, rel.oid) AND pgsync.ddl_selects(p.cp, rel.nspname, rel.relname) THEN
                    EXECUTE pg_catalog.format('ALTER PUBLICATION %I ADD TABLE %I.%I', p.pubname, rel.nspname,
                                              rel.relname);
                    joined := joined || to_jsonb(p.pubname::text);
                END IF;
            END LOOP;
            IF NOT pgsync.ddl_has_identity(rel.oid) THEN
                SELECT jsonb_agg(pub.pubname ORDER BY pub.pubname) INTO publications
                  FROM pgsync.capture_publications cp
                  JOIN pg_catalog.pg_publication pub ON pub.pubname = cp.publication
                 WHERE cp.replica_identity_full AND (pub.pubupdate OR pub.pubdelete)
                   AND pgsync.ddl_publishes(pub.oid, rel.oid);
                IF publications IS NOT NULL THEN
                    EXECUTE pg_catalog.format('ALTER TABLE %I.%I REPLICA IDENTITY FULL', rel.nspname, rel.relname);
                    identity_set := true;
                END IF;
            END IF;
        EXCEPTION WHEN OTHERS THEN
            applied := applied || jsonb_build_object('kind', 'applied', 'action', 'failed', 'error', SQLERRM,
                                                     'publications', (SELECT jsonb_agg(cp.publication::text)
                                                                        FROM pgsync.capture_publications cp),
                                                     'table', jsonb_build_object('schema', rel.nspname,
                                                                                 'name', rel.relname));
            CONTINUE;
        END;
        IF jsonb_array_length(joined) > 0 THEN
            applied := applied || jsonb_build_object('kind', 'applied', 'action', 'publication',
                                                     'publications', joined,
                                                     'table', jsonb_build_object('schema', rel.nspname,
                                                                                 'name', rel.relname));
        END IF;
        IF identity_set THEN
            applied := applied || jsonb_build_object('kind', 'applied', 'action', 'replica identity full',
                                                     'publications', publications,
                                                     'table', jsonb_build_object('schema', rel.nspname,
                                                                                 'name', rel.relname));
        END IF;
    END LOOP;
    RETURN applied;
END
$fn$;

-- Registers the publication of the calling connector (see pgsync.capture_publications). Only who may act as the
-- publication's owner may register it, and a list whose pattern PostgreSQL cannot compile is refused here, never in a
-- user's DDL.
CREATE OR REPLACE FUNCTION pgsync.capture_register(publication name, replica_identity_full boolean,
                                                   schema_include text[], schema_exclude text[],
                                                   table_include text[], table_exclude text[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    pattern text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_publication p WHERE p.pubname = publication
                      AND pg_catalog.pg_has_role(session_user, p.pubowner, 'USAGE')) THEN
        RAISE EXCEPTION 'publication % does not exist or does not belong to %', pg_catalog.quote_ident(publication),
            pg_catalog.quote_ident(session_user) USING ERRCODE = 'insufficient_privilege';
    END IF;
    FOR pattern IN SELECT pg_catalog.unnest(schema_include || schema_exclude || table_include || table_exclude) LOOP
        BEGIN
            PERFORM '' ~* ('^(?:' || pattern || ')$');
        EXCEPTION WHEN invalid_regular_expression THEN
            RAISE EXCEPTION 'PostgreSQL cannot read the pattern % of the selection as a regular expression: %',
                pg_catalog.quote_literal(pattern), SQLERRM USING ERRCODE = 'invalid_regular_expression';
        END;
    END LOOP;
    INSERT INTO pgsync.capture_publications AS cp (publication, replica_identity_full, schema_include, schema_exclude,
                                                   table_include, table_exclude)
    VALUES (publication, replica_identity_full, schema_include, schema_exclude, table_include, table_exclude)
    ON CONFLICT ON CONSTRAINT capture_publications_pkey DO UPDATE
       SET replica_identity_full = excluded.replica_identity_full, schema_include = excluded.schema_include,
           schema_exclude = excluded.schema_exclude, table_include = excluded.table_include,
           table_exclude = excluded.table_exclude;
END
$fn$;

-- The name and schema of an object the capture tracks, or no row for other objects.
CREATE OR REPLACE FUNCTION pgsync.ddl_name(cls oid, obj oid, OUT schema_name text, OUT object_name text)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    IF cls = 'pg_catalog.pg_class'::pg_catalog.regclass THEN
        SELECT n.nspname, c.relname INTO schema_name, object_name
          FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = obj;
    ELSIF cls = 'pg_catalog.pg_proc'::pg_catalog.regclass THEN
        SELECT n.nspname, p.proname INTO schema_name, object_name
          FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE p.oid = obj;
    ELSIF cls = 'pg_catalog.pg_type'::pg_catalog.regclass THEN
        SELECT n.nspname, t.typname INTO schema_name, object_name
          FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace WHERE t.oid = obj;
    ELSIF cls = 'pg_catalog.pg_namespace'::pg_catalog.regclass THEN
        SELECT n.nspname INTO object_name FROM pg_catalog.pg_namespace n WHERE n.oid = obj;
    ELSIF cls = 'pg_catalog.pg_trigger'::pg_catalog.regclass THEN
        SELECT n.nspname, g.tgname INTO schema_name, object_name
          FROM pg_catalog.pg_trigger g JOIN pg_catalog.pg_class c ON c.oid = g.tgrelid
          JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE g.oid = obj;
    END IF;
END
$fn$;

-- Whether a relation is a table pgsync captures: ordinary or partitioned, not temporary, outside pgsync's schema.
CREATE OR REPLACE FUNCTION pgsync.ddl_is_table(rel oid) RETURNS boolean
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    RETURN EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                    WHERE c.oid = rel AND c.relkind IN ('r', 'p') AND c.relpersistence <> 't'
                      AND n.nspname NOT IN ('pgsync', 'pg_catalog', 'information_schema')
                      AND n.nspname NOT LIKE 'pg\_%');
END
$fn$;

-- The table (schema and name) an index, constraint, trigger or rule belongs to, when it is a table pgsync captures;
-- NULL for other objects. Lets the connector leave out the DDL of tables outside its selection.
CREATE OR REPLACE FUNCTION pgsync.ddl_owner_table(cls oid, obj oid) RETURNS jsonb
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    rel oid;
BEGIN
    IF cls = 'pg_catalog.pg_class'::pg_catalog.regclass THEN
        SELECT i.indrelid INTO rel FROM pg_catalog.pg_index i WHERE i.indexrelid = obj;
    ELSIF cls = 'pg_catalog.pg_constraint'::pg_catalog.regclass THEN
        SELECT k.conrelid INTO rel FROM pg_catalog.pg_constraint k WHERE k.oid = obj;
    ELSIF cls = 'pg_catalog.pg_trigger'::pg_catalog.regclass THEN
        SELECT g.tgrelid INTO rel FROM pg_catalog.pg_trigger g WHERE g.oid = obj;
    ELSIF cls = 'pg_catalog.pg_rewrite'::pg_catalog.regclass THEN
        SELECT r.ev_class INTO rel FROM pg_catalog.pg_rewrite r WHERE r.oid = obj;
    END IF;
    IF rel IS NULL OR NOT pgsync.ddl_is_table(rel) THEN
        RETURN NULL;
    END IF;
    RETURN (SELECT jsonb_build_object('schema', n.nspname, 'name', c.relname)
              FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = rel);
END
$fn$;

-- Records the current definition and name of a tracked object; returns the previous row's values.
CREATE OR REPLACE FUNCTION pgsync.ddl_remember(cls oid, obj oid, identity text, definition jsonb,
                                               OUT old_identity text, OUT old_schema text, OUT old_definition jsonb)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    names record;
BEGIN
    SELECT o.identity, o.schema_name, o.definition INTO old_identity, old_schema, old_definition
      FROM pgsync.ddl_objects o WHERE o.classid = cls AND o.objid = obj;
    SELECT * INTO names FROM pgsync.ddl_name(cls, obj);
    IF names.object_name IS NULL THEN
        RETURN;
    END IF;
    INSERT INTO pgsync.ddl_objects AS o (classid, objid, schema_name, object_name, identity, definition)
    VALUES (cls, obj, names.schema_name, names.object_name, identity, definition)
    ON CONFLICT (classid, objid) DO UPDATE
       SET schema_name = excluded.schema_name, object_name = excluded.object_name, identity = excluded.identity,
           definition = excluded.definition;
END
$fn$;

-- The labels of an enum type, in order.
CREATE OR REPLACE FUNCTION pgsync.ddl_enum_labels(typ oid) RETURNS jsonb
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
SELECT coalesce(jsonb_agg(enumlabel ORDER BY enumsortorder), '[]') FROM pg_catalog.pg_enum WHERE enumtypid = typ
$fn$;

-- The DDL that makes the destination's object look like the source's after a command, for the kinds pgsync
-- generates itself; NULL for kinds it does not.
CREATE OR REPLACE FUNCTION pgsync.ddl_statements(cmd_tag text, object_type text, cls oid, obj oid, sub int,
                                                 identity text, old_identity text, old_schema text,
                                                 old_definition jsonb)
RETURNS text[] LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    result text[] := '{}';
    names record;
    keyword text := upper(object_type);
    creating boolean := cmd_tag LIKE 'CREATE %';
    seq record;
    typ record;
    labels jsonb;
    old_labels jsonb;
    label text;
    position int;
    owner record;
    definition text;
    only_prefix text;
    on_partitions boolean;
BEGIN
    SELECT * INTO names FROM pgsync.ddl_name(cls, obj);
    -- A renamed or moved object: one ALTER ... RENAME TO / SET SCHEMA from its previous identity.
    IF old_identity IS NOT NULL AND old_identity <> identity AND object_type <> 'table' THEN
        IF old_schema IS DISTINCT FROM names.schema_name AND object_type <> 'trigger' THEN
            result := result || format('ALTER %s %s SET SCHEMA %I', keyword, old_identity, names.schema_name);
        ELSE
            result := result || format('ALTER %s %s RENAME TO %I', keyword, old_identity, names.object_name);
        END IF;
    END IF;
    IF cmd_tag = 'COMMENT' THEN
        RETURN ARRAY[format('COMMENT ON %s %s IS %s',
                            CASE object_type WHEN 'table column' THEN 'COLUMN'
                                             WHEN 'table constraint' THEN 'CONSTRAINT' ELSE keyword END,
                            identity,
                            coalesce(quote_literal((SELECT description FROM pg_catalog.pg_description
                                                     WHERE objoid = obj AND classoid = cls AND objsubid = sub)),
                                     'NULL'))];
    END IF;
    CASE object_type
    WHEN 'schema' THEN
        result := result || format('CREATE SCHEMA IF NOT EXISTS %s', identity);
    WHEN 'extension' THEN
        IF creating THEN
            result := result || (SELECT format('CREATE EXTENSION IF NOT EXISTS %I WITH SCHEMA %I', e.extname,
                                               n.nspname)
                                   FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
                                  WHERE e.oid = obj);
        ELSE
            RETURN NULL;
        END IF;
    WHEN 'index' THEN
        IF EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conindid = obj AND contype IN ('p', 'u', 'x')) THEN
            RETURN '{}';
        END IF;
        IF creating THEN
            definition := pg_get_indexdef(obj);
            -- An index the command made on a partitioned table and its partitions: pg_get_indexdef prints it ON ONLY,
            -- which would make it on the partitioned table alone. (Made ON ONLY, it is invalid while partitions
            -- lack theirs.)
            SELECT format('CREATE %sINDEX %s ON ONLY ', CASE WHEN x.indisunique THEN 'UNIQUE ' END,
                          quote_ident(c.relname)),
                   c.relkind = 'I' AND x.indisvalid
              INTO only_prefix, on_partitions
              FROM pg_catalog.pg_index x JOIN pg_catalog.pg_class c ON c.oid = x.indexrelid
             WHERE x.indexrelid = obj;
            IF on_partitions AND starts_with(definition, only_prefix) THEN
                definition := left(only_prefix, -length('ONLY ')) || substr(definition, length(only_prefix) + 1);
            END IF;
            result := result || definition;
        ELSIF old_identity IS NULL OR old_identity = identity THEN
            RETURN NULL;
        END IF;
    WHEN 'sequence' THEN
        IF EXISTS (SELECT 1 FROM pg_catalog.pg_depend WHERE classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND objid = obj
                                              AND deptype = 'i') THEN
            RETURN '{}';
        END IF;
        SELECT * INTO seq FROM pg_catalog.pg_sequence WHERE seqrelid = obj;
        definition := format('AS %s INCREMENT BY %s MINVALUE %s MAXVALUE %s START WITH %s CACHE %s %s',
                             format_type(seq.seqtypid, NULL), seq.seqincrement, seq.seqmin, seq.seqmax,
                             seq.seqstart, seq.seqcache, CASE WHEN seq.seqcycle THEN 'CYCLE' ELSE 'NO CYCLE' END);
        result := result || format('CREATE SEQUENCE IF NOT EXISTS %s %s', identity, definition)
                         || format('ALTER SEQUENCE %s %s', identity, definition);
        IF cmd_tag = 'ALTER SEQUENCE' THEN
            SELECT c.oid AS rel, a.attname INTO owner
              FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_class c ON c.oid = d.refobjid
              JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
             WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = obj AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
               AND d.deptype = 'a' AND d.refobjsubid > 0;
            result := result || format('ALTER SEQUENCE %s OWNED BY %s', identity,
                                       CASE WHEN owner.rel IS NULL THEN 'NONE'
                                            ELSE owner.rel::regclass::text || '.' || quote_ident(owner.attname) END);
        END IF;
    WHEN 'view' THEN
        result := result || format('CREATE OR REPLACE VIEW %s%s AS %s', identity,
                                   (SELECT ' WITH (' || array_to_string(reloptions, ', ') || ')'
                                      FROM pg_catalog.pg_class WHERE oid = obj AND reloptions IS NOT NULL),
                                   pg_get_viewdef(obj));
    WHEN 'materialized view' THEN
        IF cmd_tag = 'REFRESH MATERIALIZED VIEW' THEN
            result := result || format('REFRESH MATERIALIZED VIEW %s', identity);
        ELSIF creating THEN
            result := result || format('CREATE MATERIALIZED VIEW IF NOT EXISTS %s AS %s WITH %s', identity,
                                       rtrim(pg_get_viewdef(obj), ';'),
                                       (SELECT CASE WHEN relispopulated THEN 'DATA' ELSE 'NO DATA' END
                                          FROM pg_catalog.pg_class WHERE oid = obj));
        ELSIF old_identity IS NULL OR old_identity = identity THEN
            RETURN NULL;
        END IF;
    WHEN 'function', 'procedure' THEN
        result := result || pg_get_functiondef(obj);
    WHEN 'type' THEN
        SELECT * INTO typ FROM pg_catalog.pg_type WHERE oid = obj;
        IF typ.typtype = 'e' THEN
            labels := pgsync.ddl_enum_labels(obj);
            old_labels := old_definition -> 'labels';
            IF creating OR old_labels IS NULL THEN
                result := result || format('CREATE TYPE %s AS ENUM (%s)', identity,
                                           (SELECT string_agg(quote_literal(l), ', ')
                                              FROM jsonb_array_elements_text(labels) l));
            ELSIF jsonb_array_length(labels) = jsonb_array_length(old_labels) THEN
                FOR position IN 0 .. jsonb_array_length(labels) - 1 LOOP
                    IF labels ->> position <> old_labels ->> position THEN
                        result := result || format('ALTER TYPE %s RENAME VALUE %L TO %L', identity,
                                                   old_labels ->> position, labels ->> position);
                    END IF;
                END LOOP;
            ELSE
                FOR position IN 0 .. jsonb_array_length(labels) - 1 LOOP
                    label := labels ->> position;
                    IF NOT old_labels ? label THEN
                        result := result || format('ALTER TYPE %s ADD VALUE IF NOT EXISTS %L %s', identity, label,
                                                   CASE WHEN position = 0 THEN format('BEFORE %L', labels ->> 1)
                                                        ELSE format('AFTER %L', labels ->> (position - 1)) END);
                    END IF;
                END LOOP;
            END IF;
        ELSIF creating AND typ.typtype = 'd' THEN
            result := result || format('CREATE DOMAIN %s AS %s%s%s%s%s', identity,
                                       format_type(typ.typbasetype, typ.typtypmod),
                                       (SELECT ' COLLATE ' || quote_ident(n.nspname) || '.' || quote_ident(c.collname)
                                          FROM pg_catalog.pg_collation c JOIN pg_catalog.pg_namespace n ON n.oid = c.collnamespace
                                          JOIN pg_catalog.pg_type b ON b.oid = typ.typbasetype
                                         WHERE c.oid = typ.typcollation AND typ.typcollation <> b.typcollation),
                                       ' DEFAULT ' || typ.typdefault,
                                       CASE WHEN typ.typnotnull THEN ' NOT NULL' ELSE '' END,
                                       coalesce((SELECT string_agg(format(' CONSTRAINT %I %s', conname,
                                                                          pg_get_constraintdef(oid)), '' ORDER BY conname)
                                                   FROM pg_catalog.pg_constraint WHERE contypid = obj), ''));
        ELSIF creating AND typ.typtype = 'c' THEN
            result := result || format('CREATE TYPE %s AS (%s)', identity,
                                       (SELECT string_agg(format('%I %s%s', a.attname,
                                                                 format_type(a.atttypid, a.atttypmod),
                                                                 CASE WHEN a.attcollation <> t.typcollation
                                                                      THEN ' COLLATE ' || quote_ident(cn.nspname)
                                                                           || '.' || quote_ident(co.collname)
                                                                      ELSE '' END), ', ' ORDER BY a.attnum)
                                          FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
                                          LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation
                                          LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
                                         WHERE a.attrelid = typ.typrelid AND a.attnum > 0 AND NOT a.attisdropped));
        ELSIF creating AND typ.typtype = 'r' THEN
            result := result || (SELECT format('CREATE TYPE %s AS RANGE (SUBTYPE = %s%s)', identity,
                                               format_type(r.rngsubtype, NULL),
                                               CASE WHEN r.rngsubdiff <> 0
                                                    THEN ', SUBTYPE_DIFF = ' || r.rngsubdiff::regproc::text
                                                    ELSE '' END)
                                   FROM pg_catalog.pg_range r WHERE r.rngtypid = obj);
        ELSIF old_identity IS NULL OR old_identity = identity THEN
            RETURN NULL;
        END IF;
    WHEN 'trigger' THEN
        IF creating THEN
            result := result || pg_get_triggerdef(obj);
        ELSIF old_identity IS NULL OR old_identity = identity THEN
            RETURN NULL;
        END IF;
    WHEN 'rule' THEN
        result := result || regexp_replace(pg_get_ruledef(obj), '^CREATE RULE', 'CREATE OR REPLACE RULE');
    ELSE
        RETURN NULL;
    END CASE;
    RETURN result;
END
$fn$;

DROP FUNCTION IF EXISTS pgsync.ddl_statement_is_query(text);

-- Reads a query string as PostgreSQL's scanner does, statement by statement: words, quoted identifiers, string
-- constants (a backslash escapes in E'' strings, and in plain ones when backslash_escapes: standard_conforming_strings
-- off), dollar quotes, comments (nested /* */, -- to the end of the line) and semicolons. Returns how many statements
-- it holds (2 standing for two or more) and, when there is exactly one, its text without comments and without the
-- closing semicolon; -1 when the text ends inside a string, identifier, dollar quote or comment. With partial, the
-- text is the start of a longer one: a statement after the first counts only once a token follows its first one.
CREATE OR REPLACE FUNCTION pgsync.ddl_lex(query text, backslash_escapes boolean, partial boolean,
                                          OUT statements int, OUT statement text)
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    -- a word (with $ after its first character), a dollar-quote delimiter, a run of characters that mean nothing on
    -- their own, or any single character
    pattern constant text := '([A-Za-z_\u0080-\U0010FFFF][A-Za-z_0-9$\u0080-\U0010FFFF]*'
                             || '|\$(?:[A-Za-z_\u0080-\U0010FFFF][A-Za-z_0-9\u0080-\U0010FFFF]*)?\$'
                             || '|[^A-Za-z_\u0080-\U0010FFFF''"$;/*\\\n-]+|.)';
    spaces constant text := E' \t\n\r\f\v';
    tokens text[];
    token text;
    i int := 1;
    at int := 1;
    mode text := 'code';
    depth int := 0;
    escapes boolean;
    quote text;
    close int;
    pieces text[] := '{}';
    content boolean := false;
BEGIN
    statements := 0;
    tokens := ARRAY(SELECT m[1] FROM pg_catalog.regexp_matches(query, pattern, 'g') m);
    WHILE i <= pg_catalog.cardinality(tokens) LOOP
        token := tokens[i];
        IF mode = 'code' THEN
            IF token = ';' THEN
                IF content THEN
                    statements := statements + 1;
                    IF statements > 1 THEN
                        statement := NULL;
                        RETURN;
                    END IF;
                    statement := pg_catalog.btrim(pg_catalog.array_to_string(pieces, ''), spaces);
                END IF;
                pieces := '{}';
                content := false;
            ELSIF token = '-' AND tokens[i + 1] = '-' THEN
                mode := 'line';
                pieces := pieces || ' '::text;
                at := at + 1;
                i := i + 1;
            ELSIF token = '/' AND tokens[i + 1] = '*' THEN
                mode := 'comment';
                depth := 1;
                pieces := pieces || ' '::text;
                at := at + 1;
                i := i + 1;
            ELSIF token = '''' OR token = '"' THEN
                mode := 'quoted';
                quote := token;
                -- E'' always takes backslash escapes, B'', X'' and U&'' never, plain and N'' strings by the setting
                escapes := token = '''' AND CASE WHEN tokens[i - 1] IN ('E', 'e') THEN true
                                                 WHEN tokens[i - 1] IN ('B', 'b', 'X', 'x') THEN false
                                                 WHEN tokens[i - 1] = '&' AND tokens[i - 2] IN ('U', 'u') THEN false
                                                 ELSE backslash_escapes END;
                pieces := pieces || token;
                content := true;
            ELSIF pg_catalog.length(token) > 1 AND pg_catalog.left(token, 1) = '$' THEN
                -- a dollar quote holds anything up to its own delimiter: find that in the text, and read on after it
                close := pg_catalog.strpos(pg_catalog.substr(query, at + pg_catalog.length(token)), token);
                IF close = 0 THEN
                    statements := CASE WHEN partial THEN statements + 1 ELSE -1 END;
                    statement := NULL;
                    RETURN;
                END IF;
                close := at + 2 * pg_catalog.length(token) + close - 1;
                pieces := pieces || pg_catalog.substr(query, at, close - at);
                content := true;
                at := close;
                tokens := ARRAY(SELECT m[1] FROM pg_catalog.regexp_matches(pg_catalog.substr(query, at), pattern, 'g') m);
                i := 1;
                CONTINUE;
            ELSE
                pieces := pieces || token;
                IF NOT content AND pg_catalog.btrim(token, spaces) <> '' THEN
                    content := NOT partial OR statements = 0 OR i < pg_catalog.cardinality(tokens);
                END IF;
            END IF;
        ELSIF mode = 'line' THEN
            IF token = E'\n' THEN
                mode := 'code';
                pieces := pieces || token;
            END IF;
        ELSIF mode = 'comment' THEN
            IF token = '/' AND tokens[i + 1] = '*' THEN
                depth := depth + 1;
                at := at + 1;
                i := i + 1;
            ELSIF token = '*' AND tokens[i + 1] = '/' THEN
                depth := depth - 1;
                at := at + 1;
                i := i + 1;
                IF depth = 0 THEN
                    mode := 'code';
                END IF;
            END IF;
        ELSE
            pieces := pieces || token;
            IF escapes AND token = '\' AND i < pg_catalog.cardinality(tokens) THEN
                pieces := pieces || tokens[i + 1];
                at := at + pg_catalog.length(tokens[i + 1]);
                i := i + 1;
            ELSIF token = quote THEN
                IF tokens[i + 1] = quote THEN
                    pieces := pieces || token;
                    at := at + 1;
                    i := i + 1;
                ELSE
                    mode := 'code';
                END IF;
            END IF;
        END IF;
        at := at + pg_catalog.length(token);
        i := i + 1;
    END LOOP;
    IF content THEN
        statements := statements + 1;
        statement := pg_catalog.btrim(pg_catalog.array_to_string(pieces, ''), spaces);
    END IF;
    IF mode NOT IN ('code', 'line') AND NOT partial THEN
        statements := -1;
    END IF;
    IF statements <> 1 THEN
        statement := NULL;
    END IF;
END
$fn$;

-- The statement text of a command, when the capture is certain of it, and where the command came from: 'statement'
-- (at top level, alone in its query string), 'function', 'query string', 'too long' or 'credentials'. A query string
-- with a backslash is read with both settings of standard_conforming_strings, which an earlier statement of the same
-- string may have changed after the server read it; the two readings must agree.
CREATE OR REPLACE FUNCTION pgsync.ddl_source(query text, top_level boolean, tag text,
                                             OUT statement text, OUT origin text, OUT standard_conforming boolean)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    standard_conforming := pg_catalog.current_setting('standard_conforming_strings') = 'on';
    IF NOT top_level THEN
        origin := 'function';
    ELSIF tag IN ('CREATE SERVER', 'ALTER SERVER', 'CREATE USER MAPPING', 'ALTER USER MAPPING',
                  'IMPORT FOREIGN SCHEMA', 'CREATE FOREIGN DATA WRAPPER', 'ALTER FOREIGN DATA WRAPPER',
                  'CREATE FOREIGN TABLE', 'ALTER FOREIGN TABLE', 'CREATE SUBSCRIPTION', 'ALTER SUBSCRIPTION') THEN
        origin := 'credentials';
    -- a script of many statements is told from its start, without reading all of it for each of its commands
    ELSIF pg_catalog.length(query) > 8192
          AND (pgsync.ddl_lex(pg_catalog.left(query, 8192), NOT standard_conforming, true)).statements > 1 THEN
        origin := 'query string';
    ELSIF pg_catalog.length(query) > 100000 THEN
        origin := 'too long';
    ELSE
        statement := (pgsync.ddl_lex(query, NOT standard_conforming, false)).statement;
        IF pg_catalog.strpos(query, '\') > 0
           AND (pgsync.ddl_lex(query, standard_conforming, false)).statement IS DISTINCT FROM statement THEN
            statement := NULL;
        END IF;
        origin := CASE WHEN statement IS NULL THEN 'query string' ELSE 'statement' END;
    END IF;
END
$fn$;

CREATE OR REPLACE FUNCTION pgsync.ddl_command_end() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    cmd record;
    previous record;
    old_identity text;
    old_schema text;
    old_definition jsonb;
    commands jsonb := '[]';
    statements text[];
    definition jsonb;
    context text;
    origin record;
    log_id bigint;
    text_sent boolean := false;
    schema_name text;
    child oid;
    changed oid[] := '{}';
    applied jsonb;
BEGIN
    -- one line at top level; a command run by a function (or a DO block) has the function's lines below it
    GET DIAGNOSTICS context = PG_CONTEXT;
    FOR cmd IN SELECT * FROM pg_catalog.pg_event_trigger_ddl_commands() LOOP
        schema_name := CASE WHEN cmd.object_type = 'schema'
                            THEN (SELECT s.object_name FROM pgsync.ddl_name(cmd.classid, cmd.objid) s)
                            ELSE coalesce(cmd.schema_name,
                                          (SELECT s.schema_name FROM pgsync.ddl_name(cmd.classid, cmd.objid) s)) END;
        IF cmd.object_identity IS NULL OR cmd.in_extension
           OR schema_name IN ('pgsync', 'pg_catalog', 'information_schema') OR schema_name LIKE 'pg\_%'
           OR cmd.object_type LIKE 'publication%' OR cmd.object_type IN ('subscription', 'event trigger') THEN
            CONTINUE;
        END IF;
        IF cmd.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND cmd.command_tag <> 'COMMENT'
           AND cmd.object_type IN ('table', 'table column') THEN
            IF NOT pgsync.ddl_is_table(cmd.objid) THEN
                CONTINUE;
            END IF;
            -- The table, then its partitions: a partition attached or detached, or altered with its parent. Only a
            -- partitioned table can have had partitions, so only then are the remembered definitions searched.
            FOR child IN SELECT cmd.objid
                         UNION ALL
                         (SELECT inhrelid FROM pg_catalog.pg_inherits WHERE inhparent = cmd.objid
                          UNION
                          SELECT o.objid FROM pgsync.ddl_objects o
                           WHERE EXISTS (SELECT 1 FROM pg_catalog.pg_class p WHERE p.oid = cmd.objid AND p.relkind = 'p')
                             AND o.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                             AND (o.definition -> 'parent') @> (SELECT jsonb_build_object('schema', n.nspname,
                                                                                          'name', c.relname)
                                                                 FROM pg_catalog.pg_class c
                                                                 JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                                                                WHERE c.oid = cmd.objid)
                             AND o.objid <> cmd.objid) LOOP
                definition := pgsync.ddl_table(child);
                SELECT * INTO previous FROM pgsync.ddl_remember(cmd.classid, child,
                    (pg_identify_object(cmd.classid, child, 0)).identity, definition);
                IF previous.old_definition IS DISTINCT FROM definition THEN
                    commands := commands || jsonb_build_object('kind', 'table', 'before', previous.old_definition,
                                                               'after', definition);
                    -- fitting the publications again only when what they depend on changed: not for a column
                    -- added or retyped, say
                    IF previous.old_definition IS NULL
                       OR EXISTS (SELECT 1 FROM pg_catalog.unnest(ARRAY['schema', 'name', 'kind', 'unlogged', 'parent',
                                                                        'replicaIdentity', 'replicaIdentityIndex',
                                                                        'constraints']) k
                                   WHERE previous.old_definition -> k IS DISTINCT FROM definition -> k) THEN
                        changed := changed || child;
                    END IF;
                END IF;
            END LOOP;
            CONTINUE;
        END IF;
        definition := CASE WHEN cmd.classid = 'pg_catalog.pg_type'::pg_catalog.regclass
                                AND (SELECT typtype FROM pg_catalog.pg_type WHERE oid = cmd.objid) = 'e'
                           THEN jsonb_build_object('labels', pgsync.ddl_enum_labels(cmd.objid)) END;
        old_identity := NULL;
        old_schema := NULL;
        old_definition := NULL;
        -- A comment changes no name, and a table's entry holds its definition, which only the table path updates.
        IF cmd.command_tag <> 'COMMENT' AND cmd.objsubid = 0
           AND NOT (cmd.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND cmd.object_type IN ('table', 'table column')) THEN
            SELECT * INTO old_identity, old_schema, old_definition
              FROM pgsync.ddl_remember(cmd.classid, cmd.objid, cmd.object_identity, definition);
        END IF;
        statements := pgsync.ddl_statements(cmd.command_tag, cmd.object_type, cmd.classid, cmd.objid, cmd.objsubid,
                                            cmd.object_identity, old_identity, old_schema, old_definition);
        IF statements IS NULL THEN
            IF text_sent THEN
                CONTINUE;
            END IF;
            text_sent := true;
            commands := commands || jsonb_build_object('kind', 'text',
                                                       'type', cmd.object_type, 'identity', cmd.object_identity,
                                                       'schema', schema_name,
                                                       'table', pgsync.ddl_owner_table(cmd.classid, cmd.objid));
        ELSIF cardinality(statements) > 0 THEN
            commands := commands || jsonb_build_object('kind', 'statements', 'type', cmd.object_type,
                                                       'identity', cmd.object_identity, 'schema', schema_name,
                                                       'table', pgsync.ddl_owner_table(cmd.classid, cmd.objid),
                                                       'statements', to_jsonb(statements));
        END IF;
    END LOOP;
    IF jsonb_array_length(commands) > 0 THEN
        SELECT * INTO origin FROM pgsync.ddl_source(pg_catalog.current_query(), pg_catalog.strpos(context, E'\n') = 0,
                                                    tg_tag);
        -- statement text goes only with a command it is exactly the text of
        commands := (SELECT jsonb_agg(CASE WHEN c ->> 'kind' = 'text'
                                           THEN c || jsonb_build_object(
                                                'kind', CASE WHEN origin.statement IS NULL THEN 'unsupported'
                                                             ELSE 'verbatim' END,
                                                'statements', CASE WHEN origin.statement IS NULL THEN '[]'::jsonb
                                                                   ELSE jsonb_build_array(origin.statement) END)
                                           ELSE c END
                                      || jsonb_build_object('origin', origin.origin, 'standardConformingStrings',
                                                            origin.standard_conforming) ORDER BY n)
                       FROM jsonb_array_elements(commands) WITH ORDINALITY AS e(c, n));
        INSERT INTO pgsync.ddl_log (content)
        VALUES (jsonb_build_object('tag', tg_tag, 'statement', origin.statement, 'origin', origin.origin,
                                   'commands', commands)::text)
        RETURNING id INTO log_id;
        DELETE FROM pgsync.ddl_log WHERE id = log_id;
    END IF;
    -- after the command's row: what this runs (ALTER TABLE, ALTER PUBLICATION) reaches the destination after it
    IF cardinality(changed) > 0 AND EXISTS (SELECT 1 FROM pgsync.capture_publications) THEN
        applied := pgsync.ddl_fit_publications(changed);
        IF jsonb_array_length(applied) > 0 THEN
            INSERT INTO pgsync.ddl_log (content)
            VALUES (jsonb_build_object('tag', tg_tag, 'statement', NULL, 'origin', 'pgsync', 'commands', applied)::text)
            RETURNING id INTO log_id;
            DELETE FROM pgsync.ddl_log WHERE id = log_id;
        END IF;
    END IF;
END
$fn$;

CREATE OR REPLACE FUNCTION pgsync.ddl_sql_drop() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    dropped record;
    commands jsonb := '[]';
    old_definition jsonb;
    context text;
    origin record;
    log_id bigint;
BEGIN
    GET DIAGNOSTICS context = PG_CONTEXT;
    FOR dropped IN SELECT * FROM pg_catalog.pg_event_trigger_dropped_objects() LOOP
        old_definition := NULL;
        IF dropped.objsubid = 0 THEN
            DELETE FROM pgsync.ddl_objects WHERE classid = dropped.classid AND objid = dropped.objid
            RETURNING definition INTO old_definition;
        END IF;
        IF NOT dropped.original OR dropped.is_temporary OR dropped.schema_name IN ('pgsync', 'pg_catalog')
           OR dropped.schema_name LIKE 'pg\_%'
           OR dropped.object_type IN ('table column', 'table constraint', 'default value', 'domain constraint')
           OR dropped.object_type LIKE 'publication%' OR dropped.object_type IN ('subscription', 'event trigger')
           OR (dropped.object_type = 'schema' AND dropped.object_identity LIKE 'pg\_%') THEN
            CONTINUE;
        END IF;
        IF dropped.object_type = 'table' THEN
            IF old_definition IS NOT NULL THEN
                commands := commands || jsonb_build_object('kind', 'table', 'before', old_definition, 'after', NULL);
            END IF;
        ELSE
            commands := commands || jsonb_build_object(
                'kind', 'statements', 'type', dropped.object_type, 'identity', dropped.object_identity,
                'schema', coalesce(dropped.schema_name, CASE WHEN dropped.object_type = 'schema'
                                                             THEN dropped.object_identity END),
                'statements', to_jsonb(ARRAY[format('DROP %s IF EXISTS %s CASCADE', upper(dropped.object_type),
                                                    dropped.object_identity)]));
        END IF;
    END LOOP;
    IF jsonb_array_length(commands) > 0 THEN
        SELECT * INTO origin FROM pgsync.ddl_source(pg_catalog.current_query(), pg_catalog.strpos(context, E'\n') = 0,
                                                    tg_tag);
        -- statement text goes only with a command it is exactly the text of
        commands := (SELECT jsonb_agg(CASE WHEN c ->> 'kind' = 'text'
                                           THEN c || jsonb_build_object(
                                                'kind', CASE WHEN origin.statement IS NULL THEN 'unsupported'
                                                             ELSE 'verbatim' END,
                                                'statements', CASE WHEN origin.statement IS NULL THEN '[]'::jsonb
                                                                   ELSE jsonb_build_array(origin.statement) END)
                                           ELSE c END
                                      || jsonb_build_object('origin', origin.origin, 'standardConformingStrings',
                                                            origin.standard_conforming) ORDER BY n)
                       FROM jsonb_array_elements(commands) WITH ORDINALITY AS e(c, n));
        INSERT INTO pgsync.ddl_log (content)
        VALUES (jsonb_build_object('tag', tg_tag, 'statement', origin.statement, 'origin', origin.origin,
                                   'commands', commands)::text)
        RETURNING id INTO log_id;
        DELETE FROM pgsync.ddl_log WHERE id = log_id;
    END IF;
END
$fn$;

-- The definitions and names of what exists now: the "before" side of the next command.
INSERT INTO pgsync.ddl_objects (classid, objid, schema_name, object_name, identity, definition)
SELECT 'pg_catalog.pg_class'::pg_catalog.regclass, c.oid, n.nspname, c.relname,
       (pg_catalog.pg_identify_object('pg_catalog.pg_class'::pg_catalog.regclass, c.oid, 0)).identity,
       CASE WHEN c.relkind IN ('r', 'p') THEN pgsync.ddl_table(c.oid) END
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'i', 'I') AND c.relpersistence <> 't'
   AND n.nspname NOT IN ('pgsync', 'pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
UNION ALL
SELECT 'pg_catalog.pg_type'::pg_catalog.regclass, t.oid, n.nspname, t.typname,
       (pg_catalog.pg_identify_object('pg_catalog.pg_type'::pg_catalog.regclass, t.oid, 0)).identity,
       CASE WHEN t.typtype = 'e' THEN jsonb_build_object('labels', pgsync.ddl_enum_labels(t.oid)) END
  FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
 WHERE t.typtype IN ('e', 'd', 'r', 'c') AND (t.typrelid = 0 OR t.typtype = 'c'
       AND (SELECT relkind FROM pg_catalog.pg_class WHERE oid = t.typrelid) = 'c')
   AND n.nspname NOT IN ('pgsync', 'pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
UNION ALL
SELECT 'pg_catalog.pg_proc'::pg_catalog.regclass, p.oid, n.nspname, p.proname,
       (pg_catalog.pg_identify_object('pg_catalog.pg_proc'::pg_catalog.regclass, p.oid, 0)).identity, NULL
  FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname NOT IN ('pgsync', 'pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
UNION ALL
SELECT 'pg_catalog.pg_namespace'::pg_catalog.regclass, n.oid, NULL, n.nspname, quote_ident(n.nspname), NULL
  FROM pg_catalog.pg_namespace n
 WHERE n.nspname NOT IN ('pgsync', 'pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
UNION ALL
SELECT 'pg_catalog.pg_trigger'::pg_catalog.regclass, g.oid, n.nspname, g.tgname,
       (pg_catalog.pg_identify_object('pg_catalog.pg_trigger'::pg_catalog.regclass, g.oid, 0)).identity, NULL
  FROM pg_catalog.pg_trigger g JOIN pg_catalog.pg_class c ON c.oid = g.tgrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE NOT g.tgisinternal
   AND n.nspname NOT IN ('pgsync', 'pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
ON CONFLICT (classid, objid) DO UPDATE
   SET schema_name = excluded.schema_name, object_name = excluded.object_name, identity = excluded.identity,
       definition = excluded.definition;

-- Nothing here is for other roles to call: the capture's functions run from its event triggers only, and a connector's
-- task registers its publication.
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA pgsync FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pgsync.capture_register(name, boolean, text[], text[], text[], text[]) TO PUBLIC;

DO $do$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_event_trigger WHERE evtname = 'pgsync_ddl_command_end') THEN
        CREATE EVENT TRIGGER pgsync_ddl_command_end ON ddl_command_end EXECUTE FUNCTION pgsync.ddl_command_end();
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_event_trigger WHERE evtname = 'pgsync_ddl_sql_drop') THEN
        CREATE EVENT TRIGGER pgsync_ddl_sql_drop ON sql_drop EXECUTE FUNCTION pgsync.ddl_sql_drop();
    END IF;
END
$do$;
