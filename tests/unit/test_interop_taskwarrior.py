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
    assert "taskwarrior" not in back[0]  # mapped, not kept as a UDA; nor the template it made
    plain = {**rec, "recur": "every 3 weeks"}
    assert "tasksafe_recur" not in write([Task.from_record(plain)], "taskwarrior").decode()


def test_a_recur_changed_in_taskwarrior_wins_over_the_rule_written_beside_it() -> None:
    obj = {"uuid": "u", "description": "x", "recur": "daily", "tasksafe_recur": "every mon,thu",
           "due": "20261203T000000Z"}  # fmt: skip
    assert parsed(obj)[0]["recur"] == "daily"
    assert parsed({**obj, "tasksafe_recur": "gibberish", "recur": "weekly"})[0]["recur"] == "weekly"


# `task export` of Taskwarrior 3.x, in the shape its source writes (src/Task.cpp composeJSON and
# src/commands/CmdExport.cpp of GothenburgBitFactory/taskwarrior 3.1): json.array on by default,
# `"id"` first (0 for a completed task), then the attributes in key order (a std::map), then
# annotations, tags, depends (always an array since 2.6), urgency (a number). A waiting task is
# `pending` with a later wait (3.x stores no waiting status), imask an integer, a configured
# numeric UDA unquoted, a duration UDA as ISO 8601 (`P30D`), an orphan UDA a string. Taken from
# the documented shape, not from a 3.x binary (Debian ships 2.6).
TW3_EXPORT = """[
{"id":1,"description":"Buy milk","due":"20261204T230000Z","entry":"20261130T091542Z","estimate":3,"modified":"20261201T080000Z","priority":"H","project":"home.shop","start":"20261201T080000Z","status":"pending","uuid":"5a0c6bd5-3f2c-4f9e-9d4e-2b1c8f0f6a01","annotations":[{"entry":"20261130T091600Z","description":"ask Bob first"}],"tags":["errand","Food"],"urgency":14.2877},
{"id":2,"description":"Write report","due":"20261204T143000Z","entry":"20261130T091600Z","modified":"20261130T091700Z","scheduled":"20261202T230000Z","size":"big","status":"pending","uuid":"5a0c6bd5-3f2c-4f9e-9d4e-2b1c8f0f6a02","wait":"20261201T230000Z","depends":["5a0c6bd5-3f2c-4f9e-9d4e-2b1c8f0f6a01"],"urgency":-2.1},
{"id":3,"description":"Water plants","due":"20261205T230000Z","entry":"20261130T091700Z","mask":"-","modified":"20261130T091700Z","recur":"weekly","rtype":"periodic","status":"recurring","until":"20270228T230000Z","uuid":"5a0c6bd5-3f2c-4f9e-9d4e-2b1c8f0f6a03","urgency":2.4},
{"id":4,"description":"Water plants","due":"20261205T230000Z","entry":"20261130T091700Z","imask":0,"modified":"20261130T091700Z","parent":"5a0c6bd5-3f2c-4f9e-9d4e-2b1c8f0f6a03","recur":"weekly","rtype":"periodic","status":"pending","until":"20270228T230000Z","uuid":"5a0c6bd5-3f2c-4f9e-9d4e-2b1c8f0f6a04","urgency":2.4},
{"id":0,"description":"Old one","dur":"P30D","end":"20261201T100000Z","entry":"20261130T091800Z","modified":"20261201T100000Z","status":"completed","uuid":"5a0c6bd5-3f2c-4f9e-9d4e-2b1c8f0f6a05","urgency":0},
{"id":0,"description":"Gone","end":"20261201T100100Z","entry":"20261130T091900Z","modified":"20261201T100100Z","status":"deleted","uuid":"5a0c6bd5-3f2c-4f9e-9d4e-2b1c8f0f6a06","urgency":0}
]
"""


def test_a_taskwarrior_3_export_comes_in_with_every_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Europe/Berlin")
    import time

    time.tzset()
    try:
        data = TW3_EXPORT.encode()
        assert detect(data) == "taskwarrior"
        result = read(data, "taskwarrior")
        assert result.problems == [] and result.skipped == ["record 6: deleted in Taskwarrior"]
        milk, report, water, old = result.records
        assert (milk["name"], milk["priority"], milk["project"]) == ("Buy milk", 1, "home.shop")
        assert (milk["tags"], milk["due"], milk["start"]) == (
            ["errand", "Food"],
            "2026-12-05",
            "2026-12-01T08:00:00Z",
        )
        assert milk["annotations"] == [{"entry": "2026-11-30T09:16:00Z", "text": "ask Bob first"}]
        assert milk["taskwarrior"] == {"uda": {"estimate": 3}}  # neither id nor urgency kept
        assert (report["status"], report["wait"], report["scheduled"]) == (
            "pending",
            "2026-12-02",
            "2026-12-03",
        )
        assert report["depends"] == [milk["uuid"]] and report["due"] == "2026-12-04T15:30"
        assert report["taskwarrior"] == {"uda": {"size": "big"}}
        assert (water["uuid"], water["recur"], water["until"]) == (
            "5a0c6bd5-3f2c-4f9e-9d4e-2b1c8f0f6a04",
            "weekly",
            "2027-03-01",
        )
        assert water["series"] == "5a0c6bd5-3f2c-4f9e-9d4e-2b1c8f0f6a03"
        assert "imask" not in water.get("taskwarrior", {})  # 0, as the export numbers it again
        assert (old["status"], old["completed"]) == ("done", "2026-12-01T10:00:00Z")
        assert old["taskwarrior"] == {"uda": {"dur": "P30D"}}

        tasks = [Task.from_record({**r, "id": i}) for i, r in enumerate(result.records, 1)]
        back = {o["uuid"]: o for o in json.loads(write(tasks, "taskwarrior"))}
        given = {o["uuid"]: o for o in json.loads(data) if o["status"] != "deleted"}
        assert set(back) == set(given)
        for uuid, obj in given.items():
            want = {k: v for k, v in obj.items() if k not in ("id", "urgency")}
            assert back[uuid] == want, uuid
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
