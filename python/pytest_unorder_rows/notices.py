"""The server's report lines (unorder_rows.report = notice), parsed and counted per test.

One perturbed statement gives one notice:

    unorder_rows: perturbed rows picked by LIMIT without ORDER BY (12 rows above Seq Scan on t)
    DETAIL:  Replay with SET unorder_rows.seed = 4242.
             Statement: SELECT id FROM t LIMIT 3
"""
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

PREFIX = "unorder_rows: perturbed "
_PERTURBATION = re.compile(r"(.+?) \((\d+) rows? above (.+?)\)(?:, |$)")
_SEED = re.compile(r"Replay with SET unorder_rows\.seed = (\d+)\.")

# Distinct statements kept per test; further ones are only counted.
MAX_STATEMENTS = 50


@dataclass(frozen=True)
class Perturbation:
    """One open order of one statement: what kind, how many rows, above which plan node."""

    kind: str
    rows: int
    node: str


@dataclass
class Statement:
    """A perturbed statement and how often it ran during the test."""

    text: str
    perturbations: Tuple[Perturbation, ...]
    seed: Optional[int]
    executions: int = 1
    phase: str = "call"  # setup, call or teardown of the test


def parse(message: str, detail: Optional[str]) -> Optional[Statement]:
    """A Statement from a notice's primary message and detail, or None if it is not ours."""
    message = message.strip()
    if message.startswith("NOTICE:"):
        message = message[len("NOTICE:"):].strip()
    if not message.startswith(PREFIX):
        return None
    body = message[len(PREFIX):]
    perturbations = tuple(
        Perturbation(kind, int(rows), node) for kind, rows, node in _PERTURBATION.findall(body)
    ) or (Perturbation(body, 0, "?"),)
    seed = None
    text = ""
    if detail:
        found = _SEED.search(detail)
        seed = int(found.group(1)) if found else None
        marker = detail.find("Statement: ")
        if marker >= 0:
            text = detail[marker + len("Statement: "):].rstrip()
    return Statement(text, perturbations, seed)


def parse_libpq_text(notice: str) -> Optional[Statement]:
    """Parse a notice as libpq formats it (psycopg2's connection.notices)."""
    primary, _, detail = notice.partition("\nDETAIL:  ")
    return parse(primary, detail or None)


@dataclass
class TestLog:
    """The perturbed statements of one test, bounded in memory."""

    statements: Dict[Tuple[str, str, Tuple[Perturbation, ...]], Statement] = field(default_factory=dict)
    dropped: int = 0
    executions: int = 0
    phase: str = "call"

    def add(self, statement: Statement) -> None:
        self.executions += 1
        statement.phase = self.phase
        key = (statement.phase, statement.text, statement.perturbations)
        known = self.statements.get(key)
        if known is not None:
            known.executions += 1
        elif len(self.statements) < MAX_STATEMENTS:
            self.statements[key] = statement
        else:
            self.dropped += 1

    def kinds(self) -> Dict[str, int]:
        """Executions per kind of open order."""
        counts: Dict[str, int] = {}
        for statement in self.statements.values():
            for kind in {p.kind for p in statement.perturbations}:
                counts[kind] = counts.get(kind, 0) + statement.executions
        return counts

    def render(self) -> str:
        """The report section of a failing test: the test's own statements first."""
        lines: List[str] = []
        for phase in ("call", "setup", "teardown"):
            statements = [s for s in self.statements.values() if s.phase == phase]
            if statements and phase != "call":
                lines.append(f"during {phase} (fixtures):")
            for statement in statements:
                times = f" ({statement.executions} times)" if statement.executions > 1 else ""
                lines.append(f"{statement.text or '(statement text not reported)'}{times}")
                for p in statement.perturbations:
                    lines.append(f"    {p.kind}: {p.rows} {'row' if p.rows == 1 else 'rows'} above {p.node}")
        if self.dropped:
            lines.append(f"... and {self.dropped} more executions of other statements")
        return "\n".join(lines)
