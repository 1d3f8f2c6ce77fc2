"""pytest --unorder-rows against real servers, through pytest subprocesses (pytester)."""
import json
import re
import xml.etree.ElementTree as ET

import pytest
from conftest import ROWS, use_server

# The suite under test: plain libpq clients reading a 20-row table in insertion order.
SUITE = '''
import json, os
import psycopg, psycopg2, pytest

def rows(sql="SELECT id FROM plugin_rows", driver="psycopg2"):
    conn = psycopg2.connect("") if driver == "psycopg2" else psycopg.connect("")
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return [r[0] for r in cur.fetchall()]
    finally:
        conn.close()

def test_first_row():
    assert rows("SELECT id FROM plugin_rows LIMIT 1") == [1]

def test_sorted():
    assert rows("SELECT id FROM plugin_rows ORDER BY id") == list(range(1, 21))

def test_count_only():
    assert sorted(rows()) == list(range(1, 21))

def test_broken():
    rows("SELECT id FROM plugin_rows LIMIT 1")
    assert False, "broken whatever the order"
'''


def assert_first_row_statement_listed(result):
    result.stdout.fnmatch_lines([
        "SELECT id FROM plugin_rows LIMIT 1",
        # a block-shuffled scan: the LIMIT stops after a few rows (one more when the first looks like the plain first)
        "    rows picked by LIMIT without ORDER BY: * row* above block-shuffled scan of plugin_rows",
    ])


def run(pytester, *args):
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly", *args)


def header_seed(result):
    for line in result.outlines:
        found = re.match(r"unorder_rows: on, seed (\d+); replay with: (.*)$", line)
        if found:
            return int(found.group(1)), found.group(2)
    raise AssertionError("no unorder_rows header line in:\n" + "\n".join(result.outlines))


@pytest.fixture
def suite(pytester, monkeypatch, preloaded):
    use_server(monkeypatch, preloaded)
    pytester.makepyfile(test_suite=SUITE)
    return pytester


def test_off_without_the_flag(suite):
    result = run(suite)
    result.assert_outcomes(passed=3, failed=1)
    assert not any("unorder_rows" in line for line in result.outlines)


def test_flag_switches_it_on_and_prints_the_replay_command(suite):
    result = run(suite, "--unorder-rows")
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines(["FAILED test_suite.py::test_first_row - assert [[]*] == [[]1[]]"])
    seed, command = header_seed(result)
    # pytester adds --basetemp=... in front of the arguments given here
    assert command.startswith("pytest --basetemp=")
    assert command.endswith(f" -p no:cacheprovider -p no:randomly --unorder-rows --unorder-rows-seed={seed}")


def test_seed_replays_the_same_orders(suite, monkeypatch):
    suite.makepyfile(test_order='''
import json, os
from test_suite import rows
def test_write():
    with open(os.environ["ORDER_FILE"], "a") as f:
        f.write(json.dumps(rows()) + "\\n")
''')
    orders = suite.path / "orders.txt"
    monkeypatch.setenv("ORDER_FILE", str(orders))
    for seed in (11, 11, 12):
        run(suite, "--unorder-rows", f"--unorder-rows-seed={seed}", "test_order.py").assert_outcomes(passed=1)
    first, again, other = (json.loads(line) for line in orders.read_text().splitlines())
    assert sorted(first) == list(range(1, ROWS + 1))
    assert first == again
    assert first != other
    assert first != list(range(1, ROWS + 1))


@pytest.mark.parametrize(
    "args, message",
    [
        (["--unorder-rows", "--unorder-rows-seed=0"], "--unorder-rows-seed must be between 1 and 2147483647, not 0"),
        (["--unorder-rows", "--unorder-rows-record"], "--unorder-rows-record needs --unorder-rows-baseline=FILE*"),
        (["--unorder-rows-seed=5"], "the --unorder-rows-* options need --unorder-rows"),
    ],
)
def test_bad_options_are_usage_errors(suite, args, message):
    result = run(suite, *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {message}"])


def test_failing_test_shows_its_perturbed_statements(suite):
    result = run(suite, "--unorder-rows")
    result.stdout.fnmatch_lines([
        "*_ test_first_row _*",
        "*- unorder_rows: statements whose row order was perturbed -*",
        "SELECT id FROM plugin_rows LIMIT 1",
        # a block-shuffled scan: the LIMIT stops after a few rows (one more when the first looks like the plain first)
        "    rows picked by LIMIT without ORDER BY: * row* above block-shuffled scan of plugin_rows",
    ])
    # the sorted test's statement has no open order, so it is not listed anywhere
    assert "ORDER BY id" not in result.stdout.str()


def test_statements_of_fixtures_come_after_the_tests_own(suite):
    suite.makepyfile(test_fixture='''
import pytest
from test_suite import rows

@pytest.fixture
def two():
    return rows("SELECT id FROM plugin_rows LIMIT 2")

def test_uses_fixture(two):
    assert rows("SELECT max(id) FROM (SELECT id FROM plugin_rows LIMIT 3) s") == [3]
''')
    result = run(suite, "--unorder-rows", "test_fixture.py")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*- unorder_rows: statements whose row order was perturbed -*",
        "SELECT max(id) FROM (SELECT id FROM plugin_rows LIMIT 3) s",
        # a block-shuffled scan: the LIMIT stops after a few rows (one more when the first looks like the plain first)
        "    rows picked by LIMIT without ORDER BY: * row* above block-shuffled scan of plugin_rows",
        "during setup (fixtures):",
        "SELECT id FROM plugin_rows LIMIT 2",
    ])


def test_summary_lists_passing_tests_that_ran_perturbed_statements(suite):
    result = run(suite, "--unorder-rows")
    result.stdout.fnmatch_lines([
        "*= unorder_rows =*",
        "2 failed with unorder_rows on:",
        "3 tests ran statements whose row order was perturbed*",
        "  passed   test_suite.py::test_count_only: result order without ORDER BY: 1",
    ])
    assert "test_suite.py::test_sorted:" not in result.stdout.str()


def test_confirm_labels_each_failure(suite):
    seed = 4242
    # A test that fails only under this seed: its first row is the one seed 4242 picks.
    probe = suite.makepyfile(test_probe='''
from test_suite import rows
def test_probe():
    print("FIRST", rows("SELECT id FROM plugin_rows LIMIT 1"))
''')
    picked = run(suite, "--unorder-rows", f"--unorder-rows-seed={seed}", "-s", str(probe))
    first = int(re.search(r"FIRST \[(\d+)\]", picked.stdout.str()).group(1))
    assert first != 1
    probe.unlink()
    suite.makepyfile(test_seed='''
from test_suite import rows
def test_only_this_seed():
    assert rows("SELECT id FROM plugin_rows LIMIT 1") != [%d]
''' % first)
    result = run(suite, "--unorder-rows", f"--unorder-rows-seed={seed}", "--unorder-rows-confirm")
    result.assert_outcomes(passed=2, failed=3)
    result.stdout.fnmatch_lines([
        "label: order-dependent (passes with unorder_rows off, fails with this seed and another)",
        "*= unorder_rows =*",
        "3 failed with unorder_rows on:",
        "  seed-dependent   test_seed.py::test_only_this_seed",
        "  fails anyway     test_suite.py::test_broken",
        "  order-dependent  test_suite.py::test_first_row",
    ])


def test_junit_xml_carries_the_facts(suite):
    xml = suite.path / "results.xml"
    run(suite, "--unorder-rows", "--unorder-rows-seed=77", "--unorder-rows-confirm", f"--junitxml={xml}")
    cases = {c.get("name"): {p.get("name"): p.get("value") for p in c.iter("property")}
             for c in ET.parse(xml).getroot().iter("testcase")}
    assert cases["test_first_row"] == {
        "unorder_rows.enabled": "on",
        "unorder_rows.seed": "77",
        "unorder_rows.statements": "1",
        "unorder_rows.kinds": "rows picked by LIMIT without ORDER BY: 1",
        "unorder_rows.label": "order-dependent",
    }
    assert cases["test_sorted"]["unorder_rows.statements"] == "0"
    assert cases["test_broken"]["unorder_rows.label"] == "fails anyway"


def test_baseline_record_then_expected_failures(suite):
    baseline = suite.path / "baseline.txt"
    recorded = run(suite, "--unorder-rows", "--unorder-rows-record", f"--unorder-rows-baseline={baseline}")
    recorded.assert_outcomes(passed=2, failed=2)
    listed = [line for line in baseline.read_text().splitlines() if not line.startswith("#")]
    assert listed == ["test_suite.py::test_first_row"]  # not test_broken: it fails anyway

    # the listed test is an expected failure; test_broken still fails the run
    again = run(suite, "--unorder-rows", f"--unorder-rows-baseline={baseline}")
    again.assert_outcomes(passed=2, failed=1, xfailed=1)
    again.stdout.fnmatch_lines(["baseline *baseline.txt: 1 listed, 1 failed as expected, 0 now pass, 1 new failures"])

    # without the broken test the run is green
    green = run(suite, "--unorder-rows", f"--unorder-rows-baseline={baseline}", "-k", "not broken")
    assert green.ret == pytest.ExitCode.OK
    green.assert_outcomes(passed=2, xfailed=1)

    # a listed test that passes now is reported, so the list shrinks
    baseline.write_text(baseline.read_text() + "test_suite.py::test_sorted\n")
    fixed = run(suite, "--unorder-rows", f"--unorder-rows-baseline={baseline}", "-k", "not broken")
    fixed.assert_outcomes(passed=1, xfailed=1, xpassed=1)
    fixed.stdout.fnmatch_lines(["  fixed, delete from the baseline: test_suite.py::test_sorted"])


def test_marker_turns_it_off_for_one_test(suite):
    # new connections and one that stays open across the tests (as Django keeps its own)
    suite.makepyfile(test_marked='''
import psycopg2, pytest
from test_suite import rows

@pytest.fixture(scope="module")
def kept():
    conn = psycopg2.connect("")
    yield conn
    conn.close()

def first(conn):
    with conn.cursor() as cur:
        cur.execute("SELECT id FROM plugin_rows LIMIT 1")
        return cur.fetchone()[0]

def test_on(kept):
    assert first(kept) != 1

@pytest.mark.unorder_rows(False)
def test_off(kept):
    assert rows("SELECT id FROM plugin_rows LIMIT 1") == [1]
    assert first(kept) == 1

def test_on_again(kept):
    assert rows("SELECT id FROM plugin_rows LIMIT 1") != [1]
    assert first(kept) != 1
''')
    result = run(suite, "--unorder-rows", "test_marked.py")
    result.assert_outcomes(passed=3)


def test_psycopg3_notices_are_collected(suite):
    suite.makepyfile(test_three='''
from test_suite import rows
def test_first_row_psycopg():
    assert rows("SELECT id FROM plugin_rows LIMIT 1", driver="psycopg") == [1]
''')
    result = run(suite, "--unorder-rows", "test_three.py")
    result.assert_outcomes(failed=1)
    assert_first_row_statement_listed(result)


def test_async_psycopg3_gets_the_settings_and_its_notices_are_collected(suite):
    suite.makepyfile(test_async='''
import asyncio, psycopg

async def first_row():
    conn = await psycopg.AsyncConnection.connect("")
    async with conn:
        cur = await conn.execute("SELECT id FROM plugin_rows LIMIT 1")
        return [r[0] for r in await cur.fetchall()]

def test_first_row_async():
    assert asyncio.run(first_row()) == [1]
''')
    result = run(suite, "--unorder-rows", "test_async.py")
    result.assert_outcomes(failed=1)
    assert_first_row_statement_listed(result)


def test_xdist_workers_share_the_seed(suite):
    pytest.importorskip("xdist")
    suite.makepyfile(test_seeds='''
import pytest
from test_suite import rows

@pytest.mark.parametrize("n", range(6))
def test_seed(n, record_property):
    record_property("seen", rows("SHOW unorder_rows.seed")[0])
''')
    xml = suite.path / "xdist.xml"
    result = run(suite, "--unorder-rows", "-n", "2", "test_seeds.py", f"--junitxml={xml}")
    result.assert_outcomes(passed=6)
    seed, _ = header_seed(result)
    seen = {p.get("value") for p in ET.parse(xml).getroot().iter("property") if p.get("name") == "seen"}
    assert seen == {str(seed)}


def test_server_without_the_library_fails_the_run(pytester, monkeypatch, plain):
    use_server(monkeypatch, plain)
    pytester.makepyfile(test_suite=SUITE)
    result = run(pytester, "--unorder-rows")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stdout.fnmatch_lines(["*unorder_rows: the library is not loaded in the sessions of the server at *"])

    loaded = run(pytester, "--unorder-rows", "--unorder-rows-load")
    loaded.assert_outcomes(passed=2, failed=2)


def test_seed_follows_pytest_randomly(suite):
    # pytest-randomly is not packaged by Debian: a stand-in registered under its plugin name
    # offers its option, as the real one does (an int in config.option.randomly_seed).
    suite.makeconftest('''
def pytest_addoption(parser):
    parser.addoption("--randomly-seed", type=int, dest="randomly_seed", default=None)

class Randomly:
    pass

def pytest_configure(config):
    config.pluginmanager.register(Randomly(), "randomly")
''')
    result = suite.runpytest_subprocess("-p", "no:cacheprovider", "--unorder-rows", "--randomly-seed=4294967295",
                                        "-k", "sorted")
    result.assert_outcomes(passed=1)
    assert header_seed(result)[0] == 4294967295 % 2147483647
