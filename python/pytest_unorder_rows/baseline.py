"""The adoption baseline: a plain text file of the tests known to depend on a row order.

One pytest node id per line; lines starting with '#' are comments. Written by
``--unorder-rows-record``, read by ``--unorder-rows-baseline`` to turn those tests into
expected failures until they are fixed.
"""
import datetime
from pathlib import Path
from typing import Iterable, Set


def read(path: Path) -> Set[str]:
    if not path.exists():
        return set()
    return {
        line.strip()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    }


def write(path: Path, node_ids: Iterable[str], seed: int) -> None:
    today = datetime.date.today().isoformat()
    lines = [
        "# Tests that depend on a row order SQL leaves unspecified (unorder_rows).",
        f"# Recorded by pytest --unorder-rows-record on {today} with seed {seed}.",
        "# pytest --unorder-rows --unorder-rows-baseline=<this file> reports them as expected",
        "# failures; delete a line once its test is fixed.",
    ]
    lines.extend(sorted(set(node_ids)))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
