"""Taking back a step of the history, or applying it again, field by field (pure).

A step is reverted by the fields it changed, not by whole records, so a later change to another
field of the same task survives the undo; a later change to the same field refuses it, naming
the field. `modified` is bookkeeping, never a conflict. Which step `undo` means when none is
named: the newest that is not an undo or redo itself and has not been undone (so repeating
`undo` walks back through older steps); `redo` applies again the newest step undone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from core.errors import AppError
from core.storage.history import Edit, Entry, Record

BOOKKEEPING = frozenset({"modified"})
_ABSENT = object()


class StepConflict(AppError):
    """A later step changed what this one did; the message names the tasks and fields."""


def undone_steps(entries: Iterable[Entry]) -> set[int]:
    """The steps taken back and not applied again since, in step order."""
    undone: set[int] = set()
    for entry in sorted(entries, key=lambda e: e.step):
        if entry.undoes is not None:
            undone.add(entry.undoes)
        if entry.redoes is not None:
            undone.discard(entry.redoes)
    return undone


def undo_candidates(entries: Sequence[Entry]) -> list[Entry]:
    """Steps `undo` may take back, newest first: real changes not undone yet."""
    undone = undone_steps(entries)
    return [
        e
        for e in sorted(entries, key=lambda e: -e.step)
        if e.undoes is None and e.redoes is None and e.step not in undone and e.edits
    ]


def redo_candidates(entries: Sequence[Entry]) -> list[Entry]:
    """Steps `redo` may apply again, the most recently undone first."""
    undone = undone_steps(entries)
    by_step = {e.step: e for e in entries}
    order = [e.undoes for e in sorted(entries, key=lambda e: -e.step) if e.undoes in undone]
    return [by_step[s] for s in dict.fromkeys(order) if s is not None and s in by_step]


def revert(records: Sequence[Any], entry: Entry, backwards: bool = True) -> list[Edit]:
    """The edits that take `entry` back (or, `backwards=False`, apply it again) on `records`.

    Raises StepConflict when a later change touched the same fields of the same tasks.
    """
    current = {r.get("uuid"): r for r in records if isinstance(r, dict)}
    edits, conflicts = [], []
    for uuid, before, after in entry.edits:
        old, new = (after, before) if backwards else (before, after)
        edit, conflict = _revert_one(uuid, current.get(uuid), old, new)
        if conflict:
            conflicts.append(conflict)
        elif edit is not None:
            edits.append(edit)
    if conflicts:
        verb = "undo" if backwards else "redo"
        raise StepConflict(
            f"cannot {verb} step {entry.step} (`{entry.label}`): " + "; ".join(conflicts[:3])
        )
    return edits


def _revert_one(
    uuid: str, now: Record | None, expected: Any, wanted: Any
) -> tuple[Edit | None, str | None]:
    """Move one task from `expected` (what the step left) to `wanted`; or say what is in the way."""
    name = _task_name(now or expected or wanted)
    if expected is None:  # the step deleted it (or is applied again: creates it)
        if now is not None:
            return None, f"{name} exists again"
        return (uuid, None, dict(wanted)), None
    if now is None:
        return None, f"{name} was deleted since"
    if wanted is None:  # the step created it: taking it back deletes it, if untouched since
        changed = _changed_fields(expected, now)
        if changed:
            return None, f"{', '.join(changed)} of {name} changed since"
        return (uuid, now, None), None
    fields = _changed_fields(expected, wanted)
    moved = [k for k in fields if now.get(k, _ABSENT) != expected.get(k, _ABSENT)]
    if moved:
        return None, f"{', '.join(moved)} of {name} changed since"
    new = {k: v for k, v in now.items() if k not in fields}
    new.update({k: wanted[k] for k in fields if k in wanted})
    return (uuid, now, new), None


def _changed_fields(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[str]:
    keys = dict.fromkeys([*a, *b])
    return [k for k in keys if k not in BOOKKEEPING and a.get(k, _ABSENT) != b.get(k, _ABSENT)]


def _task_name(rec: Any) -> str:
    if isinstance(rec, Mapping):
        return f"task {rec.get('id')} ({str(rec.get('name', ''))[:30]!r})"
    return "a task"


def pick_step(entries: Sequence[Entry], step: int | None, backwards: bool) -> Entry:
    """The step `undo STEP` / `redo STEP` means, or with no STEP the next one; AppError if none."""
    verb = "undo" if backwards else "redo"
    candidates = undo_candidates(entries) if backwards else redo_candidates(entries)
    if step is None:
        if not candidates:
            raise AppError(
                f"nothing to {verb}: {'no step left' if backwards else 'nothing undone'}"
            )
        return candidates[0]
    found = next((e for e in candidates if e.step == step), None)
    if found is not None:
        return found
    known = next((e for e in entries if e.step == step), None)
    if known is None:
        raise AppError(f"there is no step {step} in the history (see `log`)")
    if backwards and (known.undoes or known.redoes):
        raise AppError(f"step {step} is itself an {'undo' if known.undoes else 'redo'}; see `log`")
    state = "already undone" if backwards else "not undone"
    raise AppError(f"step {step} (`{known.label}`) is {state}")


def next_after(entries: Sequence[Entry], refused: int, backwards: bool) -> Entry | None:
    """The step after a refused one: a refused step never blocks older ones."""
    candidates = undo_candidates(entries) if backwards else redo_candidates(entries)
    return next(
        (e for e in candidates if e.step != refused and (e.step < refused or not backwards)), None
    )
