"""The maintenance commands in one-shot mode: the real program, real files, real exit codes."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from core.state import AppState
from tests.helpers import run_cli


def listing(directory: Path) -> dict[str, bytes]:
    """Every file's name and bytes: what a command that writes nothing must leave as it was."""
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


@pytest.fixture
def saved(tasks_path: Path) -> AppState:
    state = AppState(tasks_path)
    for name in ("alpha", "beta", "gamma"):
        state.add_task(name)
    return state


def test_doctor_on_a_healthy_file_exits_0(saved: AppState, tasks_path: Path) -> None:
    result = run_cli(tasks_path, "doctor")
    assert result.returncode == 0, result.stderr
    assert "✓ healthy" in result.stdout and "3 valid tasks" in result.stdout


def test_doctor_names_each_problem_exits_1_and_changes_nothing(
    saved: AppState, tasks_path: Path, tmp_path: Path
) -> None:
    doc = json.loads(tasks_path.read_text())
    doc["tasks"].append({"id": 2, "uuid": "dup-id", "name": "twin"})
    doc["tasks"].append({"id": 9, "uuid": "x", "name": "bad", "status": "maybe"})
    tasks_path.write_text(json.dumps(doc))
    (tmp_path / ".tasks.json.4242.deadbeef.tmp").write_text("half a save")
    before = listing(tmp_path)
    result = run_cli(tasks_path, "doctor")
    assert result.returncode == 1, result.stdout + result.stderr
    out = result.stdout
    assert "record 5 (id 9): status must be pending or done" in out
    assert "id 2 at records 2, 4" in out
    assert ".tasks.json.4242.deadbeef.tmp" in out
    assert "3 problem(s) found" in out
    assert listing(tmp_path) == before


@pytest.fixture
def lock_holder(
    saved: AppState, tasks_path: Path, hold_lock: Callable[[Path], subprocess.Popen[str]]
) -> subprocess.Popen[str]:
    return hold_lock(tasks_path)


def test_doctor_names_the_live_process_holding_the_lock(
    lock_holder: subprocess.Popen[str], tasks_path: Path
) -> None:
    result = run_cli(tasks_path, "doctor")
    assert result.returncode == 1
    assert f"held by pid {lock_holder.pid} " in result.stdout


def test_doctor_on_a_damaged_file_without_backups_reports_it_and_touches_nothing(
    tasks_path: Path, tmp_path: Path
) -> None:
    tasks_path.write_bytes(b'{"format": "tasksafe", "version": 1, "tasks": [{"id": 1, "name": "a')
    before = listing(tmp_path)
    result = run_cli(tasks_path, "doctor")
    assert result.returncode == 1, result.stderr  # a finding, not the exit 4 of a failed load
    assert "does not decode" in result.stdout
    assert listing(tmp_path) == before  # no quarantine, no lock file, no recovery


def test_backups_lists_and_restore_asks_then_keeps_the_current_file_as_backup(
    saved: AppState, tasks_path: Path, tmp_path: Path
) -> None:
    listed = run_cli(tasks_path, "backups")
    assert listed.returncode == 0
    assert "backup.1" in listed.stdout and "✓ valid" in listed.stdout
    refused = run_cli(tasks_path, "restore", "backup.1")  # no terminal to ask on
    assert refused.returncode == 2 and "--yes" in refused.stderr
    current = tasks_path.read_bytes()
    done = run_cli(tasks_path, "restore", "backup.1", "--yes")
    assert done.returncode == 0, done.stderr
    assert "restored backup.1" in done.stdout
    assert (tmp_path / "tasks.json.backup").read_bytes() == current
    assert [t.name for t in AppState(tasks_path).tasks] == ["alpha"]
    added = run_cli(tasks_path, "add", "delta")
    assert added.stdout.strip() == "4"  # beta's 2 and gamma's 3 are never handed out again


def test_after_a_recovery_salvage_brings_back_the_task_the_backup_lacked(
    saved: AppState, tasks_path: Path
) -> None:
    saved.add_task("only in the damaged file")
    data = tasks_path.read_bytes()
    tasks_path.write_bytes(data[: data.index(b"only in the damaged file") + 30])
    Path(f"{tasks_path}.history").unlink()  # with it, recovery itself would bring the task back
    listed = run_cli(tasks_path, "list")
    assert "was damaged" in listed.stderr and "only in the damaged" not in listed.stdout
    salvaged = run_cli(tasks_path, "doctor", "--salvage", "--yes")
    assert salvaged.returncode == 0, salvaged.stderr
    assert "added 1 task(s) salvaged" in salvaged.stdout
    names = [t.name for t in AppState(tasks_path).tasks]
    assert names == ["alpha", "beta", "gamma", "only in the damaged file"]
    checked = run_cli(tasks_path, "doctor")
    assert checked.returncode == 0 and "corrupt-" in checked.stdout


def test_search_stats_and_undo_in_one_shot_mode(saved: AppState, tasks_path: Path) -> None:
    saved.complete(2)
    found = run_cli(tasks_path, "search", "ET")
    assert found.returncode == 0
    assert "beta" in found.stdout and "alpha" not in found.stdout
    stats = run_cli(tasks_path, "stats")
    assert stats.returncode == 0 and "completed per day" in stats.stdout
    undo = run_cli(tasks_path, "undo")
    assert undo.returncode == 0 and "undid done 2" in undo.stdout
    assert [t.status for t in AppState(tasks_path).tasks][1] == "pending"


def test_one_shot_undo_walks_back_through_older_steps_and_redo_comes_forward(
    saved: AppState, tasks_path: Path
) -> None:
    """After a restart, `undo` repeated takes back one step after another (not the last undo)."""
    names = lambda: [t.name for t in AppState(tasks_path).tasks]  # noqa: E731
    before = names()
    assert run_cli(tasks_path, "add", "one").returncode == 0
    assert run_cli(tasks_path, "add", "two").returncode == 0
    assert run_cli(tasks_path, "undo").returncode == 0
    assert names() == [*before, "one"]
    assert run_cli(tasks_path, "undo").returncode == 0
    assert names() == before
    assert run_cli(tasks_path, "redo").returncode == 0
    assert names() == [*before, "one"]


def test_doctor_shows_the_files_mode_and_owner(saved: AppState, tasks_path: Path) -> None:
    import pwd

    os.chmod(tasks_path, 0o640)
    result = run_cli(tasks_path, "doctor")
    owner = pwd.getpwuid(os.stat(tasks_path).st_uid).pw_name
    assert result.returncode == 0 and f"-rw-r----- {owner}:" in result.stdout
