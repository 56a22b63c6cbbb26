"""What a killed git leaves in the repository, judged before a sync relies on it: lock files and
a merge in progress; and tasksafe's own sync lock.

git takes a lock by creating `<name>.lock` (O_EXCL) and removes it when done, also on SIGINT and
SIGTERM; SIGKILL, the OOM killer or a power cut leave it, and every later git refuses ("Unable
to create '.../index.lock': File exists"). The file does not say who made it, so a lock counts
as stale only when nothing could still hold it:
- it is older than STALE_AFTER seconds (git holds most locks for milliseconds);
- it belongs to this user, so any process that could have made it is visible here;
- no git process of this user runs in the repository (/proc: its working directory, or a file
  it has open, is inside it). `git commit` holds index.lock while its editor is open, for
  minutes: that git is alive in the repository, so its lock is kept.
Where this cannot be known (no /proc, another user's lock) the lock is kept: the sync says which
file it is and how to remove it. tasksafe's own syncs hold `tasksafe-sync.lock` in the git
directory for their whole run, so a second sync (the REPL's background one and a `sync` typed in
a shell) waits instead of racing the first's refs.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Literal

from msgspec import Struct

from core.errors import EXIT_LOCK_TIMEOUT, AppError, FileLockTimeoutError
from core.storage.lock import FileLock

if TYPE_CHECKING:
    from core.sync.git import Repo

STALE_AFTER = 5.0  # seconds: a lock younger than this may belong to a git that just started
SYNC_LOCK = "tasksafe-sync.lock"
Verdict = Literal["stale", "live", "unsure"]


class GitDirs(Struct, frozen=True):
    """The repository's git directory (index, HEAD, MERGE_HEAD) and common directory (refs)."""

    git_dir: str
    common_dir: str

    @classmethod
    def of(cls, repo: Repo) -> GitDirs:
        out = repo.git("rev-parse", "--absolute-git-dir", "--git-common-dir").splitlines()
        return cls(out[0], os.path.normpath(os.path.join(repo.root, out[1])))

    def locks(self, branch: str, remote: str) -> list[str]:
        """git's lock files a sync's commands take, those that exist."""
        own = [os.path.join(self.git_dir, n) for n in ("index.lock", "HEAD.lock")]
        shared = ["packed-refs.lock", "config.lock", "shallow.lock"]
        shared += [f"refs/heads/{branch}.lock", f"refs/remotes/{remote}/{branch}.lock"]
        paths = own + [os.path.join(self.common_dir, *n.split("/")) for n in shared]
        return [p for p in paths if os.path.lexists(p)]


class SyncBusyError(AppError):
    """Another tasksafe sync runs in this repository and did not end within the lock timeout."""

    exit_code = EXIT_LOCK_TIMEOUT

    def __init__(self, root: str, waited: float, holder: str) -> None:
        super().__init__(
            f"another sync is running in {root} ({holder}); gave up after {waited:.1f} s: "
            "run sync again when it has finished"
        )


@contextmanager
def sync_lock(dirs: GitDirs, root: str, timeout: float) -> Iterator[None]:
    """Hold tasksafe's sync lock for the repository (flock: released when the process dies)."""
    lock = FileLock(os.path.join(dirs.git_dir, SYNC_LOCK), timeout)
    try:
        lock.acquire()
    except FileLockTimeoutError as e:
        raise SyncBusyError(root, e.waited, e.holder) from None
    try:
        yield
    finally:
        lock.release()


def judge(path: str, root: str, proc: str = "/proc", now: float | None = None) -> Verdict:
    """Whether the git lock file `path` in the repository at `root` was left by a dead git."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return "stale"  # gone meanwhile: nothing holds it
    age = (time.time() if now is None else now) - st.st_mtime
    if age < STALE_AFTER:
        return "live"
    if not hasattr(os, "getuid") or st.st_uid != os.getuid():
        return "unsure"
    running = _git_running_in(root, proc)
    if running is None:
        return "unsure"
    return "live" if running else "stale"


def _git_running_in(root: str, proc: str) -> bool | None:
    """Whether a git process of this user works in `root` (None: /proc cannot tell)."""
    try:
        pids = [p for p in os.listdir(proc) if p.isdigit()]
    except OSError:
        return None
    if not os.path.isfile(os.path.join(proc, "self", "comm")):
        return None
    inside = os.path.realpath(root) + os.sep
    me = str(os.getpid())
    return any(pid != me and _is_git_in(os.path.join(proc, pid), inside) for pid in pids)


def _is_git_in(proc_pid: str, inside: str) -> bool:
    try:
        with open(os.path.join(proc_pid, "comm"), encoding="utf-8", errors="replace") as f:
            if not f.read().startswith("git"):
                return False
        places = [os.readlink(os.path.join(proc_pid, "cwd"))]
        fds = os.path.join(proc_pid, "fd")
        places += [os.readlink(os.path.join(fds, fd)) for fd in os.listdir(fds)]
    except OSError:  # gone meanwhile, or another user's: it cannot have made this user's lock
        return False
    return any((p + os.sep).startswith(inside) for p in places)


def clear_stale(paths: list[str], root: str) -> tuple[list[str], dict[str, Verdict]]:
    """Remove the stale locks among `paths`; the removed ones, and the verdict on the rest."""
    removed: list[str] = []
    kept: dict[str, Verdict] = {}
    for path in paths:
        verdict = judge(path, root)
        if verdict == "stale":
            with suppress(FileNotFoundError):
                os.unlink(path)
            removed.append(path)
        else:
            kept[path] = verdict
    return removed, kept


def held_line(path: str, verdict: Verdict, root: str) -> str:
    """The one line for a lock the sync needs and must not remove."""
    why = (
        "a git is running in" if verdict == "live" else "a git may be running in, or was killed in"
    )
    return (
        f"{path} is held ({why} {root}): once no git runs there, remove it if it is still "
        "there and run sync again; nothing here was lost"
    )


def finish_merge(repo: Repo, dirs: GitDirs, new: str) -> str:
    """A merge git left unfinished (MERGE_HEAD: a `git pull` killed or refused) whose commit
    the sync's commit now holds is done: forget it (`git merge --quit` keeps the files).
    Returns a line for the report ("" when there was none)."""
    merge_head = os.path.join(dirs.git_dir, "MERGE_HEAD")
    if not os.path.isfile(merge_head):
        return ""
    contained = repo.succeeds("merge-base", "--is-ancestor", "MERGE_HEAD", new)
    unmerged = {ln.split("\t", 1)[-1] for ln in repo.git("ls-files", "-u").splitlines()}
    if contained and unmerged <= {repo.rel}:
        repo.git("merge", "--quit")
        return f"a git merge left unfinished here ({merge_head}) is completed by this sync"
    return f"a git merge is in progress here ({merge_head}): finish it with git commit"
