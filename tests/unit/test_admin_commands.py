"""commands/admin.py through the registry: undo, redo, search, restore, salvage, stats, doctor."""

from __future__ import annotations

import io
import json
import shlex
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from commands import Context, build_parser, dispatch
from commands.admin_results import (
    DoctorReport,
    Replayed,
    Restored,
    SalvageReport,
    Stats,
)
from commands.results import JsonOutput, Message, TaskTable
from core.errors import AppError, UsageError
from core.model import Task
from core.state import AppState
from ui.render import render

NOW = datetime(2026, 11, 25, 12, 0)


class Answers:
    """A confirm that answers yes or no in turn and keeps what it was asked and shown."""

    def __init__(self, *answers: bool) -> None:
        self.answers = list(answers)
        self.asked: list[tuple[str, list[Task]]] = []

    def __call__(self, question: str, tasks: Sequence[Task]) -> bool:
        self.asked.append((question, list(tasks)))
        return self.answers.pop(0)


def run(state: AppState, line: str, confirm: Answers | None = None) -> Any:
    args = build_parser("tasksafe", interactive=True).parse_args(shlex.split(line))
    ctx = Context(state, confirm or Answers(), interactive=True, now=lambda: NOW)
    return dispatch(ctx, args)


def render_text(result: object) -> str:
    console = Console(file=io.StringIO(), width=120, color_system=None)
    render(result, console)
    out = console.file.getvalue()  # type: ignore[attr-defined]
    assert isinstance(out, str)
    return out


def names(state: AppState) -> list[str]:
    return sorted(t.name for t in state.tasks)


@pytest.fixture
def state(tasks_path: Path) -> AppState:
    return AppState(tasks_path)


# --- undo / redo ---


def test_undo_reverts_the_last_change_and_redo_applies_it_again(state: AppState) -> None:
    state.add_task("keep")
    state.add_task("oops")
    undone = run(state, "undo")
    assert isinstance(undone, Replayed) and (undone.label, undone.tasks) == ("add", 1)
    assert names(AppState(state.path)) == ["keep"]
    redone = run(state, "redo")
    assert redone.redo and names(AppState(state.path)) == ["keep", "oops"]
    assert "↶ undid add (1 task)" in render_text(undone)


def test_undo_with_nothing_in_the_history_says_so(state: AppState) -> None:
    with pytest.raises(AppError, match="nothing to undo"):
        run(state, "undo")
    with pytest.raises(AppError, match="nothing to redo"):
        run(state, "redo")


# --- search ---


def test_search_looks_in_name_description_comment_and_tags_including_done(
    state: AppState,
) -> None:
    state.add_task("Buy MILK")
    state.add_task("call", description="about the milkman")
    state.add_task("bake", comment="needs milk")
    state.add_task("shop", tags=["milkrun"])
    state.add_task("unrelated")
    state.complete(state.add_task("old milk").id)
    result = run(state, "search milk")
    assert isinstance(result, TaskTable)
    assert sorted(t.name for t in result.tasks) == [
        "Buy MILK",
        "bake",
        "call",
        "old milk",
        "shop",
    ]
    assert result.title == "search: milk" and (result.total_pending, result.total_done) == (5, 1)


def test_search_words_form_one_phrase_and_json_gives_the_records(state: AppState) -> None:
    state.add_task("water the plants")
    state.add_task("plants water")
    result = run(state, "search water the --json")
    assert isinstance(result, JsonOutput)
    assert [r["name"] for r in result.value] == ["water the plants"]


# --- restore ---


@pytest.fixture
def restorable(state: AppState) -> AppState:
    """alpha, beta, gamma added; then alpha deleted. `.backup.1` holds alpha and beta."""
    for name in ("alpha", "beta", "gamma"):
        state.add_task(name)
    state.delete(1)
    return state


def test_restore_brings_back_the_backups_tasks_and_keeps_the_current_file_as_backup(
    restorable: AppState, tmp_path: Path
) -> None:
    pre_restore = (tmp_path / "tasks.json").read_bytes()
    confirm = Answers(True)
    result = run(restorable, "restore backup.1", confirm)
    assert isinstance(result, Restored)
    assert (result.brought_back, result.removed, result.changed) == (1, 1, 0)
    assert names(AppState(restorable.path)) == ["alpha", "beta"]
    assert (tmp_path / "tasks.json.backup").read_bytes() == pre_restore
    question, shown = confirm.asked[0]
    assert "1 come back, 1 leave" in question
    assert [t.name for t in shown] == ["gamma"]  # what leaves is shown before asking
    out = render_text(result)
    assert "restored backup.1" in out and "tasks.json.backup" in out


def test_after_a_restore_ids_are_never_reused(restorable: AppState) -> None:
    run(restorable, "restore backup.1", Answers(True))
    assert [t.id for t in restorable.tasks] == [1, 2]
    assert restorable.add_task("delta").id == 4  # 3 was gamma's: never handed out again


def test_undo_of_a_restore_puts_the_file_back_in_one_step(restorable: AppState) -> None:
    before = {t.uuid: t.raw for t in restorable.tasks}
    run(restorable, "restore backup.1", Answers(True))
    undone = run(restorable, "undo")
    assert undone.label == "restore backup.1"
    after = {t.uuid: t.raw for t in AppState(restorable.path).tasks}
    assert after == before


def test_a_declined_restore_changes_nothing(restorable: AppState, tmp_path: Path) -> None:
    before = (tmp_path / "tasks.json").read_bytes()
    result = run(restorable, "restore backup.1", Answers(False))
    assert result == Message("nothing was restored")
    assert (tmp_path / "tasks.json").read_bytes() == before


def test_restore_yes_does_not_ask(restorable: AppState) -> None:
    confirm = Answers()
    run(restorable, "restore backup.1 --yes", confirm)
    assert confirm.asked == []


def test_restoring_what_the_file_already_holds_does_nothing(
    restorable: AppState, tmp_path: Path
) -> None:
    (tmp_path / "tasks.json.backup.9").write_bytes((tmp_path / "tasks.json").read_bytes())
    result = run(restorable, "restore tasks.json.backup.9")
    assert isinstance(result, Message) and "nothing to restore" in result.text


def test_restoring_a_damaged_copy_is_refused_pointing_to_salvage(
    restorable: AppState, tmp_path: Path
) -> None:
    (tmp_path / "tasks.json.corrupt-20260101T000000Z").write_bytes(b'{"tasks": [')
    with pytest.raises(AppError, match="doctor --salvage corrupt-20260101T000000Z"):
        run(restorable, "restore corrupt-20260101T000000Z")


def test_restoring_an_unknown_name_lists_the_kept_copies(restorable: AppState) -> None:
    with pytest.raises(UsageError, match=r"backup, backup\.1, backup\.2"):
        run(restorable, "restore yesterday")


# --- doctor and salvage ---


def damage_after_a_save(state: AppState, tmp_path: Path) -> Path:
    """Save six tasks, then cut the file inside the sixth: the next load quarantines it."""
    for k in range(1, 7):
        state.add_task(f"task {k}")
    data = (tmp_path / "tasks.json").read_bytes()
    (tmp_path / "tasks.json").write_bytes(data[: data.index(b'"task 6"') + 20])
    (tmp_path / "tasks.json.history").unlink()  # with the history, recovery brings task 6 back
    fresh = AppState(state.path)
    fresh.load()  # restores .backup (five tasks) and keeps the damaged bytes
    (corrupt,) = tmp_path.glob("tasks.json.corrupt-*")
    return corrupt


def test_salvage_adds_what_the_newest_damaged_copy_holds_and_the_file_lacks(
    state: AppState, tmp_path: Path
) -> None:
    corrupt = damage_after_a_save(state, tmp_path)
    fresh = AppState(state.path)
    confirm = Answers(True)
    result = run(fresh, "doctor --salvage", confirm)
    assert isinstance(result, SalvageReport)
    assert (result.source, result.found, result.present) == (str(corrupt), 6, 5)
    assert [t.name for t in result.added] == ["task 6"]
    assert [t.name for t in confirm.asked[0][1]] == ["task 6"]
    assert names(AppState(state.path)) == [f"task {k}" for k in range(1, 7)]
    assert "added 1 task(s) salvaged" in render_text(result)
    assert run(fresh, "undo").label.startswith("salvage ")
    assert len(AppState(state.path).tasks) == 5


def test_salvage_a_second_time_finds_nothing_new(state: AppState, tmp_path: Path) -> None:
    damage_after_a_save(state, tmp_path)
    run(AppState(state.path), "doctor --salvage --yes")
    again = run(AppState(state.path), "doctor --salvage --yes")
    assert again.candidates == [] and again.present == 6
    assert "nothing to salvage" in render_text(again)


def test_a_declined_salvage_adds_nothing_and_shows_what_it_found(
    state: AppState, tmp_path: Path
) -> None:
    damage_after_a_save(state, tmp_path)
    result = run(AppState(state.path), "doctor --salvage", Answers(False))
    assert result.declined and len(AppState(state.path).tasks) == 5
    out = render_text(result)
    assert "task 6" in out and "nothing was added" in out


def test_salvage_of_a_named_file_outside_the_directory(state: AppState, tmp_path: Path) -> None:
    state.add_task("here already")
    elsewhere = tmp_path / "sent-by-a-friend.json"
    elsewhere.write_text(json.dumps([{"id": 1, "name": "[bold]from[/bold] a friend"}]))
    result = run(state, f"doctor --salvage {elsewhere} --yes")
    assert [t.name for t in result.added] == ["[bold]from[/bold] a friend"]
    assert "[bold]from[/bold] a friend" in render_text(result)  # shown literally


def test_salvage_without_a_quarantined_copy_asks_for_a_file(state: AppState) -> None:
    state.add_task("fine")
    with pytest.raises(UsageError, match="doctor --salvage FILE"):
        run(state, "doctor --salvage")


def test_doctor_returns_a_report_whose_exit_code_follows_its_health(
    state: AppState, tmp_path: Path
) -> None:
    state.add_task("fine")
    healthy = run(state, "doctor")
    assert isinstance(healthy, DoctorReport) and healthy.exit_code == 0
    (tmp_path / ".tasks.json.1.abcdef01.tmp").write_text("")  # a dead writer's temp
    assert run(state, "doctor").exit_code == 1


# --- stats ---


def test_stats_count_by_status_priority_tag_and_completions_per_day(state: AppState) -> None:
    for name, priority, tags in [
        ("a", 1, ["work"]),
        ("b", 2, ["work", "home"]),
        ("c", 3, []),
        ("d", 1, ["work"]),
    ]:
        state.add_task(name, priority=priority, tags=tags)
    state.update_task(3, project="home.garden")
    state.update_task(4, project="home")
    state.update_task(1, project="office")  # done below: no longer pending
    state.complete(1)
    state.complete(2)
    # Stored as UTC, counted on the local calendar day.
    two_days_ago = (NOW - timedelta(days=2)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    long_ago = "2020-01-01T10:00:00Z"
    doc = json.loads(Path(state.path).read_text())
    doc["tasks"][0]["completed"] = two_days_ago
    doc["tasks"][1]["completed"] = long_ago
    Path(state.path).write_text(json.dumps(doc))
    result = run(AppState(state.path), "stats")
    assert isinstance(result, Stats)
    assert result.total == 4
    assert result.by_status == [("pending", 2), ("done", 2)]
    assert result.by_priority == [("P1 high", 2), ("P2 normal", 1), ("P3 low", 1)]
    assert result.by_tag == [("#work", 3), ("#home", 1)]
    assert result.by_project == [("home", 2), ("home.garden", 1)]
    assert len(result.completed_per_day) == 14
    assert result.completed_per_day[-1] == (NOW.date(), 0)
    assert result.completed_per_day[-3] == (NOW.date() - timedelta(days=2), 1)
    assert sum(n for _, n in result.completed_per_day) == 1  # 2020 is outside the two weeks


def test_stats_render_as_bars_scaled_to_the_largest_count(state: AppState) -> None:
    for k in range(4):
        state.add_task(f"t{k}", tags=["[red]tag[/red]"] if k else [])
    state.complete(1)
    out = render_text(run(state, "stats"))
    pending = next(line for line in out.splitlines() if line.startswith("pending"))
    done = next(line for line in out.splitlines() if line.startswith("done"))
    assert pending.count("█") == 30 and 9 <= done.count("█") <= 10
    assert "#[red]tag[/red]" in out
    assert "completed per day" in out
    assert "pending by project" in out
