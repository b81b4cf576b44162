-- Removes what a pgsync source connector leaves in its source database once the connector is deleted: its
-- replication slot (which otherwise keeps WAL forever), its publication, and, when no other pgsync slot uses this
-- database, the DDL capture (its two event triggers), the heartbeat, signal and selection tables and the pgsync schema
-- with all it holds (else the publication's registration with the DDL capture). Delete the connector first
-- (DELETE /connectors/<name>), then:
--
--   psql -d <database> -v slot=pgsync_<connector> -v publication=pgsync_<connector> -f cleanup-source.sql
--
-- slot.name and publication.name default to pgsync_<connector name> (lowercase, other characters as _). The script
-- stops with an error, changing nothing, while the slot is still in use.
\set ON_ERROR_STOP on

SELECT set_config('pgsync.cleanup_slot', :'slot', false), set_config('pgsync.cleanup_publication', :'publication', false);

DO $$
DECLARE
    in_use int;
BEGIN
    SELECT active_pid INTO in_use FROM pg_catalog.pg_replication_slots
     WHERE slot_name = current_setting('pgsync.cleanup_slot') AND active;
    IF in_use IS NOT NULL THEN
        RAISE EXCEPTION 'Replication slot % is still in use (process %): delete or stop the connector first',
            current_setting('pgsync.cleanup_slot'), in_use;
    END IF;
END
$$;

SELECT pg_catalog.pg_drop_replication_slot(slot_name) FROM pg_catalog.pg_replication_slots
 WHERE slot_name = current_setting('pgsync.cleanup_slot');

DROP PUBLICATION IF EXISTS :"publication";

DO $$
BEGIN
    IF to_regclass('pgsync.selection') IS NOT NULL THEN
        DELETE FROM pgsync.selection WHERE slot_name = current_setting('pgsync.cleanup_slot');
    END IF;
    -- the DDL capture stops fitting tables to the publication (joining it, replica identity)
    IF to_regclass('pgsync.capture_publications') IS NOT NULL THEN
        DELETE FROM pgsync.capture_publications WHERE publication = current_setting('pgsync.cleanup_publication');
    END IF;
END
$$;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_replication_slots
                    WHERE database = current_database() AND slot_name LIKE 'pgsync\_%') THEN
        DROP EVENT TRIGGER IF EXISTS pgsync_ddl_command_end;
        DROP EVENT TRIGGER IF EXISTS pgsync_ddl_sql_drop;
        DROP SCHEMA IF EXISTS pgsync CASCADE;
    END IF;
END
$$;
