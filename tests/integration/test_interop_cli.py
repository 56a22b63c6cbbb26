"""import/export against the real tools: Taskwarrior 2.6 (`task`), todo.txt-cli (`todo-txt`), icalendar.

Debian's packages (.ci/run installs them); a test skips, saying why, only where one is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from core.state import AppState
from tests.helpers import MAIN, child_env, run_cli

TZ = {"TZ": "Europe/Berlin"}  # local wall clock != UTC: every due is converted both ways
TASK = shutil.which("task")
TODO = shutil.which("todo-txt") or shutil.which("todo.sh")
# Taskwarrior makes the instances of a recurring task due by now: the tests' dues are set in
# early December 2026, so `task` runs at a fixed moment before them (Debian's faketime), or the
# tests would change meaning once those days have passed.
FAKETIME = shutil.which("faketime")
TASK_NOW = "2026-12-01 10:00:00"
needs_task = pytest.mark.skipif(
    TASK is None, reason="taskwarrior is not installed (apt-get install taskwarrior)"
)
needs_todo = pytest.mark.skipif(
    TODO is None, reason="todotxt-cli is not installed (apt-get install todotxt-cli)"
)


class Taskwarrior:
    """A real Taskwarrior with its own rc and data in a temp dir."""

    def __init__(self, home: Path) -> None:
        home.mkdir(parents=True, exist_ok=True)
        self.rc = home / "taskrc"
        self.rc.write_text(
            f"data.location={home / 'data'}\nconfirmation=off\nhooks=off\nverbose=nothing\n"
            "uda.estimate.type=numeric\nuda.estimate.label=Estimate\n"
        )

    def __call__(self, *args: str, input: str | None = None) -> str:
        env = {**os.environ, **TZ, "TASKRC": str(self.rc)}
        clock = [FAKETIME, TASK_NOW] if FAKETIME else []
        done = subprocess.run(
            [*clock, str(TASK), f"rc:{self.rc}", *args],
            input=input, capture_output=True, text=True, env=env, timeout=60, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    def export(self) -> list[dict[str, Any]]:
        return json.loads(self("export"))  # type: ignore[no-any-return]


def tasks_of(path: Path) -> dict[str, dict[str, Any]]:
    records = json.loads(run_cli(path, "list", "--all", "--json", env=TZ).stdout)
    return {r["name"]: r for r in records}


def imported(path: Path, source: Path, *more: str) -> subprocess.CompletedProcess[str]:
    return run_cli(path, "import", str(source), *more, env=TZ)


@pytest.fixture
def tw_db(tmp_path: Path) -> tuple[Taskwarrior, Path]:
    tw = Taskwarrior(tmp_path / "tw")
    tw("add", "Buy milk", "project:home.shop", "+errand", "+Food", "priority:H", "due:2026-12-05")
    tw("add", "Write report", "due:2026-12-04T15:30", "wait:2026-12-02", "scheduled:2026-12-03")
    tw("2", "modify", "priority:M", "estimate:3", "depends:1")
    tw("1", "annotate", "ask Bob first")
    tw("add", "Water plants", "recur:weekly", "due:2026-12-06", "until:2027-03-01", "priority:L")
    tw("add", "Old one")
    tw("add", "Gone")
    tw("list")  # makes the recurring instance
    tw("description:Old", "done")
    tw("description:Gone", "delete")
    tw("1", "start")
    exported = tmp_path / "tw.json"
    exported.write_text(tw("export"))
    return tw, exported


@needs_task
def test_a_taskwarrior_database_comes_in_with_every_field(
    tw_db: tuple[Taskwarrior, Path], tmp_path: Path
) -> None:
    _, exported = tw_db
    data = tmp_path / "tasks.json"
    shown = imported(data, exported, "--yes")
    assert shown.returncode == 0, shown.stderr
    assert "format: Taskwarrior JSON (detected)" in shown.stdout
    assert "4 new, 0 updated, 0 unchanged, 0 invalid, 1 skipped" in shown.stdout
    assert "deleted in Taskwarrior" in shown.stdout
    tasks = tasks_of(data)
    assert set(tasks) == {"Buy milk", "Write report", "Water plants", "Old one"}
    milk, report, water, old = (
        tasks[n] for n in ("Buy milk", "Write report", "Water plants", "Old one")
    )
    assert (milk["priority"], milk["project"], milk["tags"]) == (1, "home.shop", ["Food", "errand"])
    assert milk["due"] == "2026-12-05"  # local midnight in Berlin, 23:00 UTC the day before
    assert milk["annotations"][0]["text"] == "ask Bob first" and milk["start"].endswith("Z")
    assert report["due"] == "2026-12-04T15:30"
    assert (report["wait"], report["scheduled"]) == ("2026-12-02", "2026-12-03")
    assert report["depends"] == [milk["uuid"]] and report["priority"] == 2
    assert report["taskwarrior"]["uda"] == {"estimate": 3}
    assert (water["recur"], water["until"], water["priority"]) == ("weekly", "2027-03-01", 3)
    template = next(o for o in json.loads(exported.read_text()) if o["status"] == "recurring")
    assert water["series"] == template["uuid"]  # the series is Taskwarrior's template
    assert old["status"] == "done" and old["completed"]


@needs_task
def test_a_second_import_changes_nothing(tw_db: tuple[Taskwarrior, Path], tmp_path: Path) -> None:
    _, exported = tw_db
    data = tmp_path / "tasks.json"
    imported(data, exported, "--yes")
    before = data.read_bytes()
    again = imported(data, exported, "--yes")
    assert again.returncode == 0
    assert "0 new, 0 updated, 4 unchanged" in again.stdout
    assert "nothing to import" in again.stdout
    assert data.read_bytes() == before


@needs_task
def test_taskwarrior_edits_come_in_as_updates_in_one_undo_step(
    tw_db: tuple[Taskwarrior, Path], tmp_path: Path
) -> None:
    tw, exported = tw_db
    data = tmp_path / "tasks.json"
    imported(data, exported, "--yes")
    tw("1", "modify", "priority:L", "project:work")
    exported.write_text(tw("export"))
    shown = imported(data, exported, "--yes")
    assert "0 new, 1 updated, 3 unchanged" in shown.stdout
    assert (tasks_of(data)["Buy milk"]["priority"], tasks_of(data)["Buy milk"]["project"]) == (
        3,
        "work",
    )
    assert run_cli(data, "undo", env=TZ).returncode == 0
    assert tasks_of(data)["Buy milk"]["project"] == "home.shop"


@needs_task
def test_the_export_goes_into_a_fresh_taskwarrior_unchanged(
    tw_db: tuple[Taskwarrior, Path], tmp_path: Path
) -> None:
    tw, exported = tw_db
    data = tmp_path / "tasks.json"
    imported(data, exported, "--yes")
    out = tmp_path / "back.json"
    done = run_cli(data, "export", "--to", "taskwarrior", "-o", str(out), env=TZ)
    assert done.returncode == 0, done.stderr
    fresh = Taskwarrior(tmp_path / "fresh")
    fresh("import", str(out))
    ignored = {"id", "urgency"}
    want = {t["uuid"]: t for t in tw.export() if t["status"] != "deleted"}
    got = {t["uuid"]: t for t in fresh.export()}
    assert set(got) == set(want)
    for uuid, task in want.items():
        assert {k: v for k, v in got[uuid].items() if k not in ignored} == {
            k: v for k, v in task.items() if k not in ignored
        }


@pytest.fixture
def todo_dir(tmp_path: Path) -> Path:
    home = tmp_path / "todo"
    home.mkdir()
    (home / "cfg").write_text(
        f"export TODO_DIR={home}\nexport TODO_FILE={home}/todo.txt\nexport DONE_FILE={home}/done.txt\n"
        f"export REPORT_FILE={home}/report.txt\nexport TODOTXT_AUTO_ARCHIVE=0\nexport TODOTXT_DATE_ON_ADD=1\n"
    )
    return home


def todo(home: Path, *args: str) -> str:
    done = subprocess.run(
        [str(TODO), "-d", str(home / "cfg"), "-p", *args],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


@needs_todo
def test_a_todo_txt_from_todo_sh_comes_in_and_goes_back(todo_dir: Path, tmp_path: Path) -> None:
    todo(todo_dir, "add", "Call Mom +Family @phone due:2026-12-03 url:x")
    todo(todo_dir, "add", "Buy milk @shop")
    todo(todo_dir, "add", "Water plants rec:1w due:2026-12-06 t:2026-12-04")
    todo(todo_dir, "add", "Sort photos +home")
    todo(todo_dir, "pri", "1", "A")
    todo(todo_dir, "pri", "4", "D")
    todo(todo_dir, "do", "2")
    data = tmp_path / "tasks.json"
    shown = imported(data, todo_dir / "todo.txt", "--yes")
    assert "format: todo.txt (detected)" in shown.stdout and "4 new" in shown.stdout
    tasks = tasks_of(data)
    mom, milk, water, photos = (
        tasks[n] for n in ("Call Mom", "Buy milk", "Water plants", "Sort photos")
    )
    assert (mom["priority"], mom["project"], mom["tags"], mom["due"]) == (
        1,
        "Family",
        ["phone"],
        "2026-12-03",
    )
    assert mom["todotxt"]["ext"] == {"url": "x"}
    assert milk["status"] == "done" and milk["completed"] and milk["tags"] == ["shop"]
    assert (water["recur"], water["due"], water["wait"]) == ("weekly", "2026-12-06", "2026-12-04")
    assert (photos["priority"], photos["project"]) == (3, "home")
    assert "0 new, 0 updated, 4 unchanged" in imported(data, todo_dir / "todo.txt").stdout

    todo(todo_dir, "do", "1")  # done in todo.txt: the same task, now done
    assert "0 new, 1 updated, 3 unchanged" in imported(data, todo_dir / "todo.txt", "--yes").stdout
    assert tasks_of(data)["Call Mom"]["status"] == "done"
    assert tasks_of(data)["Call Mom"]["priority"] == 1  # todo.sh do dropped the (A): kept here

    back = tmp_path / "back"
    back.mkdir()
    (back / "cfg").write_text((todo_dir / "cfg").read_text().replace(str(todo_dir), str(back)))
    assert run_cli(data, "export", "--to", "todotxt", "-o", str(back / "todo.txt")).returncode == 0
    listed = todo(back, "ls")
    assert (
        "Water plants due:2026-12-06 t:2026-12-04 rec:1w" in listed
        and "(C) " in listed
        and "Sort photos +home" in listed
    )
    assert "TODO: 4 of 4 tasks shown" in listed
    everything = todo(back, "listall")
    assert "x " in everything and "Buy milk @shop" in everything and "+Family @phone" in everything
    assert imported(data, back / "todo.txt").stdout.count("4 unchanged") == 1


def test_an_icalendar_file_and_a_vdir_come_in_and_go_back(tmp_path: Path) -> None:
    from datetime import UTC, date, datetime

    from icalendar import Calendar, Todo, vRecur

    cal = Calendar()
    cal.add("PRODID", "-//test//EN")
    cal.add("VERSION", "2.0")
    first = Todo()
    for key, value in (
        ("UID", "parent-1@example.com"), ("SUMMARY", "Plan trip"), ("DESCRIPTION", "flights, hotel"),
        ("STATUS", "IN-PROCESS"), ("PRIORITY", 1), ("DUE", date(2026, 12, 10)),
        ("DTSTART", date(2026, 12, 2)), ("CREATED", datetime(2026, 11, 1, 9, tzinfo=UTC)),
        ("LAST-MODIFIED", datetime(2026, 11, 2, 9, tzinfo=UTC)), ("CATEGORIES", ["travel", "Family"]),
    ):  # fmt: skip
        first.add(key, value)
    second = Todo()
    second.add("UID", "child-2@example.com")
    second.add("SUMMARY", "Pay rent")
    second.add("PRIORITY", 7)
    second.add("DUE", datetime(2026, 12, 1, 17, 0, tzinfo=UTC))
    second.add("RRULE", vRecur({"FREQ": "MONTHLY", "UNTIL": date(2027, 6, 1)}))
    second.add("RELATED-TO", "parent-1@example.com", parameters={"RELTYPE": "PARENT"})
    third = Todo()
    for key, value in (
        ("UID", "done-3"), ("SUMMARY", "Book"), ("STATUS", "COMPLETED"), ("PRIORITY", 5),
        ("COMPLETED", datetime(2026, 11, 30, 12, tzinfo=UTC)),
    ):  # fmt: skip
        third.add(key, value)
    cancelled = Todo()
    cancelled.add("UID", "gone-4")
    cancelled.add("SUMMARY", "Never mind")
    cancelled.add("STATUS", "CANCELLED")
    for todo_ in (first, second, third, cancelled):
        cal.add_component(todo_)
    ics = tmp_path / "tasks.ics"
    ics.write_bytes(cal.to_ical())

    data = tmp_path / "tasks.json"
    shown = imported(data, ics, "--yes")
    assert "format: iCalendar (detected)" in shown.stdout
    assert "3 new, 0 updated, 0 unchanged, 0 invalid, 1 skipped" in shown.stdout
    tasks = tasks_of(data)
    trip, rent, book = tasks["Plan trip"], tasks["Pay rent"], tasks["Book"]
    assert (trip["uuid"], trip["description"], trip["priority"]) == (
        "parent-1@example.com",
        "flights, hotel",
        1,
    )
    assert (trip["due"], trip["scheduled"], trip["tags"]) == (
        "2026-12-10",
        "2026-12-02",
        ["travel", "Family"],
    )
    assert trip["start"] and trip["created"] == "2026-11-01T09:00:00Z"
    assert trip["modified"] == "2026-11-02T09:00:00Z"
    assert (rent["priority"], rent["due"], rent["recur"], rent["until"]) == (
        3,
        "2026-12-01T18:00",
        "monthly",
        "2027-06-01",
    )
    assert rent["parent"] == "parent-1@example.com"
    assert (book["status"], book["completed"], book["priority"]) == (
        "done",
        "2026-11-30T12:00:00Z",
        2,
    )

    out = tmp_path / "out.ics"
    assert run_cli(data, "export", "--to", "ical", "-o", str(out), env=TZ).returncode == 0
    back = {str(t["UID"]): t for t in Calendar.from_ical(out.read_bytes()).walk("VTODO")}
    assert set(back) == {"parent-1@example.com", "child-2@example.com", "done-3"}
    t1, t2, t3 = back["parent-1@example.com"], back["child-2@example.com"], back["done-3"]
    assert (str(t1["SUMMARY"]), str(t1["STATUS"]), int(t1["PRIORITY"])) == (
        "Plan trip",
        "IN-PROCESS",
        1,
    )
    assert (t1["DUE"].dt, t1["DTSTART"].dt) == (date(2026, 12, 10), date(2026, 12, 2))
    assert [str(c) for c in t1["CATEGORIES"].cats] == ["travel", "Family"]
    assert t1["CREATED"].dt == datetime(2026, 11, 1, 9, tzinfo=UTC)
    assert t2["DUE"].dt == datetime(2026, 12, 1, 17, 0, tzinfo=UTC)
    assert t2["RRULE"]["FREQ"] == ["MONTHLY"] and t2["RRULE"]["UNTIL"] == [date(2027, 6, 1)]
    assert str(t2["RELATED-TO"]) == "parent-1@example.com" and int(t2["PRIORITY"]) == 7
    assert str(t3["STATUS"]) == "COMPLETED" and t3["COMPLETED"].dt == datetime(
        2026, 11, 30, 12, tzinfo=UTC
    )

    vdir = tmp_path / "vdir"
    vdir.mkdir()
    for todo_ in (first, second):
        one = Calendar()
        one.add("PRODID", "-//test//EN")
        one.add("VERSION", "2.0")
        one.add_component(todo_)
        (vdir / f"{todo_['UID']}.ics").write_bytes(one.to_ical())
    fresh = tmp_path / "fresh.json"
    assert "2 new" in imported(fresh, vdir, "--yes").stdout
    assert set(tasks_of(fresh)) == {"Plan trip", "Pay rent"}
    assert "0 new, 0 updated, 2 unchanged" in imported(fresh, vdir).stdout

    written = tmp_path / "written"
    written.mkdir()
    assert run_cli(data, "export", "--to", "ical", "-o", str(written), env=TZ).returncode == 0
    assert sorted(p.name for p in written.iterdir()) == [
        "child-2@example.com.ics", "done-3.ics", "parent-1@example.com.ics",
    ]  # fmt: skip
    assert "0 new, 0 updated, 3 unchanged" in imported(data, written).stdout
    refused = run_cli(data, "export", "--to", "todotxt", "-o", str(written))
    assert refused.returncode == 2 and "only --to ical" in refused.stderr


def test_bad_inputs_are_one_line_each_and_nothing_is_written(tmp_path: Path) -> None:
    data = tmp_path / "tasks.json"
    assert run_cli(data, "add", "keep me").returncode == 0
    before = data.read_bytes()

    def refused(payload: bytes, *more: str) -> subprocess.CompletedProcess[str]:
        source = tmp_path / "in.json"
        source.write_bytes(payload)
        done = imported(data, source, "--yes", *more)
        assert "Traceback" not in done.stdout + done.stderr
        assert data.read_bytes() == before
        return done

    utf = refused(b'[{"uuid": "a", "description": "caf\xe9"}]', "--from", "taskwarrior")
    assert utf.returncode == 1 and "not UTF-8 (byte 34)" in utf.stderr
    broken = refused(b'[{"uuid": "a", "description": ')
    assert broken.returncode == 1 and "not Taskwarrior JSON" in broken.stderr
    bad = [
        {"uuid": "u1", "description": 42},
        {"uuid": "u2", "description": "x", "priority": "Z"},
        {"uuid": "u3", "description": "x", "due": "tomorrow-ish"},
        {"uuid": "u4", "description": "y" * 200_000},
        {"uuid": "u5", "description": "fine"},
        {"uuid": "u5", "description": "twin"},
        ["not", "an", "object"],
    ]
    typed = refused(json.dumps(bad).encode())
    assert typed.returncode == 1
    lines = [ln for ln in typed.stdout.splitlines() if ln.startswith("✗")]
    assert len(lines) == 6, typed.stdout
    assert "record 1: description must be text" in typed.stdout
    assert "record 2: priority 'Z' is not H, M or L" in typed.stdout
    assert "record 3: 'tomorrow-ish' is not a Taskwarrior date" in typed.stdout
    assert "record 4: name is 200,000 characters long" in typed.stdout
    assert "uuid u5: given more than once (twin)" in typed.stdout
    assert "nothing imported: 6 record(s) cannot be tasks" in typed.stdout
    skipping = imported(data, tmp_path / "in.json", "--yes", "--skip-invalid")
    assert skipping.returncode == 0 and "imported: 1 new" in skipping.stdout
    assert "fine" in tasks_of(data)

    asked = run_cli(data, "import", str(tmp_path / "in.json"), "--from", "tasksafe")
    assert asked.returncode == 1 and "record 1:" in asked.stdout


def test_many_records_are_planned_and_imported(tmp_path: Path) -> None:
    records = [
        {"uuid": f"u{i}", "description": f"task {i}", "status": "pending"} for i in range(100_000)
    ]
    source = tmp_path / "big.json"
    source.write_text(json.dumps(records))
    data = tmp_path / "tasks.json"
    shown = imported(data, source, "--yes")
    assert shown.returncode == 0 and "imported: 100000 new" in shown.stdout
    assert "100000 unchanged" in imported(data, source, "--dry-run").stdout


def test_an_import_merges_with_another_windows_change(tmp_path: Path) -> None:
    data = tmp_path / "tasks.json"
    first = tmp_path / "first.json"
    first.write_text(json.dumps([{"uuid": "u1", "description": "Pack", "priority": "L"}]))
    assert imported(data, first, "--yes").returncode == 0
    window = AppState(data)
    window.load()
    from core.interop import read
    from core.interop.plan import plan

    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps([
        {"uuid": "u1", "description": "Pack", "priority": "H"},
        {"uuid": "u2", "description": "Unpack"},
    ]))  # fmt: skip
    found = plan(read(changed.read_bytes(), "taskwarrior"), window.snapshot.doc.records)
    # Meanwhile, another process tags the task and adds one.
    assert run_cli(data, "modify", "1", "--", "+trip").returncode == 0
    assert run_cli(data, "add", "other window's task").returncode == 0
    window.import_records(found.new, found.updated, "import taskwarrior")
    tasks = tasks_of(data)
    assert set(tasks) == {"Pack", "Unpack", "other window's task"}
    assert (tasks["Pack"]["priority"], tasks["Pack"]["tags"]) == (1, ["trip"])


def test_export_writes_its_file_atomically_and_stdout_plainly(tmp_path: Path) -> None:
    data = tmp_path / "tasks.json"
    run_cli(data, "add", "one", "#a")
    run_cli(data, "add", "two", "#b")
    out = tmp_path / "out.json"
    out.write_text("old")
    out.chmod(0o640)
    done = run_cli(data, "export", "+a", "-o", str(out))
    assert done.returncode == 0 and "exported 1 task(s)" in done.stdout
    assert [r["name"] for r in json.loads(out.read_text())] == ["one"]
    assert out.stat().st_mode & 0o777 == 0o640
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    plain = run_cli(data, "export", "--to", "todotxt")
    assert plain.stdout.splitlines()[1].endswith("two @b")
    refused = run_cli(data, "export", "-o", str(tmp_path / "no" / "dir.json"))
    assert refused.returncode == 1 and "cannot write" in refused.stderr


def test_tasksafe_json_from_stdin_round_trips(tmp_path: Path) -> None:
    data = tmp_path / "tasks.json"
    run_cli(data, "add", "parent", "p1", "project:home", "due:2026-12-05", "#x")
    run_cli(data, "subtask", "1", "child", "recur:monthly", "due:2026-12-06")
    run_cli(data, "annotate", "1", "a note")
    exported = run_cli(data, "export").stdout
    fresh = tmp_path / "fresh.json"
    shown = run_cli(fresh, "import", "-", "--yes", input=exported)
    assert "format: tasksafe JSON (detected)" in shown.stdout and "2 new" in shown.stdout
    strip = {"id", "modified"}
    want = [{k: v for k, v in r.items() if k not in strip} for r in json.loads(exported)]
    got = [
        {k: v for k, v in r.items() if k not in strip}
        for r in json.loads(run_cli(fresh, "export").stdout)
    ]
    assert got == want
    assert "2 unchanged" in run_cli(fresh, "import", "-", input=exported).stdout


def test_on_a_terminal_import_shows_the_new_tasks_and_asks(tmp_path: Path) -> None:
    import pexpect

    source = tmp_path / "todo.txt"
    source.write_text("(A) Call Mom +Family\nBuy milk @shop\n")
    data = tmp_path / "tasks.json"
    child = pexpect.spawn(
        sys.executable, [MAIN, "--file", str(data), "import", str(source)],
        cwd=str(tmp_path), env=child_env(tmp_path), dimensions=(40, 120), encoding="utf-8", timeout=30,
    )  # fmt: skip
    child.expect(r"Call Mom")
    child.expect(
        r"import from todotxt \(detected\): 2 new, 0 updated, 0 unchanged\. Import\? \[y/N\]"
    )
    child.sendline("y")
    child.expect("imported: 2 new, 0 updated")
    child.expect(pexpect.EOF)
    assert set(tasks_of(data)) == {"Call Mom", "Buy milk"}


@needs_task
@pytest.mark.skipif(shutil.which("faketime") is None, reason="needs Debian's faketime")
def test_an_old_export_does_not_undo_what_was_done_here_since(
    tw_db: tuple[Taskwarrior, Path], tmp_path: Path
) -> None:
    _, exported = tw_db
    data = tmp_path / "tasks.json"
    imported(data, exported, "--yes")
    milk = tasks_of(data)["Buy milk"]["id"]
    # Done here a day later than Taskwarrior's last change (stamps are in seconds): faketime.
    later = [shutil.which("faketime") or "faketime", "-f", "+1d", sys.executable, MAIN]
    done = subprocess.run(
        [*later, "--file", str(data), "done", str(milk)],
        capture_output=True, text=True, cwd=tmp_path, env=child_env(tmp_path, TZ), check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    again = imported(data, exported, "--yes")
    assert "0 new, 0 updated, 3 unchanged" in again.stdout
    assert "1 changed here since (kept as they are)" in again.stdout
    assert tasks_of(data)["Buy milk"]["status"] == "done"


@needs_todo
def test_tasks_made_here_go_out_to_todo_txt_and_come_back_as_the_same_tasks(
    todo_dir: Path, tmp_path: Path
) -> None:
    data = tmp_path / "tasks.json"
    for words in (
        ("Call Mom", "p1", "project:Family", "#phone", "due:2026-12-03"),
        ("Stretch",),
        ("Stretch",),
        ("Water plants", "recur:every mon,thu", "due:2026-12-03"),
    ):
        assert run_cli(data, "add", *words, env=TZ).returncode == 0
    todo_txt = todo_dir / "todo.txt"
    assert run_cli(data, "export", "--to", "todotxt", "-o", str(todo_txt)).returncode == 0
    again = imported(data, todo_txt, "--yes")
    assert "0 new, 0 updated, 4 unchanged" in again.stdout, again.stdout
    todo(todo_dir, "do", "3")  # the second Stretch, done with todo.sh
    shown = imported(data, todo_txt, "--yes")
    assert "0 new, 1 updated, 3 unchanged" in shown.stdout, shown.stdout
    tasks = sorted(
        json.loads(run_cli(data, "list", "--all", "--json").stdout), key=lambda t: t["id"]
    )
    assert [(t["id"], t["name"], t["status"]) for t in tasks] == [
        (1, "Call Mom", "pending"), (2, "Stretch", "pending"), (3, "Stretch", "done"),
        (4, "Water plants", "pending"),
    ]  # fmt: skip
    assert tasks[3]["recur"] == "every mon,thu"  # todo.txt cannot write it: kept here


@needs_task
def test_a_rule_taskwarrior_cannot_say_survives_a_trip_through_taskwarrior(tmp_path: Path) -> None:
    data = tmp_path / "tasks.json"
    made = run_cli(data, "add", "Water plants", "recur:every mon,thu", "due:2026-12-03", env=TZ)
    assert made.returncode == 0, made.stderr
    out = tmp_path / "out.json"
    assert run_cli(data, "export", "--to", "taskwarrior", "-o", str(out), env=TZ).returncode == 0
    tw = Taskwarrior(tmp_path / "tw")  # no uda.tasksafe_recur configured: kept as an orphan UDA
    tw("import", str(out))
    tw("list")  # Taskwarrior's own recurrence pass over the template
    exported = tw.export()
    assert {(t["status"], t["recur"], t.get("tasksafe_recur")) for t in exported} == {
        ("recurring", "weekly", "every mon,thu"), ("pending", "weekly", "every mon,thu"),
    }  # fmt: skip
    back = tmp_path / "back.json"
    back.write_text(json.dumps(exported))
    fresh = tmp_path / "fresh.json"
    assert "1 new" in imported(fresh, back, "--yes").stdout
    assert tasks_of(fresh)["Water plants"]["recur"] == "every mon,thu"
    assert "0 new" in imported(data, back, "--yes").stdout  # the same task, into its own file
    assert tasks_of(data)["Water plants"]["recur"] == "every mon,thu"


def test_an_alarm_and_properties_tasksafe_has_no_field_for_come_back_out(tmp_path: Path) -> None:
    from datetime import timedelta

    from icalendar import Alarm, Calendar, Todo

    todo_ = Todo()
    for key, value in (
        ("UID", "apple-1"), ("SUMMARY", "Renew passport"), ("X-APPLE-SORT-ORDER", 712),
        ("URL", "https://example.com/passport"), ("LOCATION", "Town hall, desk 3"),
        ("PERCENT-COMPLETE", 40), ("GEO", (52.52, 13.405)), ("CLASS", "PRIVATE"),
    ):  # fmt: skip
        todo_.add(key, value)
    alarm = Alarm()
    alarm.add("ACTION", "AUDIO")
    alarm.add("TRIGGER", timedelta(hours=-1))
    todo_.add_component(alarm)
    cal = Calendar()
    cal.add("PRODID", "-//Apple Inc.//Reminders//EN")
    cal.add("VERSION", "2.0")
    cal.add_component(todo_)
    ics = tmp_path / "reminders.ics"
    ics.write_bytes(cal.to_ical())
    data = tmp_path / "tasks.json"
    assert "1 new" in imported(data, ics, "--yes").stdout
    out = tmp_path / "out.ics"
    assert run_cli(data, "export", "--to", "ical", "-o", str(out)).returncode == 0
    back = Calendar.from_ical(out.read_bytes()).walk("VTODO")[0]
    assert (str(back["X-APPLE-SORT-ORDER"]), str(back["URL"]), str(back["LOCATION"])) == (
        "712",
        "https://example.com/passport",
        "Town hall, desk 3",
    )
    assert (int(back["PERCENT-COMPLETE"]), str(back["CLASS"])) == (40, "PRIVATE")
    assert (back["GEO"].latitude, back["GEO"].longitude) == (52.52, 13.405)
    (alarm_back,) = back.walk("VALARM")
    assert (str(alarm_back["ACTION"]), alarm_back["TRIGGER"].dt) == ("AUDIO", timedelta(hours=-1))
    assert "0 new, 0 updated, 1 unchanged" in imported(data, out).stdout


@needs_task
def test_a_series_made_here_comes_back_from_taskwarrior_as_nothing_new(tmp_path: Path) -> None:
    """Taskwarrior adds its own bookkeeping (`rtype`, imasks as floats, ids, urgency): none of
    it is a change, so importing its export into the file it came from writes nothing."""
    data = tmp_path / "tasks.json"
    # Dues ahead of today whenever this runs: Taskwarrior makes instances of past ones itself.
    for words in (["Water plants", "recur:weekly", "--due", "in 7 days"], ["Plain one"]):
        assert run_cli(data, "add", *words, env=TZ).returncode == 0
    assert run_cli(data, "done", "1", env=TZ).returncode == 0  # the next occurrence is task 3
    out = tmp_path / "out.json"
    assert run_cli(data, "export", "--to", "taskwarrior", "-o", str(out), env=TZ).returncode == 0
    tw = Taskwarrior(tmp_path / "tw")
    tw("import", str(out))
    back = tmp_path / "back.json"
    back.write_text(tw("export"))
    assert any(t.get("rtype") == "periodic" for t in json.loads(back.read_text()))
    before = data.read_bytes()
    again = imported(data, back, "--yes")
    assert again.returncode == 0, again.stderr
    assert "0 new, 0 updated, 3 unchanged" in again.stdout
    assert data.read_bytes() == before
    again_out = tmp_path / "again.json"
    assert (
        run_cli(data, "export", "--to", "taskwarrior", "-o", str(again_out), env=TZ).returncode == 0
    )
    assert json.loads(again_out.read_text()) == json.loads(out.read_text())
