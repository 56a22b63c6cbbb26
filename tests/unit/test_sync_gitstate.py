"""core/sync/gitstate.py: when a git lock file counts as left by a dead git, and the sync lock."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from core.state import AppState
from core.storage.lock import FileLock
from core.sync.gitstate import STALE_AFTER, SYNC_LOCK, SyncBusyError, judge
from core.sync.run import sync
from tests.integration.test_sync_cli import GIT_ENV


def lock_file(tmp_path: Path, age: float) -> Path:
    path = tmp_path / ".git" / "index.lock"
    path.parent.mkdir(exist_ok=True)
    path.write_text("")
    then = time.time() - age
    os.utime(path, (then, then))
    return path


def test_a_fresh_lock_may_be_a_git_that_just_started(tmp_path: Path) -> None:
    assert judge(str(lock_file(tmp_path, 0)), str(tmp_path)) == "live"


def test_an_old_lock_with_no_git_running_in_the_repository_is_stale(tmp_path: Path) -> None:
    path = lock_file(tmp_path, STALE_AFTER + 60)
    assert judge(str(path), str(tmp_path)) == "stale"


def test_without_proc_nothing_can_be_known(tmp_path: Path) -> None:
    path = lock_file(tmp_path, 60)
    assert judge(str(path), str(tmp_path), proc=str(tmp_path / "no-proc")) == "unsure"


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_another_users_lock_is_never_judged_stale(tmp_path: Path) -> None:
    path = lock_file(tmp_path, 60)
    os.chown(path, 65534, 65534)  # nobody: their git processes are not ours to see
    os.utime(path, (time.time() - 60, time.time() - 60))
    assert judge(str(path), str(tmp_path)) == "unsure"


def test_a_sync_waits_for_another_sync_and_gives_up_with_exit_3(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    state = AppState(tmp_path / "tasks.json", lock_timeout=0.2)
    state.add_task("x")
    sync(state, str(remote))
    another_sync = FileLock(str(tmp_path / ".git" / SYNC_LOCK), 1)
    with another_sync, pytest.raises(SyncBusyError) as raised:
        sync(state)
    assert raised.value.exit_code == 3
    assert "another sync is running in" in str(raised.value)
    assert sync(state).pulled == 0  # once it has finished, the next sync runs
