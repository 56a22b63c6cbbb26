"""Sync across machines through git: `sync [--init REMOTE] [--json]` and `merge-driver`, which
`.gitattributes` makes git call for the data file (`%O %A %B`), so a plain `git pull` merges too."""

from __future__ import annotations

import argparse
from typing import Any

from msgspec import Struct, to_builtins

from commands.registry import Context, arg, command
from commands.results import JsonOutput
from core.errors import AppError
from core.sync.git import SyncError, SyncResult


class DriverResult(Struct, frozen=True):
    """What git's merge driver did: the report, or why it refused (exit 1: git sees a conflict)."""

    conflicts: int
    renumbered: int
    revived: int
    problem: str = ""

    @property
    def exit_code(self) -> int:
        return 1 if self.problem else 0


@command(
    "sync",
    "sync the task file through git: commit, fetch, merge per task and field, push",
    arg("--init", metavar="REMOTE", help="set up: the git remote (a URL or a path), then sync"),
    arg("--json", action="store_true", help="the report as JSON"),
)
def sync(ctx: Context, args: argparse.Namespace) -> Any:
    from core.sync.run import sync as run_sync

    result: SyncResult = run_sync(ctx.state, args.init)
    return JsonOutput(to_builtins(result)) if args.json else result


@command(
    "merge-driver",
    "git's merge driver for the data file (set up by sync --init): merges into OURS",
    arg("base", metavar="BASE"),
    arg("ours", metavar="OURS"),
    arg("theirs", metavar="THEIRS"),
    arg("path", nargs="?", metavar="PATH", help="the data file's path in the repository"),
)
def merge_driver(ctx: Context, args: argparse.Namespace) -> Any:
    from core.sync.run import merge_files

    try:
        base, ours, theirs = (_read(p) for p in (args.base, args.ours, args.theirs))
        data, report = merge_files(base, ours, theirs, _local_times(args.path))
    except (OSError, SyncError) as e:
        return DriverResult(0, 0, 0, problem=str(e))
    with open(args.ours, "wb") as f:  # git's temporary copy, never the data file itself
        f.write(data)
    return DriverResult(len(report.conflicts), len(report.renumbered), len(report.revived))


def _local_times(path: str | None) -> dict[tuple[str, str], str] | None:
    """This machine's change times from the data file's history (git runs the driver in the
    work tree's top directory, and `path` is the file's path there)."""
    if not path:
        return None
    from core.storage.history import parse
    from core.sync.git import change_times

    try:
        return change_times(parse(_read(path + ".history")).entries)
    except AppError:
        return None


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return b""
    except OSError as e:
        raise AppError(f"cannot read {path}: {e.strerror}") from None
