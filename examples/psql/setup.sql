-- Shared set-up of the psql example: the data, and a tiny TAP harness.
-- Everything is temporary: each run starts from the same state.
\set ON_ERROR_STOP 1
\set QUIET 1
\pset tuples_only on
\pset format unaligned

CREATE TEMP TABLE users (id serial PRIMARY KEY, name text NOT NULL, team text NOT NULL);
INSERT INTO users (name, team)
VALUES ('alice', 'red'), ('bob', 'red'), ('carol', 'blue'), ('dave', 'blue'), ('erin', 'green');
CREATE TEMP TABLE audit (id serial PRIMARY KEY, name text NOT NULL);

-- One row per check: `INSERT INTO tap (ok, description) SELECT <condition>, '<what>';`
CREATE TEMP TABLE tap (n serial, ok boolean NOT NULL, description text NOT NULL);
CREATE FUNCTION pg_temp.fail(msg text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%', msg;
END
$$;

SELECT format('# unorder_rows: %s, seed %s',
              coalesce(current_setting('unorder_rows', true), 'not loaded'),
              coalesce(current_setting('unorder_rows.seed', true), '-'));
