-- SPEC §3.3: rows equal on every ORDER BY key come back in a changed relative
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
