-- docs/order-contract.md §3 at every query level: subqueries, CTEs, SQL and PL/pgSQL function
-- bodies, prepared statements, cursors; toggling reaches cached plans (§2).
LOAD 'unorder_rows';
CREATE TABLE t AS SELECT g AS id FROM generate_series(1, 16) g;
ANALYZE t;

SELECT * FROM perturbed('SELECT * FROM (SELECT id FROM t) s');
SELECT * FROM perturbed('WITH c AS MATERIALIZED (SELECT id FROM t) SELECT id FROM c');
SELECT runs, every_run_changed FROM perturbed('SELECT ARRAY(SELECT id FROM t)');
SELECT * FROM perturbed('SELECT id FROM t WHERE id IN (SELECT id FROM t)');

-- function bodies: the function's own query is perturbed
CREATE FUNCTION sql_rows() RETURNS SETOF int LANGUAGE sql AS 'SELECT id FROM t';
CREATE FUNCTION plpgsql_rows() RETURNS SETOF int LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY SELECT id FROM t;
END $$;
CREATE FUNCTION plpgsql_array() RETURNS int[] LANGUAGE plpgsql AS $$
DECLARE
    result int[] := '{}';
    r record;
BEGIN
    FOR r IN SELECT id FROM t LOOP
        result := result || r.id;
    END LOOP;
    RETURN result;
END $$;
SELECT * FROM perturbed('SELECT * FROM sql_rows()');
SELECT * FROM perturbed('SELECT * FROM plpgsql_rows()');
SELECT runs, every_run_changed FROM perturbed('SELECT plpgsql_array()');

-- prepared statements and cached PL/pgSQL plans follow a toggle at once
PREPARE p AS SELECT id FROM t;
SET unorder_rows = off;
SELECT rows_of('EXECUTE p') = rows_of('SELECT id FROM t ORDER BY id') AS off_insertion_order;
SET unorder_rows = on;
SELECT rows_of('EXECUTE p') <> rows_of('SELECT id FROM t ORDER BY id') AS on_perturbed;
SET unorder_rows = off;
SELECT rows_of('EXECUTE p') = rows_of('SELECT id FROM t ORDER BY id') AS off_again;
SELECT plpgsql_array() = (SELECT array_agg(id ORDER BY id) FROM t) AS plpgsql_off;
SET unorder_rows = on;
SELECT plpgsql_array() <> (SELECT array_agg(id ORDER BY id) FROM t) AS plpgsql_on;
SET unorder_rows = off;
SELECT plpgsql_array() = (SELECT array_agg(id ORDER BY id) FROM t) AS plpgsql_off_again;
-- a generic plan (forced) behaves the same
SET plan_cache_mode = force_generic_plan;
PREPARE g(int) AS SELECT id FROM t WHERE id > $1;
SET unorder_rows = on;
SELECT rows_of('EXECUTE g(0)') <> rows_of('SELECT id FROM t ORDER BY id') AS generic_on;
SET unorder_rows = off;
SELECT rows_of('EXECUTE g(0)') = rows_of('SELECT id FROM t ORDER BY id') AS generic_off;
RESET plan_cache_mode;

-- reproducible: the same seed gives the same order, in any session state
SET unorder_rows = on;
SET unorder_rows.seed = 99;
CREATE TEMP TABLE first_run AS SELECT rows_of('SELECT id FROM t') AS r;
SELECT 1 AS other_statement;
SELECT count(*) FROM t;
SELECT rows_of('SELECT id FROM t') = r AS same_order_again FROM first_run;
SELECT rows_of('SELECT   id  FROM t /* reformatted */') = r AS same_order_reformatted FROM first_run;
SET unorder_rows.seed = 100;
SELECT rows_of('SELECT id FROM t') <> r AS other_seed_other_order FROM first_run;
RESET unorder_rows.seed;

-- SCROLL cursors fetch backward correctly over a perturbed result
BEGIN;
DECLARE sc SCROLL CURSOR FOR SELECT t1.id FROM t t1 JOIN t t2 USING (id);
CREATE TEMP TABLE fwd (n serial, id int);
CREATE TEMP TABLE bwd (n serial, id int);
CREATE FUNCTION scroll_check() RETURNS TABLE (forward_then_backward_match bool, rows bigint)
LANGUAGE plpgsql AS $$
DECLARE
    c refcursor := 'sc';
    r record;
BEGIN
    LOOP
        FETCH c INTO r;
        EXIT WHEN NOT FOUND;
        INSERT INTO fwd (id) VALUES (r.id);
    END LOOP;
    LOOP
        FETCH PRIOR FROM c INTO r;
        EXIT WHEN NOT FOUND;
        INSERT INTO bwd (id) VALUES (r.id);
    END LOOP;
    RETURN QUERY SELECT (SELECT array_agg(id ORDER BY n) FROM fwd) = (SELECT array_agg(id ORDER BY n DESC) FROM bwd),
                        (SELECT count(*) FROM fwd);
END $$;
SELECT * FROM scroll_check();
COMMIT;

-- WHERE CURRENT OF keeps pointing at the row just fetched (§5.1), while the
-- cursor's rows come in a perturbed order: every fetched row is updated once
CREATE FUNCTION current_of_check(use_limit bool)
RETURNS TABLE (fetch_order_changed bool, each_update_hit_the_fetched_row bool)
LANGUAGE plpgsql AS $$
DECLARE
    c refcursor;
    r record;
    fetched int[] := '{}';
    hits bool := true;
    n int;
BEGIN
    -- NO SCROLL over a plain scan: a block-shuffled scan (block_scan_cursors.sql)
    IF use_limit THEN
        OPEN c NO SCROLL FOR SELECT id FROM t LIMIT 10;
    ELSE
        OPEN c NO SCROLL FOR SELECT id FROM t;
    END IF;
    LOOP
        FETCH c INTO r;
        EXIT WHEN NOT FOUND;
        fetched := fetched || r.id;
        UPDATE t SET id = -id WHERE CURRENT OF c;
        GET DIAGNOSTICS n = ROW_COUNT;
        hits := hits AND n = 1 AND EXISTS (SELECT 1 FROM t WHERE id = -r.id);
    END LOOP;
    CLOSE c;
    UPDATE t SET id = -id;
    RETURN QUERY SELECT fetched <> (SELECT array_agg(id ORDER BY id) FROM t WHERE id <= cardinality(fetched)),
                        hits;
END $$;
SET unorder_rows = on;
SELECT * FROM current_of_check(false);
SELECT * FROM current_of_check(true);
SET enable_seqscan = off;
CREATE INDEX ON t (id);
SELECT * FROM current_of_check(false);
RESET enable_seqscan;
RESET unorder_rows;

-- rescans: the inner side of a nested loop (rescanned with new parameters for
-- every outer row) and a correlated subquery see all their rows each time
SET unorder_rows = on;
EXPLAIN (COSTS OFF)
SELECT a.id, b.id FROM t a, LATERAL (SELECT x.id FROM t x WHERE x.id <= a.id LIMIT 100) b;
RESET unorder_rows;
SELECT * FROM perturbed('SELECT a.id, b.id FROM t a, LATERAL (SELECT x.id FROM t x WHERE x.id <= a.id LIMIT 100) b');
SELECT * FROM perturbed('SELECT id, (SELECT array_length(array_agg(x.id), 1) FROM t x WHERE x.id <= t.id) FROM t');
RESET unorder_rows;
DROP FUNCTION sql_rows(), plpgsql_rows(), plpgsql_array(), scroll_check(), current_of_check(bool);
DROP TABLE t;
