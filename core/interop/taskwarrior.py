"""Taskwarrior 2.6 / 3.x JSON (`task export`, `task import`), both ways.

Statuses: pending and waiting are pending (a wait date says until when), completed is done,
deleted is skipped (tasksafe keeps no deleted tasks). A recurring template (`status: recurring`)
is the series of its instances: each pending instance is one occurrence (`series` = the
template's uuid), so completing it in tasksafe makes the next one and Taskwarrior's own instances
are never duplicated; a template with no pending instance is imported as the one occurrence.
Fields without a place in tasksafe (user-defined attributes, an explicit `M`, and of a recurring
instance the template's fields and `imask` where an export would not write them again from the
task) are kept in the record's `taskwarrior` object and written back on export: a series sent to
Taskwarrior comes back as nothing new.
"""

from __future__ import annotations

import json
import re
import uuid as uuidlib
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any

from msgspec import Struct

from core.interop.common import (
    Parsed,
    ReadError,
    finish,
    from_stamp,
    instant,
    stamp,
    text,
    uuid_of,
    wall,
)
from core.model import Record, Task

FMT = "%Y%m%dT%H%M%SZ"
PRIORITY_IN = {"H": 1, "M": 2, "L": 3, None: 2, "": 2}
PRIORITY_OUT = {1: "H", 3: "L"}
# What Taskwarrior computes (never data) and what this module maps; any other key is a UDA.
COMPUTED = frozenset({"id", "urgency"})
MAPPED = frozenset(
    {
        *("uuid", "description", "status", "entry", "modified", "end", "due", "wait"),
        *("scheduled", "until", "start", "priority", "project", "tags", "annotations"),
        *("depends", "recur", "mask", "imask", "parent"),
        *("tasksafe_description", "tasksafe_comment", "tasksafe_parent"),  # Taskwarrior has none
        "tasksafe_recur",  # a rule Taskwarrior's recur cannot say (`every mon,thu`), exactly
    }
)
FIELDS = (
    *("name", "description", "comment", "priority", "tags", "status", "due", "created"),
    *("completed", "project", "annotations", "wait", "scheduled", "start", "depends"),
    *("parent", "recur", "until", "series", "taskwarrior"),
)
_UNITS = {
    "d": "days", "day": "days", "days": "days", "daily": "days",
    "w": "weeks", "wk": "weeks", "wks": "weeks", "week": "weeks", "weeks": "weeks",
    "mo": "months", "mth": "months", "mths": "months", "month": "months", "months": "months",
    "q": "quarters", "qtr": "quarters", "quarters": "quarters",
    "y": "years", "yr": "years", "yrs": "years", "year": "years", "years": "years",
}  # fmt: skip
_INSTANCE_ONLY = frozenset({"end", "start", "annotations", "parent", "imask"})
_NAMED_OUT = {"daily", "weekly", "monthly", "yearly", "quarterly", "biweekly", "weekdays"}


def parse(data: bytes) -> Parsed:
    out = Parsed("taskwarrior", fields=FIELDS)
    items = _objects(data, out)
    templates = {o["uuid"]: o for _, o in items if isinstance(o, dict) and _is_template(o)}
    series = _series(items)
    for where, obj in items:
        if isinstance(obj, dict) and obj.get("status") == "deleted":
            out.skipped.append(f"{where}: deleted in Taskwarrior")
        elif not (isinstance(obj, dict) and _is_template(obj)):
            out.take(where, partial(_record, obj, templates, in_series=series))
    occurring = {r.get("series") for r in out.records if r["status"] == "pending"}
    for where, obj in items:
        if isinstance(obj, dict) and _is_template(obj) and obj["uuid"] not in occurring:
            out.take(where, partial(_record, {**obj, "status": "pending"}, {}, obj["uuid"]))
    out.refuse_repeated_uuids()
    return out


def _objects(data: bytes, out: Parsed) -> list[tuple[str, Any]]:
    """`task export`'s array, or one object per line (2.5's and `task export` with rc.json.array=off)."""
    try:
        source = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ReadError(f"the input is not UTF-8 (byte {e.start})") from None
    if source.lstrip().startswith("["):
        try:
            items = json.loads(source)
        except (json.JSONDecodeError, RecursionError) as e:
            raise ReadError(f"not Taskwarrior JSON: {_json_problem(e)}") from None
        return [(f"record {i + 1}", o) for i, o in enumerate(items)]
    found = []
    for n, line in enumerate(source.splitlines(), 1):
        if line.strip():
            try:
                found.append((f"line {n}", json.loads(line.strip().rstrip(","))))
            except (json.JSONDecodeError, RecursionError) as e:
                out.problems.append(f"line {n}: not JSON ({_json_problem(e)})")
    return found


def _json_problem(e: Exception) -> str:
    if isinstance(e, json.JSONDecodeError):
        return f"{e.msg} at line {e.lineno}, column {e.colno}"
    return "nested too deeply"


class _Series(Struct, frozen=True):
    """A template's instances in the input, as an export would order them (`_template`)."""

    first: dict[str, Any]  # the earliest due: the instance an export builds the template from
    numbered: bool  # imasks 0, 1, 2… in due order: what an export numbers them again


def _series(items: list[tuple[str, Any]]) -> dict[str, _Series]:
    by_parent: dict[str, list[dict[str, Any]]] = {}
    for _, o in items:
        if isinstance(o, dict) and isinstance(o.get("parent"), str):
            by_parent.setdefault(o["parent"], []).append(o)
    found = {}
    for parent, members in by_parent.items():
        members.sort(key=lambda o: str(o.get("due", "")))
        imasks = [o.get("imask") for o in members]
        found[parent] = _Series(members[0], imasks == list(range(len(members))))
    return found


def _is_template(obj: dict[str, Any]) -> bool:
    return obj.get("status") == "recurring" and isinstance(obj.get("uuid"), str)


def _record(
    o: Any,
    templates: dict[str, Any],
    series: str | None = None,
    in_series: dict[str, _Series] | None = None,
) -> Record:
    if not isinstance(o, dict):
        raise ValueError(f"not an object but {type(o).__name__}")
    status = o.get("status", "pending")
    if status not in ("pending", "waiting", "completed", "recurring"):
        raise ValueError(f"status {status!r:.40} is not one Taskwarrior writes")
    if not isinstance(o.get("description"), str):
        raise ValueError("description must be text")
    done = status == "completed"
    rec: Record = {
        "uuid": uuid_of(o.get("uuid")),
        "name": o["description"],
        "description": o.get("tasksafe_description"),
        "comment": o.get("tasksafe_comment"),
        "priority": _priority(o.get("priority")),
        "tags": _texts(o.get("tags"), "tags"),
        "status": "done" if done else "pending",
        "due": _wall(o, "due"),
        "created": _stamp(o, "entry"),
        "modified": _stamp(o, "modified"),
        "completed": _stamp(o, "end") if done else None,
        "project": text(o.get("project"), "project") or None,
        "annotations": _notes(o.get("annotations")),
        "wait": _wall(o, "wait"),
        "scheduled": _wall(o, "scheduled"),
        "until": _wall(o, "until"),
        "start": _stamp(o, "start"),
        "depends": _depends(o.get("depends")),
        "parent": uuid_of(o["tasksafe_parent"]) if o.get("tasksafe_parent") else None,
    }
    parent = o.get("parent")
    if o.get("recur") is not None:
        rec["recur"] = _own_rule(o) or rule_in(o["recur"])
        rec["series"] = series or (uuid_of(parent) if parent is not None else rec["uuid"])
    template = templates.get(parent) if isinstance(parent, str) else None
    kept = _kept(o, template, (in_series or {}).get(parent) if isinstance(parent, str) else None)
    if kept:
        rec["taskwarrior"] = kept
    return finish(rec)


def _kept(
    o: dict[str, Any], template: dict[str, Any] | None, series: _Series | None
) -> dict[str, Any]:
    """What an export could not write again from the task alone: UDAs, an explicit `M`, and of
    a recurring instance its imask and template only where they say more than the instance does
    (a series tasksafe sent out comes back with nothing kept: a second import changes nothing)."""
    kept: dict[str, Any] = {}
    udas = {k: v for k, v in o.items() if k not in MAPPED and k not in COMPUTED}
    if udas:
        kept["uda"] = udas
    if o.get("priority") == "M":
        kept["priority"] = "M"
    if isinstance(o.get("imask"), int | float) and not (series and series.numbered):
        kept["imask"] = int(o["imask"])
    first = series.first if series is not None else o
    if template is not None and (more := _template_says_more(template, first)):
        kept["template"] = more
    return kept


def _template_says_more(template: dict[str, Any], first: dict[str, Any]) -> dict[str, Any]:
    """The template's fields an export would not write again from the series' first instance:
    `_template` copies its fields (but the instance-only ones) and adds uuid, status and mask;
    `rtype: periodic` is Taskwarrior's own bookkeeping."""
    again = {k: v for k, v in first.items() if k not in _INSTANCE_ONLY}
    parent = first.get("parent")
    uuid = _uuid_for(parent.strip()) if isinstance(parent, str) else None  # as _template names it
    again |= {"uuid": uuid, "status": "recurring", "rtype": "periodic"}
    skipped = COMPUTED | {"mask"}
    return {
        k: v for k, v in template.items() if k not in skipped and (k not in again or again[k] != v)
    }


def _priority(value: Any) -> int:
    if value not in PRIORITY_IN:
        raise ValueError(f"priority {value!r:.20} is not H, M or L")
    return PRIORITY_IN[value]


def _texts(value: Any, key: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{key} must be a list of texts")
    return value


def _notes(value: Any) -> list[dict[str, str]]:
    notes = []
    for note in value or []:
        if not isinstance(note, dict) or not isinstance(note.get("description"), str):
            raise ValueError("an annotation must be an object with a description")
        entry = tw_time(note.get("entry")) if note.get("entry") else datetime.now(UTC)
        notes.append({"entry": stamp(entry), "text": note["description"]})
    return notes


def _depends(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):  # Taskwarrior 2.5: "uuid,uuid"
        value = value.split(",")
    if not isinstance(value, list):
        raise ValueError("depends must be a list of uuids")
    return list(dict.fromkeys(uuid_of(v) for v in value))


def _wall(o: dict[str, Any], key: str) -> str | None:
    return wall(tw_time(o[key])) if o.get(key) else None


def _stamp(o: dict[str, Any], key: str) -> str | None:
    return stamp(tw_time(o[key])) if o.get(key) else None


def tw_time(value: Any) -> datetime:
    """`20261201T120000Z` (or an ISO form) as an aware instant."""
    if not isinstance(value, str):
        raise ValueError(f"a date must be text like 20261201T120000Z, not {value!r:.40}")
    try:
        return datetime.strptime(value, FMT).replace(tzinfo=UTC)
    except ValueError:
        pass
    try:
        return from_stamp(value)
    except ValueError:
        raise ValueError(f"{value!r:.40} is not a Taskwarrior date (20261201T120000Z)") from None


def rule_in(value: Any) -> str:
    """A Taskwarrior recurrence (`weekly`, `2d`, `3wks`, `P1M`) as tasksafe's rule text."""
    from core.recurrence import check_rule

    if not isinstance(value, str):
        raise ValueError(f"recur must be text, not {type(value).__name__}")
    word = value.strip().lower()
    try:
        return check_rule(word)
    except ValueError:
        pass
    m = re.fullmatch(r"p?(\d*)\s*([a-z]+)", word)
    unit = _UNITS.get(m.group(2)) if m else None
    if m is None or unit is None:
        raise ValueError(f"recur {value!r:.30} has no tasksafe rule") from None
    count = int(m.group(1) or 1)
    if unit == "quarters":
        count, unit = count * 3, "months"
    return check_rule(f"every {count} {unit}")


def _own_rule(o: dict[str, Any]) -> str | None:
    """tasksafe's exact rule, from the `tasksafe_recur` UDA export wrote beside the nearest recur.

    Only while the recur is still that nearest one: a recur changed in Taskwarrior wins.
    """
    from core.recurrence import check_rule

    given = o.get("tasksafe_recur")
    if not isinstance(given, str):
        return None
    try:
        rule = check_rule(given)
    except ValueError:
        return None
    return rule if rule_out(rule) == o["recur"] else None


def recur_fields(rule: str) -> dict[str, str]:
    """`recur` for Taskwarrior, and `tasksafe_recur` when that recur only comes near the rule."""
    nearest = rule_out(rule)
    return {"recur": nearest} | ({} if rule_in(nearest) == rule else {"tasksafe_recur": rule})


def rule_out(rule: str) -> str:
    """tasksafe's rule text as Taskwarrior's recurrence (a weekday list becomes weekly: the
    nearest; `recur_fields` adds the exact rule)."""
    if rule in _NAMED_OUT:
        return rule
    m = re.fullmatch(r"every (\d+) (day|week|month|year)s?", rule)
    if m:
        return f"{m.group(1)}{ {'day': 'd', 'week': 'w', 'month': 'mo', 'year': 'y'}[m.group(2)] }"
    return "weekly"


# --- export ---


def dump(tasks: Sequence[Task]) -> bytes:
    """`task import`'s input: a JSON array, one object a line (as `task export` writes it)."""
    objects = [_object(t) for t in tasks]
    series: dict[str, list[tuple[Task, dict[str, Any]]]] = {}
    for task, obj in zip(tasks, objects, strict=True):
        if task.recur is not None and task.series is not None:
            series.setdefault(task.series, []).append((task, obj))
    templates = [_template(key, members) for key, members in series.items()]
    lines = [json.dumps(o, ensure_ascii=False) for o in [*templates, *objects]]
    return ("[\n" + ",\n".join(lines) + "\n]\n").encode()


def _object(task: Task) -> dict[str, Any]:
    found = task.raw.get("taskwarrior")
    kept: dict[str, Any] = found if isinstance(found, dict) else {}
    o: dict[str, Any] = {"uuid": task.uuid, "description": task.name}
    o["status"] = "completed" if task.done else "pending"
    _put_time(o, "entry", task.created)
    _put_time(o, "modified", task.modified)
    if task.done:
        _put_time(o, "end", task.completed or task.modified or task.created)
    for key in ("due", "wait", "scheduled", "until"):
        if getattr(task, key):
            o[key] = instant(getattr(task, key)).astimezone(UTC).strftime(FMT)
    _put_time(o, "start", task.start)
    priority = PRIORITY_OUT.get(task.priority) or kept.get("priority")
    if priority:
        o["priority"] = priority
    if task.project:
        o["project"] = task.project
    if task.tags:
        o["tags"] = list(task.tags)
    if task.annotations:
        o["annotations"] = [
            {"entry": from_stamp(a.entry).strftime(FMT), "description": a.text}
            for a in task.annotations
        ]
    if task.depends:
        o["depends"] = list(task.depends)
    if task.description:
        o["tasksafe_description"] = task.description
    if task.comment:
        o["tasksafe_comment"] = task.comment
    if task.parent:
        o["tasksafe_parent"] = task.parent  # a subtask's task: Taskwarrior's parent is a template
    o.update(kept.get("uda") or {})
    return o


def _put_time(o: dict[str, Any], key: str, value: str | None) -> None:
    if value:
        o[key] = from_stamp(value).strftime(FMT)


def _template(series: str, members: list[tuple[Task, dict[str, Any]]]) -> dict[str, Any]:
    """The recurring template of one series; its instances get `parent`, `imask`, `recur`."""
    members.sort(key=lambda m: (m[1].get("due", ""), m[0].id))
    first, first_obj = members[0]
    stored = (first.raw.get("taskwarrior") or {}).get("template")
    template = dict(stored) if isinstance(stored, dict) else {}
    uuid = template.get("uuid") or _uuid_for(series)
    taken = [m[0].raw.get("taskwarrior", {}).get("imask") for m in members]
    index = max((i for i in taken if isinstance(i, int)), default=-1) + 1
    mask = ["X"] * index
    for (task, obj), imask in zip(members, taken, strict=True):
        if not isinstance(imask, int):
            imask, index = index, index + 1
            mask.append("X")
        mask[imask] = "+" if task.done else "-"
        obj.update(parent=uuid, imask=imask, **recur_fields(task.recur or "weekly"))
    base = {k: v for k, v in first_obj.items() if k not in _INSTANCE_ONLY}
    own = {**base, **template, "uuid": uuid, "status": "recurring"}
    own.pop("tasksafe_recur", None)
    return own | recur_fields(first.recur or "weekly") | {"mask": "".join(mask)}


def _uuid_for(series: str) -> str:
    try:
        return str(uuidlib.UUID(series))
    except ValueError:
        return str(uuidlib.uuid5(uuidlib.NAMESPACE_URL, f"tasksafe:series:{series}"))
