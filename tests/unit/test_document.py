"""core.storage.document: the file's bytes to a Document and back, and id allocation."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.model import Task
from core.storage.document import (
    Document,
    NewerVersionError,
    UndecodableError,
    decode,
    encode,
    loads,
)


def task(task_id: int, **extra: Any) -> dict[str, Any]:
    return {"id": task_id, "uuid": f"uuid-{task_id}", "name": f"task {task_id}", **extra}


def envelope(tasks: list[Any], **fields: Any) -> bytes:
    value = {"format": "tasksafe", "version": 1, "next_id": 1 + len(tasks), **fields}
    value["tasks"] = tasks
    return json.dumps(value).encode()


def test_decode_reads_the_envelope() -> None:
    doc = decode(envelope([task(1), task(2)], next_id=9))
    assert doc.next_id == 9
    assert doc.records == [task(1), task(2)]
    assert (doc.extra, doc.legacy) == ({}, False)


def test_decode_reads_a_legacy_bare_list_as_upgraded_records() -> None:
    legacy = [
        {"id": 1, "name": "a", "comment": "", "description": "", "priority": "1", "tag": "x"},
        {"id": 2, "name": "b", "comment": "", "description": "", "priority": 3, "tag": ""},
    ]
    doc = decode(json.dumps(legacy).encode())
    assert doc.legacy is True
    tasks = [Task.from_record(r) for r in doc.records]
    assert [(t.id, t.priority, t.tags) for t in tasks] == [(1, 1, ["x"]), (2, 3, [])]


def test_legacy_uuids_agree_across_two_loads_of_the_same_bytes() -> None:
    data = json.dumps([{"id": 1, "name": "a", "tag": ""}, {"id": 2, "name": "b"}]).encode()
    first, second = decode(data), decode(data)
    assert [r["uuid"] for r in first.records] == [r["uuid"] for r in second.records]


def test_encode_writes_the_envelope_and_the_records_as_they_are() -> None:
    doc = Document(records=[task(1)], next_id=4)
    value = json.loads(encode(doc))
    assert value == {"format": "tasksafe", "version": 1, "next_id": 4, "tasks": [task(1)]}


def test_a_legacy_document_encodes_in_the_current_format() -> None:
    doc = decode(json.dumps([{"id": 1, "name": "a", "tag": "x"}]).encode())
    again = decode(encode(doc))
    assert again.legacy is False
    assert again.records == doc.records


def test_unknown_envelope_and_task_fields_survive_a_round_trip() -> None:
    unknown_task = task(1, colour={"rgb": [1, 2, 3]}, links=["a", None, 2.5])
    data = envelope([unknown_task, "not even a record"], sync={"peer": "laptop"}, note="hi")
    again = json.loads(encode(decode(data)))
    assert again["sync"] == {"peer": "laptop"}
    assert again["note"] == "hi"
    assert again["tasks"] == [unknown_task, "not even a record"]


def test_a_byte_order_mark_is_accepted() -> None:
    doc = decode(b"\xef\xbb\xbf" + envelope([task(1)]))
    assert doc.records == [task(1)]


def test_non_ascii_text_survives_a_round_trip() -> None:
    rec = task(1, name="買い物 cafe\u0301 🎉 [bold]x[/]")
    assert decode(encode(decode(envelope([rec])))).records == [rec]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"  \n\t ", "empty"),
        (envelope([task(1)])[:-7], "not valid JSON"),  # a torn write
        (b'{"format": "tasksafe", "version": 1, "tasks": [{"name": "caf\xe9"}]}', "not valid JSON"),
        (b'{"format": "todo", "version": 1, "tasks": []}', "not a tasksafe file"),
        (b'{"tasks": []}', "not a tasksafe file"),
        (b'"just a string"', "expected an object or a list"),
        (b"42", "expected an object or a list"),
        (b'{"format": "tasksafe", "version": 1, "tasks": {"1": {}}}', "`tasks` must be a list"),
        (b'{"format": "tasksafe", "version": 1}', "`tasks` must be a list"),
        (b'{"format": "tasksafe", "version": "1", "tasks": []}', "version"),
        (b'{"format": "tasksafe", "version": 0, "tasks": []}', "version"),
        (b'{"format": "tasksafe", "version": 1, "next_id": 0, "tasks": []}', "next_id"),
        (b'{"format": "tasksafe", "version": 1, "next_id": "2", "tasks": []}', "next_id"),
    ],
)
def test_decode_refuses_what_is_not_a_tasksafe_file_saying_why(data: bytes, message: str) -> None:
    with pytest.raises(UndecodableError, match=message):
        decode(data)


def test_a_newer_version_raises_newer_version_error_naming_both_versions() -> None:
    with pytest.raises(NewerVersionError, match=r"file format 2; this one knows 1"):
        decode(b'{"format": "tasksafe", "version": 2, "tasks": []}')


def test_encode_writes_integers_beyond_64_bits_exactly() -> None:
    big = 2**70 + 1
    doc = Document(records=[task(1, estimate=big)], extra={"huge": -(10**30)})
    value = json.loads(encode(doc))
    assert value["tasks"][0]["estimate"] == big
    assert value["huge"] == -(10**30)


def test_64_bit_integers_survive_a_round_trip() -> None:
    data = envelope([task(1, low=-(2**63), high=2**64 - 1)])
    assert decode(encode(decode(data))).records == [task(1, low=-(2**63), high=2**64 - 1)]


def test_integers_beyond_64_bits_survive_a_round_trip() -> None:
    big = 2**70 + 1
    data = envelope([task(1, estimate=big, small=-(2**65))], huge=10**30)
    doc = decode(data)
    assert doc.records[0]["estimate"] == big
    out = encode(doc)
    assert str(big).encode() in out
    assert decode(out).records == doc.records
    assert decode(out).extra == {"huge": 10**30}


@pytest.mark.parametrize("depth", [2_000, 10_000])
def test_deep_nesting_raises_undecodable_error_not_recursion_error(depth: int) -> None:
    deep = "[" * depth + "]" * depth
    with pytest.raises(UndecodableError):
        decode(deep.encode())
    nested_in_task = envelope([]).replace(b'"tasks": []', b'"tasks": [' + deep.encode() + b"]")
    with pytest.raises(UndecodableError):
        decode(nested_in_task)


DEEP = "[" * 1_000 + "]" * 1_000


@pytest.mark.parametrize(
    "tasks",
    [
        pytest.param(
            f"[{DEEP}]",
            id="deep",
        ),
        pytest.param(
            '[{"id": 1, "uuid": "u", "name": "half \\ud83d emoji"}]',
            id="lone-surrogate",
        ),
        pytest.param(
            '[{"id": 1, "uuid": "u", "name": "x", "big": 18446744073709551615}]', id="u64"
        ),
    ],
)
def test_whatever_decodes_can_be_encoded_again(tasks: str) -> None:
    data = b'{"format": "tasksafe", "version": 1, "next_id": 2, "tasks": ' + tasks.encode() + b"}"
    try:
        doc = decode(data)
    except UndecodableError:
        return  # refused at load (then recovered or left as is): never loads yet cannot be saved
    assert decode(encode(doc)).records == doc.records


def test_allocate_id_continues_from_next_id() -> None:
    doc = decode(envelope([task(1), task(2)], next_id=5))
    assert [doc.allocate_id(), doc.allocate_id()] == [5, 6]
    assert doc.next_id == 7


def test_allocate_id_goes_past_an_id_a_hand_edit_added() -> None:
    doc = decode(envelope([task(1), task(40)], next_id=3))
    assert doc.allocate_id() == 41
    assert doc.allocate_id() == 42


def test_allocate_id_never_reuses_a_deleted_id() -> None:
    doc = Document()
    for _ in range(3):
        doc.records.append(task(doc.allocate_id()))
    doc.records.pop()  # delete the highest, 3
    assert doc.allocate_id() == 4
    reread = decode(encode(doc))
    reread.records.pop()
    assert reread.allocate_id() == 5  # next_id travels in the file


def test_allocate_id_on_a_legacy_list_goes_past_its_ids() -> None:
    doc = decode(json.dumps([{"id": 4, "name": "a"}, {"id": 2, "name": "b"}]).encode())
    assert doc.allocate_id() == 5


def test_ids_and_find_ignore_records_whose_id_is_not_an_integer() -> None:
    doc = Document(records=[{"id": True, "name": "bool"}, "junk", {"id": "1"}, task(1)])
    assert set(doc.ids()) == {1}
    assert doc.find(1) == task(1)
    assert doc.find(2) is None
    assert doc.allocate_id() == 2


# --- repeated keys: msgspec keeps the last one silently, so decode checks ---

TASKS_TWICE = (
    b'{"format": "tasksafe", "version": 1, "next_id": 3,\n'
    b' "tasks": [{"id": 1, "uuid": "u1", "name": "first array"}],\n'
    b' "tasks": [{"id": 2, "uuid": "u2", "name": "second array"}]}'
)


def test_two_tasks_arrays_are_damage_not_the_last_one_silently() -> None:
    """A bad hand edit or merge: loading only the second array would drop the first on save."""
    with pytest.raises(UndecodableError, match=r'^duplicate key "tasks" in the envelope$'):
        decode(TASKS_TWICE)


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ('{"id": 2, "uuid": "u2", "name": "old", "name": "new"}', r'"name" in `tasks\[1\]`'),
        ('{"id": 2, "uuid": "u2", "name": "b", "id": 7}', r'"id" in `tasks\[1\]`'),
        # The same key spelt two ways is still the same key.
        ('{"id": 2, "uuid": "u2", "name": "b", "\\u006eame": "c"}', r'"name" in `tasks\[1\]`'),
        # An escaped colon would hide a dropped key from a colon count: the exact check runs.
        ('{"id": 2, "uuid": "u2", "name": "a\\u003ab", "name": "c"}', r'"name" in `tasks\[1\]`'),
    ],
)
def test_a_record_that_repeats_a_key_is_damage_naming_it(record: str, message: str) -> None:
    data = b'{"format": "tasksafe", "version": 1, "tasks": [' + task_json(1) + b", "
    with pytest.raises(UndecodableError, match=rf"^duplicate key {message}$"):
        decode(data + record.encode() + b"]}")


def task_json(task_id: int) -> bytes:
    return json.dumps(task(task_id)).encode()


@pytest.mark.parametrize(
    ("field", "where"),
    [
        ('{"x": {"y": 1, "y": 2}}', r"`tasks\[0\]\.meta\.x`"),
        ('[{"a": 1}, {"b": 1, "b": 1}]', r"`tasks\[0\]\.meta\[1\]`"),
    ],
)
def test_a_repeated_key_at_any_depth_of_an_unknown_field_is_damage(field: str, where: str) -> None:
    """Unknown fields are kept verbatim on every save; one that repeats a key would not be."""
    data = b'{"format": "tasksafe", "version": 1, "tasks": [{"id": 1, "meta": ' + field.encode()
    with pytest.raises(UndecodableError, match=rf'^duplicate key "(y|b)" in {where}$'):
        decode(data + b"}]}")


def test_an_unknown_envelope_field_that_repeats_a_key_is_damage() -> None:
    data = b'{"format": "tasksafe", "version": 1, "sync": {"peer": "a", "peer": "b"}, "tasks": []}'
    with pytest.raises(UndecodableError, match=r'"peer" in `sync`'):
        decode(data)


def test_a_legacy_list_whose_record_repeats_a_key_is_damage() -> None:
    with pytest.raises(UndecodableError, match=r'"tag" in `\[1\]`'):
        decode(b'[{"id": 1, "name": "a"}, {"id": 2, "name": "b", "tag": "x", "tag": "y"}]')


@pytest.mark.parametrize(
    "tail",
    [
        b', "n": NaN, "n": 1}]}',  # msgspec refuses NaN: the stdlib fallback checks too
        b', "big": 123456789012345678901234567890, "big": 1}]}',  # beyond 64 bits
    ],
)
def test_repeated_keys_are_found_on_the_slower_paths_too(tail: bytes) -> None:
    data = b'{"format": "tasksafe", "version": 1, "tasks": [{"id": 1'
    with pytest.raises(UndecodableError, match=r'^duplicate key "(n|big)" in `tasks\[0\]`$'):
        decode(data + tail)


@pytest.mark.parametrize(
    "data",
    [
        envelope([task(1), task(2), task(3)]),  # the same keys in different records
        envelope([task(1, note="10:30", when="2026-12-01T10:30:00Z")]),  # colons in values
        envelope([task(1, **{"a:b": 1, ":": {"::": [":"]}})]),  # colons in keys
        envelope([task(1, name="a\u003ab")]).replace(b"a:b", b"a\\u003ab"),  # an escaped colon
        envelope([task(1, big=2**70), task(2, big=2**70)]),  # beyond 64 bits
        envelope([task(1, x={"y": 1}), task(2, x={"y": 2})]),  # nested, in different records
        json.dumps({"format": "tasksafe", "version": 1, "tasks": [task(1)]}, indent=4).encode(),
        b"\xef\xbb\xbf" + envelope([task(1)]),
    ],
)
def test_the_same_key_in_different_objects_is_no_repeat(data: bytes) -> None:
    doc = decode(data)
    assert doc.records == json.loads(data.removeprefix(b"\xef\xbb\xbf"))["tasks"]
    assert decode(encode(doc)).records == doc.records


KEYS = ["a", "b", "a:b", ":", "tasks"]


@st.composite
def json_text(draw: st.DrawFn, depth: int = 0) -> tuple[str, bool]:
    """JSON text with random spacing and escaped colons, and whether an object repeats a key."""
    space = draw(st.sampled_from(["", " ", "\n  "]))
    kind = draw(st.sampled_from(["scalar", "string", "list", "object"][: 4 if depth < 3 else 2]))
    if kind == "scalar":
        value = draw(st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70)))
        return json.dumps(value), False
    if kind == "string":
        return draw(json_string()), False
    items = [draw(json_text(depth + 1)) for _ in range(draw(st.integers(0, 3)))]
    repeated = any(r for _, r in items)
    if kind == "list":
        return "[" + f",{space}".join(t for t, _ in items) + "]", repeated
    keys = [draw(st.sampled_from(KEYS)) for _ in items]
    pairs = [
        f"{draw(json_string(k))}{space}:{space}{t}" for k, (t, _) in zip(keys, items, strict=True)
    ]
    return "{" + f",{space}".join(pairs) + "}", repeated or len(set(keys)) < len(keys)


@st.composite
def json_string(draw: st.DrawFn, text: str | None = None) -> str:
    if text is None:
        text = draw(st.text(alphabet='ab: "\\é', max_size=4))
    chars = ["\\u003a" if c == ":" and draw(st.booleans()) else json.dumps(c)[1:-1] for c in text]
    return '"' + "".join(chars) + '"'


@settings(max_examples=300, deadline=None)
@given(json_text())
def test_a_repeated_key_is_refused_exactly_when_an_object_repeats_one(
    case: tuple[str, bool],
) -> None:
    text, repeated = case
    if repeated:
        with pytest.raises(UndecodableError, match=r"^duplicate key "):
            loads(text.encode())
    else:
        assert loads(text.encode()) == json.loads(text)


def test_a_window_encodes_with_orjson_byte_for_byte_as_a_one_shot_command_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The REPL's encoder (use_orjson) and a one-shot command's (msgspec) write the same file, and
    what orjson refuses (an integer beyond 64 bits) is still written exactly."""
    import core.storage.document as document

    notes = [{"entry": "2026-12-01T10:00:00Z", "text": 'é ü \u2028 \x01 "quoted" a:b'}]
    records = [
        task(k, annotations=notes, depends=[], taskwarrior={"uda": {"n": 3.5}}) for k in (1, 2)
    ]
    doc = Document(records=records, next_id=3, extra={"kept": {"deep": [[], {}]}}, step=7)
    monkeypatch.setattr(document, "_orjson", None)
    one_shot = encode(doc)
    document.use_orjson()
    assert document._orjson is not None
    assert encode(doc) == one_shot
    big = Document(records=[task(1, estimate=2**70 + 1)])
    assert json.loads(encode(big))["tasks"][0]["estimate"] == 2**70 + 1
