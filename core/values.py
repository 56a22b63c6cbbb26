"""What value types share: equality that leaves out a field that is not part of the value.

Value types are msgspec Structs (CLAUDE.md, Conventions). A Struct compares every field; where one
is bookkeeping beside the value (the stored record a Task was read from, where each setting came
from, a model's own date words), the type takes `LeavesOut` as its first base, says `eq=False`
and names the field in `not_compared`.
"""

from __future__ import annotations

from typing import ClassVar


class LeavesOut:
    """`==` and hash over a Struct's fields but those in `not_compared`."""

    __slots__ = ()
    not_compared: ClassVar[tuple[str, ...]] = ()

    def compared(self) -> tuple[object, ...]:
        fields: tuple[str, ...] = getattr(type(self), "__struct_fields__", ())
        return tuple(getattr(self, f) for f in fields if f not in self.not_compared)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, LeavesOut)
        return self.compared() == other.compared()

    def __hash__(self) -> int:
        return hash(self.compared())
