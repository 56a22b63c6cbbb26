"""Urgency: one number that orders tasks for `next`, computed, never stored.

The formula is Taskwarrior 2.6's (`man taskrc`, "Urgency"; src/Task.cpp `urgency_*`): a sum of
terms, each a coefficient from `COEFFICIENTS` times a factor between 0 and 1:

- priority: 1 (high) counts as Taskwarrior's H, 2 (normal, the default) as M, 3 (low) as L. In
  Taskwarrior no priority scores 0, below L; here every task has one and low stays lowest;
- due: 1.0 from 7 days overdue, falling linearly to 0.2 at 14 days ahead, 0.2 beyond, 0 without a
  due; a date without a time counts as due at the end of that day, as `describe_due` treats it;
- active (started), scheduled (its scheduled time reached), waiting, blocked, blocking, project:
  1 when true;
- age: days since created / 365, at most 1;
- tags, annotations: 0.8 for one, 0.9 for two, 1.0 for three or more.
A done task's urgency is 0.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from msgspec import Struct

from core.dates import due_moment, wall_clock
from core.model import Task

# Taskwarrior 2.6's defaults (urgency.<term>.coefficient); priority: urgency.uda.priority.H/M/L.
COEFFICIENTS: dict[str, float] = {
    "priority.1": 6.0,
    "priority.2": 3.9,
    "priority.3": 1.8,
    "due": 12.0,
    "blocking": 8.0,
    "scheduled": 5.0,
    "active": 4.0,
    "age": 2.0,
    "annotations": 1.0,
    "tags": 1.0,
    "project": 1.0,
    "waiting": -3.0,
    "blocked": -5.0,
}
AGE_MAX_DAYS = 365.0  # urgency.age.max
OVERDUE_DAYS = 7.0  # the due factor is 1.0 from this many days overdue...
AHEAD_DAYS = 14.0  # ...down to 0.2 this many days ahead
_COUNT_FACTOR = {0: 0.0, 1: 0.8, 2: 0.9}  # tags and annotations; 3 or more: 1.0


def urgency(task: Task, now: datetime, blocking: bool = False, blocked: bool = False) -> float:
    """The task's urgency at `now` (local time); blocking/blocked come from `dependency_states`."""
    if not task.pending:
        return 0.0
    factors = {
        f"priority.{task.priority}": 1.0,
        "due": due_factor(task.due, now),
        "blocking": float(blocking),
        "scheduled": float(task.scheduled is not None and not task.is_scheduled_later(now)),
        "active": float(task.is_active),
        "age": age_factor(task.created, now),
        "annotations": _count_factor(len(task.annotations)),
        "tags": _count_factor(len(task.tags)),
        "project": float(task.project is not None),
        "waiting": float(task.is_waiting(now)),
        "blocked": float(blocked),
    }
    return round(sum(COEFFICIENTS.get(k, 0.0) * f for k, f in factors.items()), 4)


def due_factor(due: str | None, now: datetime) -> float:
    """0.2 (14 days or more ahead) .. 1.0 (7 days or more overdue), linear between; 0 no due."""
    if due is None:
        return 0.0
    moment = due_moment(due, now)
    if len(due) <= 10:
        moment += timedelta(days=1) - timedelta(minutes=1)
    overdue = (wall_clock(now) - moment).total_seconds() / 86400
    if overdue >= OVERDUE_DAYS:
        return 1.0
    if overdue >= -AHEAD_DAYS:
        return (overdue + AHEAD_DAYS) * 0.8 / (OVERDUE_DAYS + AHEAD_DAYS) + 0.2
    return 0.2


def age_factor(created: str | None, now: datetime) -> float:
    """Days since created over 365, at most 1; 0 for an unknown or unreadable creation time."""
    if not created:
        return 0.0
    try:
        born = datetime.fromisoformat(created.replace("Z", "+00:00"))
    except ValueError:
        return 0.0
    if born.tzinfo is None:
        return 0.0
    here = now if now.tzinfo is not None else now.astimezone()
    days = (here - born).total_seconds() / 86400
    return min(max(days, 0.0) / AGE_MAX_DAYS, 1.0)


def _count_factor(count: int) -> float:
    return _COUNT_FACTOR.get(count, 1.0)


class Dependencies(Struct, frozen=True):
    """Which tasks (by uuid) are blocked (an unfinished dependency) and which are blocking one."""

    blocked: frozenset[str]
    blocking: frozenset[str]

    def urgency(self, task: Task, now: datetime) -> float:
        return urgency(task, now, task.uuid in self.blocking, task.uuid in self.blocked)


def dependency_states(tasks: Iterable[Task]) -> Dependencies:
    """Blocked and blocking tasks in one pass over the tasks and their dependencies: O(n + deps).

    Only a pending task blocks; a dependency on a task no longer in the file blocks nothing. A
    done task is never blocked (it is finished), but it is counted as done for its dependents.
    """
    pending = [t for t in tasks if t.pending]
    open_uuids = {t.uuid for t in pending}
    blocked: set[str] = set()
    blocking: set[str] = set()
    for task in pending:
        for uuid in task.depends:
            if uuid in open_uuids:
                blocked.add(task.uuid)
                blocking.add(uuid)
    return Dependencies(frozenset(blocked), frozenset(blocking))
