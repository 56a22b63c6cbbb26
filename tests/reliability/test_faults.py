"""Real faults on real file systems: a full disk, a read-only remount, a directory we cannot write.

Each fault strikes in the middle of a session, in the one-shot CLI, the batch REPL (`main.py <
commands`, fed line by line through a pipe) and the interactive REPL (on a pty): one clear line,
the old file byte-identical and no temp left, the session still running, and the next add works
once the fault is gone. Mounting needs root (CI runs as root); the permission fault runs the
program as `nobody`, since root ignores permissions.
"""

from __future__ import annotations

import errno
import json
import os
import queue
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Protocol

import pexpect
import pytest

from tests.helpers import MAIN, ROOT, child_env
from tests.reliability.recording_fs import Disk, snapshot
from tests.reliability.scenarios import DATA, temp_files

NOBODY = 65534
TIMEOUT = 30
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|[\x08\r]")
pytestmark = [pytest.mark.root, pytest.mark.reliability("faults")]


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT)


# --- the faults ---


@dataclass
class Fault:
    """Where the data lives, how to cause the fault and end it, and what the error must say."""

    directory: Path
    home: Path
    words: str
    cause: Callable[[], None]
    end: Callable[[], None]
    prefix: list[str] = field(default_factory=list)  # runs the program as another user
    ignore: set[str] = field(default_factory=set)  # files the fault itself adds

    def files(self) -> Disk:
        return {n: d for n, d in snapshot(self.directory).items() if n not in self.ignore}


@pytest.fixture
def world_dir() -> Iterator[Path]:
    """A directory every user can enter (pytest's tmp_path is 0700, closed to `nobody`)."""
    directory = Path(tempfile.mkdtemp(prefix="tasksafe-faults-"))
    directory.chmod(0o755)
    home = directory / "home"
    home.mkdir()
    os.chown(home, NOBODY, NOBODY)  # the REPL keeps its history there, whoever runs it
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def tmpfs(world_dir: Path) -> Iterator[Path]:
    """A small tmpfs of our own, so it can be filled and remounted read-only."""
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a tmpfs")
    mount = world_dir / "mnt"
    mount.mkdir()
    done = _run("mount", "-t", "tmpfs", "-o", "size=512k,mode=0755", "tmpfs", str(mount))
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    yield mount
    _run("mount", "-o", "remount,rw", str(mount))
    _run("umount", "-l", str(mount))


def fill(directory: Path) -> None:
    """Write until the file system is full."""
    fd = os.open(directory / "filler", os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError as e:
        assert e.errno == errno.ENOSPC
    finally:
        os.close(fd)


def remount(directory: Path, mode: str) -> None:
    done = _run("mount", "-o", f"remount,{mode}", str(directory))
    assert done.returncode == 0, done.stderr


def disk_full(tmpfs: Path, world_dir: Path) -> Fault:
    return Fault(
        tmpfs,
        world_dir / "home",
        "the disk is full",
        cause=lambda: fill(tmpfs),
        end=lambda: (tmpfs / "filler").unlink(),
        ignore={"filler"},
    )


def read_only(tmpfs: Path, world_dir: Path) -> Fault:
    return Fault(
        tmpfs,
        world_dir / "home",
        "read-only",
        cause=lambda: remount(tmpfs, "ro"),
        end=lambda: remount(tmpfs, "rw"),
    )


def as_nobody() -> list[str]:
    """The command prefix that runs a child as `nobody` with no extra groups."""
    if shutil.which("setpriv"):
        return ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    if shutil.which("runuser"):
        return ["runuser", "-u", "nobody", "--"]
    pytest.skip("neither setpriv nor runuser is installed")


def no_write_permission(world_dir: Path) -> Fault:
    if os.geteuid() != 0:
        pytest.skip("needs root to run a child as another user")
    probe = subprocess.run(
        [*as_nobody(), sys.executable, "-c", "import core.state, rich, prompt_toolkit"],
        capture_output=True,
        text=True,
        env=child_env(world_dir / "home"),
        cwd=ROOT,
    )
    if probe.returncode != 0:
        pytest.skip(f"`nobody` cannot read the repository or the venv: {probe.stderr[-200:]}")
    directory = world_dir / "data"
    directory.mkdir()
    os.chown(directory, NOBODY, NOBODY)
    return Fault(
        directory,
        world_dir / "home",
        "permission denied",
        cause=lambda: directory.chmod(0o555),
        end=lambda: directory.chmod(0o755),
        prefix=as_nobody(),
    )


FAULTS = ("disk full", "read-only remount", "no write permission")


@pytest.fixture(params=FAULTS)
def fault(request: pytest.FixtureRequest, world_dir: Path) -> Fault:
    if request.param == "no write permission":
        return no_write_permission(world_dir)
    tmpfs = request.getfixturevalue("tmpfs")
    return (disk_full if request.param == "disk full" else read_only)(tmpfs, world_dir)


# --- the sessions a fault can strike ---


@dataclass
class Shown:
    ok: bool
    text: str  # the result or the error line, escape sequences removed


class Session(Protocol):
    def add(self, name: str) -> Shown: ...

    def close(self) -> int | None: ...


def program(fault: Fault) -> list[str]:
    return [*fault.prefix, sys.executable, MAIN, "--file", str(fault.directory / DATA)]


def env(fault: Fault) -> dict[str, str]:
    return child_env(fault.home, {"COLUMNS": "250", "LINES": "40"})


class OneShot:
    """A new process per command: `main.py --file F add NAME`."""

    def __init__(self, fault: Fault) -> None:
        self.fault = fault

    def add(self, name: str) -> Shown:
        done = subprocess.run(
            [*program(self.fault), "add", name],
            capture_output=True,
            text=True,
            env=env(self.fault),
            cwd=self.fault.home,
            stdin=subprocess.DEVNULL,
            timeout=TIMEOUT,
        )
        if done.returncode == 0:
            return Shown(True, done.stdout.strip())
        assert done.returncode == 1 and done.stdout == "", done
        assert done.stderr.count("\n") == 1, f"not one line: {done.stderr!r}"
        return Shown(False, done.stderr.strip())

    def close(self) -> int | None:
        return None


class Batch:
    """One `main.py --file F < pipe` process, fed a line at a time."""

    def __init__(self, fault: Fault) -> None:
        self.process = subprocess.Popen(
            program(fault),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env(fault),
            cwd=fault.home,
        )
        self.lines: queue.Queue[tuple[str, str]] = queue.Queue()
        self.errors: list[str] = []
        for name, stream in (("out", self.process.stdout), ("err", self.process.stderr)):
            threading.Thread(target=self._pump, args=(name, stream), daemon=True).start()

    def _pump(self, name: str, stream: IO[str] | None) -> None:
        assert stream is not None
        for line in stream:
            self.lines.put((name, line.rstrip("\n")))

    def add(self, name: str) -> Shown:
        assert self.process.stdin is not None
        self.process.stdin.write(f"add {shlex.quote(name)}\n")
        self.process.stdin.flush()
        source, line = self.lines.get(timeout=TIMEOUT)  # each add answers with one line
        if source == "err":
            self.errors.append(line)
        return Shown(source == "out" and "added" in line, line)

    def close(self) -> int | None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            code = self.process.wait(timeout=TIMEOUT)
        finally:
            self.process.kill()
        leftover = []
        while not self.lines.empty():
            leftover.append(self.lines.get())
        assert not leftover, f"more output than one line per command: {leftover}"
        return code


class Interactive:
    """The REPL on a real pty."""

    PROMPT = "tasksafe> "

    def __init__(self, fault: Fault) -> None:
        argv = program(fault)
        self.child = pexpect.spawn(
            argv[0],
            argv[1:],
            # pexpect never answers prompt_toolkit's cursor-position request: each would wait 1 s.
            env={**env(fault), "TERM": "xterm-256color", "PROMPT_TOOLKIT_NO_CPR": "1"},
            cwd=str(fault.home),
            dimensions=(40, 250),
            encoding="utf-8",
            timeout=TIMEOUT,
        )
        self.child.expect_exact(self.PROMPT)

    def add(self, name: str) -> Shown:
        self.child.sendline(f"add {shlex.quote(name)}")
        found = self.child.expect([r"✓ added [^\r\n]*\r\n", r"✗ [^\r\n]*\r\n"])
        text = ANSI.sub("", self.child.after).strip()
        self.child.expect_exact(self.PROMPT)
        between = ANSI.sub("", self.child.before).strip()
        assert not any(w in between for w in ("Traceback", "✗", "unexpected")), between
        return Shown(found == 0, text)

    def close(self) -> int | None:
        try:
            self.child.sendcontrol("d")
            self.child.expect(pexpect.EOF)
        finally:
            self.child.close(force=True)
        code = self.child.exitstatus
        return None if code is None else int(code)


SESSIONS: dict[str, type[OneShot] | type[Batch] | type[Interactive]] = {
    "one-shot": OneShot,
    "batch": Batch,
    "repl": Interactive,
}
# The batch's exit code is its first error's; the REPL showed every error where it happened.
EXIT_AFTER = {"one-shot": None, "batch": 1, "repl": 0}


def stored_names(path: Path) -> list[str]:
    return [r["name"] for r in json.loads(path.read_bytes())["tasks"]]


@pytest.mark.parametrize("kind", SESSIONS)
def test_a_fault_mid_session_fails_one_add_cleanly_and_the_next_works(
    fault: Fault, kind: str
) -> None:
    session: Session = SESSIONS[kind](fault)
    try:
        assert session.add("before the fault").ok
        assert session.add("also before").ok
        before = fault.files()
        fault.cause()
        shown = session.add("during the fault")
        assert not shown.ok and fault.words in shown.text, shown
        assert "nothing was changed" in shown.text or "cannot" in shown.text, shown
        assert fault.files() == before, "the old file changed"
        assert temp_files(fault.directory) == []
        fault.end()
        after = session.add("after the fault")
        assert after.ok, after
    finally:
        code = session.close()
    assert code == EXIT_AFTER[kind]
    assert stored_names(fault.directory / DATA) == [
        "before the fault",
        "also before",
        "after the fault",
    ]
