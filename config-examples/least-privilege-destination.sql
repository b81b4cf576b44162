-- The sink connector's role without superuser rights. Run as a superuser in the destination database, e.g.
--   psql -d shop -v ON_ERROR_STOP=1 -v password=... -f least-privilege-destination.sql
-- The sink creates schema pgsync (its offsets and status) and the schemas and tables it syncs, and owns them, so it
-- may also apply DDL to them; its validation asks for CREATE on the database. Tables of schema public, which every
-- database has and in which only its owner may create since PostgreSQL 15, also need USAGE and CREATE on schema
-- public for the role.

CREATE ROLE pgsync_sink LOGIN PASSWORD :'password';
GRANT CREATE ON DATABASE :"DBNAME" TO pgsync_sink;

-- Writing as a replica (session_replication_role = replica) keeps destination triggers and foreign keys from acting
-- on replicated rows a second time. PostgreSQL 15 or newer; the sink's validation asks for it.
GRANT SET ON PARAMETER session_replication_role TO pgsync_sink;
