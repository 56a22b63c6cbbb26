"""Several windows on one file, as real processes: nothing lost, ids unique, crashes harmless."""

from __future__ import annotations

import json
import random
import select
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from core.events import Event, Recovered
from core.state import AppState
from core.storage.document import decode
from tests.helpers import run_cli
from tests.integration import workers


def stored(path: Path) -> list[dict[str, Any]]:
    """The task records on disk, decoded the way every reader decodes them."""
    return decode(path.read_bytes()).records


def assert_unique(records: list[dict[str, Any]]) -> None:
    ids = [r["id"] for r in records]
    uuids = [r["uuid"] for r in records]
    assert len(set(ids)) == len(ids), "two tasks share an id"
    assert len(set(uuids)) == len(uuids), "two tasks share a uuid"


def temp_files(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f".{path.name}.*.tmp"))


def start_together(
    tmp_path: Path, count: int, mode: str, *args: object
) -> list[subprocess.Popen[str]]:
    """Start `count` workers, wait until each is ready, then let them all go at once."""
    go = tmp_path / "go"
    procs = [workers.start(mode, *args, f"w{i}", tmp_path / f"ready{i}", go) for i in range(count)]
    for i in range(count):
        workers.wait_for_file(tmp_path / f"ready{i}")
    go.touch()
    return procs


@pytest.mark.slow
def test_eight_processes_adding_through_appstate_lose_nothing(tasks_path: Path) -> None:
    procs = start_together(tasks_path.parent, 8, "add-many", tasks_path, 50)
    printed: dict[int, str] = {}
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        for line in out.splitlines():
            task_id, name = line.split(" ", 1)
            assert int(task_id) not in printed, "one id handed to two adds"
            printed[int(task_id)] = name

    records = stored(tasks_path)
    assert_unique(records)
    assert {r["id"]: r["name"] for r in records} == printed
    assert {r["name"] for r in records} == {f"w{i}-{k}" for i in range(8) for k in range(50)}


@pytest.mark.slow
def test_eight_cli_processes_adding_at_once_lose_nothing(tasks_path: Path) -> None:
    start = threading.Barrier(8)
    results: dict[int, list[subprocess.CompletedProcess[str]]] = {}

    def window(i: int) -> None:
        start.wait()
        results[i] = [run_cli(tasks_path, "add", f"c{i}-{k}") for k in range(10)]

    threads = [threading.Thread(target=window, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    printed = []
    for runs in results.values():
        for r in runs:
            assert r.returncode == 0, r.stderr
            printed.append(int(r.stdout))
    records = stored(tasks_path)
    assert_unique(records)
    assert sorted(printed) == sorted(r["id"] for r in records)
    assert {r["name"] for r in records} == {f"c{i}-{k}" for i in range(8) for k in range(10)}


def test_stale_window_keeps_another_windows_change_to_other_fields(tasks_path: Path) -> None:
    first = AppState(tasks_path)
    first.add_task("original", priority=2, tags=["home"])
    ready, go = tasks_path.parent / "ready", tasks_path.parent / "go"
    a = workers.start("stale-edit", tasks_path, 1, "renamed by A", ready, go)
    workers.wait_for_file(ready)  # A has loaded the file and now goes stale

    b = run_cli(tasks_path, "edit", "1", "-p", "1", "--add-tag", "work", "-c", "from B")
    assert b.returncode == 0, b.stderr
    go.touch()
    out, err = a.communicate(timeout=30)
    assert (a.returncode, out) == (0, "1 renamed by A\n"), err

    (rec,) = stored(tasks_path)
    assert rec["name"] == "renamed by A"
    assert rec["priority"] == 1
    assert rec["tags"] == ["home", "work"]
    assert rec["comment"] == "from B"


def adding(procs: list[subprocess.Popen[str]]) -> list[subprocess.Popen[str]]:
    """The workers that have printed an id: past start-up and inside their add loop."""
    pipes = {p.stdout.fileno(): p for p in procs if p.stdout is not None}
    readable, _, _ = select.select(list(pipes), [], [], 30)
    return [pipes[fd] for fd in readable]


@pytest.mark.slow
def test_writers_killed_at_random_never_lose_a_returned_add(tasks_path: Path) -> None:
    rng = random.Random(2)
    live = [workers.start("add-forever", tasks_path, f"k{i}") for i in range(3)]
    promised: set[int] = set()
    kills = temps_seen = 0
    deadline = time.monotonic() + 12
    while kills < 40 and time.monotonic() < deadline:
        # A worker just started may wait a while for the lock; kill only those already writing.
        victim = rng.choice(adding(live))
        live.remove(victim)
        time.sleep(rng.uniform(0, 0.02))  # the kill lands anywhere in a transaction
        out, err = workers.kill(victim)
        assert "Traceback" not in err, err
        promised.update(int(x) for x in out.split())
        kills += 1
        temps_seen += any(f".{victim.pid}." in t.name for t in temp_files(tasks_path))

        on_disk = {r["id"] for r in stored(tasks_path)}  # decodes after every kill
        assert promised <= on_disk, f"kill {kills}: returned adds missing: {promised - on_disk}"
        live.append(workers.start("add-forever", tasks_path, f"k{3 + kills}"))
    for proc in live:
        out, _ = workers.kill(proc)
        promised.update(int(x) for x in out.split())

    events: list[Event] = []
    state = AppState(tasks_path, on_event=events.append)
    state.add_task("after the crashes")
    assert not [e for e in events if isinstance(e, Recovered)], "the file was damaged"
    assert not temp_files(tasks_path), "dead writers' temp files were not cleaned up"
    records = stored(tasks_path)
    assert_unique(records)
    assert promised <= {r["id"] for r in records}
    assert kills >= 20, "too few kills to prove anything"
    print(f"{kills} kills, {len(promised)} adds returned, {temps_seen} kills left a temp file")


def test_writer_killed_mid_save_leaves_old_file_and_a_temp_the_next_save_removes(
    tasks_path: Path,
) -> None:
    run_cli(tasks_path, "add", "kept")
    before = tasks_path.read_bytes()
    paused = workers.start("pause-mid-save", tasks_path)
    assert paused.stdout is not None
    assert paused.stdout.readline().strip() == "paused"
    assert temp_files(tasks_path), "the worker should be inside its save, temp written"

    workers.kill(paused)
    assert tasks_path.read_bytes() == before

    r = run_cli(tasks_path, "--lock-timeout", "10", "add", "next")
    assert (r.returncode, r.stderr) == (0, "")  # the dead writer's lock did not make us wait
    assert not temp_files(tasks_path)
    assert [rec["name"] for rec in stored(tasks_path)] == ["kept", "next"]
    assert json.loads(tasks_path.read_bytes())["next_id"] == 3
