"""core/sync/git.py's helpers: the driver command, remotes, files, change times, the report."""

from __future__ import annotations

import io
import shlex
import sys
from pathlib import Path

import pytest
from rich.console import Console

from commands.sync import DriverResult
from core.storage.history import Entry
from core.sync.git import (
    IGNORED,
    SyncError,
    SyncResult,
    _add_lines,
    _remote_url,
    change_times,
    driver_command,
)
from core.sync.merge import Conflict, Renumbered, Revived
from core.sync.run import merge_files
from ui.render import render


def test_the_driver_runs_from_a_clone_with_this_interpreter() -> None:
    words = shlex.split(driver_command())
    assert words[0] == sys.executable and words[1].endswith("main.py")
    assert words[-5:] == ["merge-driver", "%O", "%A", "%B", "%P"]


def test_a_path_remote_is_made_absolute_a_url_is_kept(tmp_path: Path) -> None:
    assert _remote_url("git@example.org:me/tasks.git") == "git@example.org:me/tasks.git"
    assert _remote_url("https://example.org/tasks.git") == "https://example.org/tasks.git"
    assert Path(_remote_url("rel/tasks.git")).is_absolute()


def test_ignore_lines_are_added_once_keeping_the_users(tmp_path: Path) -> None:
    path = tmp_path / ".gitignore"
    path.write_text("notes.txt")
    _add_lines(path, IGNORED)
    _add_lines(path, IGNORED)
    lines = path.read_text().splitlines()
    assert lines[0] == "notes.txt" and lines.count("*.lock") == 1


def test_change_times_name_the_step_that_last_changed_each_field() -> None:
    old = {"uuid": "a", "name": "x", "priority": 2}
    mid = {**old, "name": "y"}
    new = {**mid, "priority": 1}
    entries = [
        Entry(1, "2026-12-01T10:00:00Z", "edit", (("a", old, mid),), 2),
        Entry(2, "2026-12-01T11:00:00Z", "edit", (("a", mid, new),), 2),
    ]
    times = change_times(entries)
    assert times[("a", "name")] == "2026-12-01T10:00:00Z"
    assert times[("a", "priority")] == "2026-12-01T11:00:00Z"


def test_the_merge_driver_merges_bytes_and_refuses_what_is_not_a_task_file() -> None:
    base = b'{"format":"tasksafe","version":1,"next_id":2,"tasks":[{"id":1,"uuid":"a","name":"x"}]}'
    ours = base.replace(b'"x"', b'"mine"')
    theirs = base.replace(b'"x"}', b'"x","priority":1}')
    data, report = merge_files(base, ours, theirs)
    assert b'"mine"' in data and b'"priority":1' in data.replace(b" ", b"")
    assert report.conflicts == []
    with pytest.raises(SyncError, match="not a task file"):
        merge_files(base, ours, b"not json")


def rendered(result: object) -> str:
    out = io.StringIO()
    render(result, Console(file=out, width=200, color_system=None))
    return out.getvalue()


def test_the_report_names_each_conflict_kept_task_and_id_change() -> None:
    result = SyncResult(
        "/r.git",
        "main",
        pulled=2,
        pushed=1,
        conflicts=[
            Conflict("a", 1, "buy soy milk", "name", "buy soy milk", "buy oat milk", "remote")
        ],
        revived=[Revived("b", 2, "water plants", "local")],
        renumbered=[Renumbered("c", "call mum", 1, 3)],
    )
    text = rendered(result)
    assert "pulled 2 change(s), pushed 1" in text
    assert 'task 1 "buy soy milk" name: kept buy soy milk (the remote' in text
    assert "over buy oat milk (this machine)" in text
    assert 'task 2 "water plants" was deleted here but edited on the other side' in text
    assert 'task 1 "call mum" is now 3' in text
    assert "1 conflict(s)" in rendered(DriverResult(1, 0, 0))
