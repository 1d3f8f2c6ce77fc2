-- Helpers shared by the suites that follow (pg_regress runs them in name order
-- in one database).  They run a query as a top-level statement through
-- PL/pgSQL, once with unorder_rows off (the baseline) and once per seed with it
-- on, each on the same data (rolled back), and report for each seed whether the
-- row order changed and whether the same rows (as a multiset) came back.
LOAD 'unorder_rows';

-- The rows of a query, in the order it returned them, as text.
CREATE FUNCTION rows_of(query text) RETURNS text[]
LANGUAGE plpgsql AS $$
DECLARE
    r record;
    result text[] := '{}';
BEGIN
    FOR r IN EXECUTE query LOOP
        result := result || r::text;
    END LOOP;
    RETURN result;
END
$$;

-- The rows of a query run in a subtransaction that is then rolled back, so that
-- every run of a DML statement starts from the same table contents (an UPDATE
-- rewrites rows in the order it processed them, which changes what the next
-- run reads).  PL/pgSQL keeps a variable's value across the rollback.
CREATE FUNCTION rows_of_rolled_back(query text) RETURNS text[]
LANGUAGE plpgsql AS $$
DECLARE
    result text[];
BEGIN
    BEGIN
        result := rows_of(query);
        RAISE EXCEPTION USING ERRCODE = 'UR001';
    EXCEPTION WHEN SQLSTATE 'UR001' THEN
        NULL;
    END;
    RETURN result;
END
$$;

-- The same rows, sorted: compares multisets.
CREATE FUNCTION sorted(a text[]) RETURNS text[]
LANGUAGE sql AS $$ SELECT coalesce(array_agg(x ORDER BY x), '{}') FROM unnest(a) x $$;

-- One row per seed: did the order change against the baseline, same multiset?
CREATE FUNCTION perturbation_check(query text, seeds int[] DEFAULT '{1,2,3,4,5,6,7,8}')
RETURNS TABLE (seed int, order_changed bool, same_rows bool)
LANGUAGE plpgsql AS $$
DECLARE
    baseline text[];
    got text[];
BEGIN
    PERFORM set_config('unorder_rows', 'off', true);
    baseline := rows_of_rolled_back(query);
    PERFORM set_config('unorder_rows', 'on', true);
    FOREACH seed IN ARRAY seeds LOOP
        PERFORM set_config('unorder_rows.seed', seed::text, true);
        got := rows_of_rolled_back(query);
        order_changed := got IS DISTINCT FROM baseline;
        same_rows := sorted(got) = sorted(baseline);
        RETURN NEXT;
    END LOOP;
    PERFORM set_config('unorder_rows', 'off', true);
END
$$;

-- Summary used by every "is perturbed" case: all runs changed, rows unchanged.
CREATE FUNCTION perturbed(query text)
RETURNS TABLE (runs bigint, every_run_changed bool, same_rows bool)
LANGUAGE sql AS $$
    SELECT count(*), bool_and(order_changed), bool_and(same_rows) FROM perturbation_check(query)
$$;

-- Summary used by every "is preserved" case: no run changed anything.
CREATE FUNCTION preserved(query text)
RETURNS TABLE (runs bigint, no_run_changed bool)
LANGUAGE sql AS $$
    SELECT count(*), NOT bool_or(order_changed) FROM perturbation_check(query)
$$;

-- How many distinct orders the seeds produced (shows seeds matter).
CREATE FUNCTION distinct_orders(query text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    orders text[] := '{}';
    s int;
BEGIN
    PERFORM set_config('unorder_rows', 'on', true);
    FOREACH s IN ARRAY '{1,2,3,4,5,6,7,8}'::int[] LOOP
        PERFORM set_config('unorder_rows.seed', s::text, true);
        orders := orders || array_to_string(rows_of_rolled_back(query), ';');
    END LOOP;
    PERFORM set_config('unorder_rows', 'off', true);
    RETURN (SELECT count(DISTINCT o) FROM unnest(orders) o);
END
$$;

-- The top node of a query's plan as EXPLAIN ANALYZE reports it (read from JSON,
-- so that version-specific EXPLAIN formatting stays out).
CREATE FUNCTION analyzed_plan(query text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
    plan json;
BEGIN
    EXECUTE 'EXPLAIN (ANALYZE, FORMAT JSON, TIMING OFF) ' || query INTO plan;
    RETURN plan->0->'Plan';
END $$;

-- What EXPLAIN ANALYZE reports for the perturbation node at the top of a plan.
CREATE FUNCTION perturbation_stats(query text)
RETURNS TABLE (perturbs text, rows_perturbed int, runs_permuted int, largest_run int, storage text)
LANGUAGE sql AS $$
    SELECT plan->>'Perturbs', (plan->>'Rows Perturbed')::int, (plan->>'Runs Permuted')::int,
           (plan->>'Largest Run')::int, plan->>'Storage'
    FROM analyzed_plan(query) plan
$$;

-- Whether unorder_rows puts a node into a query's plan (false: PostgreSQL's plan, untouched).
CREATE FUNCTION has_node(query text) RETURNS bool
LANGUAGE plpgsql AS $$
DECLARE
    plan text;
BEGIN
    PERFORM set_config('unorder_rows', 'on', true);
    EXECUTE 'EXPLAIN (FORMAT JSON, COSTS OFF) ' || query INTO plan;
    PERFORM set_config('unorder_rows', 'off', true);
    RETURN plan LIKE '%"Custom Plan Provider": "UnorderRows"%';
END $$;
