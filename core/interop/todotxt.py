"""todo.txt (todotxt.org's format, as `todo.sh` writes it), both ways.

One line a task: `x` and the completion date, `(A)` (A is 1, B is 2, C to Z are 3; no priority
is 2), the creation date, the text; `+project` (the first is the project), `@context` (a tag),
`key:value` (`due:` due, `t:` wait, `rec:` recurrence; any other key is kept and written back).
The name is the text without those words. A line has no uuid: its identity is its name and
creation date, so re-importing the same file (even after `todo.sh do`) matches the same tasks.
"""

from __future__ import annotations

import re
import uuid as uuidlib
from collections.abc import Sequence
from datetime import date
from functools import partial
from typing import Any

from core.interop.common import Parsed, ReadError, finish, text
from core.model import Record, Task

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
    out = Parsed("todotxt", fields=FIELDS)
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
