"""Other programs' task formats, both ways: Taskwarrior JSON, todo.txt, iCalendar VTODO.

Pure: bytes in, `Parsed` records out (`read`); tasks in, bytes out (`write`). Each format lives in
its own module, imported when it is used (icalendar costs ~100 ms: `add` never pays it).
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import import_module

from core.interop.common import Parsed, ReadError
from core.model import Task

FORMATS = ("taskwarrior", "todotxt", "ical", "tasksafe")
EXPORTS = ("json", "taskwarrior", "todotxt", "ical")
_MODULES = {
    "taskwarrior": "core.interop.taskwarrior",
    "todotxt": "core.interop.todotxt",
    "ical": "core.interop.ical",
    "tasksafe": "core.interop.native",
    "json": "core.interop.native",
}

__all__ = ["EXPORTS", "FORMATS", "Parsed", "ReadError", "detect", "read", "write"]


def detect(data: bytes) -> str:
    """The format `data` is in, from its first bytes; ReadError when none fits."""
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:4096]
    if head[:15].upper().startswith(b"BEGIN:VCALENDAR"):
        return "ical"
    if head[:1] in (b"[", b"{"):
        from core.interop.native import looks_native

        return "tasksafe" if looks_native(data) else "taskwarrior"
    if not head:
        raise ReadError("the input is empty")
    return "todotxt"


def read(data: bytes, fmt: str) -> Parsed:
    """Records (without ids) and the input's problems, one per bad record."""
    return import_module(_MODULES[fmt]).parse(data)  # type: ignore[no-any-return]


def write(tasks: Sequence[Task], fmt: str) -> bytes:
    """The tasks in `fmt` (`json`: tasksafe's records as `list --json` prints them)."""
    return import_module(_MODULES[fmt]).dump(tasks)  # type: ignore[no-any-return]
