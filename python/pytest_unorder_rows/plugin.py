"""pytest hooks of the unorder_rows plugin (registered through the pytest11 entry point).

Nothing changes unless ``--unorder-rows`` is given.  Then, per test:
1. the connections get the run's state (on, the run's seed; off for tests marked
   ``unorder_rows(False)``), and the report notices of the test's statements are collected;
2. a failing test gets a report section listing those statements;
3. with ``--unorder-rows-confirm`` a failing test runs again with the extension off and with
   another seed, and is labelled from the outcomes.
The test protocol is pytest's own (setup, call, teardown through call_and_report), run up to
three times for a failing test; only the first run's reports are logged, plus the teardown
that leaves the test's parents in place for the next item.
"""
import random
import shlex
from pathlib import Path
from typing import Dict, List, Optional

import pytest
from _pytest.runner import call_and_report

from . import baseline
from .connections import Connections, State
from .notices import Statement, TestLog

ORDER_DEPENDENT = "order-dependent"
SEED_DEPENDENT = "seed-dependent"
FAILS_ANYWAY = "fails anyway"
LABELS = {
    ORDER_DEPENDENT: "passes with unorder_rows off, fails with this seed and another",
    SEED_DEPENDENT: "passes with unorder_rows off and with another seed: only some orders break it",
    FAILS_ANYWAY: "fails with unorder_rows off too: not caused by the row order",
}
SEED_MAX = 2147483647
SECTION = "unorder_rows: statements whose row order was perturbed"


def pytest_addoption(parser):
    group = parser.getgroup("unorder_rows", "PostgreSQL row orders perturbed by the unorder_rows extension")
    group.addoption("--unorder-rows", action="store_true", default=False,
                    help="switch unorder_rows on for every PostgreSQL connection the tests open")
    group.addoption("--unorder-rows-seed", type=int, default=None, metavar="N",
                    help="replay the orders of an earlier run (default: a new seed, or pytest-randomly's)")
    group.addoption("--unorder-rows-confirm", action="store_true", default=False,
                    help="run each failing test again with unorder_rows off and with another seed, and label it")
    group.addoption("--unorder-rows-baseline", default=None, metavar="FILE",
                    help="tests listed in FILE are expected failures (xfail); only new ones fail the run")
    group.addoption("--unorder-rows-record", action="store_true", default=False,
                    help="write the order-dependent tests of this run to the baseline FILE (implies --unorder-rows-confirm)")
    group.addoption("--unorder-rows-load", action="store_true", default=False,
                    help="load the library in each session (session_preload_libraries; needs a superuser connection)")


@pytest.hookimpl(trylast=True)  # after pytest-randomly has settled its seed
def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "unorder_rows(enabled): unorder_rows on (True) or off (False) for this test under --unorder-rows",
    )
    if not config.getoption("unorder_rows"):
        return
    run = UnorderRowsRun(config, _choose_seed(config))
    config.pluginmanager.register(run, "unorder_rows_run")
    if config.pluginmanager.has_plugin("xdist"):
        config.pluginmanager.register(XdistHooks(run), "unorder_rows_xdist")
    run.start()


def _choose_seed(config) -> int:
    workerinput = getattr(config, "workerinput", None)
    if workerinput and "unorder_rows_seed" in workerinput:
        return int(workerinput["unorder_rows_seed"])
    given = config.getoption("unorder_rows_seed")  # its range is checked by _check_usage
    if given is not None:
        return given
    randomly = config.getoption("randomly_seed", None)
    if isinstance(randomly, int) and config.pluginmanager.has_plugin("randomly"):
        return randomly % SEED_MAX or 1
    return random.SystemRandom().randint(1, SEED_MAX)


def _check_usage(config) -> None:
    if config.getoption("unorder_rows_record") and not config.getoption("unorder_rows_baseline"):
        raise pytest.UsageError("--unorder-rows-record needs --unorder-rows-baseline=FILE to write to")
    seed = config.getoption("unorder_rows_seed")
    if seed is not None and not 1 <= seed <= SEED_MAX:
        raise pytest.UsageError(f"--unorder-rows-seed must be between 1 and {SEED_MAX}, not {seed}")
    if not config.getoption("unorder_rows") and any(
        config.getoption(o) for o in ("unorder_rows_seed", "unorder_rows_confirm", "unorder_rows_baseline",
                                      "unorder_rows_record")
    ):
        raise pytest.UsageError("the --unorder-rows-* options need --unorder-rows")


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config):
    _check_usage(config)


class XdistHooks:
    """pytest-xdist, on the controller: every worker gets the controller's seed."""

    def __init__(self, run):
        self.run = run

    def pytest_configure_node(self, node):
        node.workerinput["unorder_rows_seed"] = self.run.seed


class UnorderRowsRun:
    """One test session with --unorder-rows."""

    def __init__(self, config, seed: int):
        self.config = config
        self.seed = seed
        self.is_worker = hasattr(config, "workerinput")
        self.confirm = config.getoption("unorder_rows_confirm") or config.getoption("unorder_rows_record")
        self.record = config.getoption("unorder_rows_record")
        path = config.getoption("unorder_rows_baseline")
        self.baseline_path = Path(path) if path else None
        self.baseline = baseline.read(self.baseline_path) if path and not self.record else set()
        self.state = State(True, seed, config.getoption("unorder_rows_load"))
        self.log = TestLog()
        self.connections = Connections(self.state, self._collect)
        # what the summary shows, from the logged reports (also those of xdist workers)
        self.outcomes: Dict[str, str] = {}
        self.facts: Dict[str, Dict[str, str]] = {}

    def start(self) -> None:
        self.connections.install()
        self.connections.apply(self.state)

    def _collect(self, statement: Statement) -> None:
        self.log.add(statement)

    # -- header and collection -----------------------------------------------------------

    def replay_command(self) -> str:
        args: List[str] = []
        skip_next = False
        for arg in self.config.invocation_params.args:
            if skip_next:
                skip_next = False
                continue
            if arg == "--unorder-rows-seed":
                skip_next = True
                continue
            if arg.startswith("--unorder-rows-seed=") or arg == "--unorder-rows-record":
                continue
            args.append(str(arg))
        if "--unorder-rows" not in args:
            args.insert(0, "--unorder-rows")
        return shlex.join(["pytest", *args, f"--unorder-rows-seed={self.seed}"])

    def pytest_report_header(self, config):
        return [f"unorder_rows: on, seed {self.seed}; replay with: {self.replay_command()}"]

    def pytest_collection_modifyitems(self, items):
        if not self.baseline:
            return
        reason = f"unorder_rows baseline ({self.baseline_path}): known to depend on a row order"
        for item in items:
            if item.nodeid in self.baseline:
                item.add_marker(pytest.mark.xfail(reason=reason, strict=False))

    # -- the test protocol ---------------------------------------------------------------

    def _enabled_for(self, item) -> bool:
        marker = item.get_closest_marker("unorder_rows")
        if marker is None:
            return True
        enabled = marker.args[0] if marker.args else marker.kwargs.get("enabled", True)
        return bool(enabled)

    def _setup_and_call(self, item, state: State):
        """The item's setup and call under ``state``, not logged."""
        if hasattr(item, "_request") and not item._request:
            item._initrequest()  # a rerun, as pytest-rerunfailures does it
        self.connections.apply(state)
        self.log = TestLog(phase="setup")
        reports = [call_and_report(item, "setup", log=False)]
        if reports[0].passed and not item.config.getoption("setuponly", False):
            self.log.phase = "call"
            reports.append(call_and_report(item, "call", log=False))
        return reports, self.log

    def _teardown(self, item, reports, nextitem) -> None:
        """The item's teardown, keeping what ``nextitem`` (the item's parent for a rerun) needs."""
        self.log.phase = "teardown"
        reports.append(call_and_report(item, "teardown", log=False, nextitem=nextitem))
        if hasattr(item, "_request"):
            item._request = False
            item.funcargs = None

    @staticmethod
    def _failed(reports) -> bool:
        return any(r.failed for r in reports)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item, nextitem):
        ihook = item.ihook
        ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
        enabled = self._enabled_for(item)
        reports, log = self._setup_and_call(item, State(enabled, self.seed, self.state.load_library))
        self._stop_if_not_loaded()
        rerun = enabled and self.confirm and self._failed(reports) and hasattr(item, "_initrequest")
        self._teardown(item, reports, item.parent if rerun else nextitem)

        label = None
        last = reports
        if rerun:
            last, _ = self._setup_and_call(item, State(False, self.seed, self.state.load_library))
            if self._failed(last):
                label = FAILS_ANYWAY
            else:
                self._teardown(item, last, item.parent)
                other = self.seed % SEED_MAX + 1
                last, _ = self._setup_and_call(item, State(True, other, self.state.load_library))
                label = ORDER_DEPENDENT if self._failed(last) else SEED_DEPENDENT
            self._teardown(item, last, nextitem)
        self.connections.apply(self.state)

        # The first run's reports, with the teardown that left things ready for nextitem
        # (or the first run's own if that failed).
        logged = reports[:-1] + [reports[-1] if reports[-1].failed else last[-1]]
        self._annotate(item, logged, enabled, log, label)
        for report in logged:
            ihook.pytest_runtest_logreport(report=report)
        ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
        return True

    def _stop_if_not_loaded(self) -> None:
        where = self.connections.not_loaded
        if where is None:
            return
        pytest.exit(
            f"unorder_rows: the library is not loaded in the sessions of the server at {where}, so "
            "--unorder-rows would change nothing. Add unorder_rows to shared_preload_libraries "
            "(or ALTER DATABASE/ROLE ... SET session_preload_libraries = 'unorder_rows'), or run with "
            "--unorder-rows-load (needs a superuser connection).",
            returncode=pytest.ExitCode.USAGE_ERROR,
        )

    def _annotate(self, item, reports, enabled: bool, log: TestLog, label: Optional[str]) -> None:
        """The per-test facts: a section on the failing report, properties on the teardown one."""
        failing = next((r for r in reports if r.failed), None)
        if failing is not None and enabled:
            text = log.render() or "(none: no statement of this test had an open row order)"
            if label:
                text = f"label: {label} ({LABELS[label]})\n{text}"
            failing.sections.append((SECTION, text))
        kinds = log.kinds()
        props = [
            ("unorder_rows.enabled", "on" if enabled else "off"),
            ("unorder_rows.seed", str(self.seed)),
            ("unorder_rows.statements", str(log.executions)),
            ("unorder_rows.kinds", "; ".join(f"{k}: {n}" for k, n in sorted(kinds.items()))),
        ]
        if label:
            props.append(("unorder_rows.label", label))
        if item.nodeid in self.baseline:
            props.append(("unorder_rows.baseline", str(self.baseline_path)))
        reports[-1].user_properties.extend(props)

    # -- summary ---------------------------------------------------------------------------

    def pytest_runtest_logreport(self, report):
        if report.when == "call" or (report.when == "setup" and not report.passed):
            if report.failed:
                self.outcomes[report.nodeid] = "failed"
            elif hasattr(report, "wasxfail"):
                self.outcomes[report.nodeid] = "xpassed" if report.passed else "xfailed"
            else:
                self.outcomes.setdefault(report.nodeid, report.outcome)
        if report.when == "teardown":
            facts = {k: str(v) for k, v in report.user_properties if str(k).startswith("unorder_rows.")}
            if facts:
                self.facts[report.nodeid] = facts
            if report.failed:
                self.outcomes[report.nodeid] = "failed"

    def labelled(self, *labels: str) -> List[str]:
        return sorted(n for n, f in self.facts.items() if f.get("unorder_rows.label") in labels)

    def pytest_terminal_summary(self, terminalreporter):
        if self.is_worker:
            return
        tr = terminalreporter
        tr.section("unorder_rows")
        tr.write_line(f"seed {self.seed}; replay with: {self.replay_command()}")
        failed = sorted(n for n, o in self.outcomes.items() if o == "failed")
        if failed:
            tr.write_line(f"{len(failed)} failed with unorder_rows on:")
            for node_id in failed:
                label = self.facts.get(node_id, {}).get("unorder_rows.label")
                if label is None:
                    label = "not confirmed" if not self.confirm else "not rerun"
                tr.write_line(f"  {label:<16} {node_id}")
            if not self.confirm:
                tr.write_line("  (--unorder-rows-confirm runs each again with unorder_rows off and labels it)")
        perturbed = sorted(n for n, f in self.facts.items() if int(f.get("unorder_rows.statements", "0")) > 0)
        tr.write_line(f"{len(perturbed)} tests ran statements whose row order was perturbed "
                      "(passed ones included: their assertions did not compare that order):")
        for node_id in perturbed:
            facts = self.facts[node_id]
            tr.write_line(f"  {self.outcomes.get(node_id, '?'):<8} {node_id}: {facts.get('unorder_rows.kinds')}")
        if self.baseline:
            expected = sorted(n for n in self.baseline if self.outcomes.get(n) == "xfailed")
            fixed = sorted(n for n in self.baseline if self.outcomes.get(n) == "xpassed")
            tr.write_line(f"baseline {self.baseline_path}: {len(self.baseline)} listed, "
                          f"{len(expected)} failed as expected, {len(fixed)} now pass, {len(failed)} new failures")
            for node_id in fixed:
                tr.write_line(f"  fixed, delete from the baseline: {node_id}")
        if self.record:
            tr.write_line(f"recorded {len(self.labelled(ORDER_DEPENDENT, SEED_DEPENDENT))} order-dependent "
                          f"tests in {self.baseline_path}")

    def pytest_sessionfinish(self, session):
        if self.record and not self.is_worker:
            baseline.write(self.baseline_path, self.labelled(ORDER_DEPENDENT, SEED_DEPENDENT), self.seed)

    def pytest_unconfigure(self, config):
        self.connections.uninstall()
