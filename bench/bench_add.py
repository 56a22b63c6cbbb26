"""Benchmark: the project's AppState.add_task against the floor for the same bytes, side by side.

Run: `make bench` or `.venv/bin/python bench/bench_add.py [--sizes 1000,10000] [--dir DIR]`.
Every measured add must see another window's change: a second writer adds between measured adds.
Prints PASS/MISS per bar and always exits 0 (a benchmark reports; tests decide).
"""

from __future__ import annotations

import argparse
import fcntl
import gc
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import msgspec
import orjson

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.model import new_record  # noqa: E402
from core.state import AppState  # noqa: E402
from core.storage.document import Document, encode, use_orjson  # noqa: E402
from core.storage.fsops import FileOps  # noqa: E402

RATIO_BAR = 1.5
HISTORY_BAR = 1.2  # issue 10: the history may cost at most 20% of an add
RATE_BAR = 300.0
RUNS = {1_000: 30, 10_000: 30, 100_000: 10}


# --- the floor: one whole-file transaction written out with nothing extra ---


def floor_add(path: str, name: str) -> None:
    """Lock, read+decode, append, encode, write temp, fsync, hard-link backup, rename, fsync dir.

    It decodes with the cyclic GC paused, as core/storage/document.py does: a floor that pays for GC
    passes the project avoids would flatter the project.
    """
    directory = os.path.dirname(path)
    lock = os.open(path + ".lock", os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with open(path, "rb") as f:
            data = f.read()
        gc.disable()  # the decoder builds acyclic containers; a GC pass over them is waste
        try:
            doc = msgspec.json.decode(data)
        finally:
            gc.enable()
        task_id = doc["next_id"]
        doc["next_id"] = task_id + 1
        doc["tasks"].append(_record(task_id, name))
        data = orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n"
        tmp = os.path.join(directory, f".floor.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        backup = path + ".backup"
        if os.path.lexists(backup):
            os.unlink(backup)
        os.link(path, backup)
        os.replace(tmp, path)
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    finally:
        fcntl.flock(lock, fcntl.LOCK_UN)
        os.close(lock)


def _record(task_id: int, name: str) -> dict[str, Any]:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "id": task_id,
        "uuid": str(uuid.uuid4()),
        "name": name,
        "description": "",
        "comment": "",
        "priority": 2,
        "tags": [],
        "status": "pending",
        "due": None,
        "created": now,
        "modified": now,
        "completed": None,
    }


# --- set-up ---


def seed_bytes(count: int) -> bytes:
    """A file of `count` ordinary tasks, as the project writes it."""
    # Ids given directly: Document.allocate_id scans every id, quadratic over a whole seed.
    records = [new_record(k, f"task number {k}", tags=["bench"]) for k in range(1, count + 1)]
    return encode(Document(records=records, next_id=count + 1))


def write_seed(directory: Path, data: bytes) -> str:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "tasks.json"
    path.write_bytes(data)
    return str(path)


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


# --- single adds, project against floor ---


class HistoryClock(FileOps):
    """Real operations; adds up the time spent appending to the history (open to close)."""

    def __init__(self) -> None:
        self.spent = 0.0
        self._opened: dict[int, float] = {}

    def open_append(self, path: str, mode: int = 0o600) -> int:
        start = time.perf_counter()
        fd = super().open_append(path, mode)
        self._opened[fd] = start
        return fd

    def close(self, fd: int) -> None:
        super().close(fd)
        if fd in self._opened:
            self.spent += time.perf_counter() - self._opened.pop(fd)


def compare_at(size: int, runs: int, workdir: Path) -> tuple[float, float, float]:
    """Median seconds of one add: (project, floor, the project's history append), interleaved
    so noise hits both alike."""
    data = seed_bytes(size)
    project_path = write_seed(workdir / f"project-{size}", data)
    floor_path = write_seed(workdir / f"floor-{size}", data)
    clock = HistoryClock()
    mine, other = AppState(project_path, ops=clock), AppState(project_path)
    mine.load()
    project: list[float] = []
    floor: list[float] = []
    history: list[float] = []
    for i in range(runs + 1):  # the first round warms caches and is not counted
        other.add_task(f"other window {i}")
        clock.spent = 0.0
        p = timed(partial(mine.add_task, f"measured {i}"))
        floor_add(floor_path, f"other window {i}")
        f = timed(partial(floor_add, floor_path, f"measured {i}"))
        if i:
            project.append(p)
            floor.append(f)
            history.append(clock.spent)
    return statistics.median(project), statistics.median(floor), statistics.median(history)


# --- many processes at once ---


def worker(path: str, count: str, prefix: str, ready: str, go: str) -> None:
    """One of the concurrent windows: add `count` tasks as soon as `go` exists."""
    state = AppState(path, lock_timeout=120)
    Path(ready).touch()
    while not os.path.exists(go):
        time.sleep(0.001)
    for k in range(int(count)):
        state.add_task(f"{prefix}-{k}")


def concurrent(workdir: Path, procs: int, adds: int, start: int) -> tuple[float, int, int, int]:
    """(adds/s, tasks lost, duplicate ids, failed processes) for `procs` processes adding at once."""
    directory = workdir / "concurrent"
    path = write_seed(directory, seed_bytes(start))
    go = directory / "go"
    children = [
        subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--worker",
                path,
                str(adds),
                f"w{i}",
                str(directory / f"ready{i}"),
                str(go),
            ]
        )
        for i in range(procs)
    ]
    while not all((directory / f"ready{i}").exists() for i in range(procs)):
        time.sleep(0.001)
    began = time.perf_counter()
    go.touch()
    codes = [c.wait() for c in children]
    elapsed = time.perf_counter() - began
    records = msgspec.json.decode(Path(path).read_bytes())["tasks"]
    names = {r["name"] for r in records}
    wanted = {f"w{i}-{k}" for i in range(procs) for k in range(adds)}
    duplicates = len(records) - len({r["id"] for r in records})
    failed = sum(1 for c in codes if c != 0)
    return procs * adds / elapsed, len(wanted - names), duplicates, failed


# --- report ---


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="task counts, comma-separated")
    parser.add_argument("--dir", help="where to put the files (default: a temp dir)")
    parser.add_argument("--worker", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    use_orjson()  # AppState as a window runs it (ui/repl.py): with the encoder of a process that lives
    if args.worker:
        worker(*args.worker)
        return 0
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="tasksafe-bench-") as tmp:
        workdir = Path(tmp)
        print(f"files in {workdir} ({os.cpu_count()} CPUs); medians; a second window adds between")
        print(
            f"{'tasks':>7}  {'runs':>4}  {'project ms':>10}  {'floor ms':>8}  {'ratio':>5}  "
            f"bar <= {RATIO_BAR}x  {'history ms':>10}  {'with/without':>12}  bar <= {HISTORY_BAR}x"
        )
        for size in (int(s) for s in args.sizes.split(",")):
            runs = RUNS.get(size, 10)
            project, floor, history = compare_at(size, runs, workdir)
            ratio, share = project / floor, project / (project - history)
            print(
                f"{size:>7}  {runs:>4}  {project * 1e3:>10.2f}  {floor * 1e3:>8.2f}  "
                f"{ratio:>5.2f}  {verdict(ratio <= RATIO_BAR):>11}  {history * 1e3:>10.2f}  "
                f"{share:>12.2f}  {verdict(share <= HISTORY_BAR)}"
            )
        rate, lost, dupes, failed = concurrent(workdir, procs=8, adds=250, start=1_000)
        print(
            f"8 processes x 250 adds at 1k tasks: {rate:.0f} adds/s (bar >= {RATE_BAR:.0f}) "
            f"{verdict(rate >= RATE_BAR)}; lost {lost}, duplicate ids {dupes}, "
            f"failed processes {failed} (bar 0) {verdict(lost == dupes == failed == 0)}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
