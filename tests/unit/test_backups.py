"""core/maintenance/backups.py: finding and reading the kept copies, and restoring one into a document."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import pytest
from rich.console import Console

from commands.admin_results import BackupList
from core.errors import AppError, UsageError
from core.file_safety import BackupTiers
from core.maintenance.backups import (
    backup_files,
    find_backup,
    read_document,
    restore_edits,
    restore_into,
)
from core.state import AppState
from core.storage.document import Document, decode
from ui.render import render


def names_of(state: AppState) -> list[str]:
    return [t.name for t in state.tasks]


@pytest.fixture
def history(tasks_path: Path) -> AppState:
    """A file saved three times: `.backup` holds two tasks, `.backup.1` one (no hourly, daily
    or weekly copies: tests/integration/test_history_cli.py drives those under faketime)."""
    state = AppState(tasks_path, tiers=BackupTiers(0, 0, 0))
    for name in ("alpha", "beta", "gamma"):
        state.add_task(name)
    return state


def test_rotated_backups_are_listed_newest_first_with_their_task_counts(history: AppState) -> None:
    copies = backup_files(history.files)
    assert [(c.short_name, c.kind, c.tasks, c.valid) for c in copies] == [
        ("backup", "backup", 2, True),
        ("backup.1", "backup", 1, True),
    ]
    assert all(c.size > 0 and c.problem is None for c in copies)


def test_legacy_and_corrupt_copies_are_listed_and_an_undecodable_one_is_invalid(
    history: AppState, tmp_path: Path
) -> None:
    legacy = [{"id": 1, "name": "old one", "tag": "x"}, {"id": 2, "name": "old two"}]
    (tmp_path / "tasks.json.legacy").write_text(json.dumps(legacy))
    (tmp_path / "tasks.json.corrupt-20260101T000000Z").write_bytes(b'{"format": "tasksafe", "ta')
    (tmp_path / "tasks.json.corrupt-20260102T000000Z").write_bytes(b"\x00\xff garbage")
    (tmp_path / "tasks.json.backup.2").write_text("not json at all")
    (tmp_path / "other.json.backup").write_text("[]")  # another file's backup: not ours
    (tmp_path / "tasks.json.backup.old").write_text("[]")  # not a name we rotate
    copies = backup_files(history.files)
    assert [(c.short_name, c.kind, c.valid) for c in copies] == [
        ("backup", "backup", True),
        ("backup.1", "backup", True),
        ("backup.2", "backup", False),
        ("legacy", "legacy", True),
        ("corrupt-20260102T000000Z", "corrupt", False),
        ("corrupt-20260101T000000Z", "corrupt", False),
    ]
    legacy_copy = copies[3]
    assert legacy_copy.tasks == 2
    assert "does not decode" in (copies[2].problem or "")


def test_a_copy_with_an_invalid_record_is_valid_and_counts_it_apart(
    history: AppState, tmp_path: Path
) -> None:
    doc = decode((tmp_path / "tasks.json").read_bytes())
    doc.records.append({"id": 99, "name": ""})
    (tmp_path / "tasks.json.backup.2").write_text(
        json.dumps({"format": "tasksafe", "version": 1, "next_id": 100, "tasks": doc.records})
    )
    copy = find_backup(history.files, "backup.2")
    assert (copy.valid, copy.tasks, copy.invalid) == (True, 3, 1)


def test_a_copy_is_found_by_short_name_file_name_or_path(history: AppState, tmp_path: Path) -> None:
    full = tmp_path / "tasks.json.backup.1"
    for name in ("backup.1", "tasks.json.backup.1", str(full)):
        assert find_backup(history.files, name).path == str(full)


def test_an_unknown_name_is_refused_listing_what_exists(history: AppState) -> None:
    with pytest.raises(UsageError, match=r"backup\.7.*backup, backup\.1"):
        find_backup(history.files, "backup.7")


def test_reading_an_undecodable_copy_says_why(tmp_path: Path) -> None:
    bad = tmp_path / "x.json.backup"
    bad.write_bytes(b'{"format": "tasksafe"')
    with pytest.raises(AppError, match="does not decode"):
        read_document(str(bad))


def test_restore_takes_records_and_envelope_and_never_lowers_next_id() -> None:
    current = Document(
        records=[{"id": 7, "uuid": "u7", "name": "new"}], next_id=12, extra={"mine": 1}
    )
    backup = Document(
        records=[{"id": 3, "uuid": "u3", "name": "old"}], next_id=5, extra={"theirs": 2}
    )
    edits = restore_into(current, backup)
    assert current.records == [{"id": 3, "uuid": "u3", "name": "old"}]
    assert current.extra == {"theirs": 2}
    assert current.next_id == 12
    assert current.allocate_id() == 12
    assert sorted(edits, key=lambda e: e[0]) == [
        ("u3", None, {"id": 3, "uuid": "u3", "name": "old"}),
        ("u7", {"id": 7, "uuid": "u7", "name": "new"}, None),
    ]


def test_restore_keeps_next_id_past_the_highest_id_either_side_held() -> None:
    # A hand edit added id 40 without raising next_id: 40 must not be handed out again.
    current = Document(records=[{"id": 40, "uuid": "a", "name": "x"}], next_id=2)
    backup = Document(records=[{"id": 1, "uuid": "b", "name": "y"}], next_id=2)
    restore_into(current, backup)
    assert current.next_id == 41


def test_restore_edits_name_only_the_tasks_that_differ() -> None:
    same = {"id": 1, "uuid": "s", "name": "same"}
    old = [same, {"id": 2, "uuid": "c", "name": "before"}]
    new = [same, {"id": 2, "uuid": "c", "name": "after"}]
    assert restore_edits(old, new) == [("c", old[1], new[1])]


def render_text(result: object, width: int = 120) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None)
    render(result, console)
    out = console.file.getvalue()  # type: ignore[attr-defined]
    assert isinstance(out, str)
    return out


def test_the_backups_table_shows_each_copy_its_tasks_and_validity(
    history: AppState, tmp_path: Path
) -> None:
    (tmp_path / "tasks.json.corrupt-20260101T000000Z").write_bytes(b"{[")
    out = render_text(BackupList(history.path, backup_files(history.files), time.time()))
    lines = out.splitlines()
    row = next(line for line in lines if "backup.1" in line)
    assert "✓ valid" in row and " 1 " in row
    corrupt = next(line for line in lines if "corrupt-20260101T000000Z" in line)
    assert "✗" in corrupt and "does not decode" in out
    assert "restore NAME" in out


def test_with_no_copies_the_table_says_so(tasks_path: Path) -> None:
    state = AppState(tasks_path)
    out = render_text(BackupList(state.path, backup_files(state.files), time.time()))
    assert "no backups yet" in out
