"""The transactions the crash and power-loss tests break, and the directories they start from."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.events import Event, Recovered
from core.state import AppState
from core.storage.fsops import FileOps

DATA = "tasks.json"
TRANSACTIONS = ("add", "update", "delete")
# The original app's format: a bare list, priority as text, one `tag`.
LEGACY_RECORDS = [
    {
        "id": 1,
        "name": "buy milk",
        "comment": "",
        "description": "2 litres",
        "priority": "1",
        "tag": "home",
    },
    {
        "id": 2,
        "name": "call Ann",
        "comment": "after 5",
        "description": "",
        "priority": "2",
        "tag": "",
    },
    {
        "id": 4,
        "name": "file taxes",
        "comment": None,
        "description": None,
        "priority": 3,
        "tag": "admin",
    },
]


def run_transaction(kind: str, path: str, ops: FileOps) -> None:
    """Load (recovering a damaged file through `ops`) and run one transaction of `kind`."""
    state = AppState(path, ops=ops)
    state.load()
    if kind == "add":
        state.add_task("written by the test", priority=1, tags=["crash"])
    elif kind == "update":
        state.update_task(2, name="renamed by the test", add_tags=["edited"])
    elif kind == "delete":
        state.delete(3)
    else:
        raise ValueError(f"unknown transaction {kind!r}")


def _tasks(directory: Path, count: int = 4) -> None:
    # Four saves fill `.backup`, `.backup.1` and `.backup.2`: the next save rotates all of them.
    state = AppState(directory / DATA)
    for i in range(1, count + 1):
        state.add_task(f"task {i}", priority=1 + i % 3, tags=[f"t{i}"], description=f"d{i}")


def _legacy(directory: Path) -> None:
    (directory / DATA).write_text(json.dumps(LEGACY_RECORDS, indent=4))


def _corrupt(directory: Path) -> None:
    _tasks(directory)
    data = (directory / DATA).read_bytes()
    (directory / DATA).write_bytes(data[: len(data) // 2])


@dataclass(frozen=True)
class Scenario:
    """A starting directory and the transaction run on it."""

    name: str
    kind: str
    prepare: Callable[[Path], None]
    recovers: bool = False  # the starting file is damaged: loading it restores a backup


SCENARIOS = (
    Scenario("first write of a new file", "add", lambda d: None),
    Scenario("add with full backup rotation", "add", _tasks),
    Scenario("legacy file's first write", "add", _legacy),
    Scenario("recovery of a corrupt file, then add", "add", _corrupt, recovers=True),
    Scenario("update", "update", _tasks),
    Scenario("delete", "delete", _tasks),
)


def scenario_ids() -> list[str]:
    return [s.name.replace(" ", "-").replace("'", "") for s in SCENARIOS]


@dataclass
class Loaded:
    """What a fresh AppState saw in a directory: the whole document, and the events it raised."""

    key: tuple[Any, ...]
    problems: int
    events: list[Event] = field(default_factory=list)
    history_problem: str | None = None  # the history does not name the state the file holds

    @property
    def recovered(self) -> bool:
        return any(isinstance(e, Recovered) for e in self.events)


def load(directory: Path) -> Loaded:
    """Load DATA in `directory` with a fresh AppState; the key compares whole documents."""
    events: list[Event] = []
    state = AppState(directory / DATA, on_event=events.append)
    state.load()
    doc = state.snapshot.doc
    key = (doc.next_id, json.dumps(doc.records, sort_keys=True), json.dumps(doc.extra))
    return Loaded(key, len(state.problems), events, history_disagrees(state))


def history_disagrees(state: AppState) -> str | None:
    """Why the history does not name the state the file holds, or None when it does.

    The file's step must be in the history, and that entry's records must be the file's.
    """
    doc = state.snapshot.doc
    if doc.step == 0:
        return None
    entries = {e.step: e for e in state.files.history.read().entries}
    entry = entries.get(doc.step)
    if entry is None:
        return f"the file holds step {doc.step}, which the history lacks"
    records = {r.get("uuid"): r for r in doc.records if isinstance(r, dict)}
    for uuid, _, after in entry.edits:
        if records.get(uuid) != after:
            return f"step {doc.step} of the history does not match the file's task {uuid}"
    return None


def copy_dir(src: Path, dst: Path) -> Path:
    """A copy of a starting directory (hard links become copies: the content is what counts)."""
    shutil.copytree(src, dst)
    return dst


def temp_files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))
