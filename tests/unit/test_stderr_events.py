"""ui.stderr_events: storage events off the REPL, one `tasksafe:` line each on stderr."""

from __future__ import annotations

import pytest

from core.events import InvalidRecords, LockWaiting, Recovered, Saved, Upgraded
from ui.stderr_events import StderrEvents, note


def test_a_lock_wait_is_said_once_however_often_it_is_reported(
    capsys: pytest.CaptureFixture[str],
) -> None:
    events = StderrEvents()
    for waited in (0.1, 0.2, 0.3):
        events(LockWaiting("tasks.json", "pid 42 on host", waited))
    captured = capsys.readouterr()
    assert captured.err == "tasksafe: waiting for tasks.json, held by pid 42 on host\n"
    assert captured.out == ""  # stdout stays clean for --json


def test_recovery_upgrade_and_invalid_records_each_get_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    events = StderrEvents()
    events(Recovered("tasks.json", "not JSON", "tasks.json.backup", 3, "tasks.json.corrupt-1"))
    events(Upgraded("tasks.json", "tasks.json.legacy"))
    events(InvalidRecords("tasks.json", ((0, 7, "no name"),)))
    events(Saved("tasks.json", 3, 0.01))  # a save is not news off the REPL
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 3
    assert "restored tasks.json.backup (3 tasks)" in lines[0] and "corrupt-1" in lines[0]
    assert "the original is kept as tasks.json.legacy" in lines[1]
    assert "1 record(s) in tasks.json are not valid tasks" in lines[2]


def test_a_note_loses_its_control_characters(capsys: pytest.CaptureFixture[str]) -> None:
    note("held by \x1b]0;evil\x07me")
    line = capsys.readouterr().err
    assert line.startswith("tasksafe: held by ") and line.endswith("me\n")
    assert "\x1b" not in line and "\x07" not in line
