#!/usr/bin/env python3
"""Classify PostgreSQL regression-suite outputs produced with unorder_rows on.

For every test of the schedule, results/T.out is compared with each reference that could be
right: expected/T.out, the alternatives expected/T_N.out, and (if given) the output of the same
suite with the extension loaded but off (the baseline, which absorbs differences that are not
the extension's: a minor-version gap between the suite's sources and the server, the locale).
The closest reference is kept (fewest unexplained differences).

The comparison is per query block: the statements psql echoes (the lines of sql/T.sql) are
anchors common to both outputs, and each anchor's output (the lines up to the next anchor) is
compared with the reference's output of the same anchor, ignoring whitespace like pg_regress
(diff -w). A block is
  same     identical;
  plan     identical once the UnorderRows nodes the extension adds (docs/order-contract.md §5.4: visible in EXPLAIN)
           are removed with their property lines, their child moved up in their place (and a
           Materialize PostgreSQL puts right above one for a scrollable cursor), comparing
           neither VERBOSE target lists nor parentheses (see plan_key);
  order    the same lines as a multiset (docs/order-contract.md §3: order left open by SQL);
  allowed  matched by an entry of the allow-list (a difference docs/order-contract.md permits) and of the shape
           the entry permits (see load_allowed and fits);
  failed   anything else.
A test fails if a block fails or if it has no results; "new ERROR lines" counts the ERROR lines
of its failed blocks that the reference lacks. A test's class is its worst block:
exact < order < plan < allowed < failed.

Usage: classify.py --schedule F --sql-dir D [--sql-dir D2] --expected-dir D [--expected-dir D2]
                   --results D [--baseline D] --allowed F --out D [--tests "T1 T2"]
Writes OUT/classification.txt, OUT/T.diff for each failed test, OUT/allowed_hits.txt.
Exit status 1 if any test failed.
"""
import argparse
import collections
import difflib
import os
import re
import sys

RANK = {"exact": 0, "order": 1, "plan": 2, "allowed": 3, "failed": 4}
WS = re.compile(r"\s+")
ROWS = re.compile(r"^\s*\(\d+ rows?\)\s*$")
DASHES = re.compile(r"^[-+\s]+$")
ERROR = re.compile(r"^(psql:[^ ]*: )?ERROR:")
NODE = "Custom Scan (UnorderRows)"


def read(path):
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        return [line.rstrip("\n") for line in f]


def key(line):
    """pg_regress compares with diff -w: whitespace does not count."""
    return WS.sub("", line)


# ------------------------------------------------------------------------------ anchors
def sql_lines(path):
    """The lines psql echoes: every non-empty input line (COPY data is not echoed, but an
    unmatched line only makes the enclosing block coarser)."""
    return [line.rstrip() for line in read(path) if line.strip()]


def anchor_positions(sql, out):
    """Map sql line index -> output line index for the lines psql echoed, found as the common
    subsequence of the script and the output."""
    matcher = difflib.SequenceMatcher(None, sql, [line.rstrip() for line in out], autojunk=False)
    pos = {}
    for a, b, n in matcher.get_matching_blocks():
        for i in range(n):
            pos[a + i] = b + i
    return pos


def blocks(sql, ref, res):
    """Split ref and res at the anchors echoed in both, keeping only monotone anchors.
    Returns (statement text, ref lines, res lines) per anchor, plus a leading block; the
    statement text is the echoed lines since the last block with output."""
    pref = anchor_positions(sql, ref)
    pres = anchor_positions(sql, res)
    cuts = []
    last_a = last_b = -1
    for i in sorted(set(pref) & set(pres)):
        a, b = pref[i], pres[i]
        if a > last_a and b > last_b:
            cuts.append((i, a, b))
            last_a, last_b = a, b
    bounds = [(None, 0, 0)] + cuts + [(None, len(ref), len(res))]
    out = []
    statement = []
    for (i, a, b), (_, next_a, next_b) in zip(bounds, bounds[1:]):
        r, s = ref[a:next_a], res[b:next_b]
        if i is not None:
            statement.append(sql[i])
        # the block of an anchor is the anchor line and the output after it
        out.append(("\n".join(statement), r, s))
        if r[1:] or s[1:]:
            statement = []  # output seen: the next anchor starts a new statement
    return out


# ------------------------------------------------------------------------------ plans
def indent(line):
    return len(line) - len(line.lstrip())


HEADER = re.compile(r"^(InitPlan|SubPlan|CTE) ")
MATERIAL = re.compile(r"^(->\s+)?Materialize(\s|$)")


def remove_node(lines, at, text):
    """Remove the plan node whose line is lines[at] (its name starts at column text) with its
    property lines, moving its only child (with the child's subtree) up into its place; its
    InitPlan/CTE blocks go where PostgreSQL would show them for the child: after the child's
    own properties and InitPlans, before its children. Returns False if it has no child."""
    line = lines[at]
    arrow = line.rfind("->", 0, text)
    own = text + 2  # column of the node's properties and of its child's arrow
    end = at + 1
    subplans = []  # the node's InitPlan/CTE blocks, kept
    while end < len(lines) and indent(lines[end]) >= own and not (
            indent(lines[end]) == own and lines[end].lstrip().startswith("->")):
        if indent(lines[end]) == own and HEADER.match(lines[end].lstrip()):
            subplans.append(lines[end])
        elif subplans and indent(lines[end]) > own:
            subplans.append(lines[end])
        end += 1
    if not (end < len(lines) and indent(lines[end]) == own and lines[end].lstrip().startswith("->")):
        return False
    child = [lines[end]]
    end += 1
    while end < len(lines) and indent(lines[end]) > own:
        child.append(lines[end])
        end += 1
    moved = []
    for k, c in enumerate(child):
        if k == 0 and arrow < 0:
            # the node was the root: its child becomes the root, without an arrow
            moved.append(line[:text] + c.lstrip()[2:].lstrip())
        else:
            moved.append(c[6:] if c[:6].strip() == "" else c.lstrip())
    ins = 1
    while ins < len(moved) and not (indent(moved[ins]) == own and (
            moved[ins].lstrip().startswith("->") or moved[ins].lstrip().startswith("SubPlan "))):
        ins += 1
    moved[ins:ins] = subplans
    lines[at:end] = moved
    return True


BLOCK_SCAN = NODE + " on "
BLOCK_SCAN_PROPERTIES = ("Perturbs: ", "Permutation: ", "Seed: ", "Blocks Visited: ", "Blocks: ", "Status: ")


def unshuffle_block_scan(lines, at, text):
    """A node that scans its table itself (src/block_scan.cpp) stands where PostgreSQL's Seq Scan
    stood, with the scan's Filter and Output: name it Seq Scan again and drop its own properties."""
    lines[at] = lines[at].replace(BLOCK_SCAN, "Seq Scan on ", 1)
    end = at + 1
    while end < len(lines) and indent(lines[end]) >= text + 2 and not lines[end].lstrip().startswith("->"):
        if indent(lines[end]) == text + 2 and lines[end].lstrip().startswith(BLOCK_SCAN_PROPERTIES):
            del lines[end]
        else:
            end += 1


def strip_nodes(lines):
    """Remove the UnorderRows nodes of a text-format plan (remove_node), and the Materialize that
    PostgreSQL puts right above one for a cursor that may fetch backward (the node cannot); a node
    that scans its table itself becomes the Seq Scan it replaced (unshuffle_block_scan).
    Returns the lines and how many nodes were removed."""
    lines = list(lines)
    removed = 0
    while True:
        at = next((n for n, line in enumerate(lines) if NODE in line), None)
        if at is None:
            return lines, removed
        text = lines[at].index("Custom Scan")
        if BLOCK_SCAN in lines[at]:
            unshuffle_block_scan(lines, at, text)
            removed += 1
            continue
        above = lines[at - 1] if at > 0 else ""
        if MATERIAL.match(above.lstrip()) and text == above.index("Materialize") + 6:
            remove_node(lines, at - 1, above.index("Materialize"))
            removed += 1
            continue
        if not remove_node(lines, at, text):
            del lines[at]  # no child found (unexpected shape): drop only the node line
        removed += 1


def plan_key(lines, lenient_output=False):
    """Comparison keys of a plan's lines. Once UnorderRows nodes are removed (lenient), a node
    that read the node's output prints its expressions one reference deeper: extra
    parentheses ("Sort Key: ((b + 1))"); and target lists (VERBOSE's Output) differ, since
    PostgreSQL plans a custom node's child with an exact target list."""
    out = []
    for line in lines:
        if lenient_output and line.lstrip().startswith("Output: "):
            continue
        if lenient_output and not (DASHES.match(line) or ROWS.match(line)):
            out.append(key(line).replace("(", "").replace(")", ""))
            continue
        if DASHES.match(line) and "-" in line:
            out.append("---")
        elif ROWS.match(line):
            out.append("(# rows)")
        else:
            out.append(key(line))
    return out


# ------------------------------------------------------------------------------ allow-list
FIELDS = ("test", "query", "differs", "clause", "why")
DIFFERS = ("values", "rows", "error", "any")


def load_allowed(path):
    """Entries of 'field: value' lines separated by blank lines (comments start with #):
      test     the test's name
      query    a regular expression searched (case-insensitive) in the statement's echoed text
      differs  values (default): same shape, other values; rows: the row count may differ too
               (values docs/order-contract.md §5.1 allows flow through a filter or join); error: the statement fails
               either way, with another message or DETAIL; any: a consequence of an earlier
               allowed difference of the same test (say which in 'why')
      clause   the clause of docs/order-contract.md that allows it
      why      the justification"""
    entries, cur = [], {}
    for n, line in enumerate(read(path) + [""], 1):
        if line.startswith("#"):
            continue
        if not line.strip():
            if cur:
                entries.append(cur)
                cur = {}
            continue
        field, sep, value = line.partition(":")
        field = field.strip()
        if not sep or field not in FIELDS:
            sys.exit(f"{path}:{n}: expected one of {', '.join(FIELDS)}: value")
        if field in cur:
            cur[field] += " " + value.strip()
        else:
            cur[field] = value.strip()
        cur.setdefault("line", n)
    for e in entries:
        for f in ("test", "query", "clause", "why"):
            if f not in e:
                sys.exit(f"{path}:{e['line']}: entry lacks '{f}'")
        e.setdefault("differs", "values")
        if e["differs"] not in DIFFERS:
            sys.exit(f"{path}:{e['line']}: differs must be one of {', '.join(DIFFERS)}")
        e["re"] = re.compile(e["query"], re.S | re.I)
        e["used"] = 0
    return entries


def fits(entry, r, s):
    """Whether a block's difference has the shape its allow-list entry permits."""
    rows = lambda ls: [key(x) for x in ls if ROWS.match(x)]
    errors = lambda ls: [key(x) for x in ls if ERROR.match(x)]
    if entry["differs"] == "any":
        return True
    if entry["differs"] == "error":
        return len(errors(r)) == len(errors(s)) > 0
    if errors(r) != errors(s):
        return False
    return entry["differs"] == "rows" or (len(r) == len(s) and rows(r) == rows(s))


# ------------------------------------------------------------------------------ classify
def classify(test, sql, ref, res, allowed):
    """Returns (worst rank, list of (class, statement, ref block, res block, entry)) for the
    blocks that differ."""
    found = []
    for text, r, s in blocks(sql, ref, res):
        kr, ks = [key(x) for x in r], [key(x) for x in s]
        if kr == ks:
            continue
        if any(NODE in x for x in s):
            stripped, _ = strip_nodes(s)
            if plan_key(stripped, True) == plan_key(r, True):
                found.append(("plan", text, r, s, None))
                continue
        if sorted(kr) == sorted(ks):
            found.append(("order", text, r, s, None))
            continue
        entry = next((e for e in allowed if e["test"] == test and e["re"].search(text)), None)
        if entry is not None and fits(entry, r, s):
            found.append(("allowed", text, r, s, entry))
            continue
        found.append(("failed", text, r, s, entry))
    worst = max((RANK[c] for c, *_ in found), default=0)
    return worst, found


def new_errors(found):
    """ERROR lines of the unexplained blocks that their reference lacks."""
    extra = collections.Counter()
    for c, _, r, s, _ in found:
        if c == "failed":
            extra += (collections.Counter(key(x) for x in s if ERROR.match(x))
                      - collections.Counter(key(x) for x in r if ERROR.match(x)))
    return sorted(extra.elements())


def schedule_tests(path):
    tests = []
    for line in read(path):
        m = re.match(r"^\s*(test|ignore):\s*(.*)$", line)
        if m and m.group(1) == "test":
            tests += m.group(2).split()
    return list(dict.fromkeys(tests))


def find(dirs, name):
    for d in dirs:
        p = os.path.join(d, name)
        if os.path.exists(p):
            return p
    return None


def candidates(expected_dirs, test):
    out = []
    for d in expected_dirs:
        if not os.path.isdir(d):
            continue
        for f in sorted(os.listdir(d)):
            if f == test + ".out" or re.fullmatch(re.escape(test) + r"_\d+\.out", f):
                out.append(os.path.join(d, f))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--schedule", required=True)
    ap.add_argument("--sql-dir", action="append", required=True)
    ap.add_argument("--expected-dir", action="append", required=True)
    ap.add_argument("--results", required=True)
    ap.add_argument("--baseline")
    ap.add_argument("--allowed", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--tests", help="space-separated tests to classify instead of the schedule's")
    args = ap.parse_args()

    allowed = load_allowed(args.allowed)
    os.makedirs(args.out, exist_ok=True)
    counts = collections.Counter()
    failed, baseline_differs = [], []
    allowed_hits = []
    report = open(os.path.join(args.out, "classification.txt"), "w")
    names = {0: "exact", 1: "order", 2: "plan", 3: "allowed", 4: "failed"}

    for test in (args.tests.split() if args.tests else schedule_tests(args.schedule)):
        res_path = os.path.join(args.results, test + ".out")
        sql_path = find(args.sql_dir, test + ".sql")
        refs = candidates(args.expected_dir, test)
        if args.baseline:
            base = os.path.join(args.baseline, test + ".out")
            if os.path.exists(base):
                # informational: does the suite pass with the extension loaded but off?
                bl = [key(x) for x in read(base)]
                if not any(bl == [key(x) for x in read(p)] for p in refs):
                    baseline_differs.append(test)
                refs.append(base)
        if not os.path.exists(res_path) or not refs or sql_path is None:
            counts["failed"] += 1
            failed.append((test, "no results, expected output or script"))
            print(f"{test}: failed (no results, expected output or script)", file=report)
            continue
        sql, res = sql_lines(sql_path), read(res_path)
        best = None
        for ref_path in refs:
            ref = read(ref_path)
            worst, found = classify(test, sql, ref, res, allowed)
            errors = new_errors(found)
            score = (sum(c == "failed" for c, *_ in found) + len(errors),
                     sum(c == "allowed" for c, *_ in found), len(found))
            if best is None or score < best[0]:
                best = (score, worst, found, errors, ref_path, ref)
        _, worst, found, errors, ref_path, ref = best
        cls = names[worst]
        counts[cls] += 1
        kinds = collections.Counter(c for c, *_ in found)
        detail = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
        print(f"{test}: {cls} vs {os.path.relpath(ref_path, os.path.dirname(ref_path) + '/..')}"
              + (f" ({detail})" if detail else ""), file=report)
        for c, text, r, s, entry in found:
            if c == "allowed":
                entry["used"] += 1
                allowed_hits.append((test, entry["clause"], text.splitlines()[-1] if text else ""))
        if worst == RANK["failed"]:
            why = []
            if errors:
                why.append(f"{len(errors)} new ERROR line(s)")
            nf = kinds.get("failed", 0)
            if nf:
                why.append(f"{nf} unexplained block(s)")
            failed.append((test, ", ".join(why)))
            with open(os.path.join(args.out, test + ".diff"), "w") as d:
                d.write(f"# {test}: results vs {ref_path}\n")
                for e in errors:
                    d.write(f"# new error: {e}\n")
                for c, text, r, s, entry in found:
                    if c != "failed":
                        continue
                    d.write("\n# ---- unexplained block of:\n")
                    d.writelines(f"#   {x}\n" for x in (text.splitlines() or ["(start of the file)"]))
                    if entry is not None:
                        d.write(f"# (allow-list entry at line {entry['line']} matches the statement,"
                                " but the shape differs: line count, row counts or errors)\n")
                    d.writelines(x + "\n" for x in difflib.unified_diff(r, s, "expected", "results", n=2, lineterm=""))
    report.close()

    with open(os.path.join(args.out, "allowed_hits.txt"), "w") as f:
        for test, clause, stmt in allowed_hits:
            f.write(f"{test}\t{clause}\t{stmt}\n")
    unused = [e for e in allowed if e["used"] == 0]

    total = sum(counts.values())
    print(f"tests: {total}  exact: {counts['exact']}  order-only: {counts['order']}  "
          f"plan-only: {counts['plan']}  allowed: {counts['allowed']}  failed: {counts['failed']}")
    if baseline_differs:
        print(f"note: with the extension off, {len(baseline_differs)} test(s) already differ from their "
              f"expected files (the baseline is then the reference): {' '.join(baseline_differs)}")
    if unused:
        # entries for other server versions' suites, or for differences that are gone
        with open(os.path.join(args.out, "allowed_unused.txt"), "w") as f:
            for e in unused:
                f.write(f"{args.allowed}:{e['line']}: {e['test']}: {e['query']}\n")
        print(f"note: {len(unused)} allow-list entries matched nothing (listed in "
              f"{os.path.join(args.out, 'allowed_unused.txt')})")
    for test, why in failed:
        print(f"FAILED {test}: {why}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
