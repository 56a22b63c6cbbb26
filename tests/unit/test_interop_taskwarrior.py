"""core/interop/taskwarrior: Taskwarrior JSON <-> records, without Taskwarrior (see the integration test)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.interop import detect, read, write
from core.interop.common import ReadError
from core.interop.taskwarrior import rule_in, rule_out
from core.model import Task

ROOT = Path(__file__).resolve().parents[2]


def parsed(*objects: object, lines: bool = False) -> list[dict[str, object]]:
    data = "\n".join(json.dumps(o) for o in objects) if lines else json.dumps(list(objects))
    result = read(data.encode(), "taskwarrior")
    assert result.problems == []
    return result.records


@pytest.mark.parametrize(("given", "want"), [("H", 1), ("M", 2), ("L", 3), (None, 2)])
def test_priorities(given: str | None, want: int) -> None:
    obj = {"uuid": "u", "description": "x"} | ({"priority": given} if given else {})
    assert parsed(obj)[0]["priority"] == want


def test_an_explicit_m_goes_back_as_m_and_a_default_2_as_none() -> None:
    recs = parsed(
        {"uuid": "m", "description": "x", "priority": "M"}, {"uuid": "n", "description": "y"}
    )
    tasks = [Task.from_record({**r, "id": i}) for i, r in enumerate(recs, 1)]
    out = json.loads(write(tasks, "taskwarrior"))
    assert [o.get("priority") for o in out] == ["M", None]


def test_dates_are_local_wall_clock_and_midnight_is_a_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Europe/Berlin")
    import time

    time.tzset()
    try:
        rec = parsed(
            {"uuid": "u", "description": "x", "due": "20261204T230000Z", "wait": "20261205T143000Z"}
        )[0]
        assert (rec["due"], rec["wait"]) == ("2026-12-05", "2026-12-05T15:30")
        out = json.loads(write([Task.from_record({**rec, "id": 1})], "taskwarrior"))[0]
        assert (out["due"], out["wait"]) == ("20261204T230000Z", "20261205T143000Z")
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_one_object_a_line_and_2_5s_depends_string() -> None:
    recs = parsed(
        {"uuid": "a", "description": "first"},
        {"uuid": "b", "description": "second", "depends": "a,c"},
        lines=True,
    )
    assert recs[1]["depends"] == ["a", "c"]


def test_statuses_and_the_deleted_skipped() -> None:
    result = read(
        json.dumps([
            {"uuid": "p", "description": "p", "status": "pending"},
            {"uuid": "w", "description": "w", "status": "waiting", "wait": "20301201T000000Z"},
            {"uuid": "c", "description": "c", "status": "completed", "end": "20261201T100000Z"},
            {"uuid": "d", "description": "d", "status": "deleted"},
        ]).encode(),
        "taskwarrior",
    )  # fmt: skip
    assert [(r["uuid"], r["status"]) for r in result.records] == [
        ("p", "pending"), ("w", "pending"), ("c", "done"),
    ]  # fmt: skip
    assert result.records[2]["completed"] == "2026-12-01T10:00:00Z"
    assert result.skipped == ["record 4: deleted in Taskwarrior"]


def test_a_template_with_a_pending_instance_is_one_occurrence() -> None:
    template = {"uuid": "t", "description": "water", "status": "recurring", "recur": "weekly",
                "due": "20261206T000000Z", "mask": "+-"}  # fmt: skip
    done = {"uuid": "i0", "description": "water", "status": "completed", "parent": "t",
            "imask": 0, "recur": "weekly", "due": "20261206T000000Z", "end": "20261206T100000Z"}  # fmt: skip
    pending = {**done, "uuid": "i1", "status": "pending", "imask": 1, "due": "20261213T000000Z"}
    del pending["end"]
    recs = parsed(template, done, pending)
    assert [(r["uuid"], r["series"], r["recur"]) for r in recs] == [
        ("i0", "t", "weekly"), ("i1", "t", "weekly"),
    ]  # fmt: skip
    tasks = [Task.from_record({**r, "id": i}) for i, r in enumerate(recs, 1)]
    out = {o["uuid"]: o for o in json.loads(write(tasks, "taskwarrior"))}
    assert out["t"]["status"] == "recurring" and out["t"]["mask"] == "+-"
    assert (out["i1"]["parent"], out["i1"]["imask"]) == ("t", 1)


def test_a_template_alone_is_its_own_occurrence() -> None:
    template = {"uuid": "t", "description": "pay", "status": "recurring", "recur": "monthly",
                "due": "20261201T000000Z"}  # fmt: skip
    rec = parsed(template)[0]
    assert (rec["uuid"], rec["status"], rec["series"], rec["recur"]) == (
        "t",
        "pending",
        "t",
        "monthly",
    )


def test_udas_are_kept_and_written_back() -> None:
    rec = parsed({"uuid": "u", "description": "x", "estimate": 3, "urgency": 9.1, "id": 4})[0]
    assert rec["taskwarrior"] == {"uda": {"estimate": 3}}
    out = json.loads(write([Task.from_record({**rec, "id": 1})], "taskwarrior"))[0]
    assert out["estimate"] == 3 and "urgency" not in out


@pytest.mark.parametrize(
    ("tw", "ours"),
    [("weekly", "weekly"), ("2d", "every 2 days"), ("3wks", "every 3 weeks"),
     ("quarterly", "quarterly"), ("2mo", "every 2 months"), ("P1Y", "yearly"), ("weekdays", "weekdays")],
)  # fmt: skip
def test_recurrences(tw: str, ours: str) -> None:
    assert rule_in(tw) == ours
    assert rule_in(rule_out(ours)) == ours


def test_bad_records_are_lines_and_a_bad_file_is_one_error() -> None:
    result = read(b'[{"uuid": "u", "description": "x", "tags": "notalist"}, 7]', "taskwarrior")
    assert result.problems == [
        "record 1: tags must be a list of texts",
        "record 2: not an object but int",
    ]
    with pytest.raises(ReadError, match="not UTF-8"):
        read(b"[\xff]", "taskwarrior")
    with pytest.raises(ReadError, match="not Taskwarrior JSON"):
        read(b"[{", "taskwarrior")


def test_detection() -> None:
    assert detect(b'[{"uuid": "u", "description": "x"}]') == "taskwarrior"
    assert detect(b'{"format": "tasksafe", "tasks": []}') == "tasksafe"
    assert detect(b"BEGIN:VCALENDAR\r\n") == "ical"
    assert detect(b"(A) call mom\n") == "todotxt"


def test_icalendar_is_imported_only_for_ical() -> None:
    code = "import core.interop, core.interop.taskwarrior, core.interop.todotxt, sys; print('icalendar' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.stdout.strip() == "False", done.stderr


def test_what_taskwarrior_has_no_field_for_travels_as_udas() -> None:
    rec = parsed({"uuid": "c", "description": "child", "tasksafe_parent": "p",
                  "tasksafe_description": "long", "tasksafe_comment": "why"})[0]  # fmt: skip
    assert (rec["parent"], rec["description"], rec["comment"]) == ("p", "long", "why")
    out = json.loads(write([Task.from_record({**rec, "id": 1})], "taskwarrior"))[0]
    assert (out["tasksafe_parent"], out["tasksafe_description"], out["tasksafe_comment"]) == (
        "p",
        "long",
        "why",
    )
    assert "parent" not in out  # Taskwarrior's parent names a recurring template


def test_a_rule_taskwarrior_cannot_say_goes_as_the_nearest_recur_and_comes_back_exact() -> None:
    rec = {"id": 1, "uuid": "u", "name": "water", "recur": "every mon,thu", "series": "s",
           "due": "2026-12-03", "status": "pending"}  # fmt: skip
    out = json.loads(write([Task.from_record(rec)], "taskwarrior"))
    assert [(o["status"], o["recur"], o["tasksafe_recur"]) for o in out] == [
        ("recurring", "weekly", "every mon,thu"), ("pending", "weekly", "every mon,thu"),
    ]  # fmt: skip
    back = read(json.dumps(out).encode(), "taskwarrior").records
    assert [(r["uuid"], r["recur"]) for r in back] == [("u", "every mon,thu")]
    assert "uda" not in back[0]["taskwarrior"]  # mapped, not kept as a UDA
    plain = {**rec, "recur": "every 3 weeks"}
    assert "tasksafe_recur" not in write([Task.from_record(plain)], "taskwarrior").decode()


def test_a_recur_changed_in_taskwarrior_wins_over_the_rule_written_beside_it() -> None:
    obj = {"uuid": "u", "description": "x", "recur": "daily", "tasksafe_recur": "every mon,thu",
           "due": "20261203T000000Z"}  # fmt: skip
    assert parsed(obj)[0]["recur"] == "daily"
    assert parsed({**obj, "tasksafe_recur": "gibberish", "recur": "weekly"})[0]["recur"] == "weekly"
