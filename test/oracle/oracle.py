#!/usr/bin/python3
"""Result oracle: run queries with unorder_rows off and on, compare what they return.

For each query: one transaction (REPEATABLE READ, so every run reads the same
snapshot and the same now()), the query run once with the extension off and
once per seed with it on, each in a savepoint that is rolled back (DML leaves
nothing behind).  The result multisets must be equal; for an ORDER BY the
leading key columns must come back in the same sequence; a query that fetched
through a cursor (SCROLL, neither, NO SCROLL) must return the same rows, and
where the cursor scrolls re-read the same order when rewound and the reverse
order backward.

Queries come from test/oracle/generate.py (plan node kinds x perturbation
positions x rescan triggers, each written so that any correct answer is the
same under every order) and, with --sqlsmith FILE, from sqlsmith.  For
sqlsmith's queries what SQL itself leaves open (docs/order-contract.md §5.1) is read off the
plan of EXPLAIN (VERBOSE, FORMAT JSON): a LIMIT below the top, window
functions, order-sensitive aggregates, volatile functions and TABLESAMPLE
make a query unfit for comparison; a LIMIT at the top compares row counts.

Exit status 1 on any difference, with a reproduction for each.
"""

import argparse
import collections
import json
import math
import os
import re
import sys
import time

import psycopg2

sys.path.insert(0, os.path.dirname(__file__))
import generate  # noqa: E402

# Aggregates whose result does not depend on the order of their input (floats aside).
ORDER_FREE_AGGREGATES = {
    "count", "sum", "avg", "min", "max", "bool_and", "bool_or", "every", "bit_and", "bit_or", "bit_xor",
    "stddev", "stddev_pop", "stddev_samp", "variance", "var_pop", "var_samp", "corr", "covar_pop", "covar_samp",
    "regr_avgx", "regr_avgy", "regr_count", "regr_intercept", "regr_r2", "regr_slope", "regr_sxx", "regr_sxy",
    "regr_syy", "range_intersect_agg",
}
IDENTIFIER_CALL = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(")
STATEMENT_TIMEOUT = "20s"


def normalize(value):
    """A value as a comparable, hashable thing; floats rounded (sums may round differently)."""
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return repr(value)
        return "%.6g" % value
    if isinstance(value, (list, tuple)):
        return tuple(normalize(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return "%s:%r" % (type(value).__name__, value)


def normalize_rows(rows):
    return [tuple(normalize(v) for v in row) for row in rows]


class Run:
    """What one execution returned: rows in order, or an error."""

    def __init__(self, rows=None, error=None, sqlstate=None, cursor_problem=None):
        self.rows, self.error, self.sqlstate, self.cursor_problem = rows, error, sqlstate, cursor_problem

    def multiset(self):
        return collections.Counter(self.rows)


class Oracle:
    def __init__(self, dsn, seeds):
        self.conn = psycopg2.connect(dsn)
        self.conn.autocommit = True
        self.seeds = seeds
        cur = self.conn.cursor()
        cur.execute("LOAD 'unorder_rows'")
        cur.execute("SELECT name FROM pg_settings")
        self.known_settings = {r[0] for r in cur.fetchall()}
        cur.execute("SELECT DISTINCT proname FROM pg_proc WHERE provolatile = 'v' AND prokind <> 'a'")
        self.volatile = {r[0] for r in cur.fetchall()} | {"statement_timestamp"}
        cur.execute("SELECT DISTINCT proname FROM pg_proc WHERE prokind IN ('a', 'w')")
        self.aggregates = {r[0] for r in cur.fetchall()}
        self.stats = collections.Counter()
        self.failures = []

    # ---- running

    def settings_sql(self, settings):
        return "".join("SET LOCAL %s = %s;\n" % (k, v) for k, v in settings.items() if k in self.known_settings)

    def execute_run(self, cur, case, on, seed):
        cur.execute("SAVEPOINT oracle_run")
        try:
            cur.execute("SET LOCAL statement_timeout = '%s';\n" % STATEMENT_TIMEOUT + self.settings_sql(case.settings)
                        + "SET LOCAL unorder_rows = %s; SET LOCAL unorder_rows.seed = %d;"
                        % ("on" if on else "off", seed))
            cur.execute(case.sql)
            run = Run(rows=normalize_rows(cur.fetchall()) if cur.description else [])
            if case.cursor:
                run.cursor_problem = self.check_cursor(cur, case, run.rows)
            return run
        except psycopg2.Error as e:
            return Run(error=(e.pgerror or str(e)).strip(), sqlstate=e.pgcode)
        finally:
            cur.execute("ROLLBACK TO SAVEPOINT oracle_run")

    # how a cursor is declared: SCROLL, neither (PostgreSQL lets it scroll where the plan can
    # scan backward), NO SCROLL (forward only)
    CURSOR_OPTIONS = ("SCROLL", "", "NO SCROLL")

    @classmethod
    def check_cursor(cls, cur, case, rows):
        """Fetch the query through cursors; say what breaks the rules of a cursor."""
        for options in cls.CURSOR_OPTIONS:
            problem = cls.check_one_cursor(cur, case, rows, options)
            if problem:
                return "%s (DECLARE c %sCURSOR)" % (problem, options + " " if options else "")
        return None

    @staticmethod
    def check_one_cursor(cur, case, rows, options):
        """Forward: the query's rows; where it scrolls, backward the reverse, rewound the same order."""
        cur.execute("DECLARE oracle_cursor %s CURSOR FOR %s" % (options, case.sql))
        cur.execute("SELECT is_scrollable FROM pg_cursors WHERE name = 'oracle_cursor'")
        scrollable = cur.fetchone()[0]
        cur.execute("FETCH 3 FROM oracle_cursor")
        first = normalize_rows(cur.fetchall())
        cur.execute("FETCH ALL FROM oracle_cursor")
        forward = first + normalize_rows(cur.fetchall())
        if collections.Counter(forward) != collections.Counter(rows):
            return "a cursor returned other rows than the query"
        cur.execute("FETCH 1 FROM oracle_cursor")
        if cur.fetchall():
            return "a cursor returned a row after its end"
        if scrollable:
            cur.execute("FETCH BACKWARD ALL FROM oracle_cursor")
            if normalize_rows(cur.fetchall()) != forward[::-1]:
                return "FETCH BACKWARD ALL did not return the forward order reversed"
            if len(forward) >= 2:
                cur.execute("FETCH ABSOLUTE 2 FROM oracle_cursor")
                if normalize_rows(cur.fetchall()) != [forward[1]]:
                    return "FETCH ABSOLUTE 2 did not return the second row fetched"
            cur.execute("MOVE ABSOLUTE 0 FROM oracle_cursor")
            cur.execute("FETCH ALL FROM oracle_cursor")
            if normalize_rows(cur.fetchall()) != forward:
                return "a rewound cursor read another order"
        cur.execute("CLOSE oracle_cursor")
        return None

    def execute_case(self, case, seeds):
        """Runs with it off, then on for each seed, all on one snapshot."""
        cur = self.conn.cursor()
        cur.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        try:
            if case.setup:
                cur.execute(case.setup)
            off = self.execute_run(cur, case, False, 0)
            return off, [(seed, self.execute_run(cur, case, True, seed)) for seed in seeds]
        finally:
            cur.execute("ROLLBACK")

    # ---- comparing

    @staticmethod
    def difference(case, off, on, compare):
        """Why the run with it on is wrong, or None."""
        if on.error is not None:
            if compare == "rows" and on.sqlstate != "57014":
                return "error with unorder_rows on only: %s" % on.error
            return None
        if on.cursor_problem and not off.cursor_problem:  # PostgreSQL's own bugs are not ours
            return on.cursor_problem
        if compare == "count":
            return None if len(on.rows) == len(off.rows) else "row count %d, off %d" % (len(on.rows), len(off.rows))
        if on.multiset() != off.multiset():
            return "other rows than with unorder_rows off"
        if case.sorted_prefix:
            keys = lambda rows: [r[: case.sorted_prefix] for r in rows]  # noqa: E731
            if keys(on.rows) != keys(off.rows):
                return "ORDER BY keys no longer sorted"
        return None

    def check(self, case, compare="rows"):
        """Compare one case; record a failure with its reproduction."""
        off, ons = self.execute_case(case, self.seeds)
        if off.error is not None:
            self.stats["skipped: error with unorder_rows off"] += 1
            return
        self.stats["compared"] += 1
        for seed, on in ons:
            why = self.difference(case, off, on, compare)
            if why:
                self.failures.append(self.reproduction(case, seed, why, off, on, compare))
                self.stats["different"] += 1
                return

    def minimal_settings(self, case, seed, compare):
        """Drop the settings the difference does not need."""
        for name in list(case.settings):
            trial = generate.Case(case.name, case.sql, {k: v for k, v in case.settings.items() if k != name},
                                  case.setup, case.sorted_prefix, case.cursor)
            off, ons = self.execute_case(trial, [seed])
            if off.error is None and self.difference(trial, off, ons[0][1], compare):
                case = trial
        return case

    def reproduction(self, case, seed, why, off, on, compare):
        case = self.minimal_settings(case, seed, compare)
        lines = ["-- %s: %s (seed %d)" % (case.name, why, seed),
                 "-- data: test/oracle/schema.sql", "BEGIN;", self.settings_sql(case.settings).rstrip()]
        if case.setup:
            lines.append(case.setup + ";")
        lines += ["SET LOCAL unorder_rows = off;", case.sql + ";",
                  "SET LOCAL unorder_rows = on; SET LOCAL unorder_rows.seed = %d;" % seed, case.sql + ";"]
        if on.cursor_problem:
            lines += ["DECLARE c %sCURSOR FOR %s;" % (re.sub(r".*\(DECLARE c (.*)CURSOR\)$", r"\1", on.cursor_problem),
                                                    case.sql),
                      "FETCH 3 FROM c; FETCH ALL FROM c; FETCH 1 FROM c;",
                      "FETCH BACKWARD ALL FROM c; FETCH ABSOLUTE 2 FROM c; MOVE ABSOLUTE 0 FROM c; FETCH ALL FROM c;"]
        lines.append("ROLLBACK;")
        if on.error is None and on.rows is not None and compare == "rows":
            only_off = list((off.multiset() - on.multiset()).elements())[:5]
            only_on = list((on.multiset() - off.multiset()).elements())[:5]
            lines.append("-- rows only with it off: %s" % (only_off,))
            lines.append("-- rows only with it on:  %s" % (only_on,))
        elif on.error:
            lines.append("-- error: %s" % on.error)
        return "\n".join(l for l in lines if l)

    # ---- what SQL leaves open in a query from sqlsmith

    def open_order(self, sql):
        """(how to compare, reason to skip) from the query's plan."""
        if not re.match(r"\s*(select|with|values|table)\b", sql, re.I):
            return None, "not a query"
        if re.search(r"\bdistinct\s+on\b", sql, re.I):
            return None, "DISTINCT ON picks open"
        cur = self.conn.cursor()
        try:
            cur.execute("SET unorder_rows = off; EXPLAIN (VERBOSE, FORMAT JSON) " + sql)
            plan = cur.fetchone()[0][0]["Plan"]
        except psycopg2.Error:
            return None, "error with unorder_rows off"
        compare = "rows"
        for node, depth in walk(plan):
            kind = node["Node Type"]
            if kind == "Limit" and depth > 0 or kind == "WindowAgg" or kind == "Sample Scan":
                return None, {"Limit": "LIMIT below the top", "WindowAgg": "window functions",
                              "Sample Scan": "TABLESAMPLE"}[kind]
            if kind == "Limit":
                compare = "count"
            calls = {m.group(1) for text in node_texts(node) for m in IDENTIFIER_CALL.finditer(text)}
            if calls & self.volatile:
                return None, "volatile function"
            if kind == "Aggregate" and (calls & self.aggregates) - ORDER_FREE_AGGREGATES:
                return None, "order-sensitive aggregate"
        return compare, None


def walk(plan, depth=0):
    yield plan, depth
    for child in plan.get("Plans", []):
        yield from walk(child, depth + 1)


def node_texts(node):
    for key, value in node.items():
        if key == "Plans":
            continue
        if isinstance(value, str):
            yield value
        elif isinstance(value, list):
            yield from (v for v in value if isinstance(v, str))


def read_sqlsmith(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    return [q.strip() for q in re.split(r";\s*\n", text) if q.strip()]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--sqlsmith", help="file of sqlsmith --dry-run queries")
    parser.add_argument("--seconds", type=float, default=120, help="budget for the sqlsmith queries")
    parser.add_argument("--only", help="run the generated cases whose name contains this")
    args = parser.parse_args()
    oracle = Oracle(args.dsn, [int(s) for s in args.seeds.split(",")])
    started = time.time()

    generated = [c for c in generate.cases() if not args.only or args.only in c.name]
    for case in generated:
        oracle.check(case)
    print("oracle: %d generated queries, %d compared, %d different (%.0fs)"
          % (len(generated), oracle.stats["compared"], oracle.stats["different"], time.time() - started))

    if args.sqlsmith:
        queries = read_sqlsmith(args.sqlsmith)
        ran, skipped = 0, collections.Counter()
        before = dict(oracle.stats)
        deadline = time.time() + args.seconds
        for i, sql in enumerate(queries):
            if time.time() > deadline:
                break
            ran += 1
            compare, reason = oracle.open_order(sql)
            if reason:
                skipped[reason] += 1
                continue
            oracle.check(generate.Case("sqlsmith#%d" % (i + 1), sql), compare)
        compared = oracle.stats["compared"] - before.get("compared", 0)
        print("oracle: %d sqlsmith queries of %d, %d compared, %d different; not compared: %s"
              % (ran, len(queries), compared, oracle.stats["different"] - before.get("different", 0),
                 ", ".join("%s %d" % kv for kv in sorted(skipped.items())) or "none"))

    for failure in oracle.failures:
        print("\n" + failure)
    if oracle.failures:
        print("\noracle: FAILED, %d queries return other results with unorder_rows on" % len(oracle.failures))
        return 1
    print("oracle: every compared query returned the same results with unorder_rows on")
    return 0


if __name__ == "__main__":
    sys.exit(main())
