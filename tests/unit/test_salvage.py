"""core/maintenance/salvage.py: what a damaged file still holds, compared with the current file."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from core.maintenance.salvage import SalvageError, missing_records, normalise, salvage
from core.model import Record, Task, new_record
from core.storage.document import Document, encode

SEED = 20261125


def make_records(count: int) -> list[Record]:
    return [
        new_record(i, f"task number {i}", tags=["home"], description=f"details {i}")
        for i in range(1, count + 1)
    ]


def file_bytes(records: list[Record]) -> bytes:
    return encode(Document(records=records, next_id=len(records) + 1))


def uuids(records: list[Any]) -> set[str]:
    return {r["uuid"] for r in records}


def test_an_intact_file_gives_back_every_task() -> None:
    records = make_records(5)
    found = salvage(file_bytes(records), [])
    assert found.found == 5 and found.present == 0
    assert [c.record for c in found.missing] == records
    assert [c.old_id for c in found.missing] == [1, 2, 3, 4, 5]
    assert all(c.notes == () for c in found.missing)


def test_a_truncated_file_gives_back_every_task_before_the_cut() -> None:
    records = make_records(10)
    data = file_bytes(records)
    cut = data.index(b'"task number 8"')  # in the middle of the eighth task
    found = salvage(data[:cut], [])
    recovered = uuids([c.record for c in found.missing])
    assert uuids(records[:7]) <= recovered
    assert recovered <= uuids(records)  # nothing invented
    for c in found.missing:
        original = records[c.old_id - 1] if c.old_id else None
        assert original is not None and c.record == original


def test_a_flipped_byte_in_the_middle_loses_at_most_the_task_it_hit() -> None:
    records = make_records(12)
    data = bytearray(file_bytes(records))
    rng = random.Random(SEED)
    middle = len(data) // 2
    for pos in rng.sample(range(middle - 200, middle + 200), 40):
        damaged = bytearray(data)
        damaged[pos] ^= 0x55
        found = salvage(bytes(damaged), [])
        names = {c.record["name"] for c in found.missing}
        intact = {r["name"] for r in records}
        assert len(names & intact) >= len(records) - 1, pos
        assert all(Task.from_record({**c.record, "id": 1}) for c in found.missing)


def test_tasks_already_in_the_current_file_are_skipped() -> None:
    records = make_records(8)
    current = records[:5]
    found = salvage(file_bytes(records), current)
    assert found.found == 8 and found.present == 5
    assert uuids([c.record for c in found.missing]) == uuids(records[5:])


def test_a_task_whose_uuid_was_damaged_is_known_by_its_name_and_creation_time() -> None:
    records = make_records(3)
    data = file_bytes(records).replace(records[1]["uuid"].encode(), b"not-a-uuid-any-more")
    found = salvage(data, records)
    assert found.missing == [] and found.present == 3
    alone = salvage(data, [])  # with no current file it still comes back, with a new uuid
    damaged = next(c for c in alone.missing if c.old_id == 2)
    assert damaged.record["uuid"] != records[1]["uuid"]
    assert "uuid was damaged" in " ".join(damaged.notes)


def test_original_app_records_are_upgraded_like_a_legacy_load() -> None:
    legacy = [
        {"id": 1, "name": "water plants", "tag": "home", "priority": "1", "comment": None},
        {"id": 2, "name": "pay rent", "tag": None},
    ]
    found = salvage(json.dumps(legacy).encode()[:-5], [])  # cut inside the second record
    first = found.missing[0].record
    assert first["tags"] == ["home"] and first["priority"] == 1 and first["status"] == "pending"
    assert Task.from_record({**first, "id": 1}).comment == ""


def test_damaged_fields_are_reset_and_noted_and_unknown_fields_kept() -> None:
    raw = {
        "id": 4,
        "uuid": "3f8c9d5e-6a1b-4c2d-8e9f-0a1b2c3d4e5f",
        "name": "fix bike",
        "priority": "whenever",
        "tags": ["ok", 5, "two words", "ok"],
        "status": "dnoe",
        "completed": "2026-11-20T10:00:00Z",
        "due": "someday",
        "description": ["not", "text"],
        "project": {"name": "garage"},  # a field the model knows, damaged
        "area": {"name": "garage"},  # a field it does not know
    }
    candidate = normalise(raw)
    assert candidate is not None
    rec = candidate.record
    assert rec["priority"] == 2 and rec["tags"] == ["ok"] and rec["status"] == "done"
    assert rec["due"] is None and rec["description"] == ""
    assert "project" not in rec and rec["area"] == {"name": "garage"}
    notes = " ".join(candidate.notes)
    for field in ("priority", "status", "due", "description"):
        assert field in notes
    Task.from_record({**rec, "id": 1})


def test_objects_without_a_name_are_not_tasks() -> None:
    data = json.dumps({"tasks": [{"id": 1}, {"name": "   "}, {"name": 3}, "text", 5]}).encode()
    assert salvage(data, []).found == 0


def test_a_task_inside_an_unknown_field_of_a_task_is_not_a_second_task() -> None:
    rec = {**make_records(1)[0], "subtask": {"name": "inner"}}
    found = salvage(file_bytes([rec]), [])
    assert [c.record["name"] for c in found.missing] == ["task number 1"]


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x00\x00\x00",
        b"\xff\xfe\xfd garbage \x80",
        b"[" * 10_000,
        b'{"tasks": [' + b"[" * 5000 + b'{"name": "deep", "id": 1}',
        b"\xef\xbb\xbf" + json.dumps([{"id": 1, "name": "after a BOM"}]).encode(),
    ],
    ids=["empty", "nuls", "invalid-utf8", "deep-nesting", "deep-task", "bom"],
)
def test_hostile_bytes_give_a_result_or_a_salvage_error_never_a_crash(data: bytes) -> None:
    try:
        found = salvage(data, [])
    except SalvageError:
        return
    for c in found.missing:
        Task.from_record({**c.record, "id": 1})


def test_the_bom_does_not_hide_the_first_task() -> None:
    data = b"\xef\xbb\xbf" + json.dumps([{"id": 1, "name": "after a BOM"}]).encode()
    assert [c.record["name"] for c in salvage(data, []).missing] == ["after a BOM"]


def test_missing_records_skips_what_the_file_holds_by_uuid_or_by_name_and_creation() -> None:
    records = make_records(3)
    damaged_uuid = {**records[1], "uuid": "00000000-0000-4000-8000-000000000000"}
    assert missing_records(records, records[:1]) == records[1:]
    assert missing_records([damaged_uuid], records) == []
