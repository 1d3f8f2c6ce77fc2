-- Settings in every scope PostgreSQL offers (docs/order-contract.md §2, §6): SET LOCAL, SET
-- inside a transaction that rolls back, a function's SET clause, set_config,
-- RESET, savepoints.  Each change must reach the row order at once, and its
-- revert too (also for prepared statements and cached PL/pgSQL plans), and
-- nothing may leak out of its scope.  settings.sql covers the defaults, the
-- two names of the switch and most bad values; the rest of them is here.
LOAD 'unorder_rows';

-- 50 rows in insertion order; the order with the extension off, read once
CREATE TABLE ss AS SELECT g AS id FROM generate_series(1, 50) g;
CREATE TABLE ss_baseline AS SELECT rows_of('SELECT id FROM ss') AS r;
-- whether the current settings change the order of a plain scan
CREATE FUNCTION ss_changed() RETURNS bool LANGUAGE sql
AS $$ SELECT rows_of('SELECT id FROM ss') IS DISTINCT FROM (SELECT r FROM ss_baseline) $$;
-- the order under the current settings, to compare scopes with each other
CREATE FUNCTION ss_order() RETURNS text[] LANGUAGE sql AS $$ SELECT rows_of('SELECT id FROM ss') $$;
-- the same through a cached plan: a PL/pgSQL function with static SQL
CREATE FUNCTION ss_cached_changed() RETURNS bool LANGUAGE plpgsql AS $$
BEGIN
    RETURN (SELECT array_agg(id) FROM ss) <> (SELECT array_agg(id ORDER BY id) FROM ss);
END $$;
PREPARE ss_prepared AS SELECT array_agg(id) <> (SELECT array_agg(id ORDER BY id) FROM ss) AS changed FROM ss;

SHOW unorder_rows;
SELECT ss_changed() AS changed, ss_cached_changed() AS cached_changed;

-- SET LOCAL: in force until the transaction ends, by COMMIT or ROLLBACK
BEGIN;
SET LOCAL unorder_rows.enabled = on;
SHOW unorder_rows;
SELECT ss_changed() AS changed, ss_cached_changed() AS cached_changed;
EXECUTE ss_prepared;
COMMIT;
SHOW unorder_rows;
SELECT ss_changed() AS changed, ss_cached_changed() AS cached_changed;
EXECUTE ss_prepared;
BEGIN;
SET LOCAL unorder_rows = on;
SELECT ss_changed() AS changed, ss_cached_changed() AS cached_changed;
EXECUTE ss_prepared;
ROLLBACK;
SHOW unorder_rows;
SELECT ss_changed() AS changed, ss_cached_changed() AS cached_changed;
EXECUTE ss_prepared;
-- SET LOCAL of the seed and mode end with the transaction too
SET unorder_rows = on;
SET unorder_rows.seed = 11;
CREATE TEMP TABLE seed_11 AS SELECT ss_order() AS r;
BEGIN;
SET LOCAL unorder_rows.seed = 12;
SHOW unorder_rows.seed;
SELECT ss_order() <> r AS other_order_under_seed_12 FROM seed_11;
SET LOCAL unorder_rows.mode = reverse;
SELECT ss_order() = ARRAY(SELECT x FROM unnest((SELECT r FROM ss_baseline)) WITH ORDINALITY u(x, n)
                          ORDER BY n DESC) AS reversed;
COMMIT;
SHOW unorder_rows.seed;
SHOW unorder_rows.mode;
SELECT ss_order() = r AS seed_11_order_again FROM seed_11;
RESET unorder_rows.seed;
RESET unorder_rows;

-- SET (not LOCAL) in a transaction: kept by COMMIT, undone by ROLLBACK
BEGIN;
SET unorder_rows.enabled = on;
SELECT ss_changed() AS changed;
ROLLBACK;
SHOW unorder_rows.enabled;
SELECT ss_changed() AS changed, ss_cached_changed() AS cached_changed;
EXECUTE ss_prepared;
BEGIN;
SET unorder_rows.enabled = on;
COMMIT;
SHOW unorder_rows.enabled;
SELECT ss_changed() AS changed;
-- and undone by a rollback from an error
BEGIN;
SET unorder_rows.enabled = off;
SELECT 1 / 0;
ROLLBACK;
SHOW unorder_rows.enabled;
SELECT ss_changed() AS changed;
RESET unorder_rows.enabled;
SHOW unorder_rows.enabled;
SELECT ss_changed() AS changed;

-- SAVEPOINT: ROLLBACK TO restores the value before it, RELEASE keeps the new one
BEGIN;
SET LOCAL unorder_rows = on;
SAVEPOINT s1;
SET LOCAL unorder_rows = off;
SELECT ss_changed() AS changed;
ROLLBACK TO SAVEPOINT s1;
SHOW unorder_rows;
SELECT ss_changed() AS changed, ss_cached_changed() AS cached_changed;
EXECUTE ss_prepared;
SAVEPOINT s2;
SET unorder_rows.seed = 11;
RELEASE SAVEPOINT s2;
SELECT ss_order() = r AS seed_11_order FROM seed_11;
SAVEPOINT s3;
SET unorder_rows.seed = 12;
ROLLBACK TO SAVEPOINT s3;
SELECT ss_order() = r AS seed_11_order_after_rollback_to FROM seed_11;
COMMIT;
-- the plain SET of the seed survives the commit, the SET LOCAL switch does not
SHOW unorder_rows;
SHOW unorder_rows.seed;
RESET unorder_rows.seed;

-- a function's SET clause applies during the call only
CREATE FUNCTION ss_changed_on() RETURNS bool LANGUAGE sql
    SET unorder_rows.enabled = on
AS $$ SELECT ss_changed() $$;
CREATE FUNCTION ss_order_seed_11() RETURNS text[] LANGUAGE sql
    SET unorder_rows.enabled = on SET unorder_rows.seed = 11
AS $$ SELECT ss_order() $$;
CREATE FUNCTION ss_seed_inside() RETURNS text LANGUAGE sql
    SET unorder_rows.seed = 4242
AS $$ SELECT current_setting('unorder_rows.seed') $$;
CREATE FUNCTION ss_changed_off() RETURNS bool LANGUAGE sql
    SET unorder_rows = off
AS $$ SELECT ss_changed() $$;
SELECT ss_changed_on() AS changed_inside, ss_changed() AS changed_outside;
SHOW unorder_rows;
-- the same seed gives the same order inside the function as outside (docs/order-contract.md §5.3)
SELECT ss_order_seed_11() = r AS same_order_as_seed_11 FROM seed_11;
SELECT ss_seed_inside() AS seed_inside, current_setting('unorder_rows.seed') <> '4242' AS other_seed_outside;
-- a function can also turn it off for its own statements
SET unorder_rows = on;
SELECT ss_changed_off() AS changed_inside, ss_changed() AS changed_outside;
SHOW unorder_rows;
-- the session's short name outranks a function's dotted one (RESET falls back to it)
SET unorder_rows = off;
SELECT ss_changed_on() AS changed_inside;
RESET unorder_rows;
SELECT ss_changed_on() AS changed_inside;
-- set_config: is_local = true lasts for the transaction, false for the session
BEGIN;
SELECT set_config('unorder_rows', 'on', true);
SELECT ss_changed() AS changed;
COMMIT;
SELECT current_setting('unorder_rows') AS after_commit, ss_changed() AS changed;
SELECT set_config('unorder_rows.enabled', 'on', false);
SELECT ss_changed() AS changed, ss_cached_changed() AS cached_changed;
EXECUTE ss_prepared;
SELECT set_config('unorder_rows.seed', '11', false);
SELECT ss_order() = r AS seed_11_order FROM seed_11;
-- distinct seeds, distinct orders; each seed again gives its order
CREATE FUNCTION ss_order_with_seed(seed int) RETURNS text[] LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('unorder_rows.seed', seed::text, false);
    RETURN ss_order();
END $$;
CREATE TEMP TABLE seed_orders AS SELECT s, ss_order_with_seed(s) AS r FROM generate_series(1, 6) s;
SELECT count(DISTINCT r) AS distinct_orders FROM seed_orders;
SELECT bool_and(ss_order_with_seed(s) = r) AS each_seed_reproduces FROM seed_orders;

-- RESET and RESET ALL
SET unorder_rows.seed = 5;
RESET unorder_rows.seed;
SELECT current_setting('unorder_rows.seed')::int > 0 AS drawn_seed_again;
SET unorder_rows = on;
SET unorder_rows.mode = reverse;
SET unorder_rows.perturb_ties = off;
RESET ALL;
SHOW unorder_rows;
SHOW unorder_rows.enabled;
SHOW unorder_rows.mode;
SHOW unorder_rows.perturb_ties;
SELECT ss_changed() AS changed, ss_cached_changed() AS cached_changed;
EXECUTE ss_prepared;

-- bad values, in the settings and the ways settings.sql does not try
SET unorder_rows.report = loud;
SET unorder_rows.perturb_subquery_order = 2;
SET unorder_rows.perturb_values_returning = maybe;
SET unorder_rows.perturb_function_rows = 'yes please';
SET unorder_rows.perturb_lock_order = '';
SELECT set_config('unorder_rows.seed', '-5', false);
SELECT set_config('unorder_rows', 'sometimes', true);
BEGIN;
SET LOCAL unorder_rows.mode = backwards;
ROLLBACK;
CREATE FUNCTION ss_bad() RETURNS int LANGUAGE sql SET unorder_rows.seed = 'x' AS $$ SELECT 1 $$;
ALTER FUNCTION ss_order() SET unorder_rows.mode = sideways;
-- nothing changed
SELECT name, setting FROM pg_settings WHERE name LIKE 'unorder_rows%' AND name <> 'unorder_rows.seed' ORDER BY name;
SELECT current_setting('unorder_rows.seed')::int > 0 AS drawn_seed;
SELECT proconfig FROM pg_proc WHERE proname = 'ss_order';

DEALLOCATE ss_prepared;
DROP FUNCTION ss_changed(), ss_order(), ss_cached_changed(), ss_changed_on(), ss_order_seed_11(),
    ss_seed_inside(), ss_changed_off(), ss_order_with_seed(int);
DROP TABLE ss, ss_baseline;
