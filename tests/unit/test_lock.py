"""core.storage.lock: the writer lock between real processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.errors import FileLockTimeoutError
from core.storage.lock import FileLock, describe_holder
from tests.helpers import ROOT, child_env

# A holder in its own process: takes the lock, says so, and releases when told (a line on stdin).
HOLDER = """
import sys
from core.storage.lock import FileLock

lock = FileLock(sys.argv[1], timeout=30)
lock.acquire()
print("locked", flush=True)
sys.stdin.readline()
lock.release()
print("released", flush=True)
sys.stdin.readline()
"""

# Read-increment-write of a counter under the lock, many times: any overlap loses increments.
COUNTER = """
import sys
from core.storage.lock import FileLock

lock_path, counter, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
print("ready", flush=True)
sys.stdin.readline()  # all start together, so their rounds overlap
for _ in range(rounds):
    with FileLock(lock_path, timeout=30):
        with open(counter) as f:
            value = int(f.read())
        with open(counter, "w") as f:
            f.write(str(value + 1))
"""


class Holder:
    """A child process holding the lock until told to release it."""

    def __init__(self, tmp_path: Path, lock_path: Path) -> None:
        script = tmp_path / "holder_script.py"
        script.write_text(HOLDER)
        self.proc = subprocess.Popen(
            [sys.executable, str(script), str(lock_path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=child_env(tmp_path),
            cwd=ROOT,
        )
        assert self.proc.stdout is not None
        assert self.proc.stdout.readline() == "locked\n"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def release(self) -> None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()
        assert self.proc.stdout.readline() == "released\n"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)


@pytest.fixture
def lock_path(tmp_path: Path) -> Path:
    return tmp_path / "tasks.json.lock"


@pytest.fixture
def holder(tmp_path: Path, lock_path: Path) -> Iterator[Holder]:
    h = Holder(tmp_path, lock_path)
    yield h
    h.stop()


def test_a_lock_held_in_another_process_times_out_naming_the_holder(
    holder: Holder, lock_path: Path
) -> None:
    start = time.monotonic()
    with pytest.raises(FileLockTimeoutError) as exc:
        FileLock(str(lock_path), timeout=0.5).acquire()
    elapsed = time.monotonic() - start
    assert 0.5 <= elapsed < 1.5
    err = exc.value
    assert err.exit_code == 3
    assert err.path == str(lock_path).removesuffix(".lock")
    assert 0.5 <= err.waited < 1.5
    assert f"pid {holder.pid}" in str(err)
    assert "holder_script.py" in str(err)  # the holder's command
    assert "gave up after 0.5 s" in str(err)


def test_the_lock_is_free_again_once_the_holder_releases_it(
    holder: Holder, lock_path: Path
) -> None:
    with pytest.raises(FileLockTimeoutError):
        FileLock(str(lock_path), timeout=0.05).acquire()
    holder.release()
    with FileLock(str(lock_path), timeout=0):
        pass


def test_a_holder_killed_with_sigkill_releases_the_lock_at_once(
    holder: Holder, lock_path: Path
) -> None:
    os.kill(holder.pid, signal.SIGKILL)
    holder.proc.wait(10)
    with FileLock(str(lock_path), timeout=0):  # timeout 0: no waiting at all
        pass


def test_on_wait_is_called_while_waiting_and_names_the_holder(
    holder: Holder, lock_path: Path
) -> None:
    calls: list[tuple[str, float]] = []

    def on_wait(who: str, waited: float) -> None:
        calls.append((who, waited))
        if len(calls) == 2:
            holder.release()

    with FileLock(str(lock_path), timeout=20, on_wait=on_wait):
        pass
    assert len(calls) >= 2
    assert all(f"pid {holder.pid}" in who for who, _ in calls)
    assert calls[0][1] < calls[1][1]


def test_several_processes_never_hold_the_lock_at_once(tmp_path: Path, lock_path: Path) -> None:
    script, counter = tmp_path / "counter_script.py", tmp_path / "counter"
    script.write_text(COUNTER)
    counter.write_text("0")
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), str(lock_path), str(counter), "100"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=child_env(tmp_path),
            cwd=ROOT,
        )
        for _ in range(3)
    ]
    for p in procs:
        assert p.stdout is not None and p.stdout.readline() == "ready\n"
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    assert [p.wait(60) for p in procs] == [0, 0, 0]
    assert counter.read_text() == "300"


def test_the_holder_writes_its_pid_host_and_command_into_the_lock_file(lock_path: Path) -> None:
    with FileLock(str(lock_path), timeout=1):
        info = json.loads(lock_path.read_bytes())
        assert info["pid"] == os.getpid()
        assert info["host"]
        assert info["command"]
        assert f"pid {os.getpid()}" in describe_holder(str(lock_path))


@pytest.mark.parametrize("content", [b"", b"garbage", b'{"pid": 1}', b"[1, 2]"])
def test_an_unreadable_holder_is_described_as_another_process(
    lock_path: Path, content: bytes
) -> None:
    lock_path.write_bytes(content)
    assert describe_holder(str(lock_path)) == "another process"


def test_the_lock_file_is_never_deleted_or_replaced(holder: Holder, lock_path: Path) -> None:
    inode = lock_path.stat().st_ino
    holder.release()
    for _ in range(3):
        with FileLock(str(lock_path), timeout=1):
            assert lock_path.stat().st_ino == inode
        assert lock_path.stat().st_ino == inode
    holder.stop()
    assert lock_path.stat().st_ino == inode


def test_release_twice_is_harmless_and_the_lock_can_be_taken_again(lock_path: Path) -> None:
    lock = FileLock(str(lock_path), timeout=0)
    lock.acquire()
    lock.release()
    lock.release()
    with FileLock(str(lock_path), timeout=0):
        pass
