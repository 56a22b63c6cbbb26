"""import FILE|- and export [FILTER]: other programs' formats in and out (core/interop)."""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from typing import Any

from commands import filters
from commands.interop_results import Exported, ImportReport
from commands.registry import Context, arg, command
from core.errors import EXIT_ERROR, EXIT_USAGE, AppError, UsageError
from core.interop import EXPORTS, FORMATS, detect, read, write
from core.interop.plan import plan
from core.model import Task
from core.storage.fsops import DEFAULT_OPS, FileOps

MAX_INPUT = 512 * 1024 * 1024  # bytes: beyond this an input is not a task list


@command(
    "import",
    "bring tasks in from Taskwarrior JSON, todo.txt or iCalendar (shown first; one undo step)",
    arg("source", metavar="FILE", help="a file, a directory of .ics files (a vdir), or - (stdin)"),
    arg("--from", dest="fmt", choices=FORMATS, help="the format (default: detected)"),
    arg("-y", "--yes", action="store_true", help="import without asking (needed off a terminal)"),
    arg("-n", "--dry-run", action="store_true", help="only show what would be imported"),
    arg("--skip-invalid", action="store_true", help="import the valid records, leave bad ones out"),
)
def import_tasks(ctx: Context, args: argparse.Namespace) -> Any:
    data, is_dir = _read_source(args.source)
    fmt = args.fmt or ("ical" if is_dir else detect(data))
    parsed = read(data, fmt)
    found = plan(parsed, ctx.state.snapshot.doc.records)
    report = ImportReport(found, detected=args.fmt is None)
    if parsed.problems and not args.skip_invalid:
        return report.refused(
            f"nothing imported: {len(parsed.problems)} record(s) cannot be tasks "
            "(fix them, or --skip-invalid to import the rest)",
            EXIT_ERROR,
        )
    if not found.new and not found.updated:
        return report.done("nothing to import: every task is already there")
    if args.dry_run:
        return report.refused("nothing imported (--dry-run)", 0)
    if not args.yes:
        ctx.show(report)  # the whole plan (invalid lines, the new tasks) comes before the question
        report = report.shown_before()
        try:
            agreed = ctx.confirm(report.question(), [])
        except UsageError:
            return report.refused(
                "nothing imported: not on a terminal, so confirm with --yes", EXIT_USAGE
            )
        if not agreed:
            return report.refused("nothing imported", 0)
    added, updated = ctx.state.import_records(found.new, found.updated, f"import {fmt}")
    return report.done(f"imported: {len(added)} new, {len(updated)} updated", added, updated)


def _read_source(source: str) -> tuple[bytes, bool]:
    """The input's bytes; a directory is a vdir: its .ics files, in name order."""
    try:
        if source == "-":
            return sys.stdin.buffer.read(MAX_INPUT + 1), False
        if os.path.isdir(source):
            names = sorted(n for n in os.listdir(source) if n.lower().endswith(".ics"))
            if not names:
                raise AppError(f"{source} holds no .ics files")
            parts = [_read_file(os.path.join(source, n)) for n in names]
            return b"\r\n".join(parts), True
        return _read_file(source), False
    except OSError as e:
        raise AppError(f"cannot read {source}: {e.strerror or e}") from None


def _read_file(path: str) -> bytes:
    if os.path.getsize(path) > MAX_INPUT:
        raise AppError(f"{path} is larger than {MAX_INPUT // 2**20} MB: not a task list")
    with open(path, "rb") as f:
        return f.read()


@command(
    "export",
    "write tasks out: tasksafe JSON (default), Taskwarrior, todo.txt or iCalendar",
    arg("filters", nargs="*", metavar="FILTER", help="which tasks (default: all, done included)"),
    arg("--to", dest="fmt", choices=EXPORTS, default="json", help="the format (default: json)"),
    arg(
        "-o",
        "--output",
        metavar="FILE",
        help="write FILE atomically instead of stdout (a directory: a vdir of .ics files)",
    ),
    dash_words=True,
)
def export_tasks(ctx: Context, args: argparse.Namespace) -> Any:
    chosen = filters.select(ctx.state.tasks, args.filters, ctx.now(), True)
    chosen.sort(key=lambda t: t.id)
    if args.output is not None and os.path.isdir(args.output):
        return _export_vdir(chosen, args.fmt, args.output)
    data = write(chosen, args.fmt)
    if args.output is None:
        return Exported(len(chosen), args.fmt, None, data)
    try:
        write_atomically(args.output, data)
    except OSError as e:
        raise AppError(
            f"cannot write {args.output}: {e.strerror or e}; nothing was changed"
        ) from None
    return Exported(len(chosen), args.fmt, args.output, b"")


def _export_vdir(tasks: list[Task], fmt: str, folder: str) -> Exported:
    """A vdir (todoman, vdirsyncer): one `<uid>.ics` a task, each written atomically."""
    if fmt != "ical":
        raise UsageError(f"{folder} is a directory: only --to ical writes one (a vdir)")
    from core.interop.ical import file_name

    try:
        for task in tasks:
            write_atomically(os.path.join(folder, file_name(task)), write([task], fmt))
    except OSError as e:
        raise AppError(f"cannot write into {folder}: {e.strerror or e}") from None
    return Exported(len(tasks), fmt, folder, b"")


def write_atomically(path: str, data: bytes, ops: FileOps = DEFAULT_OPS) -> None:
    """Temp in the same directory, fsync, the mode of the file replaced, replace, fsync the dir."""
    real = os.path.realpath(path)
    folder = os.path.dirname(real) or "."
    tmp = os.path.join(
        folder, f".{os.path.basename(real)}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    )
    try:
        mode = os.stat(real).st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd = ops.create(tmp)
    try:
        try:
            ops.write(fd, data)
            ops.fchmod(fd, mode)
            ops.fsync(fd)
        finally:
            ops.close(fd)
        ops.replace(tmp, real)
    except BaseException:
        if os.path.exists(tmp):
            ops.unlink(tmp)
        raise
    ops.fsync_dir(folder)
