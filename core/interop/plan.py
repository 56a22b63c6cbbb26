"""What an import would do: new, updated (which fields), unchanged, by uuid. Pure.

A format without uuids (todo.txt) first gives its records the uuids of the tasks they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from msgspec import Struct, field

from core.interop.common import Parsed
from core.model import Record


class Plan(Struct):
    parsed: Parsed
    new: list[Record] = field(default_factory=list)
    updated: dict[str, dict[str, Any]] = field(default_factory=dict)  # uuid -> fields to set
    names: dict[str, str] = field(default_factory=dict)  # uuid -> name, of each updated task
    unchanged: int = 0
    newer_here: int = 0  # changed here after the input's own change: kept (the later wins)


def plan(parsed: Parsed, current: Sequence[Any]) -> Plan:
    """Match each parsed record to the current ones by uuid, field by field.

    A task changed here after the input last changed it (its `modified` is later) keeps what it
    has: re-importing an old `task export` never reopens a task completed here since.
    """
    if parsed.align is not None:
        parsed.align(parsed.records, current)
    by_uuid = {r.get("uuid"): r for r in current if isinstance(r, dict)}
    result = Plan(parsed)
    for rec in parsed.records:
        old = by_uuid.get(rec["uuid"])
        if old is None:
            result.new.append(rec)
            continue
        changes = {k: rec.get(k) for k in parsed.fields if _value(rec.get(k)) != _value(old.get(k))}
        if changes and _later(old.get("modified"), rec.get("modified")):
            result.newer_here += 1
        elif changes:
            result.updated[rec["uuid"]] = changes
            result.names[rec["uuid"]] = str(old.get("name", ""))
        else:
            result.unchanged += 1
    return result


def _later(here: Any, there: Any) -> bool:
    """Whether this file's change is later than the input's (both stamps known; UTC ISO)."""
    return isinstance(here, str) and isinstance(there, str) and here > there


def _value(v: Any) -> Any:
    """Absent, null, "" and [] all mean unset."""
    return None if v is None or v == "" or v == [] or v == {} else v
