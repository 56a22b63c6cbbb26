"""A power cut at any point of any transaction leaves the old state or the new one, and a history
that names the state the file holds (its step is in the history, with the file's records).

Each transaction runs for real through RecordingOps; the model in recording_fs rebuilds every
disk a power cut after each recorded step could leave, and a fresh AppState loads each one.
The checker is itself tested: with the temp-file fsync or the directory fsync skipped, it must
find a disk that breaks the rule.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.reliability.conftest import Recorder
from tests.reliability.recording_fs import (
    Disk,
    NoDirFsync,
    NoTempFsync,
    Op,
    PowerCutModel,
    RecordingOps,
    materialise,
    snapshot,
)
from tests.reliability.scenarios import (
    DATA,
    SCENARIOS,
    Scenario,
    copy_dir,
    load,
    run_transaction,
    scenario_ids,
)

RECOVERY = next(s for s in SCENARIOS if s.recovers)
DISKS, TEETH = "power-loss disks", "power-loss checker teeth"


@dataclass
class Recorded:
    """A transaction run for real: the disk it started from, its steps, the states around it."""

    initial: Disk
    log: list[Op]
    old: object
    new: object


def record_transaction(
    scenario: Scenario, root: Path, ops_type: type[RecordingOps] = RecordingOps
) -> Recorded:
    start = root / "start"
    start.mkdir()
    scenario.prepare(start)
    initial = snapshot(start)
    old = load(copy_dir(start, root / "old")).key
    ops = ops_type(start)
    run_transaction(scenario.kind, os.fspath(start / DATA), ops)
    return Recorded(initial, ops.log, old, load(start).key)


@dataclass
class PowerCutCheck:
    """Loads each distinct disk once and checks it against what its point in the log allows."""

    root: Path
    run: Recorded
    allow_recovery: bool = False
    keep: bytes | None = None  # bytes every disk must still hold somewhere (damaged data)
    outcomes: dict[tuple[tuple[str, bytes], ...], str] = field(default_factory=dict)
    violations: dict[str, None] = field(default_factory=dict)  # ordered, without repeats
    bad_disks: set[tuple[tuple[str, bytes], ...]] = field(default_factory=set)

    def every_power_cut(self, ordered: bool = False) -> PowerCutCheck:
        """Cuts after 0, 1, ... len(log) steps: old or new before the end, only new after it."""
        log = self.run.log
        model = PowerCutModel.starting_from(self.run.initial, ordered)
        for k in range(len(log) + 1):
            if k:
                model.step(log[k - 1])
            allowed = ("new",) if k == len(log) else ("old", "new")
            where = f"after step {k} of {len(log)} ({log[k - 1] if k else 'start'})"
            for disk in model.disks():
                self._check(disk, allowed, where)
        return self

    def _check(self, disk: Disk, allowed: tuple[str, ...], where: str) -> None:
        key = tuple(sorted(disk.items()))
        if key not in self.outcomes:
            self.outcomes[key] = self._outcome(disk)
        if self.outcomes[key] not in allowed:
            self.bad_disks.add(key)
            files = ", ".join(f"{n} ({len(d)} bytes)" for n, d in sorted(disk.items()))
            self.violations[f"{where}: a power cut can leave [{files}]: {self.outcomes[key]}"] = (
                None
            )

    def _outcome(self, disk: Disk) -> str:
        if self.keep is not None and self.keep not in disk.values():
            return "the damaged file's bytes are gone"
        directory = materialise(disk, self.root / f"cut-{len(self.outcomes)}")
        try:
            loaded = load(directory)
        except Exception as e:  # what the check looks for: a disk that does not load
            return f"{type(e).__name__}: {e}"
        if loaded.recovered and not self.allow_recovery:
            return "the data file was torn (it needed a backup)"
        if loaded.history_problem:
            return loaded.history_problem
        return {self.run.old: "old", self.run.new: "new"}.get(loaded.key, "an older or mixed state")

    def report(self) -> str:
        return "\n".join(list(self.violations)[:20])

    def count(self, reliability: Recorder) -> PowerCutCheck:
        """Each distinct disk is one unit: failed when a power cut where it occurs breaks the rule."""
        reliability.attempt(DISKS, len(self.outcomes))
        reliability.fail(DISKS, len(self.bad_disks))
        return self


@pytest.mark.reliability(DISKS)
@pytest.mark.parametrize("scenario", SCENARIOS, ids=scenario_ids())
def test_every_power_cut_leaves_the_old_or_the_new_state(
    scenario: Scenario, tmp_path: Path, reliability: Recorder
) -> None:
    run = record_transaction(scenario, tmp_path)
    check = PowerCutCheck(tmp_path, run, allow_recovery=scenario.recovers).every_power_cut()
    check.count(reliability)
    assert not check.violations, check.report()
    assert {"old", "new"} <= set(check.outcomes.values())


@pytest.mark.reliability(DISKS)
def test_an_ordered_journal_never_loses_the_damaged_bytes_recovery_quarantines(
    tmp_path: Path, reliability: Recorder
) -> None:
    run = record_transaction(RECOVERY, tmp_path)
    check = PowerCutCheck(tmp_path, run, True, keep=run.initial[DATA])
    check.every_power_cut(ordered=True).count(reliability)
    assert not check.violations, check.report()


@pytest.mark.reliability(DISKS)
def test_any_power_cut_keeps_the_damaged_bytes_recovery_quarantines(
    tmp_path: Path, reliability: Recorder
) -> None:
    run = record_transaction(RECOVERY, tmp_path)
    check = PowerCutCheck(tmp_path, run, True, keep=run.initial[DATA]).every_power_cut()
    check.count(reliability)
    assert not check.violations, check.report()


BROKEN = {"no temp-file fsync": NoTempFsync, "no directory fsync": NoDirFsync}


@pytest.mark.reliability(TEETH)
@pytest.mark.parametrize("broken", BROKEN.values(), ids=BROKEN.keys())
@pytest.mark.parametrize("scenario", SCENARIOS[:2], ids=scenario_ids()[:2])
def test_the_checker_catches_a_missing_fsync(
    scenario: Scenario, broken: type[RecordingOps], tmp_path: Path
) -> None:
    run = record_transaction(scenario, tmp_path, broken)
    check = PowerCutCheck(tmp_path, run).every_power_cut()
    assert check.violations, f"{broken.__doc__} and the checker found nothing"


@pytest.mark.reliability(DISKS)
def test_every_power_cut_during_a_compaction_leaves_the_old_or_the_new_history(
    tmp_path: Path, reliability: Recorder
) -> None:
    """The history's compaction is an atomic rewrite: every disk a power cut can leave holds a
    history that parses to the steps before it or the steps after it, never fewer."""
    from core.storage.history import Change, History, entry_line, parse

    start = tmp_path / "start"
    start.mkdir()
    path = start / f"{DATA}.history"
    seed = History(str(path), RecordingOps(start))
    for step, at in enumerate(["2025-01-01T00:00:00Z", "2026-06-01T00:00:00Z"], 1):
        rec = {"id": step, "uuid": f"u{step}", "name": f"task {step}"}
        seed.append(entry_line(step, at, {}, Change("add", ((rec["uuid"], None, rec),)), 3))
    initial = snapshot(start)
    ops = RecordingOps(start)
    assert History(str(path), ops).compact("2026-01-01T00:00:00Z") == 1
    model = PowerCutModel.starting_from(initial)
    seen: dict[tuple[tuple[str, bytes], ...], bool] = {}
    bad: list[str] = []
    for k in range(len(ops.log) + 1):
        if k:
            model.step(ops.log[k - 1])
        allowed = ([2],) if k == len(ops.log) else ([1, 2], [2])
        for disk in model.disks():
            steps = [e.step for e in parse(disk.get(path.name, b"")).entries]
            ok = steps in allowed
            key = tuple(sorted(disk.items()))
            seen[key] = seen.get(key, True) and ok
            if not ok:
                bad.append(f"after step {k} ({ops.log[k - 1] if k else 'start'}): {steps}")
    reliability.attempt(DISKS, len(seen))
    reliability.fail(DISKS, sum(not ok for ok in seen.values()))
    assert not bad, "\n".join(bad[:10])
