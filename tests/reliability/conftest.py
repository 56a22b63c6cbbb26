"""The reliability suite's report: what each test attempted, and how it ended; one table at the end.

`pytest tests/reliability --reliability-report` prints the table and runs the heavy variants
(longer chaos, more hypothesis examples, every truncation with backups). Plain `pytest` runs a
smaller but still exhaustive-where-it-matters version inside `make test`.

A test names the row it counts towards with `@pytest.mark.reliability("crash points")` and, when
it tries more than one thing, says how many before its assertions (`reliability.attempt(row, n)`).
Its outcome, taken from pytest's own report, decides where those units go: passed, failed (all
of them, unless the test said which failed with `reliability.fail`), or skipped with the reason.
A test that is skipped or fails before it counted still counts, as one unit: the marker says so.
Measured figures (kills, tasks acknowledged, verdicts) are kept whatever the outcome.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field

import pytest

REPORT_OPTION = "--reliability-report"
MARKER = "reliability"
# The rows, in the order a reader asks about them; each counts the units named.
ROWS = (
    "crash points",
    "power-loss disks",
    "power-loss checker teeth",
    "system-call traces",
    "chaos runs",
    "faults",
    "damaged files",
    "hostile texts",
    "recovery with replay",
)


@dataclass
class Row:
    """Units of one check: passed, failed, and skipped by reason."""

    passed: int = 0
    failed: int = 0
    skipped: Counter[str] = field(default_factory=Counter)

    @property
    def attempted(self) -> int:
        return self.passed + self.failed


@dataclass
class Attempt:
    """What one test said about one row before its outcome was known."""

    declared: int  # the marker's units: what counts if the test never says
    units: int = 0
    failed: int = 0  # units the test itself found failing
    said: bool = False

    def settle(self, row: Row, outcome: str, reason: str) -> None:
        units = self.units if self.said else self.declared
        if outcome == "skipped":
            row.skipped[reason] += units
            return
        failed = self.failed or (units if outcome == "failed" else 0)
        row.failed += failed
        row.passed += max(units - failed, 0)


@dataclass
class ReliabilityReport:
    """Rows settled from each test's outcome, and measured figures; printed as tables at the end."""

    rows: dict[str, Row] = field(default_factory=dict)
    measured: dict[str, dict[str, int]] = field(default_factory=dict)
    pending: dict[str, dict[str, Attempt]] = field(default_factory=dict)  # by test node id
    outcomes: dict[str, tuple[str, str]] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)

    def declare(self, item: pytest.Item) -> None:
        attempts = self.pending.setdefault(item.nodeid, {})
        for mark in item.iter_markers(MARKER):
            row = mark.args[0]
            attempts.setdefault(row, Attempt(int(mark.kwargs.get("units", 1))))

    def attempt(self, nodeid: str, row: str, units: int) -> Attempt:
        attempts = self.pending.get(nodeid, {})
        if row not in attempts:
            raise KeyError(f"{nodeid} counts {row!r} without @pytest.mark.{MARKER}({row!r})")
        attempt = attempts[row]
        attempt.units += units
        attempt.said = True
        return attempt

    def measure(self, group: str, label: str, value: int) -> None:
        figures = self.measured.setdefault(group, {})
        figures[label] = figures.get(label, 0) + value

    def observe(self, item: pytest.Item, report: pytest.TestReport) -> None:
        """Keep the worst outcome of the test's phases; settle its rows after teardown."""
        outcome, reason = self.outcomes.get(item.nodeid, ("passed", ""))
        if report.failed:
            outcome = "failed"
        elif report.skipped and outcome != "failed":
            outcome, reason = "skipped", _skip_reason(report)
        self.outcomes[item.nodeid] = (outcome, reason)
        if report.when == "teardown":
            outcome, reason = self.outcomes.pop(item.nodeid)
            for row, attempt in self.pending.pop(item.nodeid, {}).items():
                attempt.settle(self.rows.setdefault(row, Row()), outcome, reason)

    def lines(self) -> list[str]:
        """The tables as Markdown, ready for README: counts, skip reasons, measured figures."""
        names = [n for n in ROWS if n in self.rows] + [n for n in self.rows if n not in ROWS]
        counts = [(n, self.rows[n]) for n in names]
        out = _table(
            ("check", "attempted", "passed", "failed", "skipped"),
            [
                (n, *map(str, (r.attempted, r.passed, r.failed, r.skipped.total())))
                for n, r in counts
            ],
        )
        for name, row in counts:
            out += [f"skipped {units} {name}: {why}" for why, units in row.skipped.items()]
        if self.measured:
            figures = [
                (group, ", ".join(f"{value} {label}" for label, value in labels.items()))
                for group, labels in self.measured.items()
            ]
            out += ["", *_table(("measured", "figures"), figures)]
        return out


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    text = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    return text.removeprefix("Skipped: ")


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> list[str]:
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
    out = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |"
           for r in (header, *rows)]  # fmt: skip
    out.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return out


@dataclass
class Recorder:
    """The `reliability` fixture: one test's way to count towards rows and add figures."""

    report: ReliabilityReport
    nodeid: str

    def attempt(self, row: str, units: int = 1) -> None:
        """Say, before the assertions, that this test tries `units` more of `row`."""
        self.report.attempt(self.nodeid, row, units)

    def fail(self, row: str, units: int = 1) -> None:
        """Say that `units` of what this test attempted failed (the rest then passed)."""
        self.report.attempt(self.nodeid, row, 0).failed += units

    def measure(self, group: str, label: str, value: int) -> None:
        """Add `value` to the figure `label` of `group` (kept whatever the test's outcome)."""
        self.report.measure(group, label, value)


_REPORT = pytest.StashKey[ReliabilityReport]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        REPORT_OPTION,
        action="store_true",
        default=False,
        help="run the heavy reliability variants and print the reliability table",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{MARKER}(row, units=1): the reliability-report row this test counts towards"
    )
    config.stash[_REPORT] = ReliabilityReport()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    item.config.stash[_REPORT].declare(item)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if _REPORT in item.config.stash:
        item.config.stash[_REPORT].observe(item, report)
    return report


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
def reliability(request: pytest.FixtureRequest) -> Recorder:
    """This test's recorder: `reliability.attempt("crash points", len(points))`."""
    return Recorder(request.config.stash[_REPORT], request.node.nodeid)


@pytest.fixture
def heavy(request: pytest.FixtureRequest) -> bool:
    """True under --reliability-report: run the long and wide variants."""
    return bool(request.config.getoption(REPORT_OPTION))
