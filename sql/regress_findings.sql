-- Bugs found by running PostgreSQL's own regression suite with unorder_rows on
-- (test/regress_torture.sh).  Each case failed before its fix.
LOAD 'unorder_rows';

-- The plan's node types (sorted), UnorderRows nodes left out; EXPLAIN VERBOSE
-- so that every target list is printed too.
CREATE FUNCTION plan_nodes(query text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    plan jsonb;
BEGIN
    EXECUTE 'EXPLAIN (VERBOSE, COSTS OFF, FORMAT JSON) ' || query INTO plan;
    RETURN (WITH RECURSIVE n(node) AS (
                SELECT plan->0->'Plan'
                UNION ALL
                SELECT c FROM n, jsonb_array_elements(coalesce(n.node->'Plans', '[]')) c)
            SELECT string_agg(node->>'Node Type', ' ' ORDER BY node->>'Node Type') FROM n
            WHERE node->>'Custom Plan Provider' IS DISTINCT FROM 'UnorderRows');
END $$;

-- §5.4: with the extension on, the same plan but for the added nodes.
CREATE FUNCTION same_plan(query text) RETURNS bool
LANGUAGE plpgsql AS $$
DECLARE
    plain text;
BEGIN
    PERFORM set_config('unorder_rows', 'off', true);
    plain := plan_nodes(query);
    PERFORM set_config('unorder_rows', 'on', true);
    RETURN plan_nodes(query) = plain;
END $$;

CREATE TABLE rf (id int, k int, t text) WITH (parallel_workers = 0);
INSERT INTO rf SELECT g, g % 3, 't' || g FROM generate_series(1, 30) g;
ANALYZE rf;
CREATE TABLE rf_big AS SELECT g AS id, g % 100 AS k FROM generate_series(1, 20000) g;
ANALYZE rf_big;
SET unorder_rows = on;

-- Grouping sets null a column for some groups: the node must pass each column
-- through, not an equal earlier column or the constant the query wrote.
SELECT g AS a, g AS b FROM generate_series(1, 3) g GROUP BY a, ROLLUP(b) ORDER BY 1, 2;
SELECT * FROM (SELECT 1 AS x, k, sum(id) FROM rf GROUP BY GROUPING SETS (1, 2)) ss WHERE x = 1 AND k = 1;

-- A correlated initPlan of a subquery level is evaluated again for each row
-- once the level's node is removed (it inherits the node's Params).
SELECT id, (SELECT CASE WHEN rf.t = '' THEN 'x'
                        ELSE (SELECT CASE WHEN rf.t = '' THEN 'y' ELSE (SELECT 'k=' || rf.k) END) END) AS v
FROM rf WHERE id <= 4 ORDER BY id;

-- §4.2 also for ARRAY(subquery) and window functions over an ordered subquery
SELECT * FROM preserved('SELECT ARRAY(SELECT id FROM (SELECT id FROM rf ORDER BY id DESC) s)');
SELECT * FROM preserved('SELECT array_agg(n ORDER BY id) FROM
    (SELECT id, nth_value(id, 2) OVER (PARTITION BY k) AS n FROM (SELECT * FROM rf ORDER BY k, id DESC) s) w');

-- §5.4 the plan stays PostgreSQL's: no SubqueryScan kept below a count(*),
-- no node hiding an empty relation, no Result above a DML source, no lost
-- parallel plan because of a subquery, INSERT ... VALUES untouched
SELECT same_plan('SELECT count(*) FROM (SELECT DISTINCT k, t, k FROM rf) s') AS distinct_subquery;
SELECT same_plan('SELECT * FROM rf, (SELECT unnest(ARRAY[1, 2]) FROM rf WHERE false OFFSET 0) ss') AS empty_subquery;
SELECT same_plan('UPDATE rf SET t = t || ''!'' WHERE id < 5') AS update_source;
SELECT same_plan('INSERT INTO rf VALUES (0, 0, ''v'')') AS insert_values;
-- EXPLAIN names the node's columns after its child's: a set operation's
-- output columns have no table ("bogus varno: 0" in its Tie Keys)
SET enable_hashagg = off;
SELECT same_plan('SELECT * FROM rf UNION SELECT * FROM rf ORDER BY 1, 3') AS union_ties;
RESET enable_hashagg;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SELECT same_plan('SELECT count(*) FROM rf_big WHERE k NOT IN (SELECT id FROM rf WHERE id > 20)') AS parallel_with_subplan;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

-- UPDATE of an inherited table: its rows carry row identity Vars the node
-- must not see (an assertion failure in assert-enabled servers, "bogus
-- varno" in EXPLAIN VERBOSE); each child's rows are perturbed instead.
CREATE TABLE rf_parent (id int, t text);
CREATE TABLE rf_child () INHERITS (rf_parent);
INSERT INTO rf_parent SELECT g, 'p' FROM generate_series(1, 10) g;
INSERT INTO rf_child SELECT g, 'c' FROM generate_series(11, 20) g;
SELECT same_plan('UPDATE rf_parent SET id = id + 100') AS inherited_update;
SELECT * FROM perturbed('UPDATE rf_parent SET id = id RETURNING id');
UPDATE rf_parent SET id = id + 100;
SELECT count(*), min(id), max(id) FROM rf_parent;

-- UPDATE of a view through an INSTEAD OF trigger: the view's whole-row Var
-- comes twice, as the view's row type and as record; each column of the node
-- keeps its own type ("attribute 2 of type record has wrong type" up to 14).
CREATE TABLE rf_base (a int PRIMARY KEY, b text);
INSERT INTO rf_base SELECT g, 'row ' || g FROM generate_series(1, 5) g;
CREATE VIEW rf_view1 AS SELECT * FROM rf_base WHERE a > 0 OFFSET 0;
CREATE VIEW rf_view2 AS SELECT * FROM rf_view1 WHERE a < 10;
CREATE FUNCTION rf_view1_upd() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN UPDATE rf_base SET b = NEW.b WHERE a = OLD.a; RETURN NEW; END $$;
CREATE TRIGGER rf_view1_upd INSTEAD OF UPDATE ON rf_view1 FOR EACH ROW EXECUTE FUNCTION rf_view1_upd();
UPDATE rf_view2 SET b = 'three' WHERE a = 3 RETURNING *;

-- Cursors fetch backward where PostgreSQL lets them (§5.5).  SCROLL over a
-- plain scan: the node permutes the rows and steps back through them itself,
-- so WHERE CURRENT OF still finds the row just fetched.
CREATE FUNCTION rf_scroll_check()
RETURNS TABLE (order_changed bool, backward_is_reverse bool, absolute_is_third bool,
               prior_is_second bool, current_of_hit_it bool)
LANGUAGE plpgsql AS $$
DECLARE
    c SCROLL CURSOR FOR SELECT id FROM rf WHERE id <= 10;
    r record;
    forward int[] := '{}';
    backward int[] := '{}';
    updated int;
BEGIN
    OPEN c;
    LOOP
        FETCH c INTO r;
        EXIT WHEN NOT FOUND;
        forward := forward || r.id;
    END LOOP;
    LOOP
        FETCH PRIOR FROM c INTO r;
        EXIT WHEN NOT FOUND;
        backward := r.id || backward;
    END LOOP;
    order_changed := forward <> (SELECT array_agg(x ORDER BY x) FROM unnest(forward) x);
    backward_is_reverse := backward = forward;
    FETCH ABSOLUTE 3 FROM c INTO r;
    absolute_is_third := r.id = forward[3];
    FETCH PRIOR FROM c INTO r;
    prior_is_second := r.id = forward[2];
    UPDATE rf SET t = 'current' WHERE CURRENT OF c RETURNING id INTO updated;
    current_of_hit_it := updated = forward[2];
    CLOSE c;
    RETURN NEXT;
END $$;
BEGIN;
SELECT * FROM rf_scroll_check();
ROLLBACK;
-- the same without SCROLL: PostgreSQL lets a cursor fetch backward when its
-- plan can, and this one still can
BEGIN;
DECLARE c3 CURSOR FOR SELECT id FROM rf WHERE id <= 3;
MOVE FORWARD ALL IN c3;
MOVE BACKWARD ALL IN c3;
SELECT is_scrollable FROM pg_cursors WHERE name = 'c3';
ROLLBACK;
-- No SCROLL, a plan that can scan backward (a sort): it still can.
BEGIN;
DECLARE c2 CURSOR FOR SELECT k FROM rf ORDER BY k;
MOVE FORWARD ALL IN c2;
FETCH BACKWARD 2 FROM c2;
ROLLBACK;
RESET unorder_rows;
DROP FUNCTION rf_scroll_check();
