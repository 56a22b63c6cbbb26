"""core.values: a value type's == and hash leave out the fields it names as bookkeeping."""

from __future__ import annotations

import pytest
from msgspec import Struct

from core.ai.proposal import ProposedTask
from core.config import Settings
from core.model import Task
from core.values import LeavesOut


class Noted(LeavesOut, Struct, frozen=True, eq=False):
    not_compared = ("note",)
    value: int
    note: str = ""


def test_the_left_out_field_does_not_count_the_others_do() -> None:
    assert Noted(1, "a") == Noted(1, "b") and hash(Noted(1, "a")) == hash(Noted(1, "b"))
    assert Noted(1) != Noted(2)
    assert Noted(1) != (1,)  # another type is never equal


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (Task(1, "u", "n", raw={"kept": 1}), Task(1, "u", "n")),
        (Settings("f", origins={"path": "flag"}), Settings("f")),
        (ProposedTask("x", due_text="fri"), ProposedTask("x", due_text="friday")),
    ],
)
def test_bookkeeping_is_not_part_of_the_value(a: object, b: object) -> None:
    assert a == b


def test_a_task_is_mutable_so_never_hashed() -> None:
    with pytest.raises(TypeError):
        hash(Task(1, "u", "n"))
