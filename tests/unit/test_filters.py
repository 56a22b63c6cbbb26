"""commands.filters: which tasks `list` shows, in what order, at a fixed now."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from commands.filters import (
    Targets,
    is_overdue,
    read_filter,
    search,
    select,
    sort_tasks,
    targets,
)
from core.errors import TaskNotFound, UsageError
from core.model import Task

NOW = datetime(2026, 11, 25, 12, 0)  # a Wednesday, noon


def make(task_id: int, **fields: Any) -> Task:
    return Task.from_record({"id": task_id, "uuid": f"u{task_id}", "name": f"t{task_id}", **fields})


TASKS = [
    make(1, tags=["work"], priority=2),
    make(2, tags=["home"], priority=1, due="2026-11-25"),  # due today
    make(3, tags=["work", "urgent"], priority=1, due="2026-11-24"),  # overdue
    make(4, status="done", tags=["work"], priority=1, due="2026-11-20"),  # done, so not overdue
    make(5, priority=3, due="2026-11-25T09:00"),  # overdue by three hours
    make(6, priority=2, due="2026-11-25T18:00"),  # later today
    make(7, priority=2, due="2026-12-01"),  # within the week
    make(8, priority=2, due="2026-12-10"),  # later
]


def ids(words: list[str], **kwargs: Any) -> list[int]:
    return [t.id for t in select(TASKS, words, NOW, **kwargs)]


def test_the_default_is_pending_tasks_in_order() -> None:
    assert ids([]) == [3, 2, 6, 7, 8, 1, 5]


def test_sort_order_is_pending_then_priority_then_due_then_id() -> None:
    same = [make(9, priority=2), make(3, priority=2), make(5, priority=2, due="2026-12-01")]
    done = make(1, priority=1, status="done")
    high = make(8, priority=1, due="2027-01-01")
    chosen = select([*same, done, high], ["all"], NOW)
    assert [t.id for t in chosen] == [8, 5, 3, 9, 1]


@pytest.mark.parametrize(
    ("words", "kwargs", "expected"),
    [
        (["all"], {}, [3, 2, 6, 7, 8, 1, 5, 4]),
        ([], {"include_done": True}, [3, 2, 6, 7, 8, 1, 5, 4]),
        (["done"], {}, [4]),
        (["DONE"], {}, [4]),
        (["pending"], {"include_done": True}, [3, 2, 6, 7, 8, 1, 5]),
        (["#work"], {}, [3, 1]),
        (["#work", "#urgent"], {}, [3]),
        ([], {"tag": "work"}, [3, 1]),
        ([], {"tag": "#work"}, [3, 1]),
        (["#work", "all"], {}, [3, 1, 4]),
        (["p1"], {}, [3, 2]),
        (["P3"], {}, [5]),
        ([], {"priority": 1}, [3, 2]),
        (["p1", "#home"], {}, [2]),
        (["overdue"], {}, [3, 5]),
        (["overdue", "all"], {}, [3, 5]),  # a done task is never overdue
        (["due:today"], {}, [3, 2, 6, 5]),  # due today or before
        (["due:week"], {}, [3, 2, 6, 7, 5]),
    ],
)
def test_select_filters(words: list[str], kwargs: dict[str, Any], expected: list[int]) -> None:
    assert ids(words, **kwargs) == expected


def test_overdue_compares_a_due_time_with_now() -> None:
    assert is_overdue(make(1, due="2026-11-25T11:59"), NOW)
    assert not is_overdue(make(1, due="2026-11-25T12:01"), NOW)
    assert not is_overdue(make(1, due="2026-11-25"), NOW)  # a date is due all day
    assert not is_overdue(make(1, due=None), NOW)


@pytest.mark.parametrize("word", ["p4", "#", "--all", "projct:home", "stat:done"])
def test_an_unknown_filter_is_a_usage_error_naming_it(word: str) -> None:
    with pytest.raises(UsageError, match=f"unknown filter {word!r}"):
        select(TASKS, [word], NOW)


def test_a_bad_value_is_a_usage_error_naming_the_word() -> None:
    with pytest.raises(UsageError, match=r"^due:frid — not a date; try "):
        select(TASKS, ["due:frid"], NOW)


@pytest.mark.parametrize(
    ("words", "kwargs", "expected"),
    [
        (["due:tomorrow"], {}, [3, 2, 6, 5]),  # once refused: now core.query's word
        (["t7"], {}, [7]),  # a free word searches the name
        (["#WORK"], {}, [3, 1]),  # tags match without case
        ([], {"tag": "Work"}, [3, 1]),
        (["#home", "or", "#urgent"], {}, [3, 2]),
        (["#work", "not", "#urgent"], {}, [1]),
        (["(#home", "or", "#urgent)", "p1"], {}, [3, 2]),
        (["4"], {}, [4]),  # an id names its task whatever its status
    ],
)
def test_select_speaks_the_query_language(
    words: list[str], kwargs: dict[str, Any], expected: list[int]
) -> None:
    assert ids(words, **kwargs) == expected


def test_select_hides_waiting_tasks_unless_asked() -> None:
    tasks = [make(1), make(2, wait="2026-12-01"), make(3, wait="2026-11-01")]
    assert [t.id for t in select(tasks, [], NOW)] == [1, 3]  # 3's wait is over
    assert [t.id for t in select(tasks, ["waiting"], NOW)] == [2]
    assert [t.id for t in select(tasks, [], NOW, include_done=True)] == [1, 2, 3]


def test_search_matches_any_text_field_case_insensitively() -> None:
    tasks = [
        make(1, name="Buy MILK"),
        make(2, name="x", description="whole milk please"),
        make(3, name="y", comment="no milk"),
        make(4, name="z", tags=["milkman"]),
        make(5, name="bread"),
    ]
    assert [t.id for t in search(tasks, "milk")] == [1, 2, 3, 4]
    assert [t.id for t in search(tasks, "MiLk")] == [1, 2, 3, 4]


def pick(tasks: list[Task], words: list[str]) -> Targets:
    """What done/delete/modify act on for these words."""
    return targets(read_filter(words, NOW), tasks, NOW)


def test_targets_by_ids_are_exact_and_any_status() -> None:
    found = pick(TASKS, ["4", "2-3", "2"])
    assert ([t.id for t in found.tasks], found.by_id) == ([4, 2, 3], True)
    with pytest.raises(TaskNotFound):
        pick(TASKS, ["2", "99"])


def test_targets_by_a_filter_are_pending_tasks_waiting_ones_too() -> None:
    tasks = [*TASKS, make(9, tags=["work"], wait="2026-12-20")]
    found = pick(tasks, ["+work"])
    assert ([t.id for t in found.tasks], found.by_id) == ([3, 1, 9], False)  # not 4: done
    assert [t.id for t in pick(tasks, ["+work", "status:done"]).tasks] == [4]
    with pytest.raises(UsageError, match="unknown filter"):
        pick(tasks, ["projct:x"])


def test_sort_orders() -> None:
    pending = [t for t in TASKS if t.pending]
    assert [t.id for t in sort_tasks(pending, "id", NOW, TASKS)] == [1, 2, 3, 5, 6, 7, 8]
    assert [t.id for t in sort_tasks(pending, "due", NOW, TASKS)] == [3, 2, 5, 6, 7, 8, 1]
    by_urgency = [t.id for t in sort_tasks(pending, "urgency", NOW, TASKS)]
    assert by_urgency[0] == 3 and by_urgency[-1] == 1  # overdue p1 first, no due last
