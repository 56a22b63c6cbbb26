"""core/sync/auto.py: background sync after changes and on a period, and the toolbar's words."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from core.state import AppState
from core.sync.auto import AutoSync
from core.sync.run import sync
from tests.integration.test_sync_cli import GIT_ENV


@pytest.fixture(autouse=True)
def git_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)


def wait_for(check: Callable[[], bool], timeout: float = 20) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_a_change_is_synced_in_the_background_and_the_toolbar_says_so(tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a, b = AppState(tmp_path / "a" / "tasks.json"), AppState(tmp_path / "b" / "tasks.json")
    a.add_task("first")
    sync(a, str(remote))
    sync(b, str(remote))
    auto = AutoSync(a.path, debounce=0.1, period=600)
    auto.start()
    try:
        wait_for(lambda: auto.last_ok is not None)
        assert auto.describe() == "synced just now"
        assert auto.describe(now=(auto.last_ok or 0) + 150) == "synced 2 min ago"
        a.add_task("made while auto-sync runs")
        auto.poke()
        wait_for(lambda: auto.last_result is not None and auto.last_result.pushed == 1)
    finally:
        auto.stop()
    sync(b)
    assert {t.name for t in b.tasks} == {"first", "made while auto-sync runs"}


def test_a_failed_background_sync_is_one_line_for_the_toolbar(tmp_path: Path) -> None:
    state = AppState(tmp_path / "tasks.json")
    state.add_task("offline")
    auto = AutoSync(state.path)
    auto.sync_now()
    assert auto.describe().startswith("sync failed: ")
    assert "sync --init" in auto.describe()
    assert [t.name for t in AppState(state.path).tasks] == ["offline"]
