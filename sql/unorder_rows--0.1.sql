-- unorder_rows 0.1: SQL-level objects.  Perturbation itself needs only the
-- library (LOAD, session_preload_libraries or shared_preload_libraries).
\echo Use "CREATE EXTENSION unorder_rows" to load this file. \quit

CREATE FUNCTION unorder_rows_version() RETURNS text
AS 'MODULE_PATHNAME', 'unorder_rows_version'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION unorder_rows_version() IS 'version of the loaded unorder_rows library';
