"""The pure three-way merge (core/sync/merge.py): each rule, ids, times, convergence."""

from __future__ import annotations

import random
from typing import Any

from core.sync.merge import FIELD_TIMES, merge, stamp


def rec(uuid: str, task_id: int, name: str = "x", **fields: Any) -> dict[str, Any]:
    return {"id": task_id, "uuid": uuid, "name": name, "tags": [], "status": "pending", **fields}


def at(r: dict[str, Any], **times: str) -> dict[str, Any]:
    return {**r, FIELD_TIMES: times}


def by_uuid(records: list[Any]) -> dict[str, Any]:
    return {r["uuid"]: r for r in records}


def same_tasks(a: list[Any], b: list[Any]) -> bool:
    """The same tasks, field by field, ids aside (each machine renumbers its own additions)."""

    def tasks(records: list[Any]) -> dict[str, Any]:
        return {r["uuid"]: {**r, "id": 0, "tags": sorted(r["tags"])} for r in records}

    return tasks(a) == tasks(b)


def test_a_field_changed_on_one_side_takes_that_change() -> None:
    base = [rec("a", 1, priority=2, due=None)]
    ours = [rec("a", 1, priority=1, due=None)]
    theirs = [rec("a", 1, priority=2, due="2026-12-24")]
    out = merge(base, ours, theirs)
    task = by_uuid(out.records)["a"]
    assert (task["priority"], task["due"]) == (1, "2026-12-24")
    assert out.report.conflicts == []


def test_both_sides_change_a_field_the_later_wins_and_the_other_is_reported() -> None:
    base = [rec("a", 1, "old")]
    ours = [at(rec("a", 1, "mine"), name="2026-12-01T10:00:00Z")]
    theirs = [at(rec("a", 1, "theirs"), name="2026-12-01T11:00:00Z")]
    out = merge(base, ours, theirs)
    assert by_uuid(out.records)["a"]["name"] == "theirs"
    (c,) = out.report.conflicts
    assert (c.field, c.kept, c.other, c.kept_side) == ("name", "theirs", "mine", "remote")
    out2 = merge(base, theirs, ours)  # the other machine picks the same winner
    assert by_uuid(out2.records)["a"]["name"] == "theirs"
    assert out2.report.conflicts[0].kept_side == "local"


def test_equal_times_pick_the_same_winner_on_both_machines() -> None:
    base = [rec("a", 1, "old")]
    ours, theirs = [rec("a", 1, "b-value")], [rec("a", 1, "a-value")]
    one = by_uuid(merge(base, ours, theirs).records)["a"]["name"]
    two = by_uuid(merge(base, theirs, ours).records)["a"]["name"]
    assert one == two


def test_without_field_times_modified_orders_the_change() -> None:
    base = [rec("a", 1, "old")]
    ours = [rec("a", 1, "mine", modified="2026-12-01T12:00:00Z")]
    theirs = [rec("a", 1, "theirs", modified="2026-12-01T09:00:00Z")]
    out = merge(base, ours, theirs)
    assert by_uuid(out.records)["a"]["name"] == "mine"
    assert out.report.conflicts[0].other == "theirs"


def test_tags_merge_as_sets() -> None:
    base = [rec("a", 1, tags=["home", "old"])]
    ours = [rec("a", 1, tags=["home", "old", "urgent"])]
    theirs = [rec("a", 1, tags=["home", "errands"])]
    out = merge(base, ours, theirs)
    assert sorted(by_uuid(out.records)["a"]["tags"]) == ["errands", "home", "urgent"]
    assert out.report.conflicts == []


def test_notes_added_on_both_sides_are_both_kept() -> None:
    note1, note2 = {"entry": "1", "text": "one"}, {"entry": "2", "text": "two"}
    out = merge(
        [rec("a", 1)], [rec("a", 1, annotations=[note1])], [rec("a", 1, annotations=[note2])]
    )
    assert by_uuid(out.records)["a"]["annotations"] == [note2, note1]


def test_edit_beats_delete_on_either_side() -> None:
    base = [rec("a", 1, "old")]
    out = merge(base, [], [rec("a", 1, "edited")])
    assert by_uuid(out.records)["a"]["name"] == "edited"
    assert out.report.revived[0].deleted_on == "local"
    out = merge(base, [rec("a", 1, "edited")], [])
    assert by_uuid(out.records)["a"]["name"] == "edited"
    assert out.report.revived[0].deleted_on == "remote"


def test_a_delete_of_an_untouched_task_is_taken() -> None:
    base = [rec("a", 1), rec("b", 2)]
    out = merge(base, [rec("b", 2)], base)
    assert list(by_uuid(out.records)) == ["b"]
    assert out.report.pushed == 1 and out.report.pulled == 0


def test_done_on_one_side_and_edited_on_the_other_is_done_with_the_edit() -> None:
    base = [rec("a", 1, "old")]
    ours = [rec("a", 1, "old", status="done", completed="2026-12-01T10:00:00Z")]
    theirs = [rec("a", 1, "renamed")]
    task = by_uuid(merge(base, ours, theirs).records)["a"]
    assert (task["status"], task["name"]) == ("done", "renamed")


def test_added_on_both_sides_both_kept_and_the_local_one_renumbered() -> None:
    base = [rec("a", 1)]
    ours = [rec("a", 1), rec("mine", 2, "buy milk")]
    theirs = [rec("a", 1), rec("theirs", 2, "call mum")]
    out = merge(base, ours, theirs, next_id=3)
    tasks = by_uuid(out.records)
    assert tasks["theirs"]["id"] == 2 and tasks["mine"]["id"] == 3
    (r,) = out.report.renumbered
    assert (r.name, r.old_id, r.new_id) == ("buy milk", 2, 3)
    assert out.next_id == 4
    assert len({t["id"] for t in out.records}) == 3


def test_unknown_fields_survive_and_merge_like_any_other() -> None:
    base = [rec("a", 1, x_custom=1)]
    ours = [rec("a", 1, x_custom=1, x_mine="m")]
    theirs = [rec("a", 1, x_custom=2)]
    task = by_uuid(merge(base, ours, theirs).records)["a"]
    assert (task["x_custom"], task["x_mine"]) == (2, "m")


def test_modified_is_bookkeeping_not_a_conflict() -> None:
    base = [rec("a", 1, modified="1")]
    ours = [rec("a", 1, modified="2", priority=1)]
    theirs = [rec("a", 1, modified="3", due="2026-12-24")]
    out = merge(base, ours, theirs)
    assert out.report.conflicts == []
    assert by_uuid(out.records)["a"]["modified"] == "3"


def test_nothing_changed_locally_gives_the_remote_exactly() -> None:
    base = [rec("a", 1)]
    theirs = [rec("b", 5), rec("a", 1, "new")]
    assert merge(base, base, theirs).records == theirs


def test_records_without_uuid_are_kept() -> None:
    out = merge([], [{"id": 9, "name": "broken"}], [])
    assert {"id": 9, "name": "broken"} in out.records
    assert out.report.invalid == 1


def test_stamp_times_each_changed_field_from_the_history() -> None:
    shared = [rec("a", 1, "old", modified="2026-12-01T08:00:00Z")]
    current = [rec("a", 1, "new", priority=1, modified="2026-12-01T09:00:00Z")]
    out = stamp(current, shared, {("a", "name"): "2026-12-01T08:30:00Z"}, "now")
    assert out[0][FIELD_TIMES] == {
        "name": "2026-12-01T08:30:00Z",
        "priority": "2026-12-01T09:00:00Z",
    }
    assert stamp(shared, shared, {}, "now")[0] is shared[0]


def test_random_merges_converge_and_lose_nothing_unreported() -> None:
    rng = random.Random(11)
    for _ in range(200):
        base = [rec(f"u{i}", i, f"n{i}", tags=["t"]) for i in range(1, 6)]
        sides = []
        for side in ("o", "t"):
            records = [dict(r) for r in base]
            for r in records:
                if rng.random() < 0.4:
                    r["name"] = f"{side}{rng.randint(0, 2)}"
                if rng.random() < 0.3:
                    r["tags"] = [*r["tags"], f"{side}tag"]
            records = [r for r in records if rng.random() > 0.1]
            records.append(rec(f"{side}new", 6, "added"))
            sides.append(records)
        one, two = merge(base, sides[0], sides[1], 7), merge(base, sides[1], sides[0], 7)
        assert same_tasks(one.records, two.records)
        merged = by_uuid(one.records)
        lost = {(c.uuid, c.field, c.other) for c in one.report.conflicts}
        for records in sides:
            for r in records:
                old = by_uuid(base).get(r["uuid"], {})
                if r == old:
                    continue  # untouched here: the other side's delete is taken
                got = merged[r["uuid"]]
                if r.get("name") != old.get("name"):
                    assert got["name"] == r["name"] or (r["uuid"], "name", r["name"]) in lost
                assert set(r["tags"]) - {"t"} <= set(got["tags"])
        assert len({r["id"] for r in one.records}) == len(one.records)


def test_a_recurring_task_completed_on_both_machines_has_one_next_occurrence() -> None:
    done = {"status": "done", "series": "s1", "due": "2026-12-01", "recur": "weekly"}
    base = [rec("a", 1, "water plants", series="s1", due="2026-12-01", recur="weekly")]
    nxt = {"series": "s1", "due": "2026-12-08", "recur": "weekly"}
    ours = [rec("a", 1, "water plants", **done), rec("mine", 2, "water plants", **nxt)]
    theirs = [rec("a", 1, "water plants", **done), rec("theirs", 2, "water plants", **nxt)]
    out = merge(base, ours, theirs, 3)
    assert [r["uuid"] for r in out.records] == ["a", "theirs"]
    assert [d.uuid for d in out.report.duplicates] == ["mine"]
