"""The reliability suite's report: tests record what they measured; one table at the end.

`pytest tests/reliability --reliability-report` prints the table and runs the heavy variants
(longer chaos, more hypothesis examples, every truncation with backups). Plain `pytest` runs a
smaller but still exhaustive-where-it-matters version inside `make test`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pytest

REPORT_OPTION = "--reliability-report"
# The table's rows, in the order a reader asks about them.
ROWS = (
    "crash points safe",
    "power-loss states checked",
    "power-loss checker teeth",
    "chaos kills survived",
    "chaos tasks acknowledged",
    "chaos tasks lost",
    "chaos temp files cleaned",
    "faults handled",
    "damaged files tried",
    "hostile texts shown literally",
)


@dataclass
class Figure:
    """A measured count, and the number it is out of when it is a pass rate."""

    value: int = 0
    total: int | None = None

    def __str__(self) -> str:
        return f"{self.value}" if self.total is None else f"{self.value} of {self.total}"


@dataclass
class ReliabilityReport:
    """Counters the tests add to; printed as one table at the end of the run."""

    figures: dict[str, Figure] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)

    def record(self, name: str, value: int, total: int | None = None) -> None:
        """Add `value` (out of `total`, for a pass rate) to the figure called `name`."""
        figure = self.figures.setdefault(name, Figure(0, None if total is None else 0))
        figure.value += value
        if total is not None:
            figure.total = (figure.total or 0) + total

    def lines(self) -> list[str]:
        """The table as Markdown, ready for README."""
        names = [n for n in ROWS if n in self.figures]
        names += [n for n in self.figures if n not in ROWS]
        rows = [("check", "result"), *((n, str(self.figures[n])) for n in names)]
        left = max(len(a) for a, _ in rows)
        right = max(len(b) for _, b in rows)
        out = [f"| {a:<{left}} | {b:<{right}} |" for a, b in rows]
        out.insert(1, f"|{'-' * (left + 2)}|{'-' * (right + 2)}|")
        return out


_REPORT = pytest.StashKey[ReliabilityReport]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        REPORT_OPTION,
        action="store_true",
        default=False,
        help="run the heavy reliability variants and print the reliability table",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_REPORT] = ReliabilityReport()


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config
) -> None:
    if not config.getoption(REPORT_OPTION) or _REPORT not in config.stash:
        return
    report = config.stash[_REPORT]
    terminalreporter.write_sep("=", "reliability report")
    for line in report.lines():
        terminalreporter.write_line(line)
    seconds = time.monotonic() - report.started
    terminalreporter.write_line(f"(measured in {seconds:.0f} s; exit status {exitstatus})")


@pytest.fixture
def reliability(request: pytest.FixtureRequest) -> ReliabilityReport:
    """The run's report: `reliability.record("crash points safe", safe, total)`."""
    return request.config.stash[_REPORT]


@pytest.fixture
def heavy(request: pytest.FixtureRequest) -> bool:
    """True under --reliability-report: run the long and wide variants."""
    return bool(request.config.getoption(REPORT_OPTION))
