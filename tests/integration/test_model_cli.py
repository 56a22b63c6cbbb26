"""Issue 9 through the real program: the words a Taskwarrior or Todoist user types, one-shot and
piped, and two windows completing and editing one recurring task.

Dates are read at the program's clock: where a test needs exact dates it runs the program under
Debian's `faketime` (Tuesday 2026-12-01, 10:00 UTC); the others check what holds on any day.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from core.state import AppState
from tests.helpers import MAIN, child_env, run_cli

TUESDAY = "2026-12-01 10:00:00"  # a Tuesday
needs_faketime = pytest.mark.skipif(shutil.which("faketime") is None, reason="needs faketime")


def at(
    moment: str, path: Path, *args: str, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    """The real program with its clock at `moment` (UTC); `input` is piped in as REPL lines."""
    return subprocess.run(
        ["faketime", moment, sys.executable, MAIN, "--file", str(path), *args],
        input=input,
        capture_output=True,
        text=True,
        cwd=path.parent,
        env=child_env(path.parent, {"TZ": "UTC"}),
        timeout=60,
        stdin=None if input is not None else subprocess.DEVNULL,
    )


def ok(path: Path, *args: str) -> str:
    r = run_cli(path, *args)
    assert (r.returncode, r.stderr) == (0, ""), r.stderr
    return r.stdout


def records(path: Path) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads(path.read_text())["tasks"]
    return found


def by_id(path: Path, task_id: int) -> dict[str, Any]:
    return next(r for r in records(path) if r["id"] == task_id)


def one_error(r: subprocess.CompletedProcess[str], code: int) -> str:
    assert r.returncode == code, r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.splitlines()) == 1, r.stderr
    return r.stderr


def steps(path: Path) -> list[str]:
    """The labels of the history's steps, oldest first: one per transaction."""
    return [s["label"] for s in reversed(json.loads(ok(path, "log", "--json", "-n", "1000")))]


def listed_ids(out: str) -> list[int]:
    """The ids of a listed table's rows: the one-shot CLI's plain lines (id, then P1-P3)."""
    rows = (line.split() for line in out.splitlines())
    return [int(w[0]) for w in rows if len(w) > 1 and w[0].isdigit() and w[1][:1] == "P"]


# --- the "Done when" sentences ---


def test_add_pay_rent_due_1st_recur_monthly_project_home_p1(tasks_path: Path) -> None:
    words = ["pay", "rent", "due:1st", "recur:monthly", "project:home", "p1"]
    assert ok(tasks_path, "add", *words) == "1\n"
    rec = by_id(tasks_path, 1)
    assert (rec["name"], rec["priority"], rec["project"], rec["recur"]) == (
        "pay rent",
        1,
        "home",
        "monthly",
    )
    due = date.fromisoformat(rec["due"])
    assert due.day == 1 and date.today() <= due <= date.today() + timedelta(days=31)
    assert rec["series"]  # the occurrences of one series share it


def test_add_call_mom_fri_6pm_family(tasks_path: Path) -> None:
    assert ok(tasks_path, "add", "call", "mom", "fri", "6pm", "#family") == "1\n"
    rec = by_id(tasks_path, 1)
    assert (rec["name"], rec["tags"]) == ("call mom", ["family"])
    due = datetime.fromisoformat(rec["due"])
    assert (due.weekday(), due.hour, due.minute) == (4, 18, 0)  # a Friday, 18:00
    assert 0 < (due.date() - date.today()).days <= 7


@needs_faketime
def test_the_confirmation_says_what_was_read_from_the_words(tasks_path: Path) -> None:
    r = at(TUESDAY, tasks_path, input="add buy cheese #errands p1 tomorrow\nadd projct:home x\n")
    assert r.returncode == 0, r.stderr
    assert "✓ added 1 buy cheese · p1 · #errands · due tomorrow (Wed 2026-12-02)" in r.stdout
    assert "did you mean project:home?" in r.stdout  # a near miss is kept in the name, and said
    assert by_id(tasks_path, 2)["name"] == "projct:home x"


@needs_faketime
def test_rent_on_the_1st_recurs_monthly_from_its_due(tasks_path: Path) -> None:
    added = at("2026-12-02 10:00:00", tasks_path, "add", "pay", "rent", "due:1st", "recur:monthly")
    assert added.returncode == 0, added.stderr
    assert by_id(tasks_path, 1)["due"] == "2027-01-01"
    r = at("2026-12-20 10:00:00", tasks_path, "done", "1")
    assert r.returncode == 0, r.stderr
    assert "next: Mon 2027-02-01 (task 2)" in r.stdout  # from the due, not from today
    assert (by_id(tasks_path, 2)["due"], by_id(tasks_path, 2)["status"]) == (
        "2027-02-01",
        "pending",
    )


def test_list_project_home_or_urgent(tasks_path: Path) -> None:
    state = AppState(tasks_path)
    state.add_task("weed", project="home.garden")
    state.add_task("taxes", tags=["Urgent"])
    state.add_task("gym")
    state.add_task("homework", project="homework")  # not inside `home`
    state.add_task("dishes", project="home")
    out = ok(tasks_path, "list", "project:home", "or", "+urgent")
    assert sorted(listed_ids(out)) == [1, 2, 5]
    assert "project" in out  # the column is there when a row has a project


def test_modify_someday_wait_monday_hides_them_until_then(tasks_path: Path) -> None:
    state = AppState(tasks_path)
    for name in ("learn piano", "read ulysses", "call the bank"):
        state.add_task(name, tags=["someday"] if name != "call the bank" else [])
    before = tasks_path.read_bytes()
    refused = run_cli(tasks_path, "modify", "+someday", "--", "wait:monday")
    assert "not on a terminal, so confirm with --yes" in one_error(refused, 2)
    assert "1 learn piano, 2 read ulysses" in refused.stderr  # the candidates
    assert tasks_path.read_bytes() == before
    ok(tasks_path, "modify", "+someday", "--", "wait:monday", "--yes")
    waits = {by_id(tasks_path, i).get("wait") for i in (1, 2)}
    assert len(waits) == 1 and date.fromisoformat(waits.pop() or "").weekday() == 0
    assert "wait" not in by_id(tasks_path, 3)
    assert listed_ids(ok(tasks_path, "list")) == [3]
    assert sorted(listed_ids(ok(tasks_path, "list", "waiting"))) == [1, 2]
    assert sorted(listed_ids(ok(tasks_path, "list", "--all"))) == [1, 2, 3]
    assert steps(tasks_path)[-1] == "modify 1 2"  # both in one transaction: one undo step


def test_next_lists_ready_tasks_most_urgent_first(tasks_path: Path) -> None:
    state = AppState(tasks_path)
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    state.add_task("low someday", priority=3)  # 1
    state.add_task("overdue bill", priority=1, due=yesterday)  # 2
    state.add_task("hidden", wait=(date.today() + timedelta(days=5)).isoformat())  # 3
    state.add_task("blocked", priority=1, depends=[1])  # 4
    state.add_task("normal")  # 5
    state.add_task("done already")  # 6
    state.complete(6)
    out = ok(tasks_path, "next")
    # No waiting, blocked or done task; 1 is low but blocks 4, so it comes before 5.
    assert listed_ids(out) == [2, 1, 5]
    assert "urg" in out
    as_json = json.loads(ok(tasks_path, "next", "--json"))
    assert [r["id"] for r in as_json] == [2, 1, 5]


# --- done, delete, modify by a filter ---


def test_done_by_a_word_of_the_name_and_ambiguity_refused_off_a_terminal(tasks_path: Path) -> None:
    state = AppState(tasks_path)
    for name in ("buy milk", "oat milk", "call mom"):
        state.add_task(name)
    ok(tasks_path, "done", "mom")
    assert by_id(tasks_path, 3)["status"] == "done"
    refused = run_cli(tasks_path, "done", "milk")
    assert "2 tasks (1 buy milk, 2 oat milk)" in one_error(refused, 2)
    assert {r["status"] for r in records(tasks_path)[:2]} == {"pending"}
    ok(tasks_path, "done", "milk", "--yes")
    assert {r["status"] for r in records(tasks_path)} == {"done"}
    assert "no pending task matches" in one_error(run_cli(tasks_path, "done", "milk"), 1)


def test_done_ids_and_ranges_keep_working(tasks_path: Path) -> None:
    AppState(tasks_path).add_tasks([{"name": f"t{i}"} for i in range(1, 8)])
    ok(tasks_path, "done", "3", "5-7")
    assert [r["id"] for r in records(tasks_path) if r["status"] == "done"] == [3, 5, 6, 7]
    assert "task 9 not found" in one_error(run_cli(tasks_path, "done", "1", "9"), 1)
    assert by_id(tasks_path, 1)["status"] == "pending"  # an unknown id changes nothing


def test_a_parent_with_open_subtasks_needs_yes(tasks_path: Path) -> None:
    ok(tasks_path, "add", "build", "shed")
    ok(tasks_path, "subtask", "1", "buy", "nails", "p1")
    ok(tasks_path, "add", "buy", "wood", "parent:1")
    kids = [r for r in records(tasks_path) if r.get("parent") == by_id(tasks_path, 1)["uuid"]]
    assert [(r["id"], r["name"], r["priority"]) for r in kids] == [
        (2, "buy nails", 1),
        (3, "buy wood", 2),
    ]
    refused = run_cli(tasks_path, "done", "1")
    assert "task 1 has open subtasks (2, 3)" in one_error(refused, 2)
    assert by_id(tasks_path, 1)["status"] == "pending"
    ok(tasks_path, "done", "1", "--yes")
    assert by_id(tasks_path, 1)["status"] == "done" and by_id(tasks_path, 2)["status"] == "pending"
    shown = ok(tasks_path, "show", "1")
    assert "buy nails" in shown and "buy wood" in shown  # show lists the subtasks


def test_deleting_a_recurring_task_skips_it_or_stops_the_series(tasks_path: Path) -> None:
    ok(tasks_path, "add", "water", "plants", "due:2030-01-07", "recur:weekly")
    r = run_cli(tasks_path, "delete", "1", "--yes")
    assert r.returncode == 0 and "next: Mon 2030-01-14 (task 2)" in r.stdout
    ok(tasks_path, "delete", "2", "--yes", "--series")
    assert records(tasks_path) == []  # no next one after the series is stopped


def test_modify_by_a_filter_changes_each_in_one_step(tasks_path: Path) -> None:
    state = AppState(tasks_path)
    state.add_task("rake", project="home")
    state.add_task("mow", project="home.garden", tags=["Garden"])
    state.add_task("email", project="work")
    ok(tasks_path, "modify", "project:home", "--", "+garden", "p3", "due:2030-06-01", "--yes")
    for i in (1, 2):
        rec = by_id(tasks_path, i)
        assert (rec["priority"], rec["due"]) == (3, "2030-06-01")
    assert by_id(tasks_path, 2)["tags"] == ["Garden"]  # matched without case: kept as typed
    assert by_id(tasks_path, 1)["tags"] == ["garden"]
    assert by_id(tasks_path, 3)["priority"] == 2
    ok(tasks_path, "modify", "3", "depends:1", "project:")  # ids need no --
    assert "project" not in by_id(tasks_path, 3) and by_id(tasks_path, 3)["depends"]
    ok(tasks_path, "modify", "1", "--", "-garden")
    assert by_id(tasks_path, 1)["tags"] == []
    assert steps(tasks_path)[-3:] == ["modify 1 2", "modify 3", "modify 1"]  # one step each


def test_a_tag_filter_with_a_dash_is_a_filter_not_an_option(tasks_path: Path) -> None:
    state = AppState(tasks_path)
    state.add_task("a", tags=["someday"])
    state.add_task("b")
    assert listed_ids(ok(tasks_path, "list", "-someday")) == [2]
    assert listed_ids(ok(tasks_path, "list", "not", "+someday", "-a")) == [2]


def test_add_raw_keeps_the_words_and_options_beat_words(tasks_path: Path) -> None:
    ok(tasks_path, "add", "--raw", "buy", "p1", "#x", "tomorrow")
    assert (by_id(tasks_path, 1)["name"], by_id(tasks_path, 1)["tags"]) == (
        "buy p1 #x tomorrow",
        [],
    )
    ok(
        tasks_path,
        "add",
        "review",
        "plan",
        "for",
        "tomorrow",
        "p1",
        "--due",
        "2030-05-03",
        "-p",
        "3",
    )
    rec = by_id(tasks_path, 2)
    assert (rec["name"], rec["due"], rec["priority"]) == (
        "review plan for tomorrow",
        "2030-05-03",
        3,
    )
    ok(tasks_path, "add", "x", "#A", "-t", "a,b")
    assert by_id(tasks_path, 3)["tags"] == ["A", "b"]  # -t a,b is two tags; #A is a already


def test_annotate_denotate_start_stop_and_show(tasks_path: Path) -> None:
    ok(tasks_path, "add", "fix", "bike")
    ok(tasks_path, "add", "ride", "depends:1")
    ok(tasks_path, "annotate", "1", "tube", "ordered")
    ok(tasks_path, "annotate", "1", "arrives", "friday")
    ok(tasks_path, "start", "1")
    assert by_id(tasks_path, 1)["start"]
    out = ok(tasks_path, "show", "1")
    assert "1. just now  tube ordered" in out and "2. just now  arrives friday" in out
    assert "active since just now" in out and "needed by" in out and "ride" in out
    assert "depends on" in ok(tasks_path, "show", "2") and "blocked" in ok(tasks_path, "show", "2")
    ok(tasks_path, "denotate", "1", "tube")
    assert [n["text"] for n in by_id(tasks_path, 1)["annotations"]] == ["arrives friday"]
    ok(tasks_path, "stop", "1")
    assert "start" not in by_id(tasks_path, 1)
    assert "▶" not in ok(tasks_path, "list")


def test_edit_depends_tags_and_project(tasks_path: Path) -> None:
    AppState(tasks_path).add_tasks([{"name": "a"}, {"name": "b", "tags": ["old"]}])
    ok(tasks_path, "edit", "2", "--depends", "1", "-t", "x,y", "-T", "OLD", "--project", "p.q")
    rec = by_id(tasks_path, 2)
    assert (rec["tags"], rec["project"], len(rec["depends"])) == (["x", "y"], "p.q", 1)
    cycle = run_cli(tasks_path, "edit", "1", "--depends", "2")
    assert "task 1 depends on 2, which depends on 1: a cycle" in one_error(cycle, 1)
    ok(tasks_path, "edit", "2", "--no-depends", "--project", "none")
    assert "depends" not in by_id(tasks_path, 2) and "project" not in by_id(tasks_path, 2)


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["add", "x", "due:frid"], 1, "due:frid — not a date; try"),
        (["add", "x", "recur:monthly"], 1, "needs a due date"),
        (["add", "x", "pri:9"], 1, "pri:9 — not a priority"),
        (["list", "projct:home"], 2, "did you mean project:home"),
        (["list", "due:frid"], 2, "due:frid — not a date"),
        (["list", "(", "+a"], 2, "not closed"),
        (["modify", "+a", "wait:fri"], 2, "put `--` between the filter and the changes"),
        (["modify", "1", "--", "due:frid"], 1, "due:frid"),
    ],
)
def test_a_word_that_cannot_be_read_is_one_line_naming_it(
    tasks_path: Path, args: list[str], code: int, words: str
) -> None:
    AppState(tasks_path).add_task("one")
    before = tasks_path.read_bytes()
    assert words in one_error(run_cli(tasks_path, *args), code)
    assert tasks_path.read_bytes() == before


# --- the piped REPL ---


def test_the_done_when_sentences_through_a_pipe(tasks_path: Path) -> None:
    script = "\n".join(
        [
            "add pay rent due:1st recur:monthly project:home p1",
            "add call mom fri 6pm #family",
            "add weed project:home.garden",
            "add tidy +urgent",
            "add learn piano +someday",
            "list project:home or +urgent",
            "modify +someday -- wait:monday",
            "next",
            "done 1",
        ]
    )
    r = run_cli(tasks_path, input=script + "\n")
    assert r.returncode == 0, r.stderr
    assert "✓ added 1 pay rent · p1 · project home · due " in r.stdout
    assert "✓ modified 1 task: waits until Mon" in r.stdout  # one match: no question
    assert "✓ done 1 pay rent · next: " in r.stdout and "(task 6)" in r.stdout
    assert by_id(tasks_path, 5)["wait"]
    assert by_id(tasks_path, 6)["recur"] == "monthly"


# --- two windows ---


def test_completing_a_recurring_task_while_another_window_edits_it_makes_one_next(
    tasks_path: Path,
) -> None:
    ok(tasks_path, "add", "standup", "due:2030-01-07", "recur:weekly")
    # A window (the piped REPL, a process of its own) that has read the file, then waits.
    window = subprocess.Popen(
        [sys.executable, MAIN, "--file", str(tasks_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tasks_path.parent,
        env=child_env(tasks_path.parent),
    )
    assert window.stdin is not None and window.stdout is not None
    window.stdin.write("show 1\n")
    window.stdin.flush()
    assert "standup" in window.stdout.readline() + window.stdout.readline()
    # Meanwhile two more processes at once: one completes it, one edits it.
    results: list[subprocess.CompletedProcess[str]] = []
    runs = [("done", "1"), ("modify", "1", "--", "p1", "+daily")]
    threads = [
        threading.Thread(target=lambda a=a: results.append(run_cli(tasks_path, *a))) for a in runs
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.returncode for r in results] == [0, 0], [r.stderr for r in results]
    # The stale window completes it too and edits it: no second occurrence.
    _, err = window.communicate("done 1\nmodify 1 -- +late\n", timeout=60)
    assert window.returncode == 0, err
    tasks = AppState(tasks_path).tasks
    series = {t.series for t in tasks}
    pending = [t for t in tasks if t.pending]
    assert len(series) == 1 and len(tasks) == 2
    assert [(t.id, t.due) for t in pending] == [(2, "2030-01-14")]
    first = tasks[0]
    assert (first.status, first.priority) == ("done", 1)  # both edits kept, field by field
    assert {"daily", "late"} <= set(first.tags)
