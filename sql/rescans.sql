-- Rescans follow the rules of PostgreSQL's own nodes (README, "Rescans and cursors"):
-- with changed parameters a node hands them to its child, which rebuilds from
-- them; without, a rescan returns the same rows in the same order as the first
-- scan, so a LIMIT picks one set of rows per statement and a rewound cursor
-- reads the order it read before.  Every case here once returned a wrong answer.
LOAD 'unorder_rows';
CREATE TABLE rs_p (id int, k int);
INSERT INTO rs_p SELECT i, i % 3 FROM generate_series(1, 9) i;
CREATE TABLE rs_r (k int, v int);
INSERT INTO rs_r SELECT i % 3, i FROM generate_series(1, 30) i;
CREATE TABLE rs_t AS SELECT i AS id FROM generate_series(1, 300) i;
CREATE TABLE rs_pt (id int) PARTITION BY RANGE (id);
CREATE TABLE rs_pt1 PARTITION OF rs_pt FOR VALUES FROM (1) TO (101);
CREATE TABLE rs_pt2 PARTITION OF rs_pt FOR VALUES FROM (101) TO (201);
CREATE TABLE rs_pt3 PARTITION OF rs_pt FOR VALUES FROM (201) TO (301);
INSERT INTO rs_pt SELECT id FROM rs_t;
ANALYZE rs_p, rs_r, rs_t, rs_pt;

-- The value a one-value query returns with unorder_rows off, then with it on
-- for each of eight seeds: one row per distinct value.
CREATE FUNCTION values_over_seeds(query text)
RETURNS TABLE (unorder_rows text, value text, seeds bigint)
LANGUAGE plpgsql AS $$
DECLARE
    got text;
BEGIN
    CREATE TEMP TABLE seen (mode text, value text) ON COMMIT DROP;
    PERFORM set_config('unorder_rows', 'off', true);
    EXECUTE query INTO got;
    INSERT INTO seen VALUES ('off', got);
    PERFORM set_config('unorder_rows', 'on', true);
    FOR s IN 1..8 LOOP
        PERFORM set_config('unorder_rows.seed', s::text, true);
        EXECUTE query INTO got;
        INSERT INTO seen VALUES ('on', got);
    END LOOP;
    PERFORM set_config('unorder_rows', 'off', true);
    RETURN QUERY SELECT mode, seen.value, count(*) FROM seen GROUP BY 1, 2 ORDER BY 1, 2;
    DROP TABLE seen;
END
$$;

-- Changed parameters reach the child: a Hash Join under ARRAY(), correlated
-- through unnest, must not keep the hash table of the first outer row (the
-- same arrays as a filter without a join gives).
SELECT * FROM values_over_seeds($$
    SELECT bool_and(joined = filtered) FROM (
        SELECT array(SELECT v FROM rs_r JOIN unnest(array[p.k, p.k + 10]) u(x) ON rs_r.k = u.x ORDER BY v) joined,
               array(SELECT v FROM rs_r WHERE rs_r.k IN (p.k, p.k + 10) ORDER BY v) filtered
        FROM rs_p p) s $$);
SET unorder_rows = on;
EXPLAIN (COSTS OFF)
SELECT array(SELECT v FROM rs_r JOIN unnest(array[p.k, p.k + 10]) u(x) ON rs_r.k = u.x ORDER BY v) FROM rs_p p;
RESET unorder_rows;
-- ... nor a HashAggregate (UNION) under a correlated scalar subquery
SELECT * FROM values_over_seeds($$
    SELECT array_agg(got ORDER BY id)::text FROM (
        SELECT p.id, (SELECT rs_r.k FROM rs_r WHERE rs_r.k = p.k
                      UNION SELECT rs_r.k FROM rs_r WHERE rs_r.k = p.k + 100 LIMIT 1) AS got
        FROM rs_p p) s $$);

-- No changed parameters, the same pick: the LIMIT subquery is the inner side
-- of a nested loop, rescanned for each outer row.  The ids are unique, so
-- whichever 7 rows the LIMIT picks, exactly 7 outer rows find a match.
BEGIN;
SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off;
SET LOCAL enable_material = off;
DO $$ BEGIN  -- Memoize exists from PostgreSQL 14 on
    PERFORM set_config(name, 'off', true) FROM pg_settings WHERE name = 'enable_memoize';
END $$;
SELECT * FROM values_over_seeds($$
    SELECT count(s.id) FROM rs_t a LEFT JOIN (SELECT id FROM rs_t LIMIT 7) s ON s.id = a.id $$);
-- ... and the pick: 7 different rows, the same for every outer row (the join
-- finds each once), and other rows under other seeds
SELECT count(*) > 1 AS seeds_pick_other_rows,
       bool_and((SELECT count(DISTINCT e) FROM unnest(value::int[]) e) = 7
                AND cardinality(value::int[]) = 7) AS one_pick_of_7_per_statement
FROM values_over_seeds($$
    SELECT array_remove(array_agg(s.id ORDER BY s.id), NULL)::text
    FROM rs_t a LEFT JOIN (SELECT id FROM rs_t LIMIT 7) s ON s.id = a.id $$)
WHERE unorder_rows = 'on';
COMMIT;
-- The same rows picked twice: an uncorrelated subplan run once per partition
SELECT * FROM values_over_seeds($$
    SELECT count(*) FROM rs_pt WHERE id NOT IN (SELECT id FROM rs_t LIMIT 7) $$);
SELECT * FROM values_over_seeds($$
    SELECT count(*) FROM rs_pt WHERE id IN (SELECT id FROM rs_t LIMIT 7) $$);
-- ... and under Material and Memoize (the plan PostgreSQL chooses by default)
SELECT * FROM values_over_seeds($$
    SELECT count(s.id) FROM rs_t a LEFT JOIN (SELECT id FROM rs_t LIMIT 7) s ON s.id = a.id $$);
SELECT * FROM values_over_seeds($$
    SELECT count(*) FROM rs_t a WHERE a.id = ANY (ARRAY(SELECT id FROM rs_t LIMIT 7)) $$);

-- A rewound cursor reads the order it read before: every way of going back to
-- a row returns the row that was first read there.
CREATE FUNCTION cursor_rereads(seed int)
RETURNS TABLE (check_name text, ok bool)
LANGUAGE plpgsql AS $$
DECLARE
    k refcursor := 'rs_cursor';
    first_read int[] := '{}';
    x int;
BEGIN
    PERFORM set_config('unorder_rows', 'on', true);
    PERFORM set_config('unorder_rows.seed', seed::text, true);
    OPEN k SCROLL FOR SELECT id FROM rs_t;
    FOR i IN 1..5 LOOP
        FETCH k INTO x;
        first_read := first_read || x;
    END LOOP;
    check_name := 'perturbed'; ok := first_read <> '{1,2,3,4,5}'; RETURN NEXT;
    FETCH ABSOLUTE 2 FROM k INTO x;
    check_name := 'FETCH ABSOLUTE 2'; ok := x = first_read[2]; RETURN NEXT;
    FETCH FIRST FROM k INTO x;
    check_name := 'FETCH FIRST'; ok := x = first_read[1]; RETURN NEXT;
    MOVE ABSOLUTE 0 FROM k;
    FETCH NEXT FROM k INTO x;
    check_name := 'MOVE ABSOLUTE 0, FETCH NEXT'; ok := x = first_read[1]; RETURN NEXT;
    MOVE FORWARD 3 FROM k;
    FETCH PRIOR FROM k INTO x;
    check_name := 'MOVE FORWARD 3, FETCH PRIOR'; ok := x = first_read[3]; RETURN NEXT;
    FETCH RELATIVE 2 FROM k INTO x;
    check_name := 'FETCH RELATIVE 2'; ok := x = first_read[5]; RETURN NEXT;
    FETCH LAST FROM k INTO x;
    FETCH ABSOLUTE -300 FROM k INTO x;
    check_name := 'FETCH LAST, FETCH ABSOLUTE -300'; ok := x = first_read[1]; RETURN NEXT;
    CLOSE k;
    PERFORM set_config('unorder_rows', 'off', true);
END
$$;
SELECT check_name, bool_and(ok) AS every_seed
FROM generate_series(1, 4) s, cursor_rereads(s) WITH ORDINALITY c(check_name, ok, n)
GROUP BY check_name ORDER BY min(n);

RESET unorder_rows.seed;
DROP FUNCTION values_over_seeds(text), cursor_rereads(int);
DROP TABLE rs_p, rs_r, rs_t, rs_pt;
