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

-- §4.8 a level that returns at most one row whatever the data keeps PostgreSQL's plan (no node
-- at all: a primary-key lookup costs nothing); where rows can be several, they still move.
CREATE TABLE accounts (id int PRIMARY KEY, region int, email text, balance int, UNIQUE (region, email));
INSERT INTO accounts SELECT g, g % 3, 'u' || (g / 3) || '@x', g * 7 % 11 FROM generate_series(1, 30) g;
CREATE TABLE tags (name text, live bool);
CREATE UNIQUE INDEX tags_live_name ON tags (name) WHERE live;
INSERT INTO tags VALUES ('x', true), ('x', false), ('x', false), ('y', true);
CREATE TABLE handles (h int UNIQUE DEFERRABLE INITIALLY DEFERRED, n int);
INSERT INTO handles VALUES (1, 1), (2, 2);
CREATE TABLE parent_rows (id int PRIMARY KEY, v text);
CREATE TABLE child_rows () INHERITS (parent_rows);
INSERT INTO parent_rows VALUES (1, 'parent'), (2, 'p2');
INSERT INTO child_rows VALUES (1, 'child'), (1, 'child again');
ANALYZE accounts, tags, handles, parent_rows, child_rows;
PREPARE by_id(int) AS SELECT * FROM accounts WHERE id = $1;
SET plan_cache_mode = force_generic_plan;
SELECT q AS at_most_one_row, has_node(q) AS node
FROM unnest(ARRAY[
    'SELECT * FROM accounts WHERE id = 7',
    'SELECT balance FROM accounts WHERE region = 1 AND email = ''u2@x''',
    'SELECT array_agg(email), count(*) FROM accounts WHERE id = 7',
    'SELECT a.email, b.email FROM accounts a JOIN accounts b ON b.id = a.balance WHERE a.id = 7 AND b.id = 3',
    'SELECT a.email, b.email FROM accounts a LEFT JOIN accounts b ON b.id = 3 WHERE a.id = 7',
    'SELECT * FROM accounts WHERE id = 7 FOR UPDATE',
    'SELECT * FROM ONLY parent_rows WHERE id = 1',
    'EXECUTE by_id(7)',
    'UPDATE accounts SET balance = balance + 1 WHERE id = 7 RETURNING *',
    'DELETE FROM accounts WHERE id = 7 RETURNING *']) q;
RESET plan_cache_mode;
-- the same rows as off
SELECT * FROM preserved('SELECT * FROM accounts WHERE id = 7');
SELECT * FROM preserved('SELECT a.email, b.email FROM accounts a LEFT JOIN accounts b ON b.id = 3 WHERE a.id = 7');
-- several rows: perturbed as ever
SELECT q AS may_be_several_rows, has_node(q) AS node, p.*
FROM unnest(ARRAY[
    'SELECT * FROM accounts WHERE id IN (7, 8)',
    'SELECT * FROM accounts WHERE region = 1',
    'SELECT * FROM accounts a JOIN accounts b ON b.region = a.region WHERE a.id = 7',
    'SELECT * FROM tags WHERE name = ''x''',
    'SELECT * FROM parent_rows WHERE id = 1',
    'SELECT region, count(*) FROM accounts WHERE id = 7 GROUP BY ROLLUP (region)']) q,
    LATERAL perturbed(q) p;
-- a deferrable unique constraint may hold duplicates until commit
BEGIN;
INSERT INTO handles VALUES (1, 3);
SELECT has_node('SELECT n FROM handles WHERE h = 1') AS node, * FROM perturbed('SELECT n FROM handles WHERE h = 1');
ROLLBACK;
DEALLOCATE by_id;
DROP TABLE accounts, tags, handles, parent_rows, child_rows;
DROP TABLE nums, objs;
