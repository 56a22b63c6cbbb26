"""A window holding the lock: others give up after their timeout, naming it; a dead one blocks nobody."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from core.state import AppState
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
