-- docs/order-contract.md §3.6: the processing order of INSERT ... SELECT, UPDATE, DELETE and
-- MERGE is changed: serial assignment, trigger firing order, RETURNING order,
-- and which source row wins in UPDATE ... FROM.
LOAD 'unorder_rows';
CREATE TABLE src AS SELECT g AS id FROM generate_series(1, 20) g;
CREATE TABLE dst (serial_no serial, id int);
CREATE TABLE fired (n serial, id int);
CREATE FUNCTION log_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO fired (id) VALUES (NEW.id);
    RETURN NEW;
END $$;
CREATE TRIGGER dst_log BEFORE INSERT OR UPDATE ON dst FOR EACH ROW EXECUTE FUNCTION log_row();

-- serial values are assigned in the perturbed order; triggers fire in it
SET unorder_rows = on;
INSERT INTO dst (id) SELECT id FROM src;
SELECT array_agg(id ORDER BY serial_no) <> array_agg(id ORDER BY id) AS serials_follow_perturbed_order,
       count(*) AS rows
FROM dst;
SELECT array_agg(id ORDER BY n) <> array_agg(id ORDER BY id) AS triggers_fired_in_perturbed_order
FROM fired;
-- RETURNING of INSERT ... SELECT, UPDATE, DELETE
SELECT * FROM perturbed('INSERT INTO dst (id) SELECT id FROM src RETURNING id');
SELECT * FROM perturbed('UPDATE dst SET id = id WHERE serial_no <= 20 RETURNING serial_no');
CREATE TABLE victims AS SELECT g AS id FROM generate_series(1, 10) g;
SELECT count(*) AS runs, bool_and(order_changed) AS order_changed
FROM perturbation_check('WITH d AS (DELETE FROM victims RETURNING id) SELECT id FROM d');
SET unorder_rows = on;
EXPLAIN (COSTS OFF) UPDATE dst SET id = id;
RESET unorder_rows;

-- Concurrent sessions running the same UPDATE or DELETE must lock its rows in
-- one order (docs/order-contract.md §3.6, §5.5): the processing order follows a hash of each
-- row's key, the same in every session whatever seed the session drew, so two
-- sessions never deadlock where they would not with the extension off.  Three
-- sessions, three drawn seeds, one processing order, not the table's.
CREATE TABLE session_orders (session_seed text, processing_order text);
SET unorder_rows = on;
INSERT INTO session_orders SELECT current_setting('unorder_rows.seed'),
    array_to_string(rows_of_rolled_back('UPDATE dst SET id = id WHERE serial_no <= 20 RETURNING serial_no'), ',');
\c
LOAD 'unorder_rows';
SET unorder_rows = on;
INSERT INTO session_orders SELECT current_setting('unorder_rows.seed'),
    array_to_string(rows_of_rolled_back('UPDATE dst SET id = id WHERE serial_no <= 20 RETURNING serial_no'), ',');
\c
LOAD 'unorder_rows';
SET unorder_rows = on;
INSERT INTO session_orders SELECT current_setting('unorder_rows.seed'),
    array_to_string(rows_of_rolled_back('UPDATE dst SET id = id WHERE serial_no <= 20 RETURNING serial_no'), ',');
SET unorder_rows = off;
SELECT count(DISTINCT session_seed) AS drawn_seeds,
       count(DISTINCT processing_order) AS processing_orders,
       bool_and(processing_order <> array_to_string(rows_of_rolled_back(
           'UPDATE dst SET id = id WHERE serial_no <= 20 RETURNING serial_no'), ',')) AS changed_from_off
FROM session_orders;
DROP TABLE session_orders;
SET unorder_rows = on;
-- the order is the statement's: a configured seed, which every session
-- shares, gives another one; INSERT ... SELECT into a table without a unique key
-- (insert_keyed.sql) keeps the session's seeded shuffle
SELECT * FROM perturbed('UPDATE dst SET id = id RETURNING serial_no');
SELECT distinct_orders('UPDATE dst SET id = id RETURNING serial_no') AS orders_over_8_seeds;
SELECT distinct_orders('INSERT INTO dst (id) SELECT id FROM src RETURNING id') AS orders_over_8_seeds;
-- with a primary key, its hash orders the rows
CREATE TABLE keyed (id int PRIMARY KEY, val int);
INSERT INTO keyed SELECT g, 0 FROM generate_series(1, 20) g;
EXPLAIN (COSTS OFF) UPDATE keyed SET val = val + 1;
SELECT * FROM perturbed('UPDATE keyed SET val = val + 1 RETURNING id');
-- different statements over the same rows lock them in one order too: the order's seed names
-- the table, not the statement (row_key.hpp).  Two UPDATEs, a DELETE and an UPDATE ... FROM.
ALTER TABLE keyed ADD COLUMN other int DEFAULT 0;
SET unorder_rows = off;
CREATE TEMP TABLE plain_order AS
  SELECT array_to_string(rows_of_rolled_back('UPDATE keyed SET val = val + 1 RETURNING id'), ',') AS o;
SET unorder_rows = on;
SELECT count(DISTINCT o) AS processing_orders, bool_and(o <> (SELECT o FROM plain_order)) AS not_the_table_order
FROM (VALUES
  (array_to_string(rows_of_rolled_back('UPDATE keyed SET val = val + 1 RETURNING id'), ',')),
  (array_to_string(rows_of_rolled_back('UPDATE keyed SET other = 1 WHERE val >= 0 RETURNING id'), ',')),
  (array_to_string(rows_of_rolled_back('DELETE FROM keyed RETURNING id'), ',')),
  (array_to_string(rows_of_rolled_back(
     'UPDATE keyed k SET val = 2 FROM generate_series(1, 20) s WHERE s = k.id RETURNING k.id'), ','))) v(o);
DROP TABLE keyed, plain_order;
RESET unorder_rows;

-- UPDATE ... FROM with several matching source rows: the winner changes
CREATE TABLE target (id int, val text);
INSERT INTO target VALUES (1, 'none');
CREATE TABLE candidates (id int, val text);
INSERT INTO candidates SELECT 1, 'candidate ' || g FROM generate_series(1, 6) g;
CREATE FUNCTION update_winner() RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    UPDATE target t SET val = c.val FROM candidates c WHERE t.id = c.id;
    RETURN (SELECT val FROM target);
END $$;
SET unorder_rows = off;
CREATE TEMP TABLE baseline_winner AS SELECT update_winner() AS winner;
SET unorder_rows = on;
SELECT count(*) FILTER (WHERE w.winner <> b.winner) AS runs_with_another_winner, count(*) AS runs
FROM (SELECT set_config('unorder_rows.seed', s::text, false), update_winner() AS winner
      FROM generate_series(1, 6) s) w, baseline_winner b;
RESET unorder_rows; RESET unorder_rows.seed;
DROP TABLE src, dst, fired, victims, target, candidates;
DROP FUNCTION log_row(), update_winner();

-- UPDATE ... FROM, DELETE ... USING (docs/order-contract.md §3.6, §5.5): a join
-- stands between the target's scan and the rows' processing.  Each row is
-- keyed on the target row it will change, fetched by the TID the join carries
-- for ModifyTable, so the order is again the target rows' key order: the same
-- in every session, whatever the join's order.
CREATE TABLE accounts (id int PRIMARY KEY, val int);
INSERT INTO accounts SELECT g, 0 FROM generate_series(1, 30) g;
CREATE TABLE picks (id int, amount int);
INSERT INTO picks SELECT g, g * 10 FROM generate_series(1, 30) g;
ANALYZE accounts, picks;
-- The plan of a statement (EXPLAIN's JSON), and the Permutation of the node
-- below its ModifyTable.
CREATE FUNCTION dml_plan(query text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
    plan json;
BEGIN
    EXECUTE 'EXPLAIN (FORMAT JSON, COSTS OFF) ' || query INTO plan;
    RETURN plan;
END $$;
CREATE FUNCTION dml_permutation(query text) RETURNS text
LANGUAGE sql AS $$ SELECT dml_plan(query)->0->'Plan'->'Plans'->0->>'Permutation' $$;
-- The rows of a table (a query) after a statement ran, sorted; rolled back.
CREATE FUNCTION contents_after(statement text, contents text) RETURNS text[]
LANGUAGE plpgsql AS $$
DECLARE
    result text[];
BEGIN
    BEGIN
        EXECUTE statement;
        result := sorted(rows_of(contents));
        RAISE EXCEPTION USING ERRCODE = 'UR001';
    EXCEPTION WHEN SQLSTATE 'UR001' THEN
        NULL;
    END;
    RETURN result;
END $$;
SET unorder_rows = on;
SET enable_mergejoin = off;
SET enable_nestloop = off;
EXPLAIN (COSTS OFF) UPDATE accounts a SET val = a.val + p.amount FROM picks p WHERE a.id = p.id;
RESET enable_mergejoin;
RESET enable_nestloop;
SELECT dml_permutation('DELETE FROM accounts a USING picks p WHERE a.id = p.id') AS delete_using,
       dml_permutation('UPDATE accounts SET val = 1 WHERE id IN (SELECT id FROM picks)') AS semi_join;
-- the same rows and contents as with the extension off
SELECT * FROM perturbed('UPDATE accounts a SET val = a.val + p.amount FROM picks p WHERE a.id = p.id
                         RETURNING a.id, a.val');
SELECT * FROM perturbed('DELETE FROM accounts a USING picks p WHERE a.id = p.id AND p.amount % 30 = 0
                         RETURNING a.id');
CREATE FUNCTION contents_each_seed(statement text) RETURNS TABLE (seed int, same_contents bool)
LANGUAGE plpgsql AS $$
DECLARE
    baseline text[];
BEGIN
    PERFORM set_config('unorder_rows', 'off', true);
    baseline := contents_after(statement, 'SELECT * FROM accounts');
    PERFORM set_config('unorder_rows', 'on', true);
    FOREACH seed IN ARRAY '{1,2,3}'::int[] LOOP
        PERFORM set_config('unorder_rows.seed', seed::text, true);
        same_contents := contents_after(statement, 'SELECT * FROM accounts') = baseline;
        RETURN NEXT;
    END LOOP;
    PERFORM set_config('unorder_rows', 'on', true);
END $$;
SELECT bool_and(same_contents) AS same_contents, count(*) AS runs
FROM contents_each_seed('UPDATE accounts a SET val = a.val + p.amount FROM picks p WHERE a.id = p.id');
SELECT bool_and(same_contents) AS same_contents, count(*) AS runs
FROM contents_each_seed('DELETE FROM accounts a USING picks p WHERE a.id = p.id AND p.amount > 150');

-- The processing order is the target rows' key order, computed independently
-- by the plain scan's path: one statement text (one statement seed) through
-- two views of the same name, one a plain scan of accounts, the other a join
-- with picks; both orders are the same, and not the order of the table.
CREATE SCHEMA plain_scan;
CREATE SCHEMA through_join;
CREATE VIEW plain_scan.picked AS SELECT * FROM accounts;
CREATE VIEW through_join.picked AS SELECT * FROM accounts WHERE id IN (SELECT id FROM picks);
SET search_path = plain_scan, public;
SELECT dml_permutation('UPDATE picked SET val = val + 1') AS plain_scan;
CREATE TEMP TABLE key_order (plain_scan text[], through_join text[], nested_loop text[]);
INSERT INTO key_order (plain_scan)
SELECT rows_of_rolled_back('UPDATE picked SET val = val + 1 RETURNING id');
SET search_path = through_join, public;
SELECT dml_permutation('UPDATE picked SET val = val + 1') AS through_join;
UPDATE key_order SET through_join = rows_of_rolled_back('UPDATE picked SET val = val + 1 RETURNING id');
-- ... whatever the join's method
SET enable_hashjoin = off;
SET enable_mergejoin = off;
UPDATE key_order SET nested_loop = rows_of_rolled_back('UPDATE picked SET val = val + 1 RETURNING id');
RESET enable_hashjoin;
RESET enable_mergejoin;
RESET search_path;
SELECT plain_scan = through_join AS join_in_key_order, plain_scan = nested_loop AS nested_loop_in_key_order,
       plain_scan <> sorted(plain_scan) AS not_the_table_order, cardinality(plain_scan) AS rows
FROM key_order;
-- ... whichever rows the join picks: a key order orders any subset alike
DELETE FROM picks WHERE id % 3 = 0;
SET search_path = through_join, public;
SELECT array(SELECT x FROM unnest(plain_scan) x WHERE trim(x, '()')::int % 3 <> 0)
           = rows_of_rolled_back('UPDATE picked SET val = val + 1 RETURNING id') AS subset_in_key_order
FROM key_order;
RESET search_path;
INSERT INTO picks SELECT g, g * 10 FROM generate_series(3, 30, 3) g;
-- ... wherever the rows sit: rows 1 to 15 moved after the others
SET unorder_rows = off;
UPDATE accounts SET val = val WHERE id <= 15;
SET unorder_rows = on;
SET search_path = through_join, public;
SELECT plain_scan = rows_of_rolled_back('UPDATE picked SET val = val + 1 RETURNING id') AS moved_rows_in_key_order
FROM key_order;
RESET search_path;
DROP VIEW plain_scan.picked, through_join.picked;
DROP SCHEMA plain_scan, through_join;

-- Several matches: every session processes the target rows in one order, and
-- the source row that wins each (the first of its matches) is drawn by the
-- session's seed from all but the one that wins without the extension.
CREATE TABLE offers (id int, amount int);
INSERT INTO offers SELECT g % 10 + 1, g FROM generate_series(1, 30) g;
CREATE TABLE session_winners (session_seed text, target_order text, winners text[]);
CREATE FUNCTION record_winners() RETURNS void LANGUAGE sql AS $$
    INSERT INTO session_winners
    SELECT current_setting('unorder_rows.seed'),
           array_to_string(array(SELECT split_part(trim(r, '()'), ',', 1) FROM unnest(w) r), ','), w
    FROM (SELECT rows_of_rolled_back('UPDATE accounts a SET val = o.amount FROM offers o
                                      WHERE a.id = o.id RETURNING a.id, a.val') AS w) x
$$;
SET unorder_rows = on;
SELECT record_winners();
\c
LOAD 'unorder_rows';
SET unorder_rows = on;
SELECT record_winners();
\c
LOAD 'unorder_rows';
SET unorder_rows = on;
SELECT record_winners();
SET unorder_rows = off;
SELECT count(DISTINCT session_seed) AS drawn_seeds, count(DISTINCT target_order) AS target_orders,
       count(DISTINCT winners) > 1 AS winners_vary, bool_and(NOT (winners && off_winners)) AS never_the_first_match
FROM session_winners,
     (SELECT rows_of_rolled_back('UPDATE accounts a SET val = o.amount FROM offers o
                                  WHERE a.id = o.id RETURNING a.id, a.val') AS off_winners) off;
-- An inherited target: the rows of each child are keyed (PostgreSQL 13 plans
-- each child as a query level of its own, under the parent's ModifyTable; its
-- rows are a DML source, not a query result).
CREATE TABLE ledger (id int PRIMARY KEY, val int);
CREATE TABLE ledger_archive (PRIMARY KEY (id)) INHERITS (ledger);
INSERT INTO ledger SELECT g, 0 FROM generate_series(1, 10) g;
INSERT INTO ledger_archive SELECT g, 0 FROM generate_series(11, 20) g;
SET unorder_rows = on;
SELECT array_agg(DISTINCT node->>'Perturbs') AS perturbs, array_agg(DISTINCT node->>'Permutation') AS permutations
FROM (SELECT jsonb_path_query(plan::jsonb, '$.** ? (exists (@.Perturbs))') AS node
      FROM dml_plan('UPDATE ledger SET val = val + 1') plan) n;
SELECT * FROM perturbed('UPDATE ledger SET val = val + 1 RETURNING id');
RESET unorder_rows;
DROP TABLE ledger CASCADE;
DROP TABLE accounts, picks, offers, session_winners;
DROP FUNCTION dml_plan(text), dml_permutation(text), contents_after(text, text), contents_each_seed(text), record_winners();
