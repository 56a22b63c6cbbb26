"""The repository's other files: what a sync does to the files beside the data file.

Only the data file is tasksafe's to merge, but it may live in a repository that holds more (a
notes file, a dotfiles repository: `sync --init` uses the work tree the file is in). A sync's
commit takes the remote's changes to those files as `git pull` would, by a three-way merge of
the trees (`git merge-tree`, git 2.38 or newer), and writes them into the work tree, so a sync
never quietly undoes another machine's change to them. It refuses, with one line and before
anything is merged or written, where `git pull` would stop too: both machines changed the same
file in ways git cannot merge, or a file the remote changed has uncommitted changes here.
`.gitignore` and `.gitattributes` are tasksafe's settings for the data file: this machine's
are kept (core.sync.git._tree_with).
"""

from __future__ import annotations

import os
import tempfile
from contextlib import suppress
from typing import TYPE_CHECKING

from msgspec import Struct

from core.sync.git import EMPTY_TREE, SyncError

if TYPE_CHECKING:
    from core.sync.git import Repo, Sides

KEPT_OURS = (".gitignore", ".gitattributes")


class Others(Struct, frozen=True):
    """The tree the sync's commit starts from, and the other files it changes against HEAD."""

    tree: str | None  # None: no commit on either side yet
    changed: tuple[str, ...] = ()


def plan(repo: Repo, sides: Sides) -> Others:
    """What the other files become in this round; SyncError (nothing done yet) where git stops."""
    head_tree = _tree(repo, sides.head)
    if sides.theirs is None or not sides.theirs_is_new(repo):
        return Others(head_tree)
    if sides.head is None or sides.base == sides.head:
        target = _tree(repo, sides.theirs)  # nothing of ours since: the remote's files as they are
    else:
        target = _merged_tree(repo, sides.head, sides.theirs)
    changed = tuple(p for p in _changed(repo, head_tree, target) if p not in _ours(repo))
    _refuse_local_changes(repo, sides.head, target, changed)
    return Others(target, changed)


def write_out(repo: Repo, commit: str, paths: tuple[str, ...]) -> None:
    """Write the commit's version of `paths` into the work tree (checked clean by plan)."""
    if not paths:
        return
    present = set(repo.git("ls-tree", "-r", "--name-only", "-z", commit, "--", *paths).split("\0"))
    with tempfile.TemporaryDirectory(prefix="tasksafe-sync-") as tmp:
        # An index of its own: git's may be locked by a git running by hand (refresh_index).
        env = {"GIT_INDEX_FILE": os.path.join(tmp, "index")}
        repo.git("read-tree", commit, env=env)
        kept = [p for p in paths if p in present]
        if kept:
            repo.git("checkout-index", "-f", "--", *kept, env=env)
    for path in paths:
        if path not in present:
            with suppress(FileNotFoundError):
                os.unlink(os.path.join(repo.root, path))


def _ours(repo: Repo) -> tuple[str, ...]:
    return (repo.rel, *KEPT_OURS)


def _tree(repo: Repo, commit: str | None) -> str | None:
    return repo.git("rev-parse", f"{commit}^{{tree}}").strip() if commit else None


def _merged_tree(repo: Repo, head: str, theirs: str) -> str:
    """The two commits' trees merged by git; SyncError when another file conflicts."""
    # The data file is merged by tasksafe itself, under the lock: its driver (which would
    # print its report into merge-tree's answer) is not run here; `true` keeps our side.
    out = repo.git(
        *("-c", "merge.tasksafe.driver=true", "merge-tree", "--write-tree", "--name-only"),
        *("--no-messages", head, theirs),
        check=False,
    )
    lines = out.splitlines()
    if not lines or len(lines[0]) < 40:
        raise SyncError(
            "git could not merge the repository's other files (sync needs git 2.38 or newer "
            "when the repository holds more than the data file): merge with git pull, then sync"
        )
    conflicted = sorted({p for p in lines[1:] if p} - set(_ours(repo)))
    if conflicted:
        raise SyncError(
            f"this machine and the remote both changed {_named(conflicted)}, which git cannot "
            "merge: nothing was changed; merge with git pull, then sync"
        )
    return lines[0]


def _changed(repo: Repo, old: str | None, new: str | None) -> list[str]:
    if new is None or old == new:
        return []
    out = repo.git("diff-tree", "-r", "--name-only", "-z", "--no-renames", old or EMPTY_TREE, new)
    return [p for p in out.split("\0") if p]


def _refuse_local_changes(
    repo: Repo, head: str | None, target: str | None, paths: tuple[str, ...]
) -> None:
    """SyncError when a file the round would write differs here from HEAD's (or is untracked),
    unless it already is what the round would write."""
    committed, wanted = _blobs(repo, head, paths), _blobs(repo, target, paths)
    touched = []
    for path in paths:
        full = os.path.join(repo.root, path)
        here = repo.git("hash-object", "--", full).strip() if os.path.isfile(full) else None
        if here in (committed.get(path), wanted.get(path)):
            continue  # as committed here, or already as the remote has it
        touched.append(path)
    if touched:
        raise SyncError(
            f"the remote changed {_named(touched)}, which has changes here not committed: "
            "nothing was changed; commit or stash them (git stash), then sync"
        )


def _blobs(repo: Repo, commit: str | None, paths: tuple[str, ...]) -> dict[str, str]:
    if commit is None or not paths:
        return {}
    out = repo.git("ls-tree", "-r", "-z", commit, "--", *paths)
    found = {}
    for entry in out.split("\0"):
        if entry:
            meta, path = entry.split("\t", 1)
            found[path] = meta.split()[2]
    return found


def _named(paths: list[str]) -> str:
    shown = ", ".join(paths[:3])
    return shown + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
