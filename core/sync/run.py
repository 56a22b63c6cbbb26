"""One `sync`: fetch, merge in memory, write one `sync` transaction, commit, push (retried)."""

from __future__ import annotations

import os
from typing import Any

from core.errors import AppError
from core.journal import Journal
from core.model import Record
from core.state import AppState
from core.storage.document import Document
from core.sync import git, others
from core.sync.git import PUSH_TRIES, Repo, Sides, SyncError, SyncResult
from core.sync.gitstate import GitDirs, clear_stale, finish_merge, held_line, sync_lock
from core.sync.merge import Report


def sync(state: AppState, init_remote: str | None = None) -> SyncResult:
    """Sync the state's file with its repository's remote (first making one with `init_remote`)."""
    if init_remote is not None:
        repo = git.init(state.path, init_remote)
    else:
        found = git.find_repo(state.path)
        if found is None or not found.git("remote").split():
            raise NotSetUp(state.path)
        repo = found
    name = git.branch(repo)
    url = repo.git("remote", "get-url", git.REMOTE).strip()
    result = SyncResult(url, name, initialized=init_remote is not None)
    dirs = GitDirs.of(repo)
    with sync_lock(dirs, repo.root, state.files.lock_timeout):
        _clear_stale_locks(repo, dirs, name, result)
        new = _rounds(state, repo, name, result)
        if new is not None:
            result.notes = [n for n in (*result.notes, finish_merge(repo, dirs, new)) if n]
    return result


def _rounds(state: AppState, repo: Repo, name: str, result: SyncResult) -> str | None:
    """Fetch, merge, commit, push; again while another machine pushed meanwhile (bounded)."""
    for attempt in range(1, PUSH_TRIES + 1):
        result.tries = attempt
        sides = git.fetch(repo, name)
        files = others.plan(repo, sides)  # before the merge: a refusal leaves everything as it was
        _add(result, _merge_round(state, repo, sides))
        new = git.commit_merged(repo, name, sides, state.path, result.notes, files.tree)
        if new is not None:
            others.write_out(repo, new, files.changed)
        if new is None or new == sides.theirs or _pushed(repo, name, sides):
            return new
    raise SyncError(
        f"the remote kept changing while this sync merged ({PUSH_TRIES} tries); "
        "everything is kept here: run sync again"
    )


def _clear_stale_locks(repo: Repo, dirs: GitDirs, name: str, result: SyncResult) -> None:
    """Remove the lock files a killed git left; refuse (one line) while one the sync needs may
    still be held. A held index.lock does not stop the sync: it commits from its own index."""
    removed, kept = clear_stale(dirs.locks(name, git.REMOTE), repo.root)
    result.notes.extend(f"removed {p}, left by a git that was killed" for p in removed)
    for path, verdict in kept.items():
        if os.path.basename(path) != "index.lock":
            raise SyncError(held_line(path, verdict, repo.root))


def _pushed(repo: Repo, name: str, sides: Sides) -> bool:
    """Push; False when another machine pushed meanwhile (git says so as a rejection, or, when
    two pushes race on the remote's ref lock, by a plain failure while the ref has moved)."""
    try:
        return git.push(repo, name)
    except git.GitFailed:
        now = repo.git("ls-remote", git.REMOTE, f"refs/heads/{name}", check=False).split()
        if (now[0] if now else None) != sides.theirs:
            return False
        raise


class NotSetUp(AppError):
    def __init__(self, path: str) -> None:
        super().__init__(
            f"{path} is not synced yet: `sync --init REMOTE` (a git URL or a path) sets it up"
        )


def _merge_round(state: AppState, repo: Repo, sides: Sides) -> Report:
    """Merge the remote's version (if it has commits we do not) into the file, as one step."""
    head = git.read_version(repo, sides.head, "committed")
    theirs = git.read_version(repo, sides.theirs, "remote's") if sides.theirs_is_new(repo) else None
    base = git.read_version(repo, sides.base, "merge base's") if theirs is not None else None
    times = git.change_times(state.files.history.read().entries)

    def mutate(j: Journal) -> Report:
        records, next_id, report = git.merge_into(j.doc, head, base, theirs, times)
        _replace_all(j, records)
        j.doc.next_id = max(next_id, j.doc.next_id)
        return report

    return state.transact("sync", mutate)


def _replace_all(j: Journal, records: list[Any]) -> None:
    """Make the working document hold `records`, journaling each task that changed."""
    before = _by_uuid(j.doc.records)
    after = _by_uuid(records)
    for uuid in dict.fromkeys([*before, *after]):
        old, new = before.get(uuid), after.get(uuid)
        if old != new:
            j.touch(uuid, old, new)
    j.doc.records = records


def _by_uuid(records: list[Any]) -> dict[str, Record]:
    return {r["uuid"]: r for r in records if isinstance(r, dict) and isinstance(r.get("uuid"), str)}


def _add(result: SyncResult, report: Report) -> None:
    result.pulled += report.pulled
    result.pushed = report.pushed  # what the last round sends
    result.conflicts.extend(report.conflicts)
    result.revived.extend(report.revived)
    result.renumbered.extend(report.renumbered)
    result.duplicates.extend(report.duplicates)


def merge_files(
    base: bytes, ours: bytes, theirs: bytes, times: dict[tuple[str, str], str] | None = None
) -> tuple[bytes, Report]:
    """git's merge driver: the three versions' bytes to the merged file's bytes; `times` (this
    machine's history's change times) stamp our side's fields changed since the base."""
    from core.model import utc_now
    from core.storage.document import encode
    from core.sync.merge import merge, stamp

    docs = [
        _decode(data, what) for data, what in ((base, "base"), (ours, "ours"), (theirs, "theirs"))
    ]
    mine = stamp(docs[1].records, docs[0].records, times, utc_now()) if times else docs[1].records
    merged = merge(docs[0].records, mine, docs[2].records, max(docs[1].next_id, docs[2].next_id))
    out = docs[1].working_copy()
    out.records, out.next_id = merged.records, merged.next_id
    return encode(out), merged.report


def _decode(data: bytes, what: str) -> Document:
    from core.storage.document import NewerVersionError, UndecodableError, decode

    if not data.strip():
        return Document()
    try:
        return decode(data)
    except (UndecodableError, NewerVersionError) as e:
        raise SyncError(f"{what} is not a task file tasksafe can merge: {e}") from None
