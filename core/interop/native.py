"""tasksafe's own records (`export`, `list --json`, a data file): imported as they are."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import partial
from typing import Any

from core.interop.common import Parsed, ReadError, finish, uuid_of
from core.model import Task
from core.storage.document import dumps

# What makes a JSON input tasksafe's: the envelope, or records with tasksafe's `name`.
_MARKS = (b'"format": "tasksafe"', b'"format":"tasksafe"')


def looks_native(data: bytes) -> bool:
    """tasksafe's envelope, or a `name` key (Taskwarrior calls it `description`)."""
    head = data[:4096]
    return any(m in head for m in _MARKS) or re.search(rb'"name"\s*:', head) is not None


def parse(data: bytes) -> Parsed:
    out = Parsed("tasksafe")
    try:
        value = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as e:
        raise ReadError(f"the input is not UTF-8 (byte {e.start})") from None
    except (json.JSONDecodeError, RecursionError) as e:
        raise ReadError(f"not tasksafe JSON: {e}") from None
    records = value.get("tasks") if isinstance(value, dict) else value
    if not isinstance(records, list):
        raise ReadError("not tasksafe JSON: no list of tasks")
    for i, rec in enumerate(records):
        out.take(f"record {i + 1}", partial(_record, rec))
    out.refuse_repeated_uuids()
    return out


def _record(rec: Any) -> dict[str, Any]:
    if not isinstance(rec, dict):
        raise ValueError(f"not an object but {type(rec).__name__}")
    copy = {k: v for k, v in rec.items() if k != "id"}
    copy["uuid"] = uuid_of(rec.get("uuid"))
    return finish(copy)


def dump(tasks: Sequence[Task]) -> bytes:
    return dumps([t.raw for t in tasks])
