"""Queries for the result oracle, crossing plan node kinds with the places a
perturbation node can sit and the ways PostgreSQL rescans it.

Each *core* is a query whose row order is open, built on one kind of plan
node (forced with enable_* settings), and filtered on `g % 4 = {k}` so that
every row it returns carries k.  Each *wrapper* puts a core somewhere: at the
top, inside ARRAY() or a scalar subquery correlated with an outer row, under
LATERAL, in a function body, as the inner side of a nested loop, as a subplan
run once per partition, as a DML source.  A wrapper is written so that its
result is the same for every order and every consistent LIMIT pick (counts,
`g % 4`, arrays sorted in SQL), and differs when a rescan returns stale or
re-picked rows: any difference between unorder_rows off and on is a wrong
answer.
"""

from dataclasses import dataclass, field


@dataclass
class Case:
    name: str
    sql: str
    settings: dict = field(default_factory=dict)
    setup: str = ""  # run once in the case's transaction, before the query
    sorted_prefix: int = 0  # leading columns an ORDER BY keeps sorted
    cursor: bool = False  # also fetch it through cursors (SCROLL, neither, NO SCROLL)


NO_INDEX = {"enable_indexscan": "off", "enable_bitmapscan": "off", "enable_indexonlyscan": "off"}
ONLY_HASHJOIN = {"enable_mergejoin": "off", "enable_nestloop": "off"}
ONLY_MERGEJOIN = {"enable_hashjoin": "off", "enable_nestloop": "off"}
ONLY_NESTLOOP = {"enable_hashjoin": "off", "enable_mergejoin": "off"}
RESCANNED_INNER = {**ONLY_NESTLOOP, "enable_material": "off", "enable_memoize": "off"}
PARALLEL = {
    "parallel_setup_cost": "0",
    "parallel_tuple_cost": "0",
    "min_parallel_table_scan_size": "0",
    "max_parallel_workers_per_gather": "2",
}

# name, SQL with {k}, settings, whether ids are unique and within o_t's 1..300
CORES = [
    ("seqscan", "SELECT c.id, c.g FROM o_t c WHERE c.g % 4 = {k}", NO_INDEX, True),
    ("indexscan", "SELECT c.id, c.g FROM o_t c WHERE c.g = ANY (ARRAY[{k}, {k} + 4])",
     {"enable_seqscan": "off", "enable_bitmapscan": "off"}, True),
    ("bitmapscan", "SELECT c.id, c.g FROM o_t c WHERE c.g = ANY (ARRAY[{k}, {k} + 4])",
     {"enable_seqscan": "off", "enable_indexscan": "off"}, True),
    ("hashjoin", "SELECT c.id, c.g FROM o_t c JOIN o_u u ON u.id = c.id WHERE c.g % 4 = {k}", ONLY_HASHJOIN, True),
    ("mergejoin", "SELECT c.id, c.g FROM o_t c JOIN o_u u ON u.id = c.id WHERE c.g % 4 = {k}", ONLY_MERGEJOIN, True),
    ("nestloop", "SELECT c.id, c.g FROM o_t c JOIN o_u u ON u.id = c.id WHERE c.g % 4 = {k}", ONLY_NESTLOOP, True),
    ("hash_on_param", "SELECT c.id, c.g FROM o_t c JOIN unnest(ARRAY[{k}, {k} + 4]) x(v) ON c.g = x.v",
     ONLY_HASHJOIN, True),
    ("values_join", "SELECT c.id, c.g FROM o_t c JOIN (VALUES ({k}), ({k} + 4)) v(x) ON c.g = v.x", {}, True),
    ("memoize", "SELECT c.id, c.g FROM o_u u JOIN o_t c ON c.id = u.v + 1 WHERE c.g % 4 = {k}", ONLY_NESTLOOP, False),
    ("hashagg", "SELECT min(c.id) AS id, c.g FROM o_t c WHERE c.g % 4 = {k} GROUP BY c.g", {"enable_sort": "off"}, True),
    ("sortagg", "SELECT min(c.id) AS id, c.g FROM o_t c WHERE c.g % 4 = {k} GROUP BY c.g", {"enable_hashagg": "off"},
     True),
    ("mixedagg", "SELECT min(c.id) AS id, c.g FROM o_t c WHERE c.g % 4 = {k} GROUP BY GROUPING SETS ((c.g), (c.g, c.h))",
     {}, False),
    ("hash_distinct", "SELECT DISTINCT c.g * 100 + c.h AS id, c.g FROM o_t c WHERE c.g % 4 = {k}",
     {"enable_sort": "off"}, False),
    ("sort_distinct", "SELECT DISTINCT c.g * 100 + c.h AS id, c.g FROM o_t c WHERE c.g % 4 = {k}",
     {"enable_hashagg": "off"}, False),
    ("hash_union", "SELECT c.id, c.g FROM o_t c WHERE c.g % 4 = {k} "
                   "UNION SELECT c.id, c.g FROM o_pt c WHERE c.g % 4 = {k} AND c.id % 3 = 0", {"enable_sort": "off"},
     True),
    ("sort_union", "SELECT c.id, c.g FROM o_t c WHERE c.g % 4 = {k} "
                   "UNION SELECT c.id, c.g FROM o_pt c WHERE c.g % 4 = {k} AND c.id % 3 = 0",
     {"enable_hashagg": "off"}, True),
    ("union_all", "SELECT c.id, c.g FROM o_t c WHERE c.g % 4 = {k} "
                  "UNION ALL SELECT u.id, u.g FROM o_u u WHERE u.g % 4 = {k}", {}, False),
    ("hash_except", "SELECT c.id, c.g FROM o_t c WHERE c.g % 4 = {k} EXCEPT SELECT c.id, c.g FROM o_t c WHERE c.id % 3 = 0",
     {"enable_sort": "off"}, True),
    ("sort_intersect", "SELECT c.id, c.g FROM o_t c WHERE c.g % 4 = {k} "
                       "INTERSECT SELECT c.id, c.g FROM o_pt c WHERE c.id % 2 = 0", {"enable_hashagg": "off"}, True),
    ("window", "SELECT w.id, w.g FROM (SELECT c.id, c.g, count(*) OVER (PARTITION BY c.g) AS n "
               "FROM o_t c WHERE c.g % 4 = {k}) w WHERE w.n > 0", {}, True),
    ("cte", "WITH x AS MATERIALIZED (SELECT c.id, c.g FROM o_t c WHERE c.g % 4 = {k}) SELECT x.id, x.g FROM x", {}, True),
    ("recursive_cte", "WITH RECURSIVE r(id, g) AS (SELECT c.id, c.g FROM o_t c WHERE c.g % 4 = {k} AND c.id <= 40 "
                      "UNION ALL SELECT r.id + 40, r.g FROM r WHERE r.id + 40 <= 300) SELECT r.id, r.g FROM r", {}, True),
    ("partitions", "SELECT c.id, c.g FROM o_pt c WHERE c.g % 4 = {k}", NO_INDEX, True),
    ("partitions_index", "SELECT c.id, c.g FROM o_pt c WHERE c.g = ANY (ARRAY[{k}, {k} + 4])",
     {"enable_seqscan": "off", "enable_bitmapscan": "off"}, True),
    ("inheritance", "SELECT c.id, c.g FROM o_parent c WHERE c.g % 4 = {k}", {}, True),
    ("lateral_inside", "SELECT c.id, c.g FROM o_t c CROSS JOIN LATERAL "
                       "(SELECT u.v FROM o_u u WHERE u.id = c.id LIMIT 1) l WHERE c.g % 4 = {k}", {}, True),
    ("sql_function", "SELECT f.id, f.g FROM o_rows_sql({k}) f", {}, True),
    ("plpgsql_function", "SELECT f.id, f.g FROM o_rows_plpgsql({k}) f", {}, True),
]

# name, SQL with {core} (uncorrelated, or correlated through {core_of(X)}), settings, needs unique ids,
# sorted prefix, fetch through a cursor too
WRAPPERS = [
    ("top", "SELECT s.id, s.g FROM ({core}) s", {}, False, 0, True),
    ("top_parallel", "SELECT s.id, s.g FROM ({core}) s", PARALLEL, False, 0, False),
    ("top_order_by_ties", "SELECT s.g, s.id FROM ({core}) s ORDER BY s.g", {}, False, 1, True),
    ("top_limit", "SELECT count(*), min(l.g % 4), max(l.g % 4) FROM (SELECT s.g FROM ({core}) s LIMIT 5) l",
     {}, False, 0, False),
    ("array_correlated", "SELECT o.id, (SELECT array_agg(x ORDER BY x) FROM unnest(ARRAY("
                         "SELECT s.id FROM ({core_of(o.k)}) s)) x) FROM o_p o", {}, False, 0, False),
    ("scalar_limit_correlated", "SELECT o.id, (SELECT s.g % 4 FROM ({core_of(o.k)}) s LIMIT 1) FROM o_p o",
     {}, False, 0, False),
    ("count_limit_correlated", "SELECT o.id, (SELECT count(*) FROM (SELECT s.id FROM ({core_of(o.k)}) s LIMIT 5) l) "
                               "FROM o_p o", {}, False, 0, False),
    ("lateral_limit", "SELECT o.id, l.k FROM o_p o CROSS JOIN LATERAL "
                      "(SELECT s.g % 4 AS k FROM ({core_of(o.k)}) s LIMIT 3) l", {}, False, 0, False),
    ("lateral_limit_nestloop", "SELECT o.id, l.k FROM o_p o CROSS JOIN LATERAL "
                               "(SELECT s.g % 4 AS k FROM ({core_of(o.k)}) s LIMIT 3) l", RESCANNED_INNER, False, 0,
     False),
    ("recursive_driver", "WITH RECURSIVE r(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM r WHERE n < 7) "
                         "SELECT r.n, (SELECT count(*) FROM (SELECT s.id FROM ({core_of(r.n % 4)}) s LIMIT 5) l), "
                         "(SELECT s.g % 4 FROM ({core_of(r.n % 4)}) s LIMIT 1) FROM r", {}, False, 0, False),
    ("nestloop_inner_pick", "SELECT count(l.id) FROM o_t a LEFT JOIN (SELECT s.id FROM ({core}) s LIMIT 7) l "
                            "ON l.id = a.id", RESCANNED_INNER, True, 0, False),
    ("material_inner_pick", "SELECT count(l.id) FROM o_t a LEFT JOIN (SELECT s.id FROM ({core}) s LIMIT 7) l "
                            "ON l.id = a.id", ONLY_NESTLOOP, True, 0, False),
    ("cross_pick", "SELECT count(*), count(DISTINCT l.x) <= 3 FROM o_p a CROSS JOIN "
                   "(SELECT s::text AS x FROM ({core}) s LIMIT 3) l", RESCANNED_INNER, False, 0, False),
    ("subplan_per_partition", "SELECT count(*) FROM o_pt a WHERE a.id NOT IN (SELECT s.id FROM ({core}) s LIMIT 7)",
     {}, True, 0, False),
    ("plpgsql_body", "SELECT o.id, f FROM o_p o CROSS JOIN LATERAL pg_temp.o_wrap(o.k) f", {}, False, 0, False),
    ("update_returning", "UPDATE o_u SET v = v + 1 WHERE o_u.id IN (SELECT s.id FROM ({core}) s) RETURNING o_u.id, o_u.v",
     {}, False, 0, False),
    ("delete_returning", "DELETE FROM o_u WHERE o_u.id IN (SELECT s.id FROM ({core}) s) RETURNING o_u.id, o_u.g",
     {}, False, 0, False),
]

PLPGSQL_WRAP = """CREATE FUNCTION pg_temp.o_wrap(p_k int) RETURNS SETOF int LANGUAGE plpgsql AS $f$
BEGIN RETURN QUERY SELECT s.g % 4 FROM ({core}) s LIMIT 3; END $f$"""


def core_sql(template, k):
    return template.replace("{k}", k)


def cases():
    """Every core under every wrapper it fits."""
    out = []
    for core_name, core, core_settings, unique_ids in CORES:
        for wrap_name, wrapper, wrap_settings, needs_unique, prefix, cursor in WRAPPERS:
            if needs_unique and not unique_ids:
                continue
            sql = wrapper.replace("{core}", core_sql(core, "1"))
            for outer in ("o.k", "r.n % 4"):
                sql = sql.replace("{core_of(%s)}" % outer, core_sql(core, "(%s)" % outer))
            setup = PLPGSQL_WRAP.replace("{core}", core_sql(core, "p_k")) if wrap_name == "plpgsql_body" else ""
            settings = {**core_settings, **wrap_settings}
            out.append(Case("%s/%s" % (wrap_name, core_name), sql, settings, setup, prefix, cursor))
    return out
