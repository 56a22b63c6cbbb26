"""The three-way merge of task documents, by task uuid and field by field (pure: data in, data out).

`merge(base, ours, theirs)` takes three record lists (the merge base, this machine's, the other
machine's) and returns the merged records and a `Report`. The rules (README, "Sync across
machines"):

- a field changed on one side only takes that change;
- changed on both sides to different values: the later change wins, and the other value is kept
  in the report as a `Conflict` (and, once written, in the history's `sync` step): never dropped;
- `tags`, `depends` and `annotations` merge as sets: each side's additions and removals;
- deleted on one side and edited on the other: the task is kept with the edit (`Revived`);
- added on both sides: both kept; a task done on one side and edited on the other: done, edited;
- ids are local names: a task keeps the id the other side (the remote) gave it; a task only this
  side has whose id the other side uses for a different task gets the next free id (`Renumbered`).
- `modified` and `field_times` are bookkeeping, never conflicts; unknown fields merge like any other.

"Later" (the per-field time decision): each record may carry `field_times`, a map of field name
to the UTC time that field last changed, written into the shared file by `sync` from the local
history (`stamp`), which has the time of every step and the fields it changed. A field without a
time falls back to the record's `modified`. Between two machines a change made after seeing the
other's is never a conflict at all (the merge base already holds the value it replaced), so times
only order truly concurrent edits, and no clock can order those better than the machines' own;
the limit is that a machine whose clock is wrong wins or loses such a conflict wrongly, but the
losing value is always reported, never silently dropped. Equal times are broken by the values'
encodings, so every machine picks the same winner and the lists converge.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import msgspec
from msgspec import Struct, field

Record = dict[str, Any]
FIELD_TIMES = "field_times"
BOOKKEEPING = frozenset({"id", "uuid", "modified", FIELD_TIMES})
SET_FIELDS = frozenset({"tags", "depends", "annotations"})
_MISSING: Any = object()


class Conflict(Struct, frozen=True):
    """A field both sides changed to different values: the kept one and the other."""

    uuid: str
    task_id: int | None
    name: str
    field: str
    kept: Any
    other: Any
    kept_side: str  # "local" or "remote": whose value won
    kept_at: str = ""
    other_at: str = ""


class Revived(Struct, frozen=True):
    """A task deleted on one side and edited on the other: kept, with the edit."""

    uuid: str
    task_id: int | None
    name: str
    deleted_on: str  # "local" or "remote"


class Renumbered(Struct, frozen=True):
    """A local task whose id the remote gave to a different task: it now has a new id."""

    uuid: str
    name: str
    old_id: int
    new_id: int


class Duplicate(Struct, frozen=True):
    """This machine's next occurrence of a recurring task the remote also made: dropped."""

    uuid: str
    task_id: int | None
    name: str


class Report(Struct):
    """What a merge did: tasks changed from each side's point of view, conflicts, id changes."""

    pulled: int = 0  # tasks whose merged record differs from ours (changes that came in)
    pushed: int = 0  # tasks whose merged record differs from theirs (changes that go out)
    conflicts: list[Conflict] = field(default_factory=list)
    revived: list[Revived] = field(default_factory=list)
    renumbered: list[Renumbered] = field(default_factory=list)
    invalid: int = 0  # records without a uuid: kept as they are, never merged
    # Next occurrences of one recurring task both machines made (both completed it): ours dropped.
    duplicates: list[Duplicate] = field(default_factory=list)


class Merged(Struct, frozen=True):
    records: list[Any]
    next_id: int
    report: Report


def merge(
    base: Sequence[Any], ours: Sequence[Any], theirs: Sequence[Any], next_id: int = 1
) -> Merged:
    """Merge `ours` and `theirs` against `base`, by uuid, in O(tasks).

    The result follows `theirs`' order, then the tasks only `ours` has: when `ours` changed
    nothing, the result is `theirs` (a fast-forward), so machines converge to the same file.
    """
    report = Report()
    b, o, t = _by_uuid(base), _by_uuid(ours), _by_uuid(theirs)
    out: dict[str, Record] = {}
    for uuid in [*t, *(u for u in o if u not in t)]:
        rec = _merge_task(b.get(uuid), o.get(uuid), t.get(uuid), report)
        if rec is not None:
            out[uuid] = rec
    _drop_twin_occurrences(out, b, o, t, report)
    records: list[Any] = list(out.values())
    next_id = _renumber(records, o, t, max(next_id, 1), report)
    # Records that are not tasks (no uuid) are kept from both sides, never dropped.
    strays = _strays(ours, theirs)
    report.invalid = len(strays)
    records.extend(strays)
    report.pulled = sum(1 for u, r in out.items() if o.get(u) != r) + sum(
        1 for u in o if u not in out
    )
    report.pushed = sum(1 for u, r in out.items() if t.get(u) != r) + sum(
        1 for u in t if u not in out
    )
    return Merged(records, next_id, report)


def _drop_twin_occurrences(
    out: dict[str, Record],
    b: Mapping[str, Record],
    o: Mapping[str, Record],
    t: Mapping[str, Record],
    report: Report,
) -> None:
    """Both machines completed one recurring task, so each made its next occurrence: keep the
    remote's (Taskwarrior 2.x's duplicated recurring tasks, #1538). Only an untouched new one."""
    theirs_new = {
        (r.get("series"), r.get("due"))
        for u, r in out.items()
        if u in t and u not in b and u not in o and r.get("series") and r.get("status") == "pending"
    }
    for uuid in [u for u in out if u in o and u not in t and u not in b]:
        rec = out[uuid]
        twin = (rec.get("series"), rec.get("due")) in theirs_new
        if twin and rec.get("series") and rec.get("status") == "pending":
            del out[uuid]
            report.duplicates.append(Duplicate(uuid, _id(rec), _name(rec)))


def _by_uuid(records: Iterable[Any]) -> dict[str, Record]:
    return {r["uuid"]: r for r in records if _has_uuid(r)}


def _has_uuid(rec: Any) -> bool:
    return isinstance(rec, dict) and isinstance(rec.get("uuid"), str)


def _strays(ours: Sequence[Any], theirs: Sequence[Any]) -> list[Any]:
    seen: list[bytes] = []
    kept: list[Any] = []
    for rec in [*theirs, *ours]:
        if _has_uuid(rec):
            continue
        key = _key(rec)
        if key not in seen:
            seen.append(key)
            kept.append(rec)
    return kept


def _merge_task(
    b: Record | None, o: Record | None, t: Record | None, report: Report
) -> Record | None:
    if o == t:
        return o
    if o is None or t is None:
        return _one_side(b, o, t, report)
    return _merge_fields(b or {}, o, t, report)


def _one_side(
    b: Record | None, o: Record | None, t: Record | None, report: Report
) -> Record | None:
    """One side has no such task: added on the other, or deleted (edit beats delete)."""
    there = o if o is not None else t
    assert there is not None
    if b is None:
        return there  # added on one side
    if _same_task(b, there):
        return None  # deleted on one side, untouched on the other
    deleted_on = "local" if o is None else "remote"
    report.revived.append(Revived(there["uuid"], _id(there), _name(there), deleted_on))
    return there


def _merge_fields(b: Record, o: Record, t: Record, report: Report) -> Record:
    merged: Record = {"id": t.get("id", o.get("id")), "uuid": t["uuid"]}
    keys = [k for k in dict.fromkeys([*t, *o, *b]) if k not in BOOKKEEPING]
    times: dict[str, str] = {}
    for key in keys:
        value, when = _merge_field(key, b, o, t, report)
        if value is not _MISSING:
            merged[key] = value
        if when:
            times[key] = when
    modified = max(str(o.get("modified") or ""), str(t.get("modified") or ""))
    if modified:
        merged["modified"] = modified
    all_times = _latest(_times(o), _times(t)) | times
    if all_times:
        merged[FIELD_TIMES] = dict(sorted(all_times.items()))
    return merged


def _merge_field(key: str, b: Record, o: Record, t: Record, report: Report) -> tuple[Any, str]:
    """The merged value of one field and its change time ("" when it keeps its own)."""
    bv, ov, tv = b.get(key, _MISSING), o.get(key, _MISSING), t.get(key, _MISSING)
    o_at, t_at = _time_of(o, key), _time_of(t, key)
    if ov == tv:
        return ov, max(o_at, t_at) if ov != bv else ""
    if ov == bv:
        return tv, t_at
    if tv == bv:
        return ov, o_at
    if key in SET_FIELDS and _listish(bv, ov, tv):
        return _merge_set(bv, ov, tv), max(o_at, t_at)
    ours_wins = (o_at, _key(ov)) > (t_at, _key(tv))
    kept, other = (ov, tv) if ours_wins else (tv, ov)
    report.conflicts.append(
        Conflict(
            t["uuid"],
            _id(t),
            kept if key == "name" and isinstance(kept, str) else _name(t),
            key,
            _shown(kept),
            _shown(other),
            "local" if ours_wins else "remote",
            o_at if ours_wins else t_at,
            t_at if ours_wins else o_at,
        )
    )
    return kept, max(o_at, t_at)


def _latest(a: Mapping[str, str], b: Mapping[str, str]) -> dict[str, str]:
    return {k: max(a.get(k, ""), b.get(k, "")) for k in dict.fromkeys([*a, *b])}


def _listish(*values: Any) -> bool:
    return all(v is _MISSING or v is None or isinstance(v, list) for v in values)


def _merge_set(bv: Any, ov: Any, tv: Any) -> list[Any]:
    """Each side's additions and removals against the base; tags are matched without case."""
    base, ours, theirs = (_items(v) for v in (bv, ov, tv))
    removed = {k for k in base if k not in ours or k not in theirs}
    result: dict[Any, Any] = {}
    for items in (theirs, ours):
        for k, v in items.items():
            if k not in removed and k not in result:
                result[k] = v
    return list(result.values())


def _items(value: Any) -> dict[Any, Any]:
    if not isinstance(value, list):
        return {}
    return {_item_key(v): v for v in value}


def _item_key(value: Any) -> Any:
    if isinstance(value, str):
        return value.casefold()
    return _key(value)


def _renumber(
    records: list[Any],
    o: Mapping[str, Record],
    t: Mapping[str, Record],
    next_id: int,
    report: Report,
) -> int:
    """Ids unique: the remote's tasks keep theirs; a local-only task that collides moves."""
    taken: set[int] = set()
    for rec in records:
        if rec["uuid"] in t and type(rec.get("id")) is int:
            taken.add(rec["id"])
    top = max([next_id - 1, *taken, *(_int_id(r) for r in records)], default=0)
    for i, rec in enumerate(records):
        rid = rec.get("id")
        if rec["uuid"] in t or type(rid) is not int:
            continue
        if rid in taken:
            top += 1
            records[i] = {**rec, "id": top}
            report.renumbered.append(Renumbered(rec["uuid"], _name(rec), rid, top))
            rid = top
        taken.add(rid)
    return top + 1


def _int_id(rec: Record) -> int:
    rid = rec.get("id")
    return rid if type(rid) is int else 0


def _same_task(a: Record, b: Record) -> bool:
    """Equal but for bookkeeping (an id renumbered by a merge is not an edit)."""
    keys = set(a) | set(b)
    return all(a.get(k) == b.get(k) for k in keys - BOOKKEEPING)


def _times(rec: Record) -> dict[str, str]:
    value = rec.get(FIELD_TIMES)
    if not isinstance(value, dict):
        return {}
    return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}


def _time_of(rec: Record, key: str) -> str:
    times = rec.get(FIELD_TIMES)
    if isinstance(times, dict) and isinstance(times.get(key), str):
        return str(times[key])
    return str(rec.get("modified") or "")


_SORTED = msgspec.json.Encoder(order="sorted")


def _key(value: Any) -> bytes:
    if value is _MISSING:
        return b""
    try:
        return _SORTED.encode(value)
    except (TypeError, ValueError, RecursionError):  # lone surrogates, deep nesting
        return repr(value).encode()


def _shown(value: Any) -> Any:
    return None if value is _MISSING else value


def _id(rec: Record) -> int | None:
    rid = rec.get("id")
    return rid if type(rid) is int else None


def _name(rec: Record) -> str:
    name = rec.get("name")
    return name if isinstance(name, str) else ""


def stamp(
    current: Sequence[Any],
    shared: Sequence[Any],
    changed_at: Mapping[tuple[str, str], str],
    now: str,
) -> list[Any]:
    """`current` with `field_times` set for each field changed since `shared` (the last version
    the machines shared): the time from `changed_at` ((uuid, field) -> the local history's time
    of the step that last changed it), else the record's `modified`, else `now`.

    Records are replaced, never edited in place (they may be shared with a snapshot).
    """
    before = _by_uuid(shared)
    out: list[Any] = []
    for rec in current:
        if not _has_uuid(rec) or before.get(rec["uuid"], rec) == rec:
            out.append(rec)
            continue
        old = before[rec["uuid"]]  # a task new since then needs none: its `modified` says
        times = _times(rec)
        fresh = dict(times)
        for key in dict.fromkeys([*rec, *old]):
            if key in BOOKKEEPING or rec.get(key, _MISSING) == old.get(key, _MISSING):
                continue
            if times.get(key, "") > _times(old).get(key, ""):
                continue  # already stamped since the shared version
            fresh[key] = changed_at.get((rec["uuid"], key)) or str(rec.get("modified") or now)
        out.append({**rec, FIELD_TIMES: dict(sorted(fresh.items()))} if fresh != times else rec)
    return out
