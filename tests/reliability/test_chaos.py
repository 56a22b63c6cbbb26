"""Chaos: 8 AppState writers and 8 CLI writers, SIGKILLed at random, lose no acknowledged task.

Every writer leaves a trail (chaos_worker.py) saying where it was, so the kills that landed inside
a save are counted apart from those in start-up, a lock wait or between adds.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from core.events import Event, Recovered
from core.state import AppState
from core.storage.document import decode
from tests.helpers import child_env
from tests.reliability.chaos_worker import OUTSIDE, where_it_died
from tests.reliability.conftest import Recorder
from tests.reliability.scenarios import DATA, temp_files

WORKER = Path(__file__).with_name("chaos_worker.py")
WRITERS_PER_KIND = 8
# Long enough for hundreds of kills inside `make test`; --reliability-report runs longer.
SECONDS, HEAVY_SECONDS = 12.0, 40.0
KILL_EVERY = (0.005, 0.08)  # seconds between kills, uniformly at random
# Most of a writer's life is start-up and lock waits: half the kills aim at a save in progress
# (the writer may have finished it by the time the signal lands; its trail tells).
AIM_AT_SAVES = 0.5
RUNS, INSIDE, ELSEWHERE = "chaos runs", "inside a save", "in a transaction before or after its save"


@dataclass
class Writer:
    """One writer process, its output files, and whether we killed it."""

    process: subprocess.Popen[bytes]
    out: Path
    err: Path
    trail: Path
    kind: str  # "state" or "cli"
    name: str  # the CLI's task name; a state worker names its own tasks
    killed: bool = False


@dataclass
class Chaos:
    directory: Path
    rng: random.Random
    env: dict[str, str]
    writers: list[Writer] = field(default_factory=list)
    finished: list[Writer] = field(default_factory=list)
    kills: int = 0
    started: int = 0
    orphans: set[str] = field(default_factory=set)  # temp files seen whose writer we killed

    def spawn(self, kind: str) -> Writer:
        self.started += 1
        name = f"{kind}{self.started}"
        out, err, trail = (self.directory / f"{name}.{end}" for end in ("out", "err", "trail"))
        path = str(self.directory / DATA)
        argv = [sys.executable, str(WORKER), str(trail), kind]
        if kind == "state":
            argv += [path, name]
        else:
            argv += ["--file", path, "--lock-timeout", "120", "add", name]
        with open(out, "wb") as o, open(err, "wb") as e:
            process = subprocess.Popen(argv, stdout=o, stderr=e, env=self.env, cwd=self.directory)
        return Writer(process, out, err, trail, kind, name)

    def run(self, seconds: float) -> None:
        self.writers = [self.spawn(k) for k in ("state", "cli") for _ in range(WRITERS_PER_KIND)]
        deadline = time.monotonic() + seconds
        try:
            while time.monotonic() < deadline:
                time.sleep(self.rng.uniform(*KILL_EVERY))  # the pace of the chaos, not a wait
                self.kill(self.victim())
                self.replace_finished()
                self.spot_orphans()
        finally:
            for w in self.writers:
                self.kill(w)
                w.process.wait()
            self.finished += self.writers
        self.spot_orphans()

    def victim(self) -> Writer:
        """Any writer; every other time, one whose trail says it is saving, if one is."""
        saving = [w for w in self.writers if _last_word(w.trail) == "S"]
        if saving and self.rng.random() < AIM_AT_SAVES:
            return self.rng.choice(saving)
        return self.rng.choice(self.writers)

    def lone_kills(self, wanted: int, rounds: int) -> None:
        """Kill lone writers mid-stream until `wanted` of them left a temp file.

        With 16 writers a dead writer's temp is removed by the next one within a millisecond,
        too fast to see; a lone writer's stays until the next transaction, which must remove it.
        """
        for _ in range(rounds):
            if len(self.orphans) >= wanted:
                return
            w = self.spawn("state")
            while not _complete_lines(w.out) and w.process.poll() is None:
                time.sleep(0.005)  # polling its first acknowledgement
            time.sleep(self.rng.uniform(0, 0.02))
            self.kill(w)
            w.process.wait()
            self.finished.append(w)
            self.spot_orphans()

    def kill(self, w: Writer) -> None:
        if not w.killed and w.process.poll() is None:  # a SIGKILLed child is one kill, dead or not
            w.process.send_signal(signal.SIGKILL)
            w.killed = True
            self.kills += 1

    def replace_finished(self) -> None:
        for i, w in enumerate(self.writers):
            if w.process.poll() is not None:
                self.finished.append(w)
                self.writers[i] = self.spawn(w.kind)

    def spot_orphans(self) -> None:
        """Note temp files (`.tasks.json.<pid>.<random>.tmp`) whose writer is dead."""
        dead = {str(w.process.pid) for w in self.finished if w.killed}
        for name in temp_files(self.directory):
            if name.split(".")[3] in dead:
                self.orphans.add(name)

    def landed(self) -> Counter[str]:
        """Where the kills landed, by each killed writer's last word."""
        return Counter(where_it_died(_last_word(w.trail)) for w in self.finished if w.killed)

    def failures(self) -> list[str]:
        """Writers that died on their own with an error (a killed one may exit -9, a CLI 0)."""
        bad = []
        for w in self.finished:
            w.process.wait()
            code = w.process.returncode
            if (code == -signal.SIGKILL and w.killed) or (code == 0 and w.kind == "cli"):
                continue
            bad.append(f"{w.name} exited {code}: {w.err.read_text()[-500:]}")
        return bad

    def acknowledged(self) -> dict[int, tuple[str, str | None]]:
        """id -> (name, uuid or None) of every task a writer printed as saved."""
        acked: dict[int, tuple[str, str | None]] = {}
        for w in self.finished:
            for line in _complete_lines(w.out):
                if line.startswith("edit "):
                    continue  # acknowledged_edits
                if w.kind == "state":
                    task_id, uuid, name = line.split(" ", 2)
                    acked[int(task_id)] = (name, uuid)
                else:
                    acked[int(line)] = (w.name, None)
        return acked

    def acknowledged_edits(self) -> dict[int, int]:
        """task id -> the latest `edit SEQ` a state writer printed as saved for it."""
        edits: dict[int, int] = {}
        for w in self.finished:
            for line in _complete_lines(w.out):
                if line.startswith("edit "):
                    _, task_id, seq = line.split()
                    edits[int(task_id)] = max(edits.get(int(task_id), 0), int(seq))
        return edits


def _edit_kept(task: object, seq: int) -> bool:
    """The task holds that edit, or a later one of the same writer (saved, then killed)."""
    from core.model import Task

    comment = task.comment if isinstance(task, Task) else ""
    return comment.startswith("edit ") and int(comment.split()[1]) >= seq


def _last_word(trail: Path) -> str:
    try:
        return trail.read_text()[-1:]
    except FileNotFoundError:  # not started yet
        return ""


def _complete_lines(path: Path) -> list[str]:
    text = path.read_text()
    return text.split("\n")[:-1]  # a line cut short by SIGKILL is not an acknowledgement


def _backups_decode(directory: Path) -> list[str]:
    bad = []
    for p in sorted(directory.glob(f"{DATA}.backup*")):
        try:
            decode(p.read_bytes())
        except ValueError as e:
            bad.append(f"{p.name}: {e}")
    return bad


@pytest.mark.reliability(RUNS)
def test_sigkilled_writers_lose_no_acknowledged_task(
    tmp_path: Path, reliability: Recorder, heavy: bool
) -> None:
    reliability.attempt(RUNS)
    seed = int(os.environ.get("CHAOS_SEED", time.time_ns() % 1_000_000))
    chaos = Chaos(tmp_path, random.Random(seed), child_env(tmp_path))
    chaos.run(HEAVY_SECONDS if heavy else SECONDS)
    chaos.lone_kills(wanted=3, rounds=40)
    where = f"(CHAOS_SEED={seed})"
    assert not chaos.failures(), f"{where} " + "\n".join(chaos.failures())
    acked = chaos.acknowledged()

    events: list[Event] = []
    state = AppState(tmp_path / DATA, on_event=events.append)
    state.load()
    records = state.snapshot.doc.records
    by_id = {t.id: t for t in state.tasks}
    lost = [i for i, (name, uuid) in acked.items() if not _kept(by_id.get(i), name, uuid)]
    read = state.files.history.read()
    added = {
        after["uuid"]
        for e in read.applied(state.snapshot.doc.step)
        for u, b, after in e.edits
        if b is None and after
    }
    unlogged = [i for i, t in by_id.items() if i in acked and t.uuid not in added]
    edits = chaos.acknowledged_edits()
    lost_edits = [i for i, seq in edits.items() if not _edit_kept(by_id.get(i), seq)]
    logged = {
        (u, after.get("comment"))
        for e in read.applied(state.snapshot.doc.step)
        for u, _, after in e.edits
        if after
    }
    unlogged += [i for i in edits if i in by_id and (by_id[i].uuid, by_id[i].comment) not in logged]
    newest = max((e.step for e in read.entries), default=0)
    landed = chaos.landed()
    reliability.measure("chaos", "kills", chaos.kills)
    reliability.measure("chaos", INSIDE, landed[INSIDE])
    reliability.measure("chaos", "lost", len(lost))
    for where in (ELSEWHERE, OUTSIDE):
        reliability.measure("chaos, the other kills", where, landed[where])
    reliability.measure("chaos tasks", "acknowledged", len(acked))
    reliability.measure("chaos tasks", "edits acknowledged", len(edits))
    reliability.measure("chaos tasks", "edits lost", len(lost_edits))
    reliability.measure("chaos tasks", "orphaned temps", len(chaos.orphans))
    reliability.measure("chaos tasks", "missing from the history", len(unlogged))
    assert not lost, f"{where} acknowledged but missing: {lost[:20]}"
    assert not lost_edits, f"{where} edits acknowledged but not in the file: {lost_edits[:20]}"
    assert not unlogged, f"{where} acknowledged but not in the history: {unlogged[:20]}"
    # At most one step above the file's: a writer killed between its append and its replace.
    assert newest - 1 <= state.snapshot.doc.step <= newest, f"{where} history and file disagree"
    assert not any(isinstance(e, Recovered) for e in events), f"{where} the file was damaged"
    assert state.problems == (), f"{where} {state.problems[:5]}"
    assert len({r["id"] for r in records}) == len({r["uuid"] for r in records}) == len(records)
    assert state.snapshot.doc.next_id > max(by_id, default=0)
    assert not _backups_decode(tmp_path), _backups_decode(tmp_path)
    assert chaos.kills > 100 and len(acked) > 100, f"{where} too little chaos to mean anything"
    assert len(edits) > 10, f"{where} too few edits to mean anything"
    assert landed[INSIDE] >= 10, f"{where} too few kills inside a save: {landed}"
    assert chaos.orphans, f"{where} no killed writer left a temp file to clean up"

    state.add_task("after the chaos")
    reliability.measure("chaos tasks", "left after the next save", len(temp_files(tmp_path)))
    assert temp_files(tmp_path) == [], f"{where} the next transaction left {temp_files(tmp_path)}"


def _kept(task: object, name: str, uuid: str | None) -> bool:
    from core.model import Task

    if not isinstance(task, Task):
        return False
    return task.name == name and (uuid is None or task.uuid == uuid)
