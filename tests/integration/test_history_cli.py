"""The history through the real program: log, history ID, restore --at, under Debian's faketime.

Each step's time comes from the program's clock, so running it under `faketime` at chosen
moments (never sleeping) builds a history that spans days; `restore --at` then rebuilds the
file as it was at one of them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from core.state import AppState
from tests.helpers import MAIN, child_env, run_cli

pytestmark = pytest.mark.skipif(shutil.which("faketime") is None, reason="needs Debian's faketime")


def at(moment: str, tasks_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real program with its clock at `moment` (UTC)."""
    env = child_env(tasks_path.parent, {"TZ": "UTC"})
    return subprocess.run(
        ["faketime", moment, sys.executable, MAIN, "--file", str(tasks_path), *args],
        capture_output=True,
        text=True,
        cwd=tasks_path.parent,
        env=env,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def names(tasks_path: Path) -> list[str]:
    return [t.name for t in AppState(tasks_path).tasks]


@pytest.fixture
def three_days(tasks_path: Path) -> Path:
    """Monday: milk. Tuesday: eggs, milk renamed. Wednesday: milk deleted by mistake."""
    for moment, args in [
        ("2026-11-30 09:00:00", ("add", "milk")),
        ("2026-12-01 09:00:00", ("add", "eggs")),
        ("2026-12-01 10:00:00", ("edit", "1", "--name", "oat milk")),
        ("2026-12-02 09:00:00", ("delete", "1", "--yes")),
    ]:
        result = at(moment, tasks_path, *args)
        assert result.returncode == 0, result.stderr
    return tasks_path


def test_log_lists_each_step_newest_first_with_when_who_and_what(three_days: Path) -> None:
    result = at("2026-12-02 09:05:30", three_days, "log")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    rows = [line for line in lines if line.startswith("│")]
    assert [row.split("│")[1].strip() for row in rows if row.split("│")[1].strip()] == [
        "4",
        "3",
        "2",
        "1",
    ]
    assert "5 min ago" in result.stdout and "2026-11-30 09:00" in result.stdout
    assert '"milk" →' in result.stdout and "-1 deleted" in result.stdout


def test_log_json_names_each_touched_task_by_uuid_and_id(three_days: Path) -> None:
    steps = json.loads(run_cli(three_days, "log", "--json").stdout)
    assert [s["step"] for s in steps] == [4, 3, 2, 1]
    assert steps[1]["tasks"][0]["id"] == 1 and steps[1]["tasks"][0]["uuid"]
    assert steps[1]["tasks"][0]["fields"]["name"] == {"from": "milk", "to": "oat milk"}
    # faketime starts the clock there and lets it run: a loaded machine may be a second on.
    assert steps[0]["at"].startswith("2026-12-02T09:00:") and steps[0]["command"].endswith("--yes")


def test_history_of_a_deleted_task_shows_every_version(three_days: Path) -> None:
    result = run_cli(three_days, "history", "1")
    assert result.returncode == 0, result.stderr
    assert "added" in result.stdout and '"oat milk"' in result.stdout
    assert "deleted" in result.stdout


def test_restore_at_yesterday_brings_back_the_list_as_it_was(three_days: Path) -> None:
    assert names(three_days) == ["eggs"]
    preview = at("2026-12-02 12:00:00", three_days, "restore", "--at", "yesterday 18:00")
    assert preview.returncode == 2 and "1 come back" in preview.stderr  # off a terminal: --yes
    done = at("2026-12-02 12:00:00", three_days, "restore", "--at", "yesterday 18:00", "--yes")
    assert done.returncode == 0, done.stderr
    assert "after step 3" in done.stdout
    assert sorted(names(three_days)) == ["eggs", "oat milk"]
    assert run_cli(three_days, "undo").returncode == 0  # the restore is itself a step
    assert names(three_days) == ["eggs"]


def test_restore_at_a_moment_before_a_change_and_hours_ago(three_days: Path) -> None:
    result = at("2026-12-01 11:00:00", three_days, "restore", "--at", "90 minutes ago", "--yes")
    assert result.returncode == 0, result.stderr
    assert "after step 2" in result.stdout  # 09:30: eggs added, milk not yet renamed
    assert sorted(names(three_days)) == ["eggs", "milk"]
    state = AppState(three_days)
    assert state.add_task("new").id == 3  # ids never go down


def test_a_bad_moment_is_one_line_and_changes_nothing(three_days: Path) -> None:
    before = three_days.read_bytes()
    result = run_cli(three_days, "restore", "--at", "the day before")
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "not a moment" in result.stderr and three_days.read_bytes() == before


def test_backups_reach_back_by_hour_day_and_week_pruned_to_their_counts(tasks_path: Path) -> None:
    """Saves every 7 hours for 3 weeks: 24 hourly, 14 daily and the weekly copies are kept,
    named by the clock, each a valid copy `restore` takes."""
    from datetime import datetime, timedelta

    start = datetime(2026, 11, 9, 8, 0)
    for n in range(72):
        moment = (start + timedelta(hours=7 * n)).strftime("%Y-%m-%d %H:%M:%S")
        assert at(moment, tasks_path, "add", f"task {n}").returncode == 0
    kept = sorted(p.name for p in tasks_path.parent.iterdir())
    hourly = [n for n in kept if ".hourly-" in n]
    daily = [n for n in kept if ".daily-" in n]
    weekly = [n for n in kept if ".weekly-" in n]
    assert len(hourly) == 24 and len(daily) == 14 and len(weekly) == 4  # 3 weeks: W46..W49
    assert hourly[-1].endswith("hourly-20261130T01")  # the newest: the last save's hour
    assert daily[0].endswith("daily-20261117")  # two weeks back
    listed = run_cli(tasks_path, "backups")
    assert listed.returncode == 0 and "weekly-2026-W46" in listed.stdout
    oldest = weekly[0].removeprefix(f"{tasks_path.name}.")
    restored = run_cli(tasks_path, "restore", oldest, "--yes")
    assert restored.returncode == 0, restored.stderr
    assert names(tasks_path) == ["task 0"]  # W46's copy: kept by the second save of that week


def test_log_with_a_filter_shows_only_the_steps_that_touched_matching_tasks(
    tasks_path: Path,
) -> None:
    for args in (("add", "paint fence", "project:home"), ("add", "report", "project:work")):
        assert run_cli(tasks_path, *args).returncode == 0
    assert run_cli(tasks_path, "edit", "2", "--name", "big report").returncode == 0
    steps = json.loads(run_cli(tasks_path, "log", "--json", "project:work").stdout)
    assert [s["step"] for s in steps] == [3, 2]
    bad = run_cli(tasks_path, "log", "projct:work")
    assert bad.returncode == 2 and "did you mean project:" in bad.stderr
