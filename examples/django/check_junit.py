#!/usr/bin/env python3
"""Check one pytest run of the bookshop example against what it must show.

    check_junit.py off results-off.xml    every test passed, in sessions with unorder_rows off
    check_junit.py on  results-on.xml [--confirm]
                                          every order_dependent test failed on an assertion,
                                          every fixed and kept test passed, unorder_rows on; with
                                          --confirm, the plugin labelled every failure
                                          order-dependent or seed-dependent (never "fails
                                          anyway") and listed its perturbed statements
    check_junit.py replay results-on.xml results-replay.xml
                                          the replay (--unorder-rows-seed = the seed of the "on"
                                          run) failed the same tests with the same messages
    check_junit.py baseline results.xml baseline.txt
                                          the recorded baseline lists exactly the order_dependent
                                          tests, and this run reported them as expected failures
                                          while every other test passed

Each test case carries the properties conftest.py records (its kind, the marker, and the
unorder_rows state of its database session) and those of the pytest plugin (unorder_rows.*).
Prints a summary line per kind; exits 1 on any mismatch.
"""
import sys
import xml.etree.ElementTree as ET
from collections import Counter

KINDS = ("order_dependent", "fixed", "kept")


def outcome(case):
    for tag, word in (("failure", "failed"), ("error", "error"), ("skipped", "skipped")):
        node = case.find(tag)
        if node is not None:
            if word == "skipped" and node.get("type") == "pytest.xfail":
                word = "xfailed"
            return word, node.get("message", "")
    return "passed", ""


def node_id(case):
    """The pytest node id of a test function of catalog/tests."""
    return case.get("classname").replace(".", "/") + ".py::" + case.get("name")


LABELS = ("order-dependent", "seed-dependent")


def main(mode, path, confirm=False):
    cases = list(ET.parse(path).getroot().iter("testcase"))
    problems = []
    counts = Counter()
    for case in cases:
        name = f"{case.get('classname')}::{case.get('name')}"
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        kind, state = props.get("kind"), props.get("session")
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
        if confirm and result == "failed":
            label = props.get("unorder_rows.label")
            counts[("label", label)] += 1
            if label not in LABELS:
                problems.append(f"{name} [{kind}]: labelled {label!r}, expected one of {LABELS}")
            if int(props.get("unorder_rows.statements", "0")) == 0:
                problems.append(f"{name} [{kind}]: failed, but the plugin saw no perturbed statement")
    for kind in KINDS:
        if not any(k == kind for k, _ in counts):
            problems.append(f"no {kind} test ran")
    for kind in KINDS:
        total = sum(n for (k, _), n in counts.items() if k == kind)
        detail = ", ".join(f"{n} {r}" for (k, r), n in sorted(counts.items()) if k == kind)
        print(f"  unorder_rows {mode}: {kind}: {total} tests, {detail}")
    if confirm:
        labels = ", ".join(f"{n} {label}" for (k, label), n in sorted(counts.items(), key=str) if k == "label")
        print(f"  unorder_rows {mode}: failures labelled by --unorder-rows-confirm: {labels}")
    for p in problems:
        print(f"  MISMATCH: {p}")
    return 1 if problems or not cases else 0


def baseline(path, listing):
    cases = list(ET.parse(path).getroot().iter("testcase"))
    with open(listing, encoding="utf-8") as f:
        listed = {line.strip() for line in f if line.strip() and not line.startswith("#")}
    wanted = {node_id(c) for c in cases if {p.get("name"): p.get("value") for p in c.iter("property")}.get("kind") == "order_dependent"}
    problems = []
    if listed != wanted:
        problems.append(f"the baseline lists {sorted(listed - wanted)} too many and misses {sorted(wanted - listed)}")
    counts = Counter()
    for case in cases:
        result, message = outcome(case)
        expected = "xfailed" if node_id(case) in listed else "passed"
        counts[result] += 1
        if result != expected:
            problems.append(f"{node_id(case)}: {result} {message[:200]!r}, expected {expected}")
    print(f"  baseline of {len(listed)} tests: " + ", ".join(f"{n} {r}" for r, n in sorted(counts.items())))
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
    if len(sys.argv) == 4 and sys.argv[1] == "baseline":
        sys.exit(baseline(sys.argv[2], sys.argv[3]))
    if len(sys.argv) == 4 and sys.argv[1] == "on" and sys.argv[3] == "--confirm":
        sys.exit(main("on", sys.argv[2], confirm=True))
    if len(sys.argv) != 3 or sys.argv[1] not in ("on", "off"):
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
