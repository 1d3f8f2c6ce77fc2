-- docs/order-contract.md §5.5: memory is bounded by work_mem: larger inputs spill to temporary
-- files like a sort does, still with the same rows and the one-run guarantee;
-- temp_file_limit gives PostgreSQL's usual error.
LOAD 'unorder_rows';
-- about buffering: scans are read whole into the node here, not shuffled at the source
SET unorder_rows.block_scans = off;
CREATE TABLE wide AS SELECT g AS id, g % 3 AS k, repeat('x', 100) AS pad FROM generate_series(1, 5000) g;
ANALYZE wide;
SET work_mem = '64kB';

-- every row moves through a spilled shuffle; same rows, changed order
SELECT * FROM perturbed('SELECT id, pad FROM wide');
SET unorder_rows = on;
SELECT * FROM perturbation_stats('SELECT id, pad FROM wide');
-- runs of ties larger than work_mem spill too, and the ORDER BY holds
SELECT * FROM perturbation_stats('SELECT k, id FROM wide ORDER BY k');
SELECT count(*) AS rows, bool_and(k >= prev_k) AS order_by_kept
FROM (SELECT k, lag(k, 1, 0) OVER (ORDER BY n) AS prev_k
      FROM unnest(rows_of('SELECT k FROM wide ORDER BY k')) WITH ORDINALITY u(r, n),
           LATERAL (SELECT trim(r, '()')::int AS k) x) s;
RESET unorder_rows;
SELECT * FROM perturbed('SELECT k, id FROM wide ORDER BY k');
-- LIMIT over a spilled input
SELECT count(*) AS runs, bool_and(order_changed) AS picked_another_row
FROM perturbation_check('SELECT id FROM wide LIMIT 1');

-- duplicates of the first row: the first row emitted still differs from it
CREATE TABLE dups AS SELECT CASE WHEN g = 4000 THEN 'other' ELSE 'same' END AS v FROM generate_series(1, 5000) g;
SELECT * FROM perturbation_check('SELECT v FROM dups') WHERE NOT order_changed;
SET unorder_rows = on;
SELECT (rows_of('SELECT v FROM dups'))[1] AS first_row_emitted;

-- A batch larger than a CPU cache's worth of rows (256kB) is cut into chunks shuffled in
-- memory and read back interleaved, like the spilled runs but held in memory while work_mem
-- allows; past work_mem those runs go to the temporary file.  Same rows, changed order and the
-- one-run guarantee on both sides of that line.
CREATE TABLE mid AS SELECT g AS id, repeat('y', 200) AS pad FROM generate_series(1, 8000) g;
CREATE TABLE mid_dups AS
  SELECT CASE WHEN g = 7000 THEN 'other' ELSE 'same' END || repeat('z', 100) AS v
  FROM generate_series(1, 8000) g;
SET work_mem = '4MB';
SELECT * FROM perturbed('SELECT id, pad FROM mid');
SELECT * FROM perturbation_check('SELECT v FROM mid_dups') WHERE NOT order_changed;
SET unorder_rows = on;
SELECT * FROM perturbation_stats('SELECT id, pad FROM mid');
SELECT left((rows_of('SELECT v FROM mid_dups'))[1], 7) AS first_row_emitted;
SET work_mem = '1MB';
SELECT * FROM perturbation_stats('SELECT id, pad FROM mid');
SELECT left((rows_of('SELECT v FROM mid_dups'))[1], 7) AS first_row_emitted;
RESET unorder_rows;
SELECT * FROM perturbed('SELECT id, pad FROM mid');
SELECT * FROM perturbation_check('SELECT v FROM mid_dups') WHERE NOT order_changed;
SET work_mem = '64kB';
SET unorder_rows = on;

-- temp_file_limit applies to the spill
SET temp_file_limit = '64kB';
DO $$
BEGIN
    PERFORM rows_of('SELECT id, pad FROM wide');
EXCEPTION WHEN configuration_limit_exceeded THEN
    RAISE NOTICE 'temp_file_limit stopped the statement (SQLSTATE %)', SQLSTATE;
END $$;
-- and the statement's temporary files are gone afterwards
SELECT count(*) AS leftover_temp_files FROM pg_ls_tmpdir();
RESET temp_file_limit;
RESET unorder_rows;
RESET work_mem;
DROP TABLE wide, dups, mid, mid_dups;
RESET unorder_rows.block_scans;
