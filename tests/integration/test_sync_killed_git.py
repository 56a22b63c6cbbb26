"""A git killed mid-operation (issue 11): what it leaves (index.lock, a ref lock, MERGE_HEAD) is
judged by core/sync/gitstate.py, and the next `sync` completes.

Each git is stopped at a known point by a hook that blocks on a FIFO (core.fsmonitor while
`update-index` holds index.lock, an editor while `git commit` holds it, prepare-commit-msg
while `git pull` has written MERGE_HEAD), then SIGKILLed with its process group, as a power cut
or the OOM killer would. A lock's age is set with utime: the kill happened a minute ago.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import MAIN, child_env
from tests.integration.test_sync_cli import GIT_ENV, Machine, git, remote, two

__all__ = ["remote", "two"]  # the fixtures this file uses

BLOCKER = """#!/bin/sh
{guard}
echo "$PPID" > {marker}
cat {fifo} > /dev/null
{after}
"""


class Blocker:
    """A hook script that says when it runs (its parent: the git) and waits for `release()`."""

    def __init__(self, where: Path, name: str, guard: str = "", after: str = "") -> None:
        self.fifo, self.marker = where / f"{name}.fifo", where / f"{name}.started"
        os.mkfifo(self.fifo)
        self.script = where / name
        self.script.write_text(
            BLOCKER.format(guard=guard, marker=self.marker, fifo=self.fifo, after=after)
        )
        self.script.chmod(0o755)

    def wait_started(self, child: subprocess.Popen[str] | None = None, timeout: float = 30) -> int:
        """The pid of the git that runs the hook, once the hook runs."""
        deadline = time.monotonic() + timeout
        while not self.marker.exists() or not self.marker.read_text().strip():
            assert child is None or child.poll() is None, child.communicate()
            assert time.monotonic() < deadline, "the hook never ran"
            time.sleep(0.01)
        return int(self.marker.read_text())

    def release(self) -> None:
        with open(self.fifo, "w"):
            pass

    @property
    def started(self) -> bool:
        return self.marker.exists()


@pytest.fixture
def children() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for child in started:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()


def start(children: list[subprocess.Popen[str]], cwd: Path, *argv: str) -> subprocess.Popen[str]:
    """A process in a session of its own: its whole group can be killed at once."""
    child = subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=child_env(cwd, GIT_ENV),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    children.append(child)
    return child


def kill_group(child: subprocess.Popen[str]) -> None:
    os.killpg(child.pid, signal.SIGKILL)
    child.wait()


def age(path: Path, seconds: float = 60) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_sync_killed_while_its_git_holds_index_lock_is_completed_by_the_next(
    two: tuple[Machine, Machine], tmp_path: Path, children: list[subprocess.Popen[str]]
) -> None:
    a, b = two
    only_update_index = (  # git runs the monitor on every read of an index; stop this one
        '[ -n "$GIT_INDEX_FILE" ] && exit 0; grep -q update-index /proc/$PPID/cmdline || exit 0'
    )
    hook = Blocker(tmp_path, "fsmonitor", guard=only_update_index)
    git(a.dir, "config", "core.fsmonitor", str(hook.script))  # run while index.lock is held
    a.ok("add", "call mum")
    child = start(children, a.dir, sys.executable, MAIN, "--file", str(a.file), "sync")
    hook.wait_started(child)
    lock = a.dir / ".git" / "index.lock"
    assert lock.exists()
    kill_group(child)  # tasksafe, its git and the hook, as a power cut would
    assert lock.exists()
    git(a.dir, "config", "--unset", "core.fsmonitor")
    assert a.run("list", "--json").returncode == 0  # the file loads
    age(lock)
    report = a.sync()
    assert any("index.lock" in n and "removed" in n for n in report["notes"]), report
    assert not lock.exists()
    assert git(a.dir, "status", "--porcelain").stdout == ""
    b.sync()
    assert "call mum" in b.tasks()


def test_a_live_git_commit_keeps_its_index_lock_and_what_it_staged(
    two: tuple[Machine, Machine], tmp_path: Path, children: list[subprocess.Popen[str]]
) -> None:
    a, b = two
    (a.dir / "notes.txt").write_text("mine\n")
    git(a.dir, "add", "notes.txt")
    editor = Blocker(tmp_path, "editor", after='echo "by hand" > "$1"')
    commit = ("git", "commit", "-a")  # -a: the lock is held while the editor is open
    child = start(children, a.dir, "env", f"GIT_EDITOR={editor.script}", *commit)
    editor.wait_started(child)
    lock = a.dir / ".git" / "index.lock"
    age(lock)  # old, but its git is alive (the editor is open): never removed
    inode = lock.stat().st_ino
    a.ok("add", "call mum")
    report = a.sync()
    assert lock.stat().st_ino == inode
    assert any("index.lock" in n for n in report["notes"]), report
    b.sync()
    assert "call mum" in b.tasks()
    editor.release()
    child.communicate(timeout=30)  # its commit is refused (HEAD moved on); the lock is gone
    assert not lock.exists()
    a.sync()
    status = git(a.dir, "status", "--porcelain").stdout.splitlines()
    assert status == ["A  notes.txt"]  # still staged: the sync updated only its own paths


def test_a_git_pull_killed_mid_merge_is_completed_by_the_next_sync(
    two: tuple[Machine, Machine], tmp_path: Path, children: list[subprocess.Popen[str]]
) -> None:
    a, b = two
    a.ok("add", "call mum")
    a.sync()
    b.ok("edit", "1", "--name", "buy oat milk")
    git(b.dir, "commit", "-q", "-am", "by hand")
    hook = Blocker(b.dir / ".git" / "hooks", "prepare-commit-msg")
    child = start(children, b.dir, "git", "pull", "--no-rebase", "origin", "master")
    hook.wait_started(child)
    merge_head = b.dir / ".git" / "MERGE_HEAD"
    assert merge_head.exists()
    kill_group(child)
    hook.script.unlink()
    report = b.sync()
    assert not merge_head.exists()
    assert any("MERGE_HEAD" in n for n in report["notes"]), report
    assert git(b.dir, "status", "--porcelain").stdout == ""
    assert "still merging" not in git(b.dir, "status").stdout
    a.sync()
    assert set(a.tasks()) == set(b.tasks()) == {"buy oat milk", "call mum"}
    assert a.by_uuid() == b.by_uuid()


def test_a_fresh_ref_lock_is_refused_in_one_line_and_removed_once_stale(
    two: tuple[Machine, Machine],
) -> None:
    a, b = two
    lock = a.dir / ".git" / "refs" / "heads" / "master.lock"
    lock.write_text("")  # as a git that just started, or was killed just now, leaves it
    a.ok("add", "call mum")
    done = a.run("sync")
    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1
    assert str(lock) in done.stderr and "remove it" in done.stderr
    age(lock)
    report = a.sync()
    assert not lock.exists() and any("master.lock" in n for n in report["notes"])
    b.sync()
    assert "call mum" in b.tasks()
