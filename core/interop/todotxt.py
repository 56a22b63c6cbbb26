"""todo.txt (todotxt.org's format, as `todo.sh` writes it), both ways.

One line a task: `x` and the completion date, `(A)` (A is 1, B is 2, C to Z are 3; no priority
is 2), the creation date, the text; `+project` (the first is the project), `@context` (a tag),
`key:value` (`due:` due, `t:` wait, `rec:` recurrence; any other key is kept and written back).
The name is the text without those words.

A line has no uuid: `align` matches each line to a task already in the file (of any origin) by
what the line says, one line to one task: first a task whose own export is the same line, then one
whose export has the same text (name, projects, contexts, kept key:values) and creation date (a
line `todo.sh do` completed, or whose due moved), then the task first imported from a line of the
same name and creation date (its uuid is theirs: a project added in todo.txt). A field the line
says nothing new about (its export reads back the same) keeps the task's own value, so a time,
a rule todo.txt cannot write, or a name with `+word` in it is not lost on the way back.
"""

from __future__ import annotations

import re
import uuid as uuidlib
from collections.abc import Iterator, Sequence
from datetime import date
from functools import partial
from typing import Any

from core.interop.common import Parsed, ReadError, finish, text
from core.model import InvalidRecord, Record, Task
from core.vocabulary import tag_key

_NAMESPACE = uuidlib.UUID("0c7e2f57-5b7a-4c39-93a4-3a3d8c3f1a20")
_DATE = r"\d{4}-\d{2}-\d{2}"
_HEAD = re.compile(
    rf"^(?:(x) (?:({_DATE}) )?(?:({_DATE}) )?|\(([A-Z])\) (?:({_DATE}) )?|({_DATE}) )?"
)
_EXT = re.compile(r"^([^\s:]+):([^\s:/][^\s]*)$")
_REC = re.compile(r"^\+?(\d*)([dwmyb])$")
_REC_UNITS = {"d": "days", "w": "weeks", "m": "months", "y": "years"}
FIELDS = (
    *("name", "priority", "tags", "status", "due", "created", "completed"),
    *("project", "wait", "recur", "todotxt"),
)


def parse(data: bytes) -> Parsed:
    try:
        source = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ReadError(f"the input is not UTF-8 (byte {e.start})") from None
    out = Parsed("todotxt", fields=FIELDS, align=align)
    seen: dict[str, int] = {}
    for n, line in enumerate(source.splitlines(), 1):
        if line.strip():
            out.take(f"line {n}", partial(_record, line, seen))
    return out


def _record(line: str, seen: dict[str, int]) -> Record:
    head = _HEAD.match(line)
    assert head is not None  # everything in it is optional
    done, finished, created_done, letter, created_open, created_bare = head.groups()
    created = created_done or created_open or created_bare
    words, projects, contexts, ext = [], [], [], {}
    for word in text(line[head.end() :], "text").split(" "):
        if len(word) > 1 and word[0] == "+":
            projects.append(word[1:])
        elif len(word) > 1 and word[0] == "@":
            contexts.append(word[1:])
        elif (m := _EXT.match(word)) is not None:
            ext[m.group(1)] = m.group(2)
        else:
            words.append(word)
    name = " ".join(w for w in words if w) or line[head.end() :].strip()
    if letter is None and "pri" in ext and re.fullmatch("[A-Z]", ext["pri"]):
        letter = ext.pop("pri")  # `todo.sh do` with TODOTXT_PRESERVE_PRIORITY... keeps it so
    kept: dict[str, Any] = {}
    if letter == "B":  # an explicit B, written back; no priority is 2 as well
        kept["priority"] = letter
    if projects[1:]:
        kept["projects"] = projects[1:]
    rec: Record = {
        "uuid": _identity(name, created, seen),
        "name": name,
        "priority": {"A": 1, "B": 2}.get(letter, 3) if letter else 2,
        "status": "done" if done else "pending",
        "tags": contexts,
        "due": _day(ext.pop("due", None), "due"),
        "created": _stamp(created),
        "modified": None,
        "completed": _stamp(finished or created_done) if done else None,
        "project": projects[0] if projects else None,
        "wait": _day(ext.pop("t", None), "t"),
        "recur": rule_in(ext.pop("rec")) if "rec" in ext else None,
    }
    if ext:
        kept["ext"] = ext
    if kept:
        rec["todotxt"] = kept
    return finish(rec)


def _identity(name: str, created: str | None, seen: dict[str, int]) -> str:
    """The same line (name and creation date) is the same task; a repeated one is the next."""
    key = f"{created or ''}\x00{' '.join(name.split()).casefold()}"
    count = seen.get(key, 0)
    seen[key] = count + 1
    return str(uuidlib.uuid5(_NAMESPACE, f"{key}\x00{count}"))


# --- matching lines to the tasks already there ---


def align(records: list[Record], current: Sequence[Any]) -> None:
    """Give each parsed line the uuid of the task it is (see the module's docstring), in place.

    One to one: two identical lines are two tasks, never one. A line matching no task keeps its
    own uuid, made unique if a task already has it.
    """
    echoes = list(_echoes(current))
    by_text: dict[tuple[Any, ...], list[tuple[Record, Record]]] = {}
    for old, echo in echoes:
        by_text.setdefault(_text_key(echo), []).append((old, echo))
    by_uuid = {old["uuid"]: (old, echo) for old, echo in echoes}
    taken: set[str] = set()
    matched: dict[int, tuple[Record, Record]] = {}
    same = _same_line
    for check in (same, _same_created):
        for n, rec in enumerate(records):
            if n in matched:
                continue
            for old, echo in by_text.get(_text_key(rec), []):
                if old["uuid"] not in taken and check(rec, echo):
                    matched[n] = (old, echo)
                    taken.add(old["uuid"])
                    break
    for n, rec in enumerate(records):
        if n not in matched and (pair := by_uuid.get(rec["uuid"])) and rec["uuid"] not in taken:
            matched[n] = pair
            taken.add(rec["uuid"])
    known = {r.get("uuid") for r in current if isinstance(r, dict)}
    for n, rec in enumerate(records):
        if n in matched:
            _adopt(rec, *matched[n])
        else:
            rec["uuid"] = _free(rec["uuid"], known | taken)
            taken.add(rec["uuid"])


def _echoes(current: Sequence[Any]) -> Iterator[tuple[Record, Record]]:
    """Each valid task with its export read back: what a line of it says."""
    seen: dict[str, int] = {}
    for old in current:
        try:
            yield old, _record(line(Task.from_record(old)), seen)
        except (InvalidRecord, ValueError, TypeError, KeyError, AttributeError):
            continue  # an invalid record is no line's task


def _text_key(rec: Record) -> tuple[Any, ...]:
    kept = rec.get("todotxt") or {}
    return (
        " ".join(rec["name"].split()).casefold(),
        (rec.get("project") or "").casefold(),
        tuple(p.casefold() for p in kept.get("projects", [])),
        tuple(sorted(tag_key(t) for t in rec.get("tags") or [])),
        tuple(sorted((kept.get("ext") or {}).items())),
    )


def _same_line(rec: Record, echo: Record) -> bool:
    return all(rec.get(k) == echo.get(k) for k in FIELDS)


def _same_created(rec: Record, echo: Record) -> bool:
    """The same creation date, or the line has none (it says nothing about it)."""
    return rec.get("created") is None or rec.get("created") == echo.get("created")


def _adopt(rec: Record, old: Record, echo: Record) -> None:
    """The line is `old`: a field it says nothing new about keeps old's value."""
    rec["uuid"] = old["uuid"]
    for key in FIELDS:
        if rec.get(key) == echo.get(key) or _unsaid(rec, key):
            if key in old:
                rec[key] = old[key]
            else:
                rec.pop(key, None)


def _unsaid(rec: Record, key: str) -> bool:
    """A field the line cannot say: no creation date, or the priority of a done line (`todo.sh
    do` drops the letter; only a `pri:` would carry it)."""
    if key == "created":
        return rec.get("created") is None
    kept = rec.get("todotxt") or {}
    return (
        key == "priority"
        and rec["status"] == "done"
        and rec["priority"] == 2
        and not kept.get("priority")
    )


def _free(uuid: str, taken: set[Any]) -> str:
    """`uuid`, or the first of its successors no task has (a line no task matched is new)."""
    candidate, n = uuid, 0
    while candidate in taken:
        n += 1
        candidate = str(uuidlib.uuid5(_NAMESPACE, f"{uuid}\x00{n}"))
    return candidate


def _day(value: str | None, key: str) -> str | None:
    if value is None:
        return None
    try:
        date.fromisoformat(value[:10])
    except ValueError:
        raise ValueError(f"{key}:{value:.30} is not a date (YYYY-MM-DD)") from None
    return value


def _stamp(day: str | None) -> str | None:
    if day is None:
        return None
    date.fromisoformat(day)
    return f"{day}T00:00:00Z"


def rule_in(value: str) -> str:
    """`rec:1w`, `rec:+2d`, `rec:3m`, `rec:1y`, `rec:1b` (business days) as tasksafe's rule."""
    from core.recurrence import check_rule

    m = _REC.match(value)
    if m is None:
        raise ValueError(f"rec:{value:.20} is not a recurrence like rec:1w or rec:+2d")
    count, unit = int(m.group(1) or 1), m.group(2)
    if unit == "b":
        if count != 1:
            raise ValueError(f"rec:{value} (every {count} business days) has no tasksafe rule")
        return check_rule("weekdays")
    return check_rule(f"every {count} {_REC_UNITS[unit]}")


def rule_out(rule: str) -> str | None:
    named = {"daily": "1d", "weekly": "1w", "biweekly": "2w", "monthly": "1m"}
    named |= {"quarterly": "3m", "yearly": "1y", "weekdays": "1b"}
    if rule in named:
        return named[rule]
    m = re.fullmatch(r"every (\d+) (day|week|month|year)s?", rule)
    return f"{m.group(1)}{m.group(2)[0]}" if m else None


def dump(tasks: Sequence[Task]) -> bytes:
    return "".join(line(t) + "\n" for t in tasks).encode()


def line(task: Task) -> str:
    """The task as one todo.txt line."""
    found = task.raw.get("todotxt")
    kept: dict[str, Any] = found if isinstance(found, dict) else {}
    head: list[str] = []
    if task.done:
        head += ["x", (task.completed or task.modified or task.created or "")[:10]]
    else:
        letter = {1: "A", 3: "C"}.get(task.priority) or (
            "B" if kept.get("priority") == "B" else None
        )
        head += [f"({letter})"] if letter else []
    head += [task.created[:10]] if task.created else []
    words = [" ".join(task.name.split())]
    words += [f"+{p}" for p in [task.project, *kept.get("projects", [])] if p]
    words += [f"@{t}" for t in task.tags]
    ext: dict[str, str] = {}
    if task.due:
        ext["due"] = task.due
    if task.wait:
        ext["t"] = task.wait
    if task.recur and (rec := rule_out(task.recur)):
        ext["rec"] = rec
    ext |= {k: v for k, v in (kept.get("ext") or {}).items() if k not in ext}
    words += [f"{k}:{v}" for k, v in ext.items()]
    return " ".join(w for w in [*head, *words] if w)
