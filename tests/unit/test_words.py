"""commands.words: attribute words joined with add's options, and said back for a confirmation."""

from __future__ import annotations

from datetime import datetime

import pytest

from commands.words import (
    add_fields,
    day_label,
    entry_parts,
    modification,
    option_tags,
    read_entry,
    when_label,
)
from core.errors import InvalidValueError

NOW = datetime(2026, 12, 1, 10, 0)  # a Tuesday


def test_dates_are_said_with_their_weekday_and_relative_words() -> None:
    assert day_label("2026-12-02") == "Wed 2026-12-02"
    assert day_label("2026-12-04T18:00") == "Fri 2026-12-04 18:00"
    assert when_label("2026-12-02", NOW) == "tomorrow (Wed 2026-12-02)"
    assert when_label("2026-12-07", NOW, day_first=True) == "Mon 2026-12-07 (in 6 days)"
    assert when_label("2027-06-01", NOW) == "Tue 2027-06-01"  # far: the date once


def test_the_parts_come_in_one_order_whatever_order_they_were_typed_in() -> None:
    entry = read_entry(["buy", "cheese", "tomorrow", "#errands", "p1"], NOW)
    assert entry_parts(entry, NOW) == ("p1", "#errands", "due tomorrow (Wed 2026-12-02)")
    other = read_entry(["buy", "cheese", "p1", "#errands", "due:tomorrow"], NOW)
    assert entry_parts(other, NOW) == entry_parts(entry, NOW)


def test_every_attribute_has_words_for_it() -> None:
    words = (
        "x pro:home wait:mon sched:fri due:fri until:2027-01-01 recur:weekly depends:3,5 parent:2"
    )
    assert entry_parts(read_entry(words.split(), NOW), NOW) == (
        "project home",
        "due in 3 days (Fri 2026-12-04)",
        "waits until Mon 2026-12-07 (in 6 days)",
        "scheduled Fri 2026-12-04 (in 3 days)",
        "until Fri 2027-01-01 (in 4 weeks)",
        "recurs weekly",
        "depends on 3, 5",
        "subtask of 2",
    )
    cleared = read_entry(
        ["project:", "due:", "depends:", "depends:4", "depends:-6", "-old"], NOW, "modify"
    )
    assert entry_parts(cleared, NOW) == (
        "-#old",
        "no project",
        "no due",
        "no dependencies",
        "depends on 4",
        "no longer depends on 6",
    )


def test_a_word_that_cannot_be_read_is_an_invalid_value_naming_it() -> None:
    with pytest.raises(InvalidValueError, match="due:frid — not a date; try ") as exc:
        read_entry(["x", "due:frid"], NOW)
    assert exc.value.exit_code == 1


def test_add_fields_join_the_words_with_the_options() -> None:
    entry = read_entry(["pay", "rent", "#Home", "due:fri", "recur:monthly", "depends:3"], NOW)
    fields = add_fields(entry, ["home", "bills"], "desc", "note")
    assert fields == {
        "name": "pay rent",
        "priority": 2,
        "tags": ["Home", "bills"],  # home is Home: tags match without case
        "description": "desc",
        "comment": "note",
        "due": "2026-12-04",
        "recur": "monthly",
        "depends": [3],
    }


def test_option_tags_split_on_commas_and_follow_the_tag_rule() -> None:
    assert option_tags(["a,b", "c", "a"]) == ["a", "b", "c"]
    with pytest.raises(InvalidValueError, match="one word"):
        option_tags(["two words"])


def test_a_modification_adds_and_removes_or_replaces_dependencies() -> None:
    some = modification(read_entry(["depends:3", "depends:-4", "+x", "-y", "p1"], NOW, "modify"))
    assert (some.changes, some.add_depends, some.remove_depends) == ({"priority": 1}, (3,), (4,))
    assert (some.add_tags, some.remove_tags) == (("x",), ("y",))
    replaced = modification(read_entry(["depends:", "depends:5", "parent:"], NOW, "modify"))
    assert replaced.changes == {"depends": [5], "parent": None}
    assert (replaced.add_depends, replaced.remove_depends) == ((), ())
    assert not modification(read_entry([], NOW, "modify"))
