"""A window holding the lock: others give up after their timeout, naming it; a dead one blocks nobody."""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from core.model import new_record
from core.state import AppState
from core.storage.document import Document, encode
from tests.helpers import MAIN, child_env, run_cli
from tests.integration import workers


@pytest.fixture
def holder(
    tasks_path: Path, hold_lock: Callable[[Path], subprocess.Popen[str]]
) -> subprocess.Popen[str]:
    """A child process that holds the data file's lock until killed."""
    AppState(tasks_path).add_task("before")
    return hold_lock(tasks_path)


def test_held_lock_makes_add_exit_3_after_the_timeout_naming_the_holder(
    tasks_path: Path, holder: subprocess.Popen[str]
) -> None:
    before = tasks_path.read_bytes()
    start = time.monotonic()
    r = run_cli(tasks_path, "--lock-timeout", "0.5", "add", "blocked")
    elapsed = time.monotonic() - start

    assert r.returncode == 3, r.stderr
    assert 0.4 <= elapsed <= 3.0
    assert "Traceback" not in r.stderr
    errors = [line for line in r.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and f"pid {holder.pid}" in errors[0], r.stderr
    assert "--lock-timeout" in errors[0]  # it says what to do
    assert tasks_path.read_bytes() == before


def test_killed_holder_blocks_nobody(tasks_path: Path, holder: subprocess.Popen[str]) -> None:
    workers.kill(holder)
    r = run_cli(tasks_path, "--lock-timeout", "10", "add", "after")
    assert (r.returncode, r.stdout, r.stderr) == (0, "2\n", "")  # no wait was even reported


def test_waiting_window_says_who_it_waits_for_then_saves(
    tasks_path: Path, holder: subprocess.Popen[str]
) -> None:
    adder = subprocess.Popen(
        [sys.executable, MAIN, "--file", str(tasks_path), "--lock-timeout", "30", "add", "patient"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        cwd=tasks_path.parent,
        env=child_env(tasks_path.parent),
    )
    assert adder.stderr is not None
    notice = adder.stderr.readline()  # printed while it waits: the holder is still alive
    assert holder.poll() is None
    assert f"pid {holder.pid}" in notice and "waiting" in notice
    workers.kill(holder)
    out, err = adder.communicate(timeout=30)
    assert (adder.returncode, out, err) == (0, "2\n", "")


# --- the lock file taken away or faked while held (issue 16) ---

# Holds the writer lock in its own process; each line on stdin asks whether it is still its own.
STILL_OURS = """
import sys
from core.storage.lock import FileLock

lock = FileLock(sys.argv[1], timeout=5)
lock.acquire()
print("locked", flush=True)
for _ in sys.stdin:
    print(lock.still_ours(), flush=True)
"""


def error_lines(r: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in r.stderr.splitlines() if line.strip()]


def test_a_lock_removed_while_held_is_no_longer_the_holders_own(tasks_path: Path) -> None:
    """After `rm`, the next window locks a new lock file and gets in: only the holder can tell,
    by checking before it replaces the data file (still_ours), that its lock excludes nobody."""
    AppState(tasks_path).add_task("before")
    lock_path = f"{tasks_path}.lock"
    script = tasks_path.parent / "still_ours.py"
    script.write_text(STILL_OURS)
    holder = subprocess.Popen(
        [sys.executable, str(script), lock_path],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=child_env(tasks_path.parent),
    )
    assert holder.stdin is not None and holder.stdout is not None
    try:
        assert holder.stdout.readline() == "locked\n"
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert holder.stdout.readline() == "True\n"
        subprocess.run(["rm", lock_path], check=True)
        r = run_cli(tasks_path, "--lock-timeout", "5", "add", "newcomer")
        assert (r.returncode, r.stdout) == (0, "2\n"), r.stderr
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert holder.stdout.readline() == "False\n"
    finally:
        workers.kill(holder)


def test_a_lock_replaced_by_a_symlink_to_the_data_file_is_refused_in_one_line(
    tasks_path: Path, hold_lock: Callable[[Path], subprocess.Popen[str]]
) -> None:
    """`ln -s tasks.json tasks.json.lock` once had the holder's line written over the data file."""
    AppState(tasks_path).add_task("newest")
    hold_lock(tasks_path)
    before = tasks_path.read_bytes()
    lock_path = f"{tasks_path}.lock"
    subprocess.run(["rm", lock_path], check=True)
    subprocess.run(["ln", "-s", tasks_path.name, lock_path], cwd=tasks_path.parent, check=True)
    r = run_cli(tasks_path, "--lock-timeout", "2", "add", "would overwrite")
    assert r.returncode == 4, r.stderr
    assert error_lines(r) == [
        f"error: {lock_path} is a symbolic link, not a lock file; tasksafe will not use it "
        "(move it away: tasksafe creates a new one)"
    ]
    assert tasks_path.read_bytes() == before
    assert os.path.islink(lock_path)


# Runs the real program with fcntl.flock failing as on a file system without locks.
NO_LOCKS = """
import errno, fcntl, os, runpy, sys

def flock(fd, operation):
    raise OSError(errno.ENOLCK, os.strerror(errno.ENOLCK))

fcntl.flock = flock
sys.argv = [sys.argv[1], *sys.argv[2:]]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def test_a_file_system_without_locks_gives_one_line_and_exit_1(tasks_path: Path) -> None:
    """No file system without flock can be mounted here, so the real program runs with
    fcntl.flock failing with ENOLCK (as on NFS without lockd); everything else is real."""
    AppState(tasks_path).add_task("kept")
    before = tasks_path.read_bytes()
    script = tasks_path.parent / "no_locks.py"
    script.write_text(NO_LOCKS)
    r = subprocess.run(
        [sys.executable, str(script), MAIN, "--file", str(tasks_path), "add", "unsafe"],
        capture_output=True,
        text=True,
        cwd=tasks_path.parent,
        env=child_env(tasks_path.parent),
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert r.returncode == 1, r.stderr
    assert error_lines(r) == [
        f"error: {tasks_path} is on a file system that does not support locks (e.g. some network "
        "mounts); tasksafe cannot keep it safe there: move it to a local disk or use --file"
    ]
    assert tasks_path.read_bytes() == before


# A window that stops inside its save, lock held and the file read, until `go` exists; then
# finishes the save and says what happened.
PAUSED_SAVE = """
import os, sys, time
from core.state import AppState
from core.storage.fsops import FileOps

path, go = sys.argv[1], sys.argv[2]

class PauseBeforeTheTemp(FileOps):
    def create(self, tmp):
        print("paused", flush=True)
        while not os.path.exists(go):
            time.sleep(0.005)
        return super().create(tmp)

try:
    print("saved", AppState(path, ops=PauseBeforeTheTemp()).add_task("paused add").id, flush=True)
except Exception as e:
    print("refused", type(e).__name__, e, flush=True)
"""


def test_a_save_whose_lock_was_removed_meanwhile_changes_nothing(tasks_path: Path) -> None:
    """A holds the lock mid-save; `rm` the lock file; B locks a new one and saves. A must then
    abort rather than replace the file with its copy, which lacks B's acknowledged task."""
    AppState(tasks_path).add_task("before")
    go = tasks_path.parent / "go"
    script = tasks_path.parent / "paused_save.py"
    script.write_text(PAUSED_SAVE)
    a = subprocess.Popen(
        [sys.executable, str(script), str(tasks_path), str(go)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(tasks_path.parent),
    )
    try:
        assert a.stdout is not None and a.stdout.readline() == "paused\n"
        subprocess.run(["rm", f"{tasks_path}.lock"], check=True)
        b = run_cli(tasks_path, "--lock-timeout", "5", "add", "acknowledged add")
        assert (b.returncode, b.stdout) == (0, "2\n"), b.stderr
        go.touch()
        out, err = a.communicate(timeout=30)
    finally:
        workers.kill(a)
    names = [r["name"] for r in json.loads(tasks_path.read_bytes())["tasks"]]
    assert names == ["before", "acknowledged add"], out + err
    assert out.startswith("refused LockLostError"), out + err
    assert "nothing was changed" in out


@pytest.mark.slow
def test_no_acknowledged_add_is_lost_while_a_script_keeps_deleting_the_lock_file(
    tasks_path: Path,
) -> None:
    """4 windows of one-shot adds while the lock file is deleted every 10 ms (with rests): an add may fail
    (nothing changed), but every one that printed its id is in the file, and ids are unique.

    3,000 tasks to start with, so a save holds the lock for milliseconds (re-read, encode, write):
    long enough for a newcomer to lock a new lock file and read before the holder replaces."""
    seed = [new_record(k, f"seed {k}") for k in range(1, 3001)]
    tasks_path.write_bytes(encode(Document(records=seed, next_id=3001)))
    lock_path = f"{tasks_path}.lock"
    stop = threading.Event()

    def delete_the_lock() -> None:
        # Every 10 ms for 100 ms, then 50 ms of rest: a save that a deletion catches fails, and
        # on a loaded machine (slow saves) nearly every one would be caught without the rests.
        while not stop.is_set():
            for _ in range(10):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(lock_path)
                time.sleep(0.01)
            stop.wait(0.05)

    acknowledged: dict[str, int] = {}
    refused: list[str] = []

    def window(w: int) -> None:
        # Until 50 adds got through (or 60 tries each): how many do depends on the machine's
        # load (a slower save is more often caught by a deletion), and the test needs many.
        for k in range(60):
            if len(acknowledged) >= 50:
                break
            r = run_cli(tasks_path, "--lock-timeout", "30", "add", f"w{w}-{k}")
            if r.returncode == 0:
                acknowledged[f"w{w}-{k}"] = int(r.stdout)
            else:
                refused.append(r.stderr)

    deleter = threading.Thread(target=delete_the_lock, daemon=True)
    deleter.start()
    try:
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            list(pool.map(window, range(4)))
    finally:
        stop.set()
        deleter.join(10)
    records = json.loads(tasks_path.read_bytes())["tasks"]
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids)), "an id was handed out twice"
    kept = {r["name"]: r["id"] for r in records}
    lost = {name: i for name, i in acknowledged.items() if kept.get(name) != i}
    assert not lost, f"{len(lost)} of {len(acknowledged)} acknowledged adds lost"
    assert all("nothing was changed" in e and "unexpected" not in e for e in refused), refused
    # Measured: without the check before the replace, 2-7 of ~93 acknowledged adds were lost per
    # run (11 of 95 before the lock's identity check); with it, none. Since adds got faster the
    # race is narrower: without the check, 1 run in 2-4 loses an add (3 of 53 in one). With four
    # busy loops on two cores 50 adds still get through in ~15 s.
    assert len(acknowledged) >= 5, "too few adds got through for the test to mean anything"
