"""A writer for the chaos test, which SIGKILLs it at random; it leaves a trail saying where it was.

    python chaos_worker.py WHERE state PATH NAME     add tasks through AppState until killed
    python chaos_worker.py WHERE cli ARGS...         run main.py ARGS once: the real program

A `state` worker prints `id uuid name` for each task only after add_task returned, i.e. once it
is durable: every printed line is an acknowledged task the file must keep (the CLI prints the id);
`edit ID SEQ` likewise for the edit that set task ID's comment to `edit SEQ`.

Both append one letter to the file WHERE at each boundary of a transaction, so the test can tell
where each kill landed by the last letter: `T` entering AppState.transact, `S` about to create the
temp file (the save begins), `s` the directory fsynced after it (the save is durable), `t` leaving
transact. Each letter is one write(2) to an O_APPEND file: a SIGKILL cannot leave half of one.
"""

from __future__ import annotations

import functools
import os
import runpy
import sys
from collections.abc import Callable
from typing import Any

from core.state import AppState
from core.storage.fsops import FileOps
from tests.helpers import MAIN

# The last letter of a trail -> where the writer was when it died.
WHERE = {
    "S": "inside a save",
    "T": "in a transaction before or after its save",
    "s": "in a transaction before or after its save",
}
OUTSIDE = "outside any transaction"  # start-up, between adds, printing, exiting


def where_it_died(trail: str) -> str:
    """Where a writer was, from its trail: inside a save, elsewhere in a transaction, or outside."""
    return WHERE.get(trail[-1:], OUTSIDE)


def leave_a_trail(path: str) -> None:
    """Wrap AppState.transact and the save's first and last file-system steps to write letters."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    saving = False

    def say(letter: bytes) -> None:
        os.write(fd, letter)

    def around(method: Callable[..., Any], before: bytes, after: bytes) -> Callable[..., Any]:
        @functools.wraps(method)
        def marked(*args: Any, **kwargs: Any) -> Any:
            say(before)
            try:
                return method(*args, **kwargs)
            finally:
                say(after)

        return marked

    create, fsync_dir = FileOps.create, FileOps.fsync_dir

    def marked_create(self: FileOps, path: str) -> int:
        nonlocal saving
        say(b"S")  # before the temp exists: a kill from here on is inside the save
        saving = True
        return create(self, path)

    def marked_fsync_dir(self: FileOps, path: str) -> None:
        nonlocal saving
        fsync_dir(self, path)
        if saving:  # the directory fsync after the replace; recovery's earlier one is not the end
            saving = False
            say(b"s")

    AppState.transact = around(AppState.transact, b"T", b"t")  # type: ignore[method-assign]
    FileOps.create = marked_create  # type: ignore[method-assign]
    FileOps.fsync_dir = marked_fsync_dir  # type: ignore[method-assign]


def add_until_killed(path: str, name: str) -> int:
    """Add tasks, and every third time edit an earlier one of its own: `edit ID SEQ` is printed
    once the edit is durable, as an add's line is (edits must survive as adds do)."""
    state = AppState(path, lock_timeout=120)
    mine: list[int] = []
    for seq in range(1, 1_000_000):
        task = state.add_task(f"{name}-{seq}")
        print(task.id, task.uuid, task.name, flush=True)
        mine.append(task.id)
        if seq % 3 == 0:
            state.update_task(mine[-3], comment=f"edit {seq}")
            print("edit", mine[-3], seq, flush=True)
    return 0


def main() -> int:
    trail, kind, *args = sys.argv[1:]
    leave_a_trail(trail)
    if kind == "state":
        return add_until_killed(*args)
    sys.argv = [MAIN, *args]
    runpy.run_path(MAIN, run_name="__main__")  # main.py ends with sys.exit(its exit code)
    return 0


if __name__ == "__main__":
    sys.exit(main())
