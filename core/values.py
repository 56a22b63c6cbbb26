"""What value types share: equality that leaves out a field that is not part of the value.

Value types are msgspec Structs (CLAUDE.md, Conventions). A Struct compares every field; where one
is bookkeeping beside the value (the stored record a Task was read from, where each setting came
from, a model's own date words), the type says `eq=False` and compares `fields_but(...)`.
"""

from __future__ import annotations

from msgspec import Struct


def fields_but(value: Struct, *left_out: str) -> tuple[object, ...]:
    """The value's fields in order, without those named: what its == and hash compare."""
    return tuple(getattr(value, f) for f in value.__struct_fields__ if f not in left_out)
