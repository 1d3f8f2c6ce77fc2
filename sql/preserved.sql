-- docs/order-contract.md §4: what is never changed by default, and the settings that perturb
-- §4.2-§4.5 anyway for a stricter run.
LOAD 'unorder_rows';
CREATE TABLE nums AS SELECT g AS id, g % 4 AS k FROM generate_series(1, 24) g;
CREATE INDEX ON nums (id);
ANALYZE nums;

-- §4.1 an ORDER BY without ties is kept exactly
SELECT * FROM preserved('SELECT id FROM nums ORDER BY id DESC');
SELECT * FROM preserved('SELECT id FROM nums ORDER BY k, id LIMIT 7');

-- §4.2 a subquery or CTE with its own ORDER BY, read without re-sorting
SELECT * FROM preserved('SELECT array_agg(id) FROM (SELECT id FROM nums ORDER BY id DESC) s');
SELECT * FROM preserved('SELECT id FROM (SELECT id FROM nums ORDER BY id DESC) s');
SELECT * FROM preserved('WITH o AS MATERIALIZED (SELECT id FROM nums ORDER BY id DESC) SELECT string_agg(id::text, '','') FROM o');
SELECT * FROM preserved('SELECT ARRAY(SELECT id FROM nums ORDER BY id DESC)');
SET unorder_rows.perturb_subquery_order = on;
SELECT runs, every_run_changed FROM perturbed('SELECT array_agg(id) FROM (SELECT id FROM nums ORDER BY id DESC) s');
RESET unorder_rows.perturb_subquery_order;

-- §4.3 INSERT ... VALUES RETURNING keeps the VALUES order (ORMs map keys by position)
CREATE TABLE objs (id serial, name text);
SELECT * FROM preserved('INSERT INTO objs (name) VALUES (''a''), (''b''), (''c''), (''d'') RETURNING name');
SET unorder_rows.perturb_values_returning = on;
SELECT * FROM perturbed('INSERT INTO objs (name) VALUES (''a''), (''b''), (''c''), (''d'') RETURNING name');
RESET unorder_rows.perturb_values_returning;

-- §4.4 rows of set-returning functions and row constructors
SELECT * FROM preserved('SELECT * FROM unnest(ARRAY[3, 1, 2, 5, 4])');
SELECT * FROM preserved('SELECT * FROM unnest(ARRAY[3, 1, 2]) WITH ORDINALITY');
SELECT * FROM preserved('SELECT * FROM generate_series(1, 10)');
SELECT * FROM preserved('VALUES (3), (1), (2)');
SELECT * FROM preserved('SELECT * FROM json_array_elements(''[3, 1, 2]'')');
SELECT * FROM preserved('SELECT array_agg(x) FROM unnest(ARRAY[3, 1, 2]) x');
-- an SRF in the target list keeps each row's elements in order (the rows move)
SET unorder_rows = on;
SELECT bool_and(e = expected) AS each_rows_elements_in_order
FROM (SELECT split_part(trim(r, '()'), ',', 2)::int AS e,
             row_number() OVER (PARTITION BY split_part(trim(r, '()'), ',', 1) ORDER BY n) AS expected
      FROM unnest(rows_of('SELECT id, generate_series(1, 3) FROM nums')) WITH ORDINALITY u(r, n)) s;
SELECT * FROM perturbed('SELECT id, generate_series(1, 3) FROM nums');
RESET unorder_rows;
SET unorder_rows.perturb_function_rows = on;
SELECT * FROM perturbed('SELECT * FROM unnest(ARRAY[3, 1, 2, 5, 4])');
RESET unorder_rows.perturb_function_rows;

-- §4.5 FOR UPDATE without LIMIT locks in PostgreSQL's order; its result still moves
SET unorder_rows = on;
EXPLAIN (COSTS OFF) SELECT id FROM nums FOR UPDATE;
SET unorder_rows.perturb_lock_order = on;
EXPLAIN (COSTS OFF) SELECT id FROM nums FOR UPDATE;
RESET unorder_rows.perturb_lock_order;
RESET unorder_rows;
SELECT * FROM perturbed('SELECT id FROM nums FOR UPDATE');

-- §4.6 a LIMIT over a recursive CTE or an unbounded function still stops early
SET statement_timeout = '10s';
SET unorder_rows = on;
WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM (SELECT n FROM r LIMIT 5) s;
SELECT count(*) FROM (SELECT generate_series(1, 1000000000000) LIMIT 3) s;
SELECT count(*) FROM (SELECT id, generate_series(1, 1000000000000) FROM nums LIMIT 4) s;
RESET unorder_rows;
RESET statement_timeout;
DROP TABLE nums, objs;
