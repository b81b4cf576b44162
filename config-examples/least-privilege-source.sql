-- The source connector's role without superuser rights. Run as a superuser in the source database, e.g.
--   psql -d shop -v ON_ERROR_STOP=1 -v schema=app -v tables='app.customers, app.orders' \
--        -v publication=pgsync_shop_source -v password=... -f least-privilege-source.sql
-- schema: the schema of the synced tables (owned by the application's role); tables: the synced tables, as in
-- table.include.list; publication: pgsync_<connector name>, or the connector's publication.name.
-- Then either set ddl.capture.enabled=false in the connector, or install the DDL capture as a superuser first
-- (only a superuser may create event triggers), from the plugin archive:
--   unzip -p <plugin dir>/lib/pgsync-source-connector-<version>.jar io/pgsync/source/ddl/capture.sql \
--     | psql -d shop -v ON_ERROR_STOP=1
-- and run this script after it (it then lets the role create its tables in the capture's schema pgsync).

-- Logical replication from a slot, and the connector's own connections.
CREATE ROLE pgsync_source LOGIN REPLICATION PASSWORD :'password';

-- Owning the publication (below) and creating schema pgsync (heartbeat, signal and selection tables) need CREATE on
-- the database; when the DDL capture made schema pgsync, the role creates its tables in it.
GRANT CREATE ON DATABASE :"DBNAME" TO pgsync_source;
SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = 'pgsync') AS pgsync_schema_exists \gset
\if :pgsync_schema_exists
GRANT USAGE, CREATE ON SCHEMA pgsync TO pgsync_source;
\endif

-- The full sync (COPY in the slot's snapshot), the schema sync and the sequence positions read the tables and
-- sequences (the catalog is readable by every role). Tables created later need the same grants (or
-- ALTER DEFAULT PRIVILEGES FOR ROLE <owner> IN SCHEMA ... GRANT SELECT ON TABLES TO pgsync_source).
GRANT USAGE ON SCHEMA :"schema" TO pgsync_source;
GRANT SELECT ON ALL TABLES IN SCHEMA :"schema" TO pgsync_source;
GRANT SELECT ON ALL SEQUENCES IN SCHEMA :"schema" TO pgsync_source;

-- Only a table's owner (or a superuser) may add it to a publication: a superuser creates the publication of the
-- application's tables, with the DDL capture's table pgsync.ddl_log (through which DDL reaches the connector) when
-- the capture is installed, and gives it to the connector's role, which adds its own signal and heartbeat tables.
CREATE PUBLICATION :"publication" FOR TABLE :tables;
SELECT pg_catalog.to_regclass('pgsync.ddl_log') IS NOT NULL AS ddl_capture_installed \gset
\if :ddl_capture_installed
ALTER PUBLICATION :"publication" ADD TABLE pgsync.ddl_log;
\endif
ALTER PUBLICATION :"publication" OWNER TO pgsync_source;
