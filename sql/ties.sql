-- docs/order-contract.md §3.3: rows equal on every ORDER BY key come back in a changed relative
-- order, whether the order comes from a Sort, an index scan, an incremental
-- sort or a top-N sort; so does which tied row LIMIT and DISTINCT ON pick.
-- The ORDER BY itself is always kept (§4.1).
LOAD 'unorder_rows';
CREATE TABLE scores AS
    SELECT g AS id, g % 4 AS team, (g * 7) % 5 AS points FROM generate_series(1, 40) g;
CREATE INDEX scores_team ON scores (team);
ANALYZE scores;

-- whether a query's rows come back ascending (its columns are the sort keys,
-- single digits here, so comparing the rows' text is comparing the keys)
CREATE FUNCTION ascending(query text) RETURNS bool LANGUAGE plpgsql AS $$
DECLARE
    r record;
    previous text;
BEGIN
    FOR r IN EXECUTE query LOOP
        IF previous IS NOT NULL AND r::text < previous THEN
            RETURN false;
        END IF;
        previous := r::text;
    END LOOP;
    RETURN true;
END $$;

-- Sort
SELECT * FROM perturbed('SELECT team, id FROM scores ORDER BY team');
SET unorder_rows = on;
SELECT ascending('SELECT team FROM scores ORDER BY team') AS order_by_kept;
EXPLAIN (COSTS OFF) SELECT team, id FROM scores ORDER BY team;
RESET unorder_rows;

-- index scan providing the order
SET enable_seqscan = off; SET enable_bitmapscan = off;
SELECT * FROM perturbed('SELECT team, id FROM scores ORDER BY team');
SET unorder_rows = on;
SELECT ascending('SELECT team FROM scores ORDER BY team') AS order_by_kept;
EXPLAIN (COSTS OFF) SELECT team, id FROM scores ORDER BY team;
RESET unorder_rows;

-- incremental sort: index on team, ORDER BY team, points leaves ties on both
SET enable_sort = off;
SELECT * FROM perturbed('SELECT team, points, id FROM scores ORDER BY team, points');
SET unorder_rows = on;
EXPLAIN (COSTS OFF) SELECT team, points, id FROM scores ORDER BY team, points;
SELECT ascending('SELECT team, points FROM scores ORDER BY team, points') AS order_by_kept;
RESET unorder_rows;
RESET enable_seqscan; RESET enable_bitmapscan; RESET enable_sort;

-- top-N sort: which of the tied rows LIMIT picks
SELECT count(*) AS runs, bool_and(order_changed) AS picked_other_tied_rows
FROM perturbation_check('SELECT team, id FROM scores ORDER BY team LIMIT 3');
SET unorder_rows = on;
SELECT bool_and(team = 0) AS still_the_lowest_team
FROM (SELECT team, id FROM scores ORDER BY team LIMIT 10) s;
RESET unorder_rows;

-- DISTINCT ON picks another row of each group
SELECT * FROM perturbation_check('SELECT DISTINCT ON (team) team, id FROM scores ORDER BY team')
WHERE NOT order_changed;
SELECT count(*) AS runs, bool_and(order_changed) AS picked_other_rows
FROM perturbation_check('SELECT DISTINCT ON (team) team, id FROM scores ORDER BY team');
SET unorder_rows = on;
SELECT array_agg(team ORDER BY team) AS one_row_per_team
FROM (SELECT DISTINCT ON (team) team, id FROM scores ORDER BY team) s;
RESET unorder_rows;

-- no ties, nothing to change
SELECT * FROM preserved('SELECT id FROM scores ORDER BY id');
SELECT * FROM preserved('SELECT team, id FROM scores ORDER BY team, id');

-- unorder_rows.perturb_ties = off keeps ties as PostgreSQL returns them
SET unorder_rows.perturb_ties = off;
SELECT * FROM preserved('SELECT team, id FROM scores ORDER BY team');
RESET unorder_rows.perturb_ties;
DROP TABLE scores;
DROP FUNCTION ascending(text);

-- ORDER BY ... LIMIT: the sort below still keeps only the top rows (a top-N
-- heapsort, as without unorder_rows), with room for the ties at the LIMIT's
-- last row; when those reach past the room, the node sorts everything again.
CREATE TABLE board AS
    SELECT g AS id, g / 3 AS score, CASE WHEN g <= 100 THEN 0 ELSE g END AS tier
    FROM generate_series(1, 5000) g;
ANALYZE board;
CREATE FUNCTION ties_node_stats(query text)
RETURNS TABLE (sort_method text, bound_dropped bool, rows_perturbed int)
LANGUAGE plpgsql AS $$
DECLARE
    plan json;
BEGIN
    PERFORM set_config('unorder_rows', 'on', true);
    EXECUTE 'EXPLAIN (ANALYZE, FORMAT JSON, TIMING OFF) ' || query INTO plan;
    PERFORM set_config('unorder_rows', 'off', true);
    plan := plan->0->'Plan'->'Plans'->0;
    RETURN QUERY SELECT plan->'Plans'->0->>'Sort Method', (plan->>'Sort Bound Dropped')::bool,
                        (plan->>'Rows Perturbed')::int;
END $$;
-- no ties: a top-N sort, the first rows of it only, and the same result
SELECT * FROM ties_node_stats('SELECT id FROM board ORDER BY id DESC LIMIT 5');
SELECT * FROM preserved('SELECT id FROM board ORDER BY id DESC LIMIT 5');
-- ties inside the bound: a top-N sort, and every run changes
SELECT * FROM ties_node_stats('SELECT id, score FROM board ORDER BY score LIMIT 8');
SELECT * FROM perturbed('SELECT id, score FROM board ORDER BY score LIMIT 8');
-- 100 rows tie for the first place: the bound is dropped, the pick changes
SELECT * FROM ties_node_stats('SELECT id FROM board ORDER BY tier LIMIT 1');
SELECT count(*) AS runs, bool_and(order_changed) AS picked_another_row
FROM perturbation_check('SELECT id FROM board ORDER BY tier LIMIT 1');
SET unorder_rows = on;
SELECT count(*) AS picked, bool_and(tier = 0) AS all_first_place
FROM (SELECT id, tier FROM board ORDER BY tier LIMIT 60 OFFSET 20) s;
-- a LIMIT that changes on every rescan (LATERAL), with ties past the bound
SELECT n, count(s.id) AS picked, count(*) FILTER (WHERE s.tier = 0) AS first_places
FROM generate_series(1, 3) n, LATERAL (SELECT id, tier FROM board ORDER BY tier LIMIT n * 40) s
GROUP BY n ORDER BY n;
RESET unorder_rows;
-- a volatile sort input: reading it twice could give other rows, so no bound
-- is passed (a full sort), and the tied first places still change
SELECT * FROM ties_node_stats('SELECT id FROM board ORDER BY tier, random() > 2 LIMIT 1');
SELECT count(*) AS runs, bool_and(order_changed) AS picked_another_row
FROM perturbation_check('SELECT id FROM board ORDER BY tier, random() > 2 LIMIT 1');
-- volatile output columns are computed for the rows the LIMIT returns only,
-- as without unorder_rows: the node reads the tied rows below them
CREATE SEQUENCE board_calls;
SELECT setval('board_calls', 1, false);
SELECT count(*) FROM (SELECT nextval('board_calls'), id FROM board ORDER BY tier LIMIT 3) s;
SELECT currval('board_calls') AS calls_off;
SELECT setval('board_calls', 1, false);
SET unorder_rows = on;
SELECT count(*) FROM (SELECT nextval('board_calls'), id FROM board ORDER BY tier LIMIT 3) s;
SELECT currval('board_calls') AS calls_on;
RESET unorder_rows;
SELECT count(*) AS runs, bool_and(order_changed) AS picked_other_rows
FROM perturbation_check('SELECT id, nextval(''board_calls'') > 0 FROM board ORDER BY tier LIMIT 3');
DROP SEQUENCE board_calls;
DROP FUNCTION ties_node_stats(text);
DROP TABLE board;

-- an ORDER BY that can have no ties whatever the data has nothing to perturb: no node (the
-- statement keeps PostgreSQL's plan); where ties can happen, they still move
CREATE TABLE members (id int PRIMARY KEY, org int NOT NULL, seat int NOT NULL, nick text UNIQUE,
                      UNIQUE (org, seat));
INSERT INTO members SELECT g, g % 3, g / 3, CASE WHEN g % 4 = 0 THEN NULL ELSE 'n' || g END
FROM generate_series(1, 36) g;
CREATE TABLE visits (member int, day int);
INSERT INTO visits SELECT g % 36 + 1, g FROM generate_series(1, 72) g;
ANALYZE members, visits;
SELECT q AS no_ties, has_node(q) AS node, p.*
FROM unnest(ARRAY[
    'SELECT id, org FROM members ORDER BY id',
    'SELECT id, org FROM members WHERE org = 1 ORDER BY id DESC LIMIT 5',
    'SELECT * FROM members ORDER BY org, seat',
    'SELECT * FROM members WHERE org = 2 ORDER BY seat',
    'SELECT org, count(*) FROM members GROUP BY org ORDER BY org',
    'SELECT DISTINCT org FROM visits JOIN members ON id = member ORDER BY org']) q,
    LATERAL preserved(q) p;
SELECT q AS ties_possible, has_node(q) AS node, p.*
FROM unnest(ARRAY[
    'SELECT id, org FROM members ORDER BY org',
    'SELECT id, nick FROM members WHERE id % 4 = 0 OR id < 3 ORDER BY nick',
    'SELECT id, day FROM members JOIN visits ON member = id ORDER BY id',
    'SELECT org, seat FROM members GROUP BY org, seat ORDER BY org']) q,
    LATERAL perturbed(q) p;
DROP TABLE members, visits;
