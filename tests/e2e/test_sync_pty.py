"""Sync in the real REPL on a terminal (issue 11): TASKS_SYNC=auto's toolbar, a prompt that
never waits on the network, and the notice a window shows when a sync brings changes.

The toolbar needs a terminal that answers cursor-position requests: tmux (as in test_pty.py).
A push is held at a known point by a pre-push hook blocking on a FIFO; every wait polls the
screen or a file with a deadline.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.test_pty import PROMPT, TmuxWindow, Window
from tests.helpers import spawn_repl
from tests.integration.test_sync_cli import GIT_ENV, Machine, git
from tests.integration.test_sync_killed_git import Blocker

needs_tmux = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")


def until(window: TmuxWindow, check: Callable[[str], bool], what: str, timeout: float = 30) -> str:
    """The screen, once `check` holds for it."""
    deadline = time.monotonic() + timeout
    while not check(screen := window.tmux("capture-pane", "-p")):
        assert time.monotonic() < deadline, f"{what} not on screen:\n{screen}"
        time.sleep(0.02)
    return screen


def toolbar(screen: str) -> str:
    lines = screen.rstrip().splitlines()
    return lines[-1] if lines else ""


def machines(tmp_path: Path) -> tuple[Machine, Machine, Path]:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    a, b = Machine(tmp_path, "a", remote), Machine(tmp_path, "b", remote)
    a.ok("add", "buy milk")
    a.join()
    b.join()
    return a, b, remote


@needs_tmux
def test_auto_sync_says_how_it_went_and_the_prompt_never_waits(tmp_path: Path) -> None:
    a, b, remote = machines(tmp_path)
    hook = Blocker(a.dir / ".git" / "hooks", "pre-push")
    window = TmuxWindow(a.file, {**GIT_ENV, "TASKS_SYNC": "auto"})
    try:
        until(window, lambda s: "synced just now" in toolbar(s), "the first sync")
        window.tmux("send-keys", "add call mum", "Enter")
        hook.wait_started()  # the background sync is pushing, held by the hook
        until(window, lambda s: "syncing…" in toolbar(s), "syncing…")
        window.tmux("send-keys", "add water plants", "Enter")
        window.wait_for("water plants")
        window.tmux("send-keys", "list", "Enter")
        # The list, and the prompt back with its toolbar, while the push is still held.
        until(
            window,
            lambda s: s.count("water plants") >= 2 and "syncing…" in toolbar(s),
            "the list and the prompt",
        )
        shared = git(remote, "--git-dir", str(remote), "show", "master:tasks.json").stdout
        assert "call mum" not in shared  # the push is held by the hook: nothing pushed yet
        hook.release()
        until(window, lambda s: "synced just now" in toolbar(s), "synced after the change")
        b.sync()
        assert "call mum" in b.tasks()
        window.tmux("send-keys", "quit", "Enter")
    finally:
        window.close()
    hook.script.unlink()
    os.rename(remote, remote.with_suffix(".gone"))  # the remote is unreachable now
    window = TmuxWindow(a.file, {**GIT_ENV, "TASKS_SYNC": "auto"})
    try:
        screen = until(window, lambda s: "sync failed: " in toolbar(s), "sync failed")
        assert "sync failed: git fetch: fatal:" in toolbar(screen)
        window.tmux("send-keys", "add offline", "Enter")
        until(window, lambda s: "offline" in s and s.count(PROMPT.strip()) >= 2, "the add")
    finally:
        window.close()
    assert "offline" in a.tasks()


def test_a_window_sees_what_a_sync_in_another_process_brought(tmp_path: Path) -> None:
    a, b, _ = machines(tmp_path)
    window = Window.__new__(Window)
    window.child = spawn_repl(b.file, GIT_ENV)
    try:
        window.prompt()
        a.ok("add", "call mum")
        a.ok("add", "water plants")
        a.sync()
        b.sync()  # another process, on this window's file
        window.run("", "↻ 2 changed by sync (2 added)")
        window.run("list", "call mum")
    finally:
        window.child.terminate(force=True)
