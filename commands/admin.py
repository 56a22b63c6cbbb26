"""The maintenance commands: undo, redo, search, backups, restore, doctor (and salvage), stats."""

from __future__ import annotations

import argparse
import os
import time
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from msgspec.structs import replace

from commands import filters
from commands.admin_results import (
    BackupList,
    DoctorReport,
    Replayed,
    Restored,
    RestoredAt,
    SalvageReport,
    Stats,
)
from commands.options import EVERY
from commands.registry import Context, arg, command
from commands.results import JsonOutput, Message, TaskTable
from core.errors import AppError, StorageError, UsageError
from core.maintenance.backups import (
    BackupFile,
    backup_files,
    find_backup,
    kept_copies,
    read_document,
    restore_edits,
)
from core.model import Task
from core.vocabulary import PRIORITY_LABELS

STATS_DAYS = 14
STATS_TAGS = 10
STATS_PROJECTS = 12
YES = arg("-y", "--yes", action="store_true", help="do not ask")


# --- undo / redo ---


STEP = arg("step", nargs="?", type=int, metavar="STEP", help="a step number from `log`")


@command(
    "undo",
    "take back a change: this window's last one, or (one-shot, or a new window) the file's "
    "newest step not undone yet; `undo STEP` takes back that step's fields only",
    STEP,
)
def undo(ctx: Context, args: argparse.Namespace) -> Any:
    entry = ctx.state.undo(args.step)
    return Replayed(entry.label, len(entry.edits))


@command("redo", "apply again what the last undo took back (or `redo STEP`)", STEP)
def redo(ctx: Context, args: argparse.Namespace) -> Any:
    entry = ctx.state.redo(args.step)
    return Replayed(entry.label, len(entry.edits), redo=True)


# --- search ---


@command(
    "search",
    "find tasks whose name, description, comment or tags contain TEXT (done ones too)",
    arg("text", nargs="+", metavar="TEXT", help="words to look for, as one phrase"),
    arg("--json", action="store_true", help="print the records exactly as stored, as JSON"),
    EVERY,
    aliases=("find",),
)
def search(ctx: Context, args: argparse.Namespace) -> Any:
    text = " ".join(args.text)
    everything = ctx.state.tasks
    found = filters.search(everything, text)
    if args.json:
        return JsonOutput([t.raw for t in found])
    done = sum(t.done for t in everything)
    again = ("search", *args.text)
    return TaskTable(
        found, f"search: {text}", len(everything) - done, done, args.every, again=again
    )


# --- backups and restore ---


@command(
    "backups",
    "list backups and quarantined damaged copies: age, tasks, whether valid",
)
def backups(ctx: Context, args: argparse.Namespace) -> Any:
    return BackupList(ctx.state.path, backup_files(ctx.state.files), time.time())


@command(
    "restore",
    "restore a backup, or the file as it was at a moment (--at), as one undoable change",
    arg(
        "name",
        nargs="?",
        metavar="NAME",
        help="a name `backups` shows: backup, backup.1, legacy, corrupt-…",
    ),
    arg(
        "--at",
        metavar="WHEN",
        help="`step 40`, `2 hours ago`, `yesterday 18:00`, `2026-11-30 18:00`: rebuilt from the history",
    ),
    YES,
)
def restore(ctx: Context, args: argparse.Namespace) -> Any:
    if (args.name is None) == (args.at is None):
        raise UsageError("restore NAME (a kept copy) or restore --at WHEN (a past moment)")
    if args.at is not None:
        return _restore_at(ctx, args.at, args.yes)
    copy = find_backup(ctx.state.files, args.name)
    if not copy.valid:
        raise AppError(
            f"{copy.short_name} {copy.problem}; `doctor --salvage {copy.short_name}` "
            "recovers the tasks it still holds"
        )
    backup = read_document(copy.path)
    current = ctx.state.snapshot.doc
    edits = restore_edits(current.records, backup.records)
    if not edits and current.records == backup.records and current.extra == backup.extra:
        return Message(f"the file already holds what {copy.short_name} holds; nothing to restore")
    gone = _removed(edits)
    leaving = [t for t in ctx.state.tasks if t.uuid in gone]
    if not args.yes and not ctx.confirm(_restore_question(ctx, copy, edits), leaving):
        return Message("nothing was restored")

    applied = ctx.state.restore_backup(backup, f"restore {copy.short_name}")
    return _restored(ctx, copy, applied)


def _restore_at(ctx: Context, when: str, yes: bool) -> Any:
    from core.timeline import parse_moment, step_at

    try:
        moment = parse_moment(when, ctx.now())
    except ValueError as e:
        raise UsageError(str(e)) from None
    entries = ctx.state.files.history.read().entries
    step = moment if isinstance(moment, int) else step_at(entries, moment)
    current = ctx.state.snapshot.doc
    if step >= current.step:
        return Message(f"the file already holds step {current.step}: nothing to restore")
    edits = restore_edits(current.records, ctx.state.state_at(step))
    gone = _removed(edits)
    back = sum(1 for _, before, _ in edits if before is None)
    question = (
        f"restore the file as it was after step {step}: {back} come back, {len(gone)} leave, "
        f"{len(edits) - back - len(gone)} change. Restore?"
    )
    leaving = [t for t in ctx.state.tasks if t.uuid in gone]
    if not edits:
        return Message(f"the tasks are as they were after step {step}; nothing to restore")
    if not yes and not ctx.confirm(question, leaving):
        return Message("nothing was restored")
    applied = ctx.state.restore_step(step)
    back = sum(1 for _, before, _ in applied if before is None)
    gone = _removed(applied)
    return RestoredAt(step, back, len(gone), len(applied) - back - len(gone), len(ctx.state.tasks))


def _removed(edits: Sequence[tuple[str, Any, Any]]) -> set[str]:
    return {uuid for uuid, _, after in edits if after is None}


def _restore_question(ctx: Context, copy: BackupFile, edits: Sequence[tuple[str, Any, Any]]) -> str:
    back = sum(1 for _, before, _ in edits if before is None)
    gone = len(_removed(edits))
    kept = (
        "the current version is kept as .backup"
        if ctx.state.files.backup_paths()
        else "the current version is NOT kept (TASKS_BACKUP_COUNT is 0)"
    )
    return (
        f"restore {copy.short_name} ({copy.tasks} tasks): {back} come back, "
        f"{gone} leave; {kept}. Restore?"
    )


def _restored(ctx: Context, copy: BackupFile, applied: Sequence[tuple[str, Any, Any]]) -> Restored:
    back = sum(1 for _, before, _ in applied if before is None)
    gone = len(_removed(applied))
    paths = ctx.state.files.backup_paths()
    return Restored(
        copy,
        brought_back=back,
        removed=gone,
        changed=len(applied) - back - gone,
        task_count=len(ctx.state.tasks),
        kept_as=paths[0] if paths else "",
    )


# --- doctor and salvage ---


@command(
    "doctor",
    "check the data file, its backups, the lock and the file system (writes nothing); "
    "--salvage recovers tasks from a damaged copy",
    arg(
        "--salvage",
        nargs="?",
        const="",
        default=None,
        metavar="FILE",
        help="add the tasks a damaged file still holds (default: the newest .corrupt-* copy)",
    ),
    YES,
)
def doctor(ctx: Context, args: argparse.Namespace) -> Any:
    if args.salvage is None:
        from core.maintenance.doctor import diagnose

        return DoctorReport(diagnose(ctx.state.files))
    return _salvage(ctx, args.salvage, args.yes)


def _salvage(ctx: Context, name: str, yes: bool) -> Any:
    from core.maintenance.salvage import SalvageError, missing_records, salvage

    source = _salvage_source(ctx, name)
    try:
        with open(source, "rb") as f:
            data = f.read()
        found = salvage(data, ctx.state.snapshot.doc.records)
    except OSError as e:
        raise StorageError(f"cannot read {source}: {e.strerror or e}") from e
    except SalvageError as e:
        raise AppError(f"{source}: {e}") from None
    report = SalvageReport(source, found.found, found.present, found.missing)
    if not found.missing:
        return report
    question = f"add these {len(found.missing)} task(s) from {os.path.basename(source)}?"
    if not yes and not ctx.confirm(question, [c.task() for c in found.missing]):
        return replace(report, declined=True)

    records = [c.record for c in found.missing]
    added = ctx.state.add_records(records, f"salvage {os.path.basename(source)}", missing_records)
    return replace(report, added=added)


def _salvage_source(ctx: Context, name: str) -> str:
    """The file to salvage: the one named, else the newest quarantined copy."""
    if name:
        return name if os.path.exists(name) else find_backup(ctx.state.files, name).path
    corrupt = [path for path, _, kind in kept_copies(ctx.state.files) if kind == "corrupt"]
    if not corrupt:
        raise UsageError(
            f"no quarantined .corrupt-* copy next to {ctx.state.path}; "
            "name the damaged file: doctor --salvage FILE"
        )
    return corrupt[0]


# --- stats ---


@command(
    "stats",
    "counts by status, priority and tag, pending tasks by project; tasks completed per day, "
    "last two weeks",
)
def stats(ctx: Context, args: argparse.Namespace) -> Any:
    return compute_stats(ctx.state.tasks, ctx.now())


def compute_stats(tasks: Sequence[Task], now: datetime) -> Stats:
    """The counts `stats` draws, from the valid tasks."""
    pending = sum(not t.done for t in tasks)
    priorities = Counter(t.priority for t in tasks)
    tags = Counter(tag for t in tasks for tag in t.tags).most_common()
    projects = _pending_by_project(tasks)
    return Stats(
        total=len(tasks),
        by_status=[("pending", pending), ("done", len(tasks) - pending)],
        by_priority=[(f"P{p} {name}", priorities[p]) for p, name in PRIORITY_LABELS.items()],
        by_tag=[(f"#{tag}", n) for tag, n in tags[:STATS_TAGS]],
        other_tags=max(0, len(tags) - STATS_TAGS),
        by_project=projects[:STATS_PROJECTS],
        other_projects=max(0, len(projects) - STATS_PROJECTS),
        completed_per_day=_completed_per_day(tasks, now.date()),
    )


def _pending_by_project(tasks: Sequence[Task]) -> list[tuple[str, int]]:
    """Pending tasks per project in name order (`home` before `home.garden`), as `list
    project:home` counts them: a project holds its sub-projects' tasks."""
    counts: Counter[str] = Counter()
    for task in tasks:
        if task.pending and task.project:
            parts = task.project.split(".")
            counts.update(".".join(parts[:n]) for n in range(1, len(parts) + 1))
    return sorted(counts.items())


def _completed_per_day(tasks: Sequence[Task], today: date) -> list[tuple[date, int]]:
    days = [today - timedelta(days=n) for n in range(STATS_DAYS - 1, -1, -1)]
    counts = Counter(d for t in tasks if t.done and (d := _local_date(t.completed)) is not None)
    return [(day, counts[day]) for day in days]


def _local_date(stamp: str | None) -> date | None:
    """The local calendar day of a stored UTC timestamp (`2026-11-25T23:50:12Z`)."""
    if not stamp:
        return None
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    return moment.astimezone().date() if moment.tzinfo else moment.date()
