"""Every crash point of every kind of transaction leaves the old state or the new one.

A child runs the transaction through a FileOps that dies right after its Nth step (os._exit,
SIGKILL, or halfway through a write); the parent then loads the directory with a fresh AppState.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from core.state import AppState
from tests.helpers import child_env
from tests.reliability.conftest import Recorder
from tests.reliability.crash_child import CRASH_EXIT
from tests.reliability.scenarios import (
    DATA,
    SCENARIOS,
    Scenario,
    copy_dir,
    load,
    scenario_ids,
    temp_files,
)

CHILD = Path(__file__).with_name("crash_child.py")
EXPECTED_EXIT = {"exit": CRASH_EXIT, "torn": CRASH_EXIT, "kill": -9}


@dataclass(frozen=True)
class CrashPoint:
    step: int
    label: str
    how: str

    def __str__(self) -> str:
        return f"{self.how} after step {self.step} ({self.label})"


@dataclass(frozen=True)
class Outcome:
    point: CrashPoint
    state: str  # "old", "new", or what went wrong

    @property
    def safe(self) -> bool:
        return self.state in ("old", "new")


def run_child(kind: str, directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(CHILD), kind, str(directory / DATA), *args],
        capture_output=True,
        text=True,
        env=child_env(directory),
        timeout=60,
    )


def crash_points(steps: list[str]) -> list[CrashPoint]:
    """Every step with os._exit and with SIGKILL, and every write torn in half."""
    points = [
        CrashPoint(n, label, how) for n, label in enumerate(steps, 1) for how in ("exit", "kill")
    ]
    points += [CrashPoint(n, s, "torn") for n, s in enumerate(steps, 1) if s.startswith("write")]
    return points


class CrashRun:
    """One scenario's template, its old and new states, and the check of one crash point."""

    def __init__(self, scenario: Scenario, root: Path) -> None:
        self.scenario = scenario
        self.root = root
        self.template = root / "template"
        self.template.mkdir()
        scenario.prepare(self.template)
        self.damaged = (self.template / DATA).read_bytes() if scenario.recovers else None
        self.old = load(copy_dir(self.template, root / "old")).key
        counted = copy_dir(self.template, root / "count")
        proc = run_child(scenario.kind, counted, "--count")
        assert proc.returncode == 0, proc.stderr
        self.steps: list[str] = json.loads(proc.stdout)
        self.new = load(counted).key

    def check(self, point: CrashPoint) -> Outcome:
        directory = copy_dir(self.template, self.root / f"{point.step}-{point.how}")
        proc = run_child(
            self.scenario.kind, directory, "--after", str(point.step), "--how", point.how
        )
        if proc.returncode != EXPECTED_EXIT[point.how]:
            return Outcome(
                point, f"child did not die there (exit {proc.returncode}): {proc.stderr}"
            )
        try:
            return Outcome(point, self._state_after(directory))
        except Exception as e:  # any exception is the failure this test looks for
            return Outcome(point, f"{type(e).__name__}: {e}")

    def _state_after(self, directory: Path) -> str:
        loaded = load(directory)
        state = {self.old: "old", self.new: "new"}.get(loaded.key, "an older or mixed state")
        if loaded.problems:
            return f"{loaded.problems} invalid records"
        if self.damaged is not None and not self._damaged_bytes_kept(directory):
            return "the damaged file's bytes were not kept"
        return state if self._next_transaction_works(directory) else "the next save left temps"

    def _damaged_bytes_kept(self, directory: Path) -> bool:
        return any(p.read_bytes() == self.damaged for p in directory.glob(f"{DATA}.corrupt-*"))

    def _next_transaction_works(self, directory: Path) -> bool:
        state = AppState(directory / DATA)
        before = len(state.snapshot.doc.records)
        state.add_task("added after the crash")
        again = AppState(directory / DATA)
        return not temp_files(directory) and len(again.snapshot.doc.records) == before + 1


def never_goes_back(outcomes: list[Outcome]) -> dict[CrashPoint, str]:
    """Once a crash point gives the new state, every later step of that kind must too."""
    errors = {}
    for how in ("exit", "kill"):
        seen_new = False
        for o in (o for o in outcomes if o.point.how == how):
            if seen_new and o.state == "old":
                errors[o.point] = "back to the old state after the new one"
            seen_new = seen_new or o.state == "new"
    return errors


@pytest.mark.reliability("crash points")
@pytest.mark.parametrize("scenario", SCENARIOS, ids=scenario_ids())
def test_every_crash_point_leaves_the_old_or_the_new_state(
    scenario: Scenario, tmp_path: Path, reliability: Recorder
) -> None:
    run = CrashRun(scenario, tmp_path)
    assert run.old != run.new, "the transaction must change something"
    points = crash_points(run.steps)
    reliability.attempt("crash points", len(points))
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        outcomes = list(pool.map(run.check, points))
    unsafe = {o.point: o.state for o in outcomes if not o.safe} | never_goes_back(outcomes)
    reliability.fail("crash points", len(unsafe))
    report = [f"{point}: {why}" for point, why in unsafe.items()]
    assert not unsafe, f"{scenario.name}, steps {run.steps}:\n" + "\n".join(report)
    # Both outcomes must occur, or the crash points are not where the transaction happens.
    assert {o.state for o in outcomes} == {"old", "new"}
