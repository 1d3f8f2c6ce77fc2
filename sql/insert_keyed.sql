-- docs/order-contract.md §3.6, §5.5 for INSERT ... SELECT: an insert waits for another
-- session's uncommitted insert of the same unique key, so where the target has a unique or
-- exclusion index the rows could wait on, they are processed in the order of a hash of the
-- values they give that index's columns, seeded by the configured seed and the table (not a
-- seed a session draws, not the statement): every session inserting two conflicting rows
-- inserts them in one order, and none deadlocks where PostgreSQL would make one wait.
LOAD 'unorder_rows';
CREATE TABLE src AS SELECT g AS k, g % 4 AS grp FROM generate_series(1, 20) g;
CREATE TABLE keyed (n serial, k int UNIQUE, grp int);
CREATE TABLE unkeyed (n serial, k int, grp int);
CREATE TABLE serial_only (n serial PRIMARY KEY, k int, grp int);
CREATE TABLE parted (k int PRIMARY KEY, grp int) PARTITION BY RANGE (k);
CREATE TABLE parted_low PARTITION OF parted FOR VALUES FROM (0) TO (10);
CREATE TABLE parted_high PARTITION OF parted FOR VALUES FROM (10) TO (100);
CREATE TABLE by_expression (k text, grp int);
CREATE UNIQUE INDEX by_expression_k ON by_expression (lower(k));
CREATE TABLE by_whole_row (k int, grp int);
CREATE UNIQUE INDEX by_whole_row_key ON by_whole_row ((by_whole_row));
CREATE SEQUENCE ids;
CREATE TABLE two_keys (id bigint PRIMARY KEY, k int UNIQUE);
ANALYZE src;
-- The Permutation (and Unique Key) of the node below a statement's ModifyTable.
CREATE FUNCTION insert_order(statement text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    plan json;
BEGIN
    EXECUTE 'EXPLAIN (FORMAT JSON, COSTS OFF) ' || statement INTO plan;
    RETURN concat_ws(', ', plan->0->'Plan'->'Plans'->0->>'Permutation',
                     plan->0->'Plan'->'Plans'->0->>'Unique Key');
END $$;
SET unorder_rows = on;
EXPLAIN (COSTS OFF) INSERT INTO keyed (k, grp) SELECT k, grp FROM src;
EXPLAIN (COSTS OFF) INSERT INTO keyed (k, grp) SELECT k, grp FROM src ON CONFLICT DO NOTHING;
EXPLAIN (COSTS OFF) INSERT INTO keyed (k, grp) SELECT k, grp FROM src
    ON CONFLICT (k) DO UPDATE SET grp = excluded.grp;
-- without an index the rows could wait on, the session's shuffle: no unique index, a unique
-- key filled by a serial (no other session's row gets its value), a unique column left NULL
EXPLAIN (COSTS OFF) INSERT INTO unkeyed (k, grp) SELECT k, grp FROM src;
SELECT insert_order('INSERT INTO serial_only (k, grp) SELECT k, grp FROM src') AS serial_key,
       insert_order('INSERT INTO keyed (grp) SELECT grp FROM src') AS unique_column_null;
-- a partitioned table's key; an index over an expression, computed over the inserted row's
-- values; over the whole row, unknown: the source row's columns; a key column that a volatile
-- function fills below the node is passed over for the next index
SELECT insert_order('INSERT INTO parted SELECT k, grp FROM src ON CONFLICT DO NOTHING') AS partitioned,
       insert_order('INSERT INTO by_expression SELECT ''K'' || k, grp FROM src') AS expression_index,
       insert_order('INSERT INTO by_whole_row SELECT k, grp FROM src') AS whole_row_index;
SELECT insert_order('INSERT INTO two_keys SELECT nextval(''ids''), k FROM src') AS volatile_key_passed_over,
       insert_order('INSERT INTO two_keys SELECT k, k FROM src') AS primary_key_first;

-- values the expression index holds equal ('K1', 'k1') go in the same place
SELECT array(SELECT lower(x) FROM unnest(rows_of_rolled_back(
           'INSERT INTO by_expression SELECT ''K'' || k, grp FROM src RETURNING k')) x)
       = rows_of_rolled_back('INSERT INTO by_expression SELECT ''k'' || k, -grp FROM src RETURNING k')
       AS equal_values_in_one_place;

-- The same rows and RETURNING as with the extension off, in another order for every seed,
-- and another order for each seed; serials follow it.
SELECT * FROM perturbed('INSERT INTO keyed (k, grp) SELECT k, grp FROM src RETURNING k, grp');
SELECT * FROM perturbed('INSERT INTO keyed (k, grp) SELECT k, grp FROM src ON CONFLICT DO NOTHING RETURNING k');
SELECT * FROM perturbed('INSERT INTO parted SELECT k, grp FROM src ON CONFLICT (k) DO UPDATE SET grp = 0
                         RETURNING k, grp');
SELECT distinct_orders('INSERT INTO keyed (k, grp) SELECT k, grp FROM src RETURNING k') AS orders_over_8_seeds,
       distinct_orders('INSERT INTO unkeyed (k, grp) SELECT k, grp FROM src RETURNING k') AS unkeyed_orders;
INSERT INTO keyed (k, grp) SELECT k, grp FROM src;
SELECT array_agg(k ORDER BY n) <> array_agg(k ORDER BY k) AS serials_follow_key_order, count(*) AS rows
FROM keyed;
-- conflicts: half the keys are there already; DO NOTHING skips them, DO UPDATE changes them,
-- the table after each is the one the extension off leaves
DELETE FROM keyed WHERE k % 2 = 0;
CREATE FUNCTION contents_after(statement text) RETURNS text[]
LANGUAGE plpgsql AS $$
DECLARE
    result text[];
BEGIN
    BEGIN
        EXECUTE statement;
        result := sorted(rows_of('SELECT k, grp FROM keyed'));
        RAISE EXCEPTION USING ERRCODE = 'UR001';
    EXCEPTION WHEN SQLSTATE 'UR001' THEN
        NULL;
    END;
    RETURN result;
END $$;
CREATE FUNCTION same_contents(statement text) RETURNS TABLE (runs bigint, same_contents bool)
LANGUAGE plpgsql AS $$
DECLARE
    baseline text[];
    seeds int[] := '{1,2,3,4}';
    same bool := true;
    s int;
BEGIN
    PERFORM set_config('unorder_rows', 'off', true);
    baseline := contents_after(statement);
    PERFORM set_config('unorder_rows', 'on', true);
    FOREACH s IN ARRAY seeds LOOP
        PERFORM set_config('unorder_rows.seed', s::text, true);
        same := same AND contents_after(statement) = baseline;
    END LOOP;
    PERFORM set_config('unorder_rows.seed', '0', true);
    runs := cardinality(seeds);
    same_contents := same;
    RETURN NEXT;
END $$;
SELECT * FROM same_contents('INSERT INTO keyed (k, grp) SELECT k, grp + 10 FROM src ON CONFLICT DO NOTHING');
SELECT * FROM same_contents('INSERT INTO keyed (k, grp) SELECT k, grp + 10 FROM src
                             ON CONFLICT (k) DO UPDATE SET grp = keyed.grp + excluded.grp');
SELECT * FROM perturbed('INSERT INTO keyed (k, grp) SELECT k, grp FROM src ON CONFLICT DO NOTHING RETURNING k');

-- One order in every session, whatever seed it drew, and not the source's: three sessions,
-- three drawn seeds.  A second statement into the same table, with other columns and another
-- source, orders the same keys alike (the seed names the table, not the statement).
CREATE TABLE other_src AS SELECT k, -k AS grp FROM src;
CREATE TABLE session_orders (session_seed text, statement text, processing_order text);
CREATE FUNCTION record_orders() RETURNS void LANGUAGE sql AS $$
    INSERT INTO session_orders
    SELECT current_setting('unorder_rows.seed'), s, array_to_string(rows_of_rolled_back(s), ',')
    FROM unnest(ARRAY['INSERT INTO keyed (k, grp) SELECT k, grp FROM src ON CONFLICT DO NOTHING RETURNING k',
                      'INSERT INTO keyed (k, grp) SELECT k * 1, grp FROM other_src
                       ON CONFLICT (k) DO UPDATE SET grp = excluded.grp RETURNING k']) s
$$;
TRUNCATE keyed;
SET unorder_rows = on;
SELECT record_orders();
\c
LOAD 'unorder_rows';
SET unorder_rows = on;
SELECT record_orders();
\c
LOAD 'unorder_rows';
SET unorder_rows = on;
SELECT record_orders();
SET unorder_rows = off;
SELECT count(DISTINCT session_seed) AS drawn_seeds, count(DISTINCT processing_order) AS processing_orders,
       bool_and(processing_order <> (SELECT string_agg(k::text, ',') FROM src)) AS not_the_source_order,
       count(*) AS runs
FROM session_orders;
DROP TABLE session_orders;

-- Rows with the same key are one conflict, whichever goes first: the one DO NOTHING keeps is
-- drawn by the session's seed from all but the one PostgreSQL keeps.
CREATE TABLE dup_src AS SELECT g % 5 AS k, g AS grp FROM generate_series(1, 20) g;
CREATE FUNCTION kept_rows() RETURNS text[]
LANGUAGE sql AS $$
    SELECT sorted(rows_of_rolled_back('INSERT INTO keyed (k, grp) SELECT k, grp FROM dup_src
                                       ON CONFLICT DO NOTHING RETURNING k, grp'))
$$;
SET unorder_rows = off;
CREATE TEMP TABLE kept_off AS SELECT kept_rows() AS kept;
SET unorder_rows = on;
SELECT count(*) AS runs, bool_and(cardinality(kept) = 5) AS one_per_key,
       bool_and(NOT (kept && (SELECT kept FROM kept_off))) AS never_the_first_row,
       count(DISTINCT kept) > 1 AS kept_rows_vary
FROM (SELECT set_config('unorder_rows.seed', s::text, false), kept_rows() AS kept
      FROM generate_series(1, 6) s) runs;
RESET unorder_rows.seed;
RESET unorder_rows;
DROP TABLE src, other_src, dup_src, keyed, unkeyed, serial_only, parted, by_expression, by_whole_row, two_keys;
DROP SEQUENCE ids;
DROP FUNCTION insert_order(text), contents_after(text), same_contents(text), record_orders(), kept_rows();
