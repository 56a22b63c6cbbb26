"""The data file as bytes and back: decode, check the envelope, encode.

msgspec decodes and encodes (exact for integers beyond 64 bits; 10k tasks indented in ~4 ms, json
with indent takes 41 ms). A process that lives (the REPL) encodes with orjson instead
(`use_orjson`: ~3x faster, but its import would cost a one-shot command ~8 ms). The stdlib json
module, imported only then, is the fallback both ways for what they refuse but JSON allows.

Both keep the last of two equal keys silently: a file with two "tasks" arrays (a bad hand edit or
merge) loaded the second only, and the next save deleted the first one's tasks (issue 16). So a
decode proves the text has no repeated key, in any object at any depth, cheaply (`_keys_unique`),
and a file that repeats one is damaged: recovered from a backup, or refused.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import msgspec
from msgspec import Struct, field

from core.model import FORMAT_NAME, FORMAT_VERSION, Record, legacy_to_record

_BOM = b"\xef\xbb\xbf"
_ENCODER = msgspec.json.Encoder()
_ENVELOPE_KEYS = ("format", "version", "next_id", "step", "tasks")


class UndecodableError(ValueError):
    """The bytes are not a tasksafe file; the message says why."""


class UnencodableError(ValueError):
    """The document holds something no JSON encoder here can write (e.g. absurdly deep nesting)."""


class NewerVersionError(ValueError):
    """The file was written by a newer tasksafe; reading it is fine, writing it is not."""


class Document(Struct):
    """The whole file: task records kept verbatim, plus what the envelope holds."""

    records: list[Any] = field(default_factory=list)
    next_id: int = 1
    extra: dict[str, Any] = field(default_factory=dict)  # envelope fields we do not know
    legacy: bool = False  # read from the original app's bare list; upgraded on the next write
    # Why saving would change the file behind the user's back (a number no float can hold), or None.
    unwritable: str | None = None
    # The newest history step this file holds (core/storage/history.py); 0 before the first.
    step: int = 0

    def ids(self) -> Iterator[int]:
        return (r["id"] for r in self.records if type(r) is dict and type(r.get("id")) is int)

    def allocate_id(self) -> int:
        """The next id, never reused: past both next_id and any id a hand edit added."""
        task_id = max(self.next_id, max(self.ids(), default=0) + 1)
        self.next_id = task_id + 1
        return task_id

    def find(self, task_id: int) -> Record | None:
        for rec in self.records:
            if isinstance(rec, dict) and rec.get("id") == task_id and type(rec["id"]) is int:
                return rec
        return None

    def working_copy(self) -> Document:
        """A copy for one transaction to change, sharing every record with this one.

        O(n) references, no record copied: a transaction replaces the records it changes and never
        edits one in place, so this document (the window's snapshot) stays as it was until the
        save succeeds. The copy is not legacy: it is written in the envelope format.
        """
        return Document(
            list(self.records), self.next_id, dict(self.extra), False, self.unwritable, self.step
        )


def loads(data: bytes) -> Any:
    return _loads(data, [])


def _loads(data: bytes, lossy: list[str], own: bool = False) -> Any:
    """Decode JSON; number literals no float can hold (1e400, NaN) are appended to `lossy`.

    `own`: the bytes are known to be tasksafe's own encoding (history.fingerprint), which repeats
    no key, so that is not proved again.
    """
    if data.startswith(_BOM):  # editors on Windows add one; it is not content
        data = data[len(_BOM) :]

    def number(text: str) -> float:
        value = float(text)
        if not math.isfinite(value):  # would be written back as null
            lossy.append(text)
        return value

    try:
        with gc_paused():
            value = msgspec.json.Decoder(float_hook=number).decode(data)
    except (msgspec.DecodeError, RecursionError, UnicodeDecodeError) as e:
        return _slow_loads(data, number, e)
    if not own and not _keys_unique(data, value):
        _refuse_repeated_keys(data.decode("utf-8"))
    return value


def _slow_loads(data: bytes, number: Callable[[str], float], fast_error: Exception) -> Any:
    """NaN, lone surrogate escapes and the like: JSON that msgspec refuses but Python reads."""
    import json

    try:
        text = data.decode("utf-8")
        value = json.loads(text, parse_float=number, parse_constant=number)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise UndecodableError(f"not valid JSON ({fast_error})") from None
    try:
        dumps(value)  # rare path: never accept a file that could not be saved again
    except UnencodableError:
        raise UndecodableError(f"nested too deeply to be saved again ({fast_error})") from None
    _refuse_repeated_keys(text)
    return value


def _keys_unique(data: bytes, value: Any) -> bool:
    """True only if no object in `data` repeats a key (False: the exact check decides).

    `value` holds every key the text holds unless one repeats. One encode of it (a fifth of
    the decode's time) proves there is none, either of two ways:
    - the encoding is `data` itself, as for every file tasksafe wrote: an encoded dict repeats no key;
    - or the colons agree. In JSON text every colon outside a string follows a key, and msgspec
      writes colons inside strings as they are, so the encoding holds as many colons as `data` unless
      a key (and any colons in its value) was dropped. An escaped colon (\\u003a) would spoil the
      count, so then the exact check decides.
    """
    again = _indented(value)
    if again is None:  # lone surrogates, nesting past Python's stack
        return False
    tail = len(data) - len(again)
    if tail in (0, 1) and data.startswith(again) and (tail == 0 or data.endswith(b"\n")):
        return True
    if b"\\u003a" in data or b"\\u003A" in data:
        return False
    return data.count(b":") == again.count(b":")


class _Repeated(dict[str, Any]):
    """What the exact check decodes an object that repeats `key` into."""

    key = ""


def _refuse_repeated_keys(text: str) -> None:
    """Raise UndecodableError naming the first repeated key and where it is, if one repeats."""
    import json

    try:
        value = json.loads(text, object_pairs_hook=_object)
    except RecursionError:
        raise UndecodableError("nested too deeply to check for duplicate keys") from None
    except ValueError as e:  # msgspec read it, json does not: the keys cannot be checked
        raise UndecodableError(f"not valid JSON ({e})") from None
    found = _first_repeated(value)
    if found is not None:
        key, where = found
        raise UndecodableError(f"duplicate key {_quoted(key)} in {where}")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    repeated = _Repeated(obj)
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            repeated.key = key
            break
        seen.add(key)
    return repeated


def _first_repeated(value: Any) -> tuple[str, str] | None:
    """(key, where) of the outermost, first object that repeats a key; a loop: nesting may be deep."""
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, _Repeated):
            return node.key, f"`{path}`" if path else "the envelope"
        if isinstance(node, dict):
            children = [(v, _member(path, k)) for k, v in node.items()]
        elif isinstance(node, list):
            children = [(v, f"{path}[{i}]") for i, v in enumerate(node)]
        else:
            continue
        stack.extend(reversed(children))
    return None


def _member(path: str, key: str) -> str:
    if not (key.isidentifier() and key.isascii()):
        return f"{path}[{_quoted(key)}]"
    return f"{path}.{key}" if path else key


def _quoted(key: str) -> str:
    """A key as JSON text, in ASCII and short: it goes into a one-line message."""
    import json

    text = json.dumps(key)
    return text if len(text) <= 40 else text[:36] + '..."'


@contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic GC paused while a whole file's records are built: they are acyclic, yet the GC
    would scan them again and again as they pile up (a third of the decode time at 100k tasks,
    two thirds of turning them into Tasks)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


_orjson: Any = None  # set by use_orjson(): the encoder of a process that lives


def use_orjson() -> None:
    """Encode with orjson from now on: for a process that lives (the REPL, a script of commands).

    orjson writes the same indented JSON ~3x faster than msgspec (0.13 against 0.45 ms at 1k
    tasks, 1.6 against 4.3 ms at 10k: a tenth of an add that several windows make at once), but
    its import (dataclasses, inspect: ~8 ms) would be a sixth of a one-shot command, which keeps
    msgspec. The two write tasksafe's records byte for byte alike; they differ only in a float's
    exponent (`1e+16`, `1e16`), which either reads, and what orjson refuses (integers beyond 64
    bits, deep nesting) msgspec still writes.
    """
    global _orjson
    import orjson

    _orjson = orjson


def _indented(value: Any) -> bytes | None:
    """JSON indented by two spaces, or None where neither encoder can write it."""
    if _orjson is not None:
        try:
            return bytes(_orjson.dumps(value, option=_orjson.OPT_INDENT_2))
        except (_orjson.JSONEncodeError, TypeError):
            pass
    try:
        return msgspec.json.format(_ENCODER.encode(value), indent=2)
    except (TypeError, ValueError, RecursionError):  # lone surrogates, deep nesting
        return None


def dumps(value: Any) -> bytes:
    """JSON indented by two spaces; raise UnencodableError if even the stdlib cannot write it."""
    fast = _indented(value)
    if fast is not None:
        return fast + b"\n"
    import json

    try:
        # Lone surrogates (escaped), nesting msgspec refuses.
        return json.dumps(value, indent=2, ensure_ascii=True).encode("ascii") + b"\n"
    except (ValueError, RecursionError) as e:
        raise UnencodableError(f"the data cannot be written as JSON ({type(e).__name__})") from None


def decode(data: bytes, own: bool = False) -> Document:
    """Bytes to a Document; raise UndecodableError if they are not a tasksafe file.

    `own`: they are known to be what tasksafe wrote (see _loads).
    """
    if not data or data.isspace():  # isspace stops at the first other byte; strip copies
        raise UndecodableError("the file is empty")
    lossy: list[str] = []
    value = _loads(data, lossy, own)
    if isinstance(value, list):
        doc = Document(records=[legacy_to_record(r) for r in value], legacy=True)
    elif isinstance(value, dict):
        doc = _from_envelope(value)
    else:
        raise UndecodableError(f"expected an object or a list, found {type(value).__name__}")
    if lossy:
        doc.unwritable = (
            f"it holds {', '.join(lossy[:3])}, a number JSON tools cannot keep; "
            "saving would change it, so fix it by hand first"
        )
    return doc


def _from_envelope(value: dict[str, Any]) -> Document:
    if value.get("format") != FORMAT_NAME:
        raise UndecodableError(f"not a tasksafe file (format is {value.get('format')!r:.40})")
    version = value.get("version")
    if type(version) is not int or version < 1:
        raise UndecodableError(f"version must be a positive integer, not {version!r:.40}")
    if version > FORMAT_VERSION:
        raise NewerVersionError(
            f"written by a newer tasksafe (file format {version}; this one knows {FORMAT_VERSION})"
        )
    records = value.get("tasks")
    if not isinstance(records, list):
        raise UndecodableError("`tasks` must be a list")
    next_id = value.get("next_id", 1)
    if type(next_id) is not int or next_id < 1:
        raise UndecodableError(f"next_id must be a positive integer, not {next_id!r:.40}")
    step = value.get("step", 0)
    if type(step) is not int or step < 0:
        raise UndecodableError(f"step must be a whole number, not {step!r:.40}")
    extra = {k: v for k, v in value.items() if k not in _ENVELOPE_KEYS}
    return Document(records=records, next_id=next_id, extra=extra, step=step)


def encode(doc: Document) -> bytes:
    if doc.unwritable:
        raise UnencodableError(doc.unwritable)
    envelope: dict[str, Any] = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "next_id": doc.next_id,
    }
    if doc.step:
        envelope["step"] = doc.step
    envelope.update(doc.extra)
    envelope["tasks"] = doc.records
    return dumps(envelope)
