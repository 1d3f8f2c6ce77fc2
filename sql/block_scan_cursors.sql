-- Cursors that are not SCROLL get the block-shuffled scan too (sql/block_scan.sql): the first
-- FETCH reads a block or two, not the whole table; WHERE CURRENT OF names the row just fetched
-- (docs/order-contract.md §5.1); a cursor fetches backward exactly where it could without the
-- extension (§5.5).  SCROLL cursors keep the buffering node.
LOAD 'unorder_rows';
CREATE TABLE bc AS SELECT g AS id, g % 10 AS g, repeat('p', 200) AS pad FROM generate_series(1, 2000) g;
ANALYZE bc;
-- duplicates of the plain scan's first row ('same'), a few other rows; and rows all alike
CREATE TABLE bc_dup AS
    SELECT g AS id, CASE WHEN g % 97 = 0 THEN 'other' ELSE 'same' END AS v, 0 AS hits, repeat('p', 100) AS pad
    FROM generate_series(1, 1500) g;
CREATE TABLE bc_same AS SELECT 'same'::text AS v, 0 AS hits FROM generate_series(1, 800) g;
SET unorder_rows = on;
SET unorder_rows.seed = 11;

-- Which node a cursor's rows come from: the report names it when the cursor closes (EXPLAIN
-- cannot show a cursor's plan: DECLARE is not explainable).  The rows read show the streaming.
SET unorder_rows.report = notice;
BEGIN;
DECLARE c NO SCROLL CURSOR FOR SELECT id FROM bc;
MOVE FORWARD 10 IN c;
SELECT seq_tup_read < 200 AS read_a_few_rows FROM pg_stat_xact_user_tables WHERE relname = 'bc';
CLOSE c;
COMMIT;
-- neither SCROLL nor NO SCROLL: the same scan
BEGIN;
DECLARE c CURSOR FOR SELECT id FROM bc WHERE g = 3;
MOVE FORWARD 10 IN c;
SELECT seq_tup_read < 200 AS read_a_few_rows FROM pg_stat_xact_user_tables WHERE relname = 'bc';
CLOSE c;
COMMIT;
-- SCROLL: the buffering node, which reads every row first
BEGIN;
DECLARE c SCROLL CURSOR FOR SELECT id FROM bc;
MOVE FORWARD 10 IN c;
SELECT seq_tup_read >= 2000 AS read_every_row FROM pg_stat_xact_user_tables WHERE relname = 'bc';
CLOSE c;
COMMIT;
-- under a LIMIT, in a PL/pgSQL cursor
DO $$
DECLARE
    c NO SCROLL CURSOR FOR SELECT id FROM bc LIMIT 50;
    x int;
BEGIN
    OPEN c;
    FETCH c INTO x;
    CLOSE c;
END $$;
RESET unorder_rows.report;
-- the scan a plain SELECT gets, for comparison
EXPLAIN (COSTS OFF) SELECT id FROM bc;

-- Whether a cursor can fetch backward is what it would be without the extension: a cursor
-- declared without SCROLL over a Seq Scan can (PostgreSQL asks the plan), NO SCROLL cannot.
CREATE FUNCTION scrollable(options text, switch text) RETURNS bool LANGUAGE plpgsql AS $$
DECLARE
    result bool;
BEGIN
    PERFORM set_config('unorder_rows', switch, true);
    EXECUTE format('DECLARE bc_probe %s CURSOR FOR SELECT id FROM bc', options);
    SELECT is_scrollable INTO result FROM pg_cursors WHERE name = 'bc_probe';
    EXECUTE 'CLOSE bc_probe';
    PERFORM set_config('unorder_rows', 'on', true);
    RETURN result;
END $$;
SELECT options, scrollable(options, 'off') AS without_extension, scrollable(options, 'on') AS with_it
FROM unnest(ARRAY['', 'NO SCROLL', 'SCROLL']) options;
BEGIN;
DECLARE c NO SCROLL CURSOR FOR SELECT id FROM bc;
MOVE FORWARD 5 IN c;
FETCH BACKWARD 1 FROM c;
ROLLBACK;
BEGIN;
SET LOCAL unorder_rows = off;
DECLARE c NO SCROLL CURSOR FOR SELECT id FROM bc;
MOVE FORWARD 5 IN c;
FETCH BACKWARD 1 FROM c;
ROLLBACK;

-- The rows a cursor fetches, in order, one by one; then one FETCH after the end.
CREATE FUNCTION cursor_rows(query text, options text, seed int) RETURNS text[]
LANGUAGE plpgsql AS $$
DECLARE
    c refcursor := 'bc_rows';
    r record;
    got text[] := '{}';
BEGIN
    PERFORM set_config('unorder_rows.seed', seed::text, true);
    EXECUTE format('DECLARE bc_rows %s CURSOR FOR %s', options, query);
    LOOP
        FETCH c INTO r;
        EXIT WHEN NOT FOUND;
        got := got || r::text;
    END LOOP;
    FETCH c INTO r; -- after the end: nothing, no error
    IF FOUND THEN
        got := got || 'a row after the end'::text;
    END IF;
    CLOSE c;
    RETURN got;
END $$;
-- Off and on over several seeds: the same rows, another order, another first row (§5.2).
CREATE FUNCTION cursor_check(query text, options text)
RETURNS TABLE (runs bigint, every_run_changed bool, first_row_changed bool, same_rows bool)
LANGUAGE plpgsql AS $$
DECLARE
    baseline text[];
BEGIN
    PERFORM set_config('unorder_rows', 'off', true);
    baseline := cursor_rows(query, options, 1);
    PERFORM set_config('unorder_rows', 'on', true);
    RETURN QUERY
        SELECT count(*), bool_and(got <> baseline), bool_and(got[1] <> baseline[1]),
               bool_and(sorted(got) = sorted(baseline))
        FROM generate_series(1, 8) s, cursor_rows(query, options, s) got;
END $$;
SELECT options, c.* FROM unnest(ARRAY['', 'NO SCROLL']) options, cursor_check('SELECT id FROM bc', options) c;
SELECT options, c.* FROM unnest(ARRAY['', 'NO SCROLL']) options,
    cursor_check('SELECT id, g FROM bc WHERE g IN (2, 7)', options) c;
-- duplicates of the first row are held back until another row has gone first
SELECT c.* FROM cursor_check('SELECT v FROM bc_dup', 'NO SCROLL') c;
SELECT c.* FROM cursor_check('SELECT v FROM bc_dup', '') c;
-- rows all alike: nothing to change, the same rows
SELECT runs, same_rows FROM cursor_check('SELECT v FROM bc_same', 'NO SCROLL');
-- an empty result
SELECT cardinality(cursor_rows('SELECT id FROM bc WHERE g = 99', 'NO SCROLL', 1)) AS fetched;

-- WHERE CURRENT OF updates the row just fetched, for every row: each UPDATE hits one row, with
-- the values fetched, and in the end every row was hit once (held rows are read again from the
-- table, not copied: each carries its own TID).
CREATE FUNCTION current_of_hits(tab text, options text, seed int, backward_every int DEFAULT 0)
RETURNS TABLE (fetched bigint, each_update_hit_the_fetched_row bool, every_row_hit_once bool)
LANGUAGE plpgsql AS $$
DECLARE
    c refcursor := 'bc_cur';
    r record;
    updated record;
    n int := 0;
    ok bool := true;
    total bigint;
BEGIN
    PERFORM set_config('unorder_rows.seed', seed::text, true);
    EXECUTE format('UPDATE %I SET hits = 0', tab);
    EXECUTE format('DECLARE bc_cur %s CURSOR FOR SELECT v FROM %I', options, tab);
    LOOP
        FETCH c INTO r;
        EXIT WHEN NOT FOUND;
        n := n + 1;
        IF backward_every > 0 AND n % backward_every = 0 THEN
            -- step back and forward again: the cursor is on the same row
            FETCH PRIOR FROM c INTO r;
            FETCH NEXT FROM c INTO r;
        END IF;
        EXECUTE format('UPDATE %I SET hits = hits + 1 WHERE CURRENT OF bc_cur RETURNING v', tab) INTO updated;
        ok := ok AND updated.v = r.v;
    END LOOP;
    CLOSE c;
    EXECUTE format('SELECT count(*) FROM %I', tab) INTO total;
    fetched := n;
    each_update_hit_the_fetched_row := ok;
    EXECUTE format('SELECT bool_and(hits = 1) AND count(*) = $1 FROM %I', tab) INTO every_row_hit_once USING n;
    every_row_hit_once := every_row_hit_once AND n = total;
    RETURN NEXT;
END $$;
BEGIN;
SELECT tab, options, bool_and(each_update_hit_the_fetched_row) AS updates_hit_fetched_rows,
       bool_and(every_row_hit_once) AS every_row_once, min(fetched) AS fetched
FROM unnest(ARRAY['bc_dup', 'bc_same']) tab, unnest(ARRAY['', 'NO SCROLL']) options,
     generate_series(1, 3) s, current_of_hits(tab, options, s)
GROUP BY tab, options ORDER BY tab, options;
-- stepping back and forth in a cursor without SCROLL
SELECT tab, bool_and(each_update_hit_the_fetched_row) AS updates_hit_fetched_rows,
       bool_and(every_row_hit_once) AS every_row_once
FROM unnest(ARRAY['bc_dup', 'bc_same']) tab, generate_series(1, 3) s, current_of_hits(tab, '', s, 7)
GROUP BY tab ORDER BY tab;
ROLLBACK;
-- DELETE WHERE CURRENT OF removes the fetched row: what is left is what was not fetched
BEGIN;
CREATE FUNCTION delete_fetched(n int) RETURNS TABLE (deleted bigint, left_are_the_unfetched bool)
LANGUAGE plpgsql AS $$
DECLARE
    c NO SCROLL CURSOR FOR SELECT id, v FROM bc_dup;
    r record;
    ids int[] := '{}';
BEGIN
    OPEN c;
    FOR i IN 1..n LOOP
        FETCH c INTO r;
        ids := ids || r.id;
        DELETE FROM bc_dup WHERE CURRENT OF c;
    END LOOP;
    CLOSE c;
    deleted := cardinality(ids);
    left_are_the_unfetched := NOT EXISTS (SELECT 1 FROM bc_dup WHERE id = ANY (ids))
        AND (SELECT count(*) FROM bc_dup) = 1500 - n;
    RETURN NEXT;
END $$;
SELECT * FROM delete_fetched(40);
ROLLBACK;

-- The next n rows of a cursor (0: all that are left).
CREATE FUNCTION fetch_ids(portal refcursor, n int) RETURNS int[] LANGUAGE plpgsql AS $$
DECLARE
    x int;
    got int[] := '{}';
BEGIN
    LOOP
        EXIT WHEN n > 0 AND cardinality(got) >= n;
        FETCH portal INTO x;
        EXIT WHEN NOT FOUND;
        got := got || x;
    END LOOP;
    RETURN got;
END $$;

-- Backward fetches mirror the forward ones, from anywhere (a cursor without SCROLL whose plan
-- PostgreSQL lets scroll), and rewinds read the same order again.
CREATE FUNCTION scroll_checks(query text, seed int) RETURNS TABLE (check_name text, ok bool)
LANGUAGE plpgsql AS $$
DECLARE
    c refcursor := 'bc_scroll';
    x text;
    forward text[] := '{}';
    backward text[] := '{}';
BEGIN
    PERFORM set_config('unorder_rows.seed', seed::text, true);
    EXECUTE format('DECLARE bc_scroll CURSOR FOR %s', query);
    LOOP
        FETCH c INTO x;
        EXIT WHEN NOT FOUND;
        forward := forward || x;
    END LOOP;
    LOOP
        FETCH PRIOR FROM c INTO x;
        EXIT WHEN NOT FOUND;
        backward := x || backward;
    END LOOP;
    check_name := 'all backward = all forward, reversed'; ok := backward = forward; RETURN NEXT;
    FETCH ABSOLUTE 3 FROM c INTO x;
    check_name := 'FETCH ABSOLUTE 3'; ok := x = forward[3]; RETURN NEXT;
    FETCH PRIOR FROM c INTO x;
    check_name := 'FETCH PRIOR'; ok := x = forward[2]; RETURN NEXT;
    FETCH FIRST FROM c INTO x;
    check_name := 'FETCH FIRST'; ok := x = forward[1]; RETURN NEXT;
    FETCH RELATIVE 40 FROM c INTO x;
    check_name := 'FETCH RELATIVE 40'; ok := x = forward[41]; RETURN NEXT;
    FETCH RELATIVE -25 FROM c INTO x;
    check_name := 'FETCH RELATIVE -25'; ok := x = forward[16]; RETURN NEXT;
    FETCH LAST FROM c INTO x;
    check_name := 'FETCH LAST'; ok := x = forward[cardinality(forward)]; RETURN NEXT;
    MOVE FORWARD ALL IN c;
    FETCH PRIOR FROM c INTO x;
    check_name := 'after the end, FETCH PRIOR'; ok := x = forward[cardinality(forward)]; RETURN NEXT;
    MOVE ABSOLUTE 0 IN c;
    FETCH NEXT FROM c INTO x;
    check_name := 'MOVE ABSOLUTE 0, FETCH NEXT'; ok := x = forward[1]; RETURN NEXT;
    CLOSE c;
END $$;
SELECT check_name, bool_and(ok) AS every_seed
FROM generate_series(1, 4) s, scroll_checks('SELECT id FROM bc WHERE g < 5', s) WITH ORDINALITY c(check_name, ok, n)
GROUP BY check_name ORDER BY min(n);
-- with rows held back (the first ones emitted are read again when they go out)
SELECT check_name, bool_and(ok) AS every_seed
FROM generate_series(1, 4) s, scroll_checks('SELECT v FROM bc_dup', s) WITH ORDINALITY c(check_name, ok, n)
GROUP BY check_name ORDER BY min(n);

-- reverse mode walks the table backward, and the cursor back again
SET unorder_rows.mode = reverse;
SELECT c.* FROM cursor_check('SELECT v FROM bc_dup', '') c;
SELECT check_name, ok FROM scroll_checks('SELECT v FROM bc_dup', 1);
RESET unorder_rows.mode;

-- MOVE, then the rest: the rows after the MOVE are those a FETCH would have returned.
CREATE FUNCTION move_then_rest(options text, seed int) RETURNS TABLE (moved_over_are_the_first bool, every_row_once bool)
LANGUAGE plpgsql AS $$
DECLARE
    first_rows int[];
    rest int[];
BEGIN
    PERFORM set_config('unorder_rows.seed', seed::text, true);
    -- the same statement twice (its text and the seed decide the order)
    FOR i IN 1..2 LOOP
        EXECUTE format('DECLARE bc_a %s CURSOR FOR SELECT id FROM bc', options);
        IF i = 1 THEN
            first_rows := fetch_ids('bc_a', 150);
            rest := fetch_ids('bc_a', 0);
        ELSE
            EXECUTE 'MOVE FORWARD 150 IN bc_a';
            moved_over_are_the_first := fetch_ids('bc_a', 0) = rest;
        END IF;
        EXECUTE 'CLOSE bc_a';
    END LOOP;
    every_row_once := sorted((first_rows || rest)::text[]) = sorted(ARRAY(SELECT id::text FROM bc));
    RETURN NEXT;
END $$;

SELECT options, bool_and(moved_over_are_the_first) AS moved_over_are_the_first, bool_and(every_row_once) AS every_row_once
FROM unnest(ARRAY['', 'NO SCROLL']) options, generate_series(1, 3) s, move_then_rest(options, s)
GROUP BY options ORDER BY options;

-- WITH HOLD cursors committed after some fetches: the rows before and after the commit are
-- every row once, in a perturbed order.
CREATE TEMP TABLE held (options text, before_commit int[], after_commit int[]);
BEGIN;
DECLARE h1 NO SCROLL CURSOR WITH HOLD FOR SELECT id FROM bc;
DECLARE h2 CURSOR WITH HOLD FOR SELECT id FROM bc;
INSERT INTO held VALUES ('NO SCROLL', fetch_ids('h1', 100)), ('', fetch_ids('h2', 100));
COMMIT;
UPDATE held SET after_commit = fetch_ids((CASE options WHEN '' THEN 'h2' ELSE 'h1' END)::refcursor, 0);
CLOSE h1;
CLOSE h2;
SELECT options, cardinality(before_commit) AS before_commit, cardinality(after_commit) AS after_commit,
       sorted((before_commit || after_commit)::text[]) = sorted(ARRAY(SELECT id::text FROM bc)) AS every_row_once,
       before_commit <> ARRAY(SELECT id FROM generate_series(1, 100) id) AS perturbed
FROM held ORDER BY options;

-- Rescans inside a cursor's query: a correlated subquery run once per outer row with a new
-- parameter sees all its rows each time (the sums are those without the extension) ...
SELECT options, c.runs, c.same_rows FROM unnest(ARRAY['', 'NO SCROLL']) options,
    cursor_check('SELECT x.n, (SELECT sum(id) FROM (SELECT id FROM bc WHERE g = x.n LIMIT 1000) s)
                  FROM generate_series(0, 9) x(n)', options) c;
-- ... and a LATERAL LIMIT whose parameter does not change what its quals pass picks the same
-- rows each time (one pick per statement), not those PostgreSQL picks
SELECT count(*) AS runs, bool_and(cardinality(got) = 4) AS four_rows,
       bool_and((SELECT count(DISTINCT p) FROM unnest(got) p) = 1) AS one_pick,
       bool_and(got[1] <> '("{1,2,3,4,5,6,7,8,9,10}")') AS not_the_plain_pick
FROM generate_series(1, 4) s, cursor_rows(
    'SELECT p.picks FROM generate_series(1, 4) x(n),
            LATERAL (SELECT array_agg(id ORDER BY id) AS picks FROM (SELECT id FROM bc WHERE id > 0 * x.n LIMIT 10) s) p',
    'NO SCROLL', s) got;

-- PL/pgSQL: a FOR loop over a query, a bound cursor with parameters (SPI parameters), a
-- refcursor returned by a function: the same rows, another order.
CREATE FUNCTION plpgsql_rows(how text, seed int) RETURNS int[] LANGUAGE plpgsql AS $$
DECLARE
    bound CURSOR (lo int, hi int) FOR SELECT id FROM bc WHERE g BETWEEN lo AND hi;
    ref refcursor;
    r record;
    got int[] := '{}';
BEGIN
    PERFORM set_config('unorder_rows.seed', seed::text, true);
    IF how = 'for loop' THEN
        FOR r IN SELECT id FROM bc WHERE g BETWEEN 2 AND 4 LOOP
            got := got || r.id;
        END LOOP;
    ELSIF how = 'bound cursor' THEN
        FOR r IN bound(2, 4) LOOP
            got := got || r.id;
        END LOOP;
    ELSE
        OPEN ref FOR SELECT id FROM bc WHERE g BETWEEN 2 AND 4;
        LOOP
            FETCH ref INTO r;
            EXIT WHEN NOT FOUND;
            got := got || r.id;
        END LOOP;
        CLOSE ref;
    END IF;
    RETURN got;
END $$;
SET unorder_rows = off;
CREATE TEMP TABLE plpgsql_baseline AS
    SELECT how, plpgsql_rows(how, 1) AS rows FROM unnest(ARRAY['for loop', 'bound cursor', 'refcursor']) how;
SET unorder_rows = on;
SELECT how, bool_and(got <> rows) AS every_run_changed,
       bool_and(sorted(got::text[]) = sorted(rows::text[])) AS same_rows, min(cardinality(got)) AS fetched
FROM plpgsql_baseline, generate_series(1, 4) s, plpgsql_rows(how, s) got
GROUP BY how ORDER BY how;

RESET unorder_rows.seed;
RESET unorder_rows;
DROP FUNCTION scrollable(text, text), cursor_rows(text, text, int), cursor_check(text, text),
    current_of_hits(text, text, int, int), scroll_checks(text, int), fetch_ids(refcursor, int),
    move_then_rest(text, int), plpgsql_rows(text, int);
DROP TABLE bc, bc_dup, bc_same, held, plpgsql_baseline;
