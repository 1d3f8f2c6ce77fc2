#!/usr/bin/env python3
"""Check one pytest run of the bookshop example against what it must show.

    check_junit.py off results-off.xml    every test passed, in sessions with unorder_rows off
    check_junit.py on  results-on.xml     every order_dependent test failed on an assertion,
                                          every fixed and kept test passed, unorder_rows on
    check_junit.py replay results-on.xml results-replay.xml
                                          the replay (UNORDER_ROWS_SEED = the seed of the "on"
                                          run) failed the same tests with the same messages

Each test case carries the properties conftest.py records: its kind (the marker) and the
unorder_rows state of its database session. Prints a summary line per kind; exits 1 on any
mismatch.
"""
import sys
import xml.etree.ElementTree as ET
from collections import Counter

KINDS = ("order_dependent", "fixed", "kept")


def outcome(case):
    for tag, word in (("failure", "failed"), ("error", "error"), ("skipped", "skipped")):
        node = case.find(tag)
        if node is not None:
            return word, node.get("message", "")
    return "passed", ""


def main(mode, path):
    cases = list(ET.parse(path).getroot().iter("testcase"))
    problems = []
    counts = Counter()
    for case in cases:
        name = f"{case.get('classname')}::{case.get('name')}"
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        kind, state = props.get("kind"), props.get("unorder_rows")
        result, message = outcome(case)
        counts[(kind, result)] += 1
        if kind not in KINDS:
            problems.append(f"{name}: no kind recorded (properties {props}), result {result} {message}")
            continue
        if state != mode:
            problems.append(f"{name}: ran with unorder_rows={state}, expected {mode}")
        expected = "failed" if mode == "on" and kind == "order_dependent" else "passed"
        if result != expected:
            problems.append(f"{name} [{kind}]: {result} {message[:200]!r}, expected {expected}")
        elif result == "failed" and not message.startswith("AssertionError"):
            problems.append(f"{name} [{kind}]: failed, but not on an assertion: {message[:200]!r}")
    for kind in KINDS:
        if not any(k == kind for k, _ in counts):
            problems.append(f"no {kind} test ran")
    for kind in KINDS:
        total = sum(n for (k, _), n in counts.items() if k == kind)
        detail = ", ".join(f"{n} {r}" for (k, r), n in sorted(counts.items()) if k == kind)
        print(f"  unorder_rows {mode}: {kind}: {total} tests, {detail}")
    for p in problems:
        print(f"  MISMATCH: {p}")
    return 1 if problems or not cases else 0


def results(path):
    out = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        out[f"{case.get('classname')}::{case.get('name')}"] = (outcome(case), props.get("unorder_rows.seed"))
    return out


def replay(first_path, replay_path):
    first, again = results(first_path), results(replay_path)
    seeds = {seed for _, seed in first.values()}
    problems = []
    if len(seeds) != 1:
        problems.append(f"the first run used several seeds: {seeds}")
    for name, (result, seed) in again.items():
        if seed not in seeds:
            problems.append(f"{name}: replay ran with seed {seed}, not {seeds}")
        if name not in first:
            problems.append(f"{name}: not in the first run")
        elif result != first[name][0]:
            problems.append(f"{name}: replay gave {result}, the first run {first[name][0]}")
    if set(first) != set(again):
        problems.append("the replay ran other tests than the first run")
    same = sum(1 for name, (result, _) in again.items() if name in first and first[name][0] == result)
    failed = sum(1 for (r, _), _ in again.values() if r == "failed")
    print(f"  replay with seed {','.join(sorted(s or '?' for s in seeds))}: {same} of {len(first)} tests "
          f"gave the same result and message ({failed} failed)")
    for p in problems:
        print(f"  MISMATCH: {p}")
    return 1 if problems or not again else 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "replay":
        sys.exit(replay(sys.argv[2], sys.argv[3]))
    if len(sys.argv) != 3 or sys.argv[1] not in ("on", "off"):
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
