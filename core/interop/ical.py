"""iCalendar VTODO (RFC 5545), both ways, through the `icalendar` library (imported here only).

UID is the uuid, SUMMARY the name, DESCRIPTION the description; STATUS NEEDS-ACTION and
IN-PROCESS are pending (IN-PROCESS: started), COMPLETED done, CANCELLED skipped. PRIORITY 1-4 is
1, 5 or none 2, 6-9 3 (written back as it came while it means the same; else 1, none, 9). DUE is due, DTSTART scheduled, COMPLETED / CREATED /
LAST-MODIFIED the stamps, CATEGORIES the tags, RRULE the recurrence (its UNTIL: until),
RELATED-TO the parent (RELTYPE=DEPENDS-ON, RFC 9253: depends). tasksafe's fields without an
iCalendar property travel as X-TASKSAFE-* (project, wait, series, comment, notes).

Everything else a VTODO holds (any other X- property such as X-APPLE-SORT-ORDER, IANA properties
tasksafe has no field for: GEO, URL, CLASS, LOCATION, PERCENT-COMPLETE, ATTACH..., a RELATED-TO
of another RELTYPE, and sub-components such as VALARM) is kept verbatim in the record's `ical`
object (`props`: content lines, `components`: their text), as Taskwarrior's UDAs are kept under
`taskwarrior`, and written back on export.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from functools import partial
from typing import Any

from core.interop.common import (
    Parsed,
    ReadError,
    finish,
    from_stamp,
    instant,
    priority_from_rank,
    stamp,
    text,
    uuid_of,
    wall,
)
from core.model import Record, Task

FIELDS = (
    *("name", "description", "comment", "priority", "tags", "status", "due", "created"),
    *("completed", "project", "annotations", "wait", "scheduled", "start", "depends"),
    *("parent", "recur", "until", "series", "ical"),
)
# What this module reads or writes itself; every other property is kept verbatim (`ical`).
MAPPED = frozenset(
    {
        *("UID", "SUMMARY", "DESCRIPTION", "STATUS", "PRIORITY", "DUE", "DTSTART", "COMPLETED"),
        *("CREATED", "LAST-MODIFIED", "CATEGORIES", "RRULE", "DTSTAMP"),  # DTSTAMP: written anew
    }
)
_RRULE_MAPPED = frozenset({"FREQ", "INTERVAL", "BYDAY", "UNTIL"})
_RELTYPES = ("PARENT", "DEPENDS-ON")  # RELATED-TO of these is mapped; of any other, kept
_FREQ = {"DAILY": "days", "WEEKLY": "weeks", "MONTHLY": "months", "YEARLY": "years"}
_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_DAY_WORDS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse(data: bytes) -> Parsed:
    from icalendar import Calendar

    try:
        calendars = Calendar.from_ical(data.decode("utf-8-sig"), multiple=True)
    except UnicodeDecodeError as e:
        raise ReadError(f"the input is not UTF-8 (byte {e.start})") from None
    except (ValueError, KeyError, IndexError, TypeError) as e:
        raise ReadError(f"not iCalendar: {e}") from None
    out = Parsed("ical", fields=FIELDS)
    todos = [c for cal in calendars for c in cal.walk("VTODO")]
    for n, todo in enumerate(todos, 1):
        where = f"VTODO {n} ({str(todo.get('UID', 'no UID'))[:60]})"
        if str(todo.get("STATUS", "")).upper() == "CANCELLED":
            out.skipped.append(f"{where}: cancelled")
            continue
        out.take(where, partial(_record, todo))
    out.refuse_repeated_uuids()
    return out


def _record(todo: Any) -> Record:
    status = str(todo.get("STATUS", "NEEDS-ACTION")).upper()
    if status not in ("NEEDS-ACTION", "IN-PROCESS", "COMPLETED"):
        raise ValueError(f"STATUS {status:.30} is not one of RFC 5545's")
    done = status == "COMPLETED"
    rec: Record = {
        "uuid": uuid_of(str(todo.get("UID", ""))),
        "name": text(str(todo.get("SUMMARY", "")), "SUMMARY"),
        "description": text(str(todo.get("DESCRIPTION", "")), "DESCRIPTION"),
        "comment": text(str(todo.get("X-TASKSAFE-COMMENT", "")), "comment"),
        "priority": priority_from_rank(_rank(todo)),
        "tags": _categories(todo),
        "status": "done" if done else "pending",
        "due": _wall(todo, "DUE"),
        "created": _stamp(todo, "CREATED"),
        "modified": _stamp(todo, "LAST-MODIFIED"),
        "completed": _stamp(todo, "COMPLETED") if done else None,
        "project": str(todo.get("X-TASKSAFE-PROJECT", "")) or None,
        "scheduled": _wall(todo, "DTSTART"),
        "wait": str(todo.get("X-TASKSAFE-WAIT", "")) or None,
        "start": _started(todo, status),
        "annotations": _notes(todo),
    }
    rec.update(_relations(todo))
    kept: dict[str, Any] = _kept(todo)
    if "RRULE" in todo:
        rec["recur"], rec["until"] = rule_in(todo["RRULE"])
        rec["series"] = str(todo.get("X-TASKSAFE-SERIES", "")) or rec["uuid"]
        if set(todo["RRULE"]) - _RRULE_MAPPED:  # COUNT, BYMONTHDAY...: kept, written back
            kept["rrule"] = todo["RRULE"].to_ical().decode()
    if _rank(todo) not in (0, 1, 9):  # 5 (medium), 2-4, 6-8: written back as they came
        kept["priority"] = _rank(todo)
    if kept:
        rec["ical"] = kept
    return finish(rec)


def _rank(todo: Any) -> int:
    rank = int(todo.get("PRIORITY", 0))
    if not 0 <= rank <= 9:
        raise ValueError(f"PRIORITY {rank} is not 0-9")
    return rank


def _categories(todo: Any) -> list[str]:
    values = todo.get("CATEGORIES")
    if values is None:
        return []
    groups = values if isinstance(values, list) else [values]
    return [str(c) for g in groups for c in g.cats]


def _moment(todo: Any, key: str) -> datetime | date | None:
    prop = todo.get(key)
    return None if prop is None else prop.dt


def _wall(todo: Any, key: str) -> str | None:
    moment = _moment(todo, key)
    return None if moment is None else wall(moment)


def _stamp(todo: Any, key: str) -> str | None:
    moment = _moment(todo, key)
    if moment is None:
        return None
    if not isinstance(moment, datetime):
        moment = datetime.combine(moment, datetime.min.time(), UTC)
    return stamp(moment)


def _started(todo: Any, status: str) -> str | None:
    given = str(todo.get("X-TASKSAFE-START", ""))
    if given:
        return stamp(from_stamp(given))
    if status == "IN-PROCESS":
        return _stamp(todo, "LAST-MODIFIED") or _stamp(todo, "DTSTAMP") or stamp(datetime.now(UTC))
    return None


def _notes(todo: Any) -> list[dict[str, str]]:
    raw = todo.get("X-TASKSAFE-NOTES")
    if raw is None:
        return []
    notes = json.loads(str(raw))
    if not isinstance(notes, list):
        raise ValueError("X-TASKSAFE-NOTES must be a JSON list")
    return notes


def _relations(todo: Any) -> dict[str, Any]:
    related = todo.get("RELATED-TO")
    found: dict[str, Any] = {"depends": []}
    for prop in related if isinstance(related, list) else [related] if related else []:
        kind = _reltype(prop)
        if kind == "PARENT":
            found["parent"] = uuid_of(str(prop))
        elif kind == "DEPENDS-ON":
            found["depends"].append(uuid_of(str(prop)))
    return found


def _kept(todo: Any) -> dict[str, list[str]]:
    """The properties and sub-components tasksafe has no field for, verbatim."""
    props = []
    for name, value in todo.property_items(recursive=False, sorted=False):
        if name in ("BEGIN", "END") or name in MAPPED or name.startswith("X-TASKSAFE-"):
            continue
        if name == "RELATED-TO" and _reltype(value) in _RELTYPES:
            continue
        props.append(str(todo.content_line(name, value, sorted=True)))
    components = [c.to_ical().decode() for c in todo.subcomponents]
    return {k: v for k, v in (("props", props), ("components", components)) if v}


def _reltype(prop: Any) -> str:
    return str(prop.params.get("RELTYPE", "PARENT")).upper()


def rule_in(rrule: Any) -> tuple[str, str | None]:
    """An RRULE as tasksafe's rule text, and its UNTIL as `until`."""
    from core.recurrence import check_rule

    freq, until = str(_first(rrule, "FREQ", "")).upper(), _first(rrule, "UNTIL", None)
    interval = int(_first(rrule, "INTERVAL", 1))
    days = rrule.get("BYDAY") or []
    days = [str(d).upper() for d in (days if isinstance(days, list) else [days])]
    if freq not in _FREQ:
        raise ValueError(f"RRULE FREQ={freq:.20} has no tasksafe rule")
    if days and freq == "WEEKLY" and interval == 1:
        if days == list(_DAYS[:5]):
            rule = check_rule("weekdays")
        elif all(d in _DAYS for d in days):
            rule = check_rule("every " + ",".join(_DAY_WORDS[_DAYS.index(d)] for d in days))
        else:
            raise ValueError(f"RRULE BYDAY={','.join(days):.30} has no tasksafe rule")
    else:
        rule = check_rule(f"every {interval} {_FREQ[freq]}")
    return rule, (wall(until) if until is not None else None)


def _first(rrule: Any, key: str, default: Any) -> Any:
    """A part's value: parsed from a file it is a list, built in code it may be one value."""
    value = rrule.get(key)
    if isinstance(value, list):
        return value[0] if value else default
    return default if value is None else value


def rule_out(rule: str, until: str | None) -> dict[str, Any]:
    """tasksafe's rule text as an RRULE's parts."""
    parts: dict[str, Any] = {}
    words = rule.split()
    if rule == "weekdays":
        parts = {"FREQ": "WEEKLY", "BYDAY": list(_DAYS[:5])}
    elif rule.startswith("every ") and all(d in _DAY_WORDS for d in words[-1].split(",")):
        days = words[-1].split(",")
        parts = {"FREQ": "WEEKLY", "BYDAY": [_DAYS[_DAY_WORDS.index(d)] for d in days]}
    else:
        named = {"daily": ("DAILY", 1), "weekly": ("WEEKLY", 1), "biweekly": ("WEEKLY", 2)}
        named |= {"monthly": ("MONTHLY", 1), "quarterly": ("MONTHLY", 3), "yearly": ("YEARLY", 1)}
        if rule in named:
            freq, interval = named[rule]
        else:
            count, unit = words[1], words[2].rstrip("s")
            freq, interval = (
                {"day": "DAILY", "week": "WEEKLY", "month": "MONTHLY"}.get(unit, "YEARLY"),
                int(count),
            )
        parts = {"FREQ": freq} | ({"INTERVAL": interval} if interval != 1 else {})
    if until:  # of the DUE's type (RFC 5545): a date for a date
        parts["UNTIL"] = date.fromisoformat(until) if len(until) == 10 else instant(until)
    return parts


# --- export ---


def dump(tasks: Sequence[Task]) -> bytes:
    from icalendar import Calendar

    cal = Calendar()
    cal.add("PRODID", "-//tasksafe//tasksafe//EN")
    cal.add("VERSION", "2.0")
    for task in tasks:
        cal.add_component(todo_of(task))
    return bytes(cal.to_ical())


def file_name(task: Task) -> str:
    """A vdir's file for the task: its UID, made safe as one file name."""
    safe = "".join(c if c.isalnum() or c in "-_.@" else "_" for c in task.uuid).lstrip(".")
    return f"{safe or 'task'}.ics"


def todo_of(task: Task) -> Any:
    from icalendar import Todo, vRecur

    todo = Todo()
    todo.add("UID", task.uuid)
    todo.add("DTSTAMP", datetime.now(UTC))
    todo.add("SUMMARY", task.name)
    if task.description:
        todo.add("DESCRIPTION", task.description)
    status = "COMPLETED" if task.done else "IN-PROCESS" if task.start else "NEEDS-ACTION"
    todo.add("STATUS", status)
    rank = _rank_of(task)
    if rank:
        todo.add("PRIORITY", rank)
    for key, value in (("DUE", task.due), ("DTSTART", task.scheduled)):
        if value:
            todo.add(key, date.fromisoformat(value) if len(value) == 10 else instant(value))
    for key, value in (("CREATED", task.created), ("LAST-MODIFIED", task.modified)):
        if value:
            todo.add(key, from_stamp(value))
    if task.done:
        todo.add(
            "COMPLETED", from_stamp(task.completed or task.modified or stamp(datetime.now(UTC)))
        )
    if task.tags:
        todo.add("CATEGORIES", list(task.tags))
    if task.recur:
        todo.add("RRULE", _rrule(task) or vRecur(rule_out(task.recur, task.until)))
    if task.parent:
        todo.add("RELATED-TO", task.parent, parameters={"RELTYPE": "PARENT"})
    for uuid in task.depends:
        todo.add("RELATED-TO", uuid, parameters={"RELTYPE": "DEPENDS-ON"})
    extra = {"PROJECT": task.project, "WAIT": task.wait, "SERIES": task.series}
    extra |= {"COMMENT": task.comment, "START": task.start}
    if task.annotations:
        extra["NOTES"] = json.dumps([a.to_record() for a in task.annotations], ensure_ascii=False)
    for key, value in extra.items():
        if value:
            todo.add(f"X-TASKSAFE-{key}", value)
    _put_kept(todo, task.raw.get("ical"))
    return todo


def _rrule(task: Task) -> Any:
    """The RRULE the task came with (parts tasksafe does not follow, COUNT, BYMONTHDAY...), while
    its rule and until are still what that RRULE says; else None."""
    from icalendar import vRecur

    kept = task.raw.get("ical")
    given = kept.get("rrule") if isinstance(kept, dict) else None
    if not isinstance(given, str):
        return None
    try:
        rrule = vRecur.from_ical(given)
        return rrule if rule_in(rrule) == (task.recur, task.until) else None
    except ValueError:
        return None


def _rank_of(task: Task) -> int:
    """PRIORITY for the task: the one it came with while it means the same; else 1, none, 9.

    A 2 is tasksafe's default: written as no priority (0), as Taskwarrior's export writes none.
    """
    kept = task.raw.get("ical")
    given = kept.get("priority") if isinstance(kept, dict) else None
    if isinstance(given, int) and 0 <= given <= 9 and priority_from_rank(given) == task.priority:
        return given
    return {1: 1, 2: 0, 3: 9}[task.priority]


def _put_kept(todo: Any, kept: Any) -> None:
    """The VTODO's own properties and sub-components tasksafe kept verbatim, written back."""
    from icalendar import Todo

    if not isinstance(kept, dict):
        return
    lines = [v for v in kept.get("props") or [] if isinstance(v, str)]
    parts = [v for v in kept.get("components") or [] if isinstance(v, str)]
    source = "\r\n".join(["BEGIN:VTODO", *lines, *[p.rstrip("\r\n") for p in parts], "END:VTODO"])
    try:
        again = Todo.from_ical(source + "\r\n")
    except (ValueError, KeyError, IndexError, TypeError):
        return  # not iCalendar (a hand-edited record): the task is written without them
    for name, value in again.property_items(recursive=False, sorted=False):
        if name not in ("BEGIN", "END"):
            todo.add(name, value, encode=False)
    todo.subcomponents.extend(again.subcomponents)
