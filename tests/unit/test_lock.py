"""core.storage.lock: the writer lock between real processes."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from core.errors import (
    FileLockTimeoutError,
    LockFileNotRegularError,
    LockLostError,
    LocksUnsupportedError,
)
from core.storage.lock import FileLock, describe_holder, unusable_lock_file
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


# --- the lock file's identity (issue 16): removed, replaced, a link, not a file ---


class Waiter:
    """A FileLock.acquire in a thread of this process: says when it waits and when it got in."""

    def __init__(self, lock_path: Path) -> None:
        self.lock = FileLock(str(lock_path), timeout=20, on_wait=lambda *_: self.waiting.set())
        self.waiting, self.acquired, self.done = (
            threading.Event(),
            threading.Event(),
            threading.Event(),
        )
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        with self.lock:
            self.acquired.set()
            self.done.wait(30)

    def stop(self) -> None:
        self.done.set()
        self.thread.join(30)


def take_the_path_away(lock_path: Path, how: str) -> None:
    """What a cleanup script or a sync tool does to a lock file that is held."""
    if how == "removed":
        subprocess.run(["rm", str(lock_path)], check=True)
    else:
        fresh = lock_path.with_name("fresh")
        fresh.write_bytes(b"")
        os.replace(fresh, lock_path)


@pytest.mark.parametrize("how", ["removed", "replaced"])
def test_a_waiter_whose_lock_file_was_taken_away_locks_the_new_one_instead(
    tmp_path: Path, lock_path: Path, holder: Holder, how: str
) -> None:
    """It had opened the old file; getting the old file's lock must not let it in beside the
    process that meanwhile locked the new file, nor write into the old one."""
    old_inode = tmp_path / "old-inode"
    os.link(lock_path, old_inode)  # keeps the old file readable once the path names another
    waiter = Waiter(lock_path)
    try:
        assert waiter.waiting.wait(10)  # it holds the old file open and polls its lock
        take_the_path_away(lock_path, how)
        newcomer = Holder(tmp_path, lock_path)  # a second window locks the new lock file
        try:
            holder.release()  # the old file's lock is free now
            assert not waiter.acquired.wait(1.0), "two writers hold the lock at once"
            # The holder cleared its record on release, and the waiter wrote nothing there.
            assert old_inode.read_bytes() == b""
            newcomer.release()
            assert waiter.acquired.wait(10)
            assert waiter.lock.still_ours()
            assert json.loads(lock_path.read_bytes())["pid"] == os.getpid()
        finally:
            newcomer.stop()
    finally:
        waiter.stop()


@pytest.mark.parametrize("how", ["removed", "replaced"])
def test_still_ours_is_false_once_the_held_lock_file_is_taken_away(
    lock_path: Path, how: str
) -> None:
    with FileLock(str(lock_path), timeout=1) as lock:
        assert lock.still_ours()
        lock.verify()
        take_the_path_away(lock_path, how)
        assert not lock.still_ours()
        with pytest.raises(LockLostError) as exc:
            lock.verify(str(lock_path.with_suffix("")))
        assert str(exc.value) == (
            f"{lock_path.with_suffix('')}'s lock file was removed or replaced while this save "
            "held it; nothing was changed (another program is deleting tasks.json.lock: stop it)"
        )
        assert exc.value.exit_code == 1
    assert lock_path.exists() == (how == "replaced")  # release deletes (or makes) no lock file


def test_still_ours_is_false_for_a_symlink_to_the_held_file(
    tmp_path: Path, lock_path: Path
) -> None:
    with FileLock(str(lock_path), timeout=1) as lock:
        os.rename(lock_path, tmp_path / "moved")
        os.symlink(tmp_path / "moved", lock_path)  # the same inode, but only through a link
        assert not lock.still_ours()


def test_still_ours_is_false_before_acquire_and_after_release(lock_path: Path) -> None:
    lock = FileLock(str(lock_path), timeout=1)
    assert not lock.still_ours()
    with lock:
        assert lock.still_ours()
    assert not lock.still_ours()
    with pytest.raises(LockLostError):
        lock.verify()


@pytest.mark.parametrize("dangling", [False, True])
def test_a_symlinked_lock_file_is_refused_and_its_target_never_touched(
    tmp_path: Path, lock_path: Path, dangling: bool
) -> None:
    """`tasks.json.lock -> tasks.json` once had the data file overwritten by the holder's line."""
    target = tmp_path / ("nowhere" if dangling else "tasks.json")
    if not dangling:
        target.write_bytes(b'{"format": "tasksafe", "version": 1, "tasks": []}\n')
    before = target.read_bytes() if not dangling else None
    os.symlink(target, lock_path)
    with pytest.raises(LockFileNotRegularError) as exc:
        FileLock(str(lock_path), timeout=1).acquire()
    assert str(exc.value) == (
        f"{lock_path} is a symbolic link, not a lock file; tasksafe will not use it "
        "(move it away: tasksafe creates a new one)"
    )
    assert exc.value.exit_code == 4
    assert (target.read_bytes() if not dangling else target.exists()) == (before or False)
    assert lock_path.is_symlink()


def make_fifo(path: Path) -> None:
    os.mkfifo(path)


def make_socket(path: Path) -> None:
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(path))
    sock.close()  # the socket file stays


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (Path.mkdir, "a directory"),
        (make_fifo, "a named pipe (FIFO)"),  # opens at once (O_NONBLOCK), then refused
        (make_socket, "a socket"),
    ],
)
def test_a_lock_path_that_is_not_a_regular_file_is_refused_in_one_line(
    lock_path: Path, make: Callable[[Path], None], kind: str
) -> None:
    make(lock_path)
    with pytest.raises(LockFileNotRegularError, match=f"^{re.escape(f'{lock_path} is {kind},')}"):
        FileLock(str(lock_path), timeout=1).acquire()
    assert describe_holder(str(lock_path)) == "another process"  # and describing it never hangs


def test_a_waiter_never_truncates_or_writes_a_lock_file_it_does_not_hold(
    holder: Holder, lock_path: Path
) -> None:
    held = lock_path.read_bytes()
    assert json.loads(held)["pid"] == holder.pid
    with pytest.raises(FileLockTimeoutError):
        FileLock(str(lock_path), timeout=0.2).acquire()
    assert lock_path.read_bytes() == held


@pytest.mark.parametrize("code", [errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS])
def test_a_file_system_without_locks_is_one_clear_error(
    lock_path: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    """flock failing with ENOLCK (NFS without lockd), EOPNOTSUPP or ENOSYS (some FUSE mounts).

    fcntl.flock is replaced by one that fails: no such file system can be mounted here (no root,
    no NFS server), so nothing real can run. Every other step of the lock is real.
    """

    def flock(fd: int, operation: int) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(fcntl, "flock", flock)
    fds_before = len(os.listdir("/proc/self/fd"))
    with pytest.raises(LocksUnsupportedError) as exc:
        FileLock(str(lock_path), timeout=1).acquire()
    data_path = str(lock_path).removesuffix(".lock")
    assert str(exc.value) == (
        f"{data_path} is on a file system that does not support locks (e.g. some network mounts); "
        "tasksafe cannot keep it safe there: move it to a local disk or use --file"
    )
    assert exc.value.exit_code == 1
    assert lock_path.read_bytes() == b""  # nothing written into a lock nobody holds
    assert len(os.listdir("/proc/self/fd")) == fds_before  # the descriptor was closed


def test_unusable_lock_file_names_what_is_there_instead_of_a_lock_file(
    tmp_path: Path, lock_path: Path
) -> None:
    """For doctor: what every save would refuse, found without opening or creating anything."""
    assert unusable_lock_file(str(lock_path)) is None  # missing: the first save creates it
    lock_path.write_bytes(b"")
    assert unusable_lock_file(str(lock_path)) is None
    lock_path.unlink()
    os.symlink(tmp_path / "tasks.json", lock_path)
    assert unusable_lock_file(str(lock_path)) == "a symbolic link"
    assert not (tmp_path / "tasks.json").exists()


# A holder that is not tasksafe: plain flock on the lock file, a line when it holds it.
FOREIGN_HOLDER = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
sys.stdin.readline()
"""


def test_release_clears_the_holder_record_before_unlocking(lock_path: Path) -> None:
    with FileLock(str(lock_path), timeout=1):
        assert json.loads(lock_path.read_bytes())["pid"] == os.getpid()
    assert lock_path.read_bytes() == b""  # no record left to blame us later
    assert describe_holder(str(lock_path)) == "another process"


def test_a_record_of_a_process_that_is_gone_is_not_believed(lock_path: Path) -> None:
    # A tasksafe that died holding the lock (or an older version) left its record; now another
    # program, not tasksafe, holds the lock: the waiting window must not name the dead pid.
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    dead = int(gone.stdout)
    record = {"pid": dead, "host": socket.gethostname(), "command": "main.py add eggs", "since": 1}
    lock_path.write_text(json.dumps(record))
    foreign = subprocess.Popen(
        [sys.executable, "-c", FOREIGN_HOLDER, str(lock_path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert foreign.stdout is not None and foreign.stdout.readline() == "locked\n"
        assert describe_holder(str(lock_path)) == "another process"
        with pytest.raises(FileLockTimeoutError) as exc:
            FileLock(str(lock_path), timeout=0.2).acquire()
        assert str(dead) not in str(exc.value) and "another process" in str(exc.value)
    finally:
        foreign.communicate("\n", timeout=10)


def test_a_live_holder_in_another_process_is_named(lock_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(lock_path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT,
        env=child_env(lock_path.parent, None),
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        assert f"pid {holder.pid} " in describe_holder(str(lock_path))
    finally:
        holder.communicate("\n", timeout=10)
    assert describe_holder(str(lock_path)) == "another process"
