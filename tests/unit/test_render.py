"""ui.render: one dispatcher, every result type registered, user text as data, NO_COLOR; the
task table's columns and markers, the confirmation lines and `show`'s panel, at 80 columns.

The renderers of other commands' results are tested with their commands (test_admin_commands.py,
test_ai_command.py, ...).
"""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from rich.console import Console

from commands.admin_results import (
    BackupList,
    DoctorReport,
    Replayed,
    Restored,
    SalvageReport,
    Stats,
)
from commands.ai import ProposalAdded, ProposalShown
from commands.results import (
    Annotated,
    EntryAdded,
    Message,
    StatusChanged,
    TaskDetail,
    TaskEdited,
    TasksAdded,
    TasksDeleted,
    TasksModified,
    TaskTable,
)
from commands.session import HelpIndex, HelpTopic
from core.model import Task
from ui.layout import PROMPT_ROWS
from ui.render import console_for, data, render

NOW = datetime(2026, 12, 1, 10, 0)  # a Tuesday


def make(task_id: int, **fields: object) -> Task:
    record = {"id": task_id, "uuid": f"u{task_id}", "name": f"task {task_id}", **fields}
    return Task.from_record(record)


def shown(result: object, width: int = 80) -> str:
    out = io.StringIO()
    render(result, Console(file=out, width=width, color_system=None))
    return out.getvalue()


@pytest.mark.parametrize(
    "result_type",
    [
        Message, TasksAdded, TaskTable, TaskDetail, TaskEdited, StatusChanged, TasksDeleted,
        EntryAdded, TasksModified, Annotated, Replayed, BackupList, Restored, DoctorReport, SalvageReport, Stats,
        ProposalShown, ProposalAdded, HelpIndex, HelpTopic,
    ],
)  # fmt: skip
def test_importing_the_package_registers_a_renderer_for_every_result(result_type: type) -> None:
    assert render.dispatch(result_type) is not render.dispatch(object)


def test_user_text_is_shown_literally_never_as_markup() -> None:
    out = io.StringIO()
    render(Message("[bold red]pay[/] now", "ok"), Console(file=out, color_system=None))
    assert out.getvalue() == "✓ [bold red]pay[/] now\n"
    assert data("[link=http://x]y[/link]").plain == "[link=http://x]y[/link]"


@pytest.mark.parametrize(("environ", "styled"), [({}, True), ({"NO_COLOR": "1"}, False)])
def test_no_color_comes_from_the_mapping_the_caller_gives(
    environ: dict[str, str], styled: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")  # a StringIO coloured as a terminal would be
    monkeypatch.setenv("TERM", "xterm-256color")
    out = io.StringIO()
    render(Message("done", "ok"), console_for(out, environ))
    assert ("\x1b[" in out.getvalue()) is styled


# --- the task table (issue 13: a table that fits) ---


def header(text: str) -> list[str]:
    line = next(line for line in text.splitlines() if line.strip("│ ").startswith("id "))
    if "│" in line:
        return [cell.strip() for cell in line.split("│")[1:-1]]
    return line.split()


def _rows(text: str) -> list[str]:
    """The task rows: a line starting with its id (after the box's `│` when boxed)."""
    words = ((line, line.replace("│", " ").split()) for line in text.splitlines())
    return [line for line, w in words if len(w) > 1 and w[0].isdigit() and w[1][:1] == "P"]


def name_cell(text: str, task_id: int) -> str:
    """What row `task_id` shows under the `name` header, up to its `…` or the next column."""
    head = next(line for line in text.splitlines() if line.strip("│ ").startswith("id "))
    row = next(line for line in _rows(text) if line.strip("│ ").split(" ")[0] == str(task_id))
    cell = row[head.index("name") :]
    return cell[: cell.index("…") + 1] if "…" in cell else cell.split("  ")[0]


def test_a_plain_list_has_only_the_columns_its_rows_need() -> None:
    text = shown(TaskTable([make(1), make(2, priority=1)], now=NOW))
    assert header(text) == ["id", "pri", "name"]  # no tags, due, project, marker or status
    assert text.splitlines()[-1] == "2 shown · 0 pending · 0 done"  # no legend: no markers


def test_projects_markers_and_urgency_appear_when_rows_have_them() -> None:
    rows = [
        make(1, project="home.garden", start="2026-12-01T08:00:00Z", tags=["x"]),  # active
        make(2, depends=["u1"]),  # blocked by 1
        make(3, wait="2026-12-07"),  # waiting until Monday
        make(4, recur="weekly", due="2026-12-04", series="s"),  # recurring
        make(5, status="done"),
    ]
    table = TaskTable(rows, blocked=frozenset({"u2"}), urgency={"u1": 12.34}, now=NOW)
    text = shown(table, width=120)
    assert header(text) == ["id", "pri", "", "name", "project", "tags", "due", "status", "urg"]
    assert all(len(line) <= 120 for line in text.splitlines())
    marks = {int(cells[1]): cells[3].strip() for cells in (r.split("│") for r in _rows(text))}
    assert marks == {1: "▶", 2: "⊘", 3: "◷", 4: "↻", 5: ""}
    assert "home.garden" in text and "12.3" in text and "done" in text
    legend = text.splitlines()[-1]
    assert legend.endswith("▶ active · ⊘ blocked · ◷ waiting · ↻ recurring")


def test_a_done_task_is_not_marked_blocked_or_active() -> None:
    done = make(1, status="done", start="2026-12-01T08:00:00Z", depends=["u9"])
    text = shown(TaskTable([done], blocked=frozenset({"u1"}), now=NOW))
    assert "▶" not in text and "⊘" not in text


LONG = "call the plumber about the leaking kitchen tap before the weekend, and the boiler too"


def fitting_rows() -> list[Task]:
    return [
        make(1, name=LONG, tags=["home", "errands", "someday"], project="home.garden"),
        make(2, name="short", due="2026-12-04"),
        make(3, name="dentist", due="2026-12-02T18:00", tags=["health"]),
    ]


@pytest.mark.parametrize(("width", "share"), [(50, 0.5), (80, 0.5), (120, 0.5)])
def test_every_row_is_one_line_and_the_name_gets_the_room(width: int, share: float) -> None:
    text = shown(TaskTable(fitting_rows(), now=NOW), width=width)
    assert [line.strip("│ ").split(" ")[0] for line in _rows(text)] == ["1", "2", "3"]
    assert all(len(line) <= width for line in text.splitlines())
    name = name_cell(text, 1)
    assert name.startswith("call the") and name.endswith("…")  # cut, in full in `show`
    assert len(name) >= share * width, (len(name), width)
    # Project and tags give way first: a column while there is room, else after the name, cut.
    assert "#health" in text


def test_at_80_columns_no_box_costs_the_name_its_cells() -> None:
    narrow = shown(TaskTable(fitting_rows(), now=NOW), width=80)
    assert "│" not in narrow and "──" in narrow  # a rule under the header, no vertical lines
    assert len(name_cell(narrow, 1)) >= 40  # was 16 in a rounded box, tags taking 15
    wide = shown(TaskTable([make(1, name="short", due="2026-12-04")], now=NOW), width=120)
    assert "╭" in wide  # room to spare: the box


def test_due_shows_weekday_date_and_relative_time_short_when_narrow() -> None:
    rows = [
        make(1, due="2026-12-04"),
        make(2, due="2026-12-02T18:00"),
        make(3, due="2027-03-01"),
        make(4, due="2026-11-28"),
    ]
    wide = shown(TaskTable(rows, now=NOW), width=120)
    for cell in (
        "Fri 12-04 · in 3 days",
        "Wed 12-02 18:00 · tomorrow",
        "Mon 2027-03-01",  # another year's date has its year, far away no relative words
        "Sat 11-28 · 3 days ago",
    ):
        assert cell in wide, cell
    long_names = [make(k + 5, name=LONG + str(k), due=r.due) for k, r in enumerate(rows)]
    narrow = shown(TaskTable(long_names, now=NOW), width=50)
    assert "Fri 12-04 " in narrow and "in 3 days" not in narrow
    assert "12-02 18:00" in narrow and "2027-03-01" in narrow


def test_an_overdue_due_is_red_unless_done() -> None:
    out = io.StringIO()
    console = Console(file=out, width=120, color_system="standard", force_terminal=True)
    late = [make(1, due="2026-11-28"), make(2, due="2026-11-27", status="done")]
    render(TaskTable(late, show_all=True, now=NOW), console)
    text = out.getvalue()
    assert "\x1b[1;31mSat 11-28 · 3 days ago" in text
    assert "\x1b[1;31mFri 11-27" not in text


def test_the_status_column_only_when_the_rows_have_more_than_one_status() -> None:
    done = [make(1, status="done"), make(2, status="done")]
    assert "status" not in header(shown(TaskTable(done, now=NOW)))  # all done: it says nothing
    mixed = [make(1), make(2, status="done")]
    assert "status" in header(shown(TaskTable(mixed, now=NOW), width=120))
    crowded = [make(1, name=LONG, due="2026-12-02T18:00"), make(2, status="done", name=LONG)]
    text = shown(TaskTable(crowded, now=NOW), width=50)
    assert "status" not in header(text) and "✓" in _rows(text)[1]  # folded when narrow
    assert text.splitlines()[-1].endswith("✓ done")


def test_no_match_is_one_line_and_no_table() -> None:
    assert shown(TaskTable([], "tasks #nosuchtag", 3, 1)) == "no tasks match #nosuchtag\n"
    assert shown(TaskTable([], "tasks")) == "no tasks yet — add one with: add NAME\n"


@pytest.mark.parametrize("width", [50, 80, 120])
def test_a_screenful_counts_lines_and_names_the_command_for_the_rest(width: int) -> None:
    rows = [make(k, name=f"{LONG} {k}", recur="weekly", series="s") for k in range(1, 41)]
    title = "tasks +home or +work not +someday and a title long enough to wrap at 50"
    table = TaskTable(rows, title, 40, 0, now=NOW, again=("list", "+home", "--sort", "due"))
    out = io.StringIO()
    render(table, Console(file=out, width=width, height=24, force_terminal=True, color_system=None))
    lines = out.getvalue().splitlines()
    assert len(lines) + PROMPT_ROWS <= 24  # the title and the summary line wrap at 50: counted
    assert len(lines) + PROMPT_ROWS >= 23
    more = next(line for line in lines if line.startswith("…"))
    shown_rows = len(_rows("\n".join(lines)))
    assert more.startswith(f"… {40 - shown_rows} more: list +home --sort due --every")
    assert "--all" not in more  # --all would add done tasks


# --- the lines that confirm a change ---


def test_an_add_from_words_says_what_was_read_and_warns_of_a_near_miss() -> None:
    parts = ("p1", "#errands", "due tomorrow (Wed 2026-12-02)")
    hint = "'projct:home' is part of the name; did you mean project:home?"
    text = shown(EntryAdded([make(12, name="buy cheese")], parts, (hint,)))
    assert text.splitlines() == [
        "✓ added 12 buy cheese · p1 · #errands · due tomorrow (Wed 2026-12-02)",
        f"! {hint}",
    ]


def test_done_on_a_recurring_task_says_what_comes_next() -> None:
    following = make(9, due="2026-12-07", recur="weekly", series="s")
    text = shown(StatusChanged([make(3, name="standup")], "done", {"u3": following}))
    assert text == "✓ done 3 standup · next: Mon 2026-12-07 (task 9)\n"
    assert shown(StatusChanged([make(3)], "started")) == "✓ started 3 task 3\n"
    assert shown(TasksDeleted([make(3)], {"u3": following})).endswith(
        "next: Mon 2026-12-07 (task 9)\n"
    )


def test_modify_lists_the_changes_and_each_task() -> None:
    text = shown(TasksModified([make(1), make(2)], ("p3", "#garden")))
    assert text.splitlines() == ["✓ modified 2 tasks: p3 · #garden", "  1 task 1", "  2 task 2"]
    assert shown(Annotated(make(1), "[red]x[/]")) == "✓ noted on 1 task 1: [red]x[/]\n"


# --- show ---


def test_show_has_every_field_notes_with_their_age_and_links_both_ways() -> None:
    task = make(
        4,
        name="paint the shed",
        project="home",
        tags=["diy"],
        due="2026-12-04",
        wait="2026-12-02",
        recur="weekly",
        until="2027-03-01",
        series="s",
        start="2026-12-01T07:00:00Z",
        depends=["u1", "u-gone"],
        annotations=[
            {"entry": "2026-11-28T10:00:00Z", "text": "bought brushes"},
            {"entry": "2026-12-01T09:58:00Z", "text": "[b]primer[/b] too"},
        ],
    )
    detail = TaskDetail(
        task,
        depends=(make(1, name="buy paint", status="done"),),
        needed_by=(make(7, name="hang shelves"),),
        parent=make(2, name="shed"),
        subtasks=(make(5, name="sand", status="done"), make(6, name="prime")),
        next_due="2026-12-11",
        blocked=False,
        urgency=9.87,
        now=NOW.astimezone(),
    )
    text = shown(detail)
    for expected in (
        "project      home",
        "status       pending · active since 3 hours ago · waiting",
        "wait         tomorrow (Wed 2026-12-02)",
        "weekly · until Mon 2027-03-01 · next: Fri 2026-12-11",
        "subtask of   · 2 shed",
        "depends on   ✓ 1 buy paint",
        "1 task(s) no longer in the file",
        "needed by    · 7 hang shelves",
        "subtasks     ✓ 5 sand",
        "· 6 prime",
        "1. 3 days ago  bought brushes",
        "2. 2 minutes ago  [b]primer[/b] too",  # a note is data, never markup
        "urgency      9.9",
    ):
        assert expected in text, expected
    assert all(len(line) <= 80 for line in text.splitlines())


def test_a_sync_report_names_each_conflict_id_change_and_note() -> None:
    from core.sync.git import SyncResult
    from core.sync.merge import Conflict, Renumbered

    result = SyncResult("/usb/tasks.git", "master", pulled=2, pushed=1)
    result.conflicts.append(
        Conflict("u1", 3, "buy milk", "due", "2026-12-24", "2026-12-20", "remote")
    )
    result.renumbered.append(Renumbered("u2", "buy milk", 31, 34))
    result.notes.append("removed /x/.git/index.lock, left by a git that was killed")
    lines = shown(result, width=200).splitlines()
    assert lines == [
        "synced with /usb/tasks.git (master): pulled 2 change(s), pushed 1",
        'conflict: task 3 "buy milk" due: kept 2026-12-24 (the remote, changed later) over '
        "2026-12-20 (this machine)",
        'task 31 "buy milk" is now 34',
        "note: removed /x/.git/index.lock, left by a git that was killed",
    ]


def test_the_proposal_table_leaves_out_columns_no_task_fills() -> None:
    from ui.render.ai import proposal_table

    now = datetime(2026, 12, 1, 10, 0)
    drafts = [
        {"name": "pay the phone bill at the post office", "priority": 2, "tags": []},
        {"name": "call mom", "priority": 1, "tags": [], "due": "2026-12-05"},
    ]
    out = io.StringIO()
    Console(file=out, width=90, color_system=None).print(proposal_table(drafts, now))
    text = out.getvalue()
    header = next(line for line in text.splitlines() if "name" in line)
    assert "due" in header and "tags" not in header and "description" not in header
    assert "pay the phone bill at the post office" in text  # one line: the name has room
    with_notes = [{**drafts[0], "description": "the landline too", "tags": ["home"]}]
    out = io.StringIO()
    Console(file=out, width=60, color_system=None).print(proposal_table(with_notes, now))
    header = next(line for line in out.getvalue().splitlines() if "name" in line)
    assert "tags" in header and "description" in header and "due" not in header
