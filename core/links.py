"""The links between tasks: `depends` (waits for) and `parent` (is a subtask of), kept acyclic.

A task cannot wait for itself or be its own subtask, directly or along a chain; the refusal
names the chain (`task 2 depends on 1, which depends on 2: a cycle`). A cycle written into the
file by hand does not loop the walk, nor block a change that breaks it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from core.errors import InvalidValueError
from core.journal import find_record, task_of
from core.model import Record, Task
from core.storage.document import Document


class DependencyCycleError(InvalidValueError):
    """A dependency (or parent) that would make a task wait for itself."""


def records_by_uuid(doc: Document) -> dict[str, Record]:
    return {r["uuid"]: r for r in doc.records if type(r) is dict and isinstance(r.get("uuid"), str)}


def refuse_cycle(doc: Document, task: Task, depends: Sequence[str]) -> None:
    """DependencyCycleError if `task` depending on `depends` would make it wait for itself.

    Only the dependencies it does not have yet are followed: a cycle written into the file by
    hand does not stop every later change to the task's list (removing one breaks it).
    """
    depends = [u for u in depends if u not in task.depends]
    if task.uuid in depends:
        raise DependencyCycleError(f"task {task.id} cannot depend on itself")
    records = records_by_uuid(doc)
    path = path_to(task.uuid, depends, lambda u: linked_uuids(records.get(u), "depends"))
    if path is not None:
        chain = ", which depends on ".join(str(id_of(records, u)) for u in path)
        raise DependencyCycleError(f"task {task.id} depends on {chain}: a cycle")


def parent_uuid(doc: Document, task: Task, parent_id: int | None) -> str | None:
    """The uuid of the new parent; a task cannot be its own subtask, nor its subtask's."""
    if parent_id is None:
        return None
    parent = task_of(find_record(doc, parent_id))
    if parent.uuid == task.uuid:
        raise DependencyCycleError(f"task {task.id} cannot be its own subtask")
    records = records_by_uuid(doc)
    path = path_to(task.uuid, [parent.uuid], lambda u: linked_uuids(records.get(u), "parent"))
    if path is not None:
        chain = ", which is a subtask of ".join(str(id_of(records, u)) for u in path)
        raise DependencyCycleError(f"task {task.id} would be a subtask of {chain}: a cycle")
    return parent.uuid


def linked_uuids(rec: Record | None, key: str) -> list[str]:
    """The uuids a record's `depends` (a list) or `parent` (one) names; none for a bad value."""
    value = rec.get(key) if rec is not None else None
    if isinstance(value, str):
        return [value]
    return [u for u in value if isinstance(u, str)] if isinstance(value, list) else []


def path_to(
    target: str, starts: Sequence[str], links: Callable[[str], list[str]]
) -> list[str] | None:
    """The shortest chain from one of `starts` along `links` to `target` (both ends in it), or None.

    Breadth first over what is reachable: O(tasks + links); a cycle already in the file (written
    by hand) does not loop.
    """
    came_from: dict[str, str | None] = {s: None for s in starts}
    queue = list(dict.fromkeys(starts))
    for node in queue:  # the list grows as it is walked
        if node == target:
            path = [node]
            while (prev := came_from[path[-1]]) is not None:
                path.append(prev)
            return path[::-1]
        for nxt in links(node):
            if nxt not in came_from:
                came_from[nxt] = node
                queue.append(nxt)
    return None


def id_of(records: Mapping[str, Record], uuid: str) -> object:
    rec = records.get(uuid)
    return rec.get("id") if rec is not None else uuid
