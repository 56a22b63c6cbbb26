"""Sync through git: the command line through subprocess, the merge in memory, the write through
AppState (one `sync` transaction under the lock).

git never writes the data file: the other machine's version is read with `git show`, merged with
this machine's by core/sync/merge.py, written as an ordinary transaction, and committed from a
temporary index (`hash-object`, `update-index --cacheinfo`, `commit-tree`, `update-ref`), so the
work tree is never checked out over it and never holds conflict markers. The git command line (not
pygit2 or dulwich) because it is installed wherever git is used, speaks every transport (ssh,
https, a path) with the user's own credentials and configuration, and needs no extension module.

A `sync` killed at any point leaves a file that loads (AppState's atomic replace) and a repository
whose refs name whole commits (update-ref is atomic); the next `sync` commits what is not yet
committed and merges again: a merge with a result that already holds the other side's values is
the same result (both sides equal: no conflict).
"""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from msgspec import Struct, field

from core.errors import AppError
from core.model import utc_now
from core.storage.document import Document, NewerVersionError, UndecodableError, decode
from core.storage.history import Entry
from core.sync.merge import Conflict, Duplicate, Renumbered, Report, Revived, merge, stamp

REMOTE = "origin"
PUSH_TRIES = 3
IGNORED = (
    "# tasksafe: only the data file is shared; its lock, temps, backups and history stay here",
    "*.lock",
    "*.tmp",
    "*.backup",
    "*.backup.*",
    "*.legacy",
    "*.corrupt-*",
    "*.hourly-*",
    "*.daily-*",
    "*.weekly-*",
    "*.history",
    "*.history.*",
)


class SyncError(AppError):
    """A sync that could not finish: one line; nothing local is lost, the next sync picks up."""


class SyncResult(Struct):
    """What one sync did, for the report (REPL, one-shot, --json)."""

    remote: str
    branch: str
    pulled: int = 0
    pushed: int = 0
    conflicts: list[Conflict] = field(default_factory=list)
    revived: list[Revived] = field(default_factory=list)
    renumbered: list[Renumbered] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    initialized: bool = False
    tries: int = 1
    notes: list[str] = field(default_factory=list)  # what the sync found in git and did about it


class Repo(Struct, frozen=True):
    """The git work tree the data file is in, and the file's path inside it."""

    root: str
    rel: str

    def git(
        self, *args: str, check: bool = True, env: dict[str, str] | None = None, stdin: str = ""
    ) -> str:
        return run_git(self.root, *args, check=check, env=env, stdin=stdin)

    def succeeds(self, *args: str) -> bool:
        """Whether `git ARGS` exits 0 (a question git answers with its exit code)."""
        try:
            self.git(*args)
        except GitFailed:
            return False
        return True


def run_git(
    cwd: str, *args: str, check: bool = True, env: dict[str, str] | None = None, stdin: str = ""
) -> str:
    """`git ARGS` in `cwd`; its output, or SyncError with git's own last line."""
    full = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", **(env or {})}
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            env=full,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )
    except FileNotFoundError:
        raise SyncError("sync needs git, and git is not installed (or not on PATH)") from None
    except subprocess.TimeoutExpired:
        raise SyncError(f"git {args[0]} took more than 120 s; nothing was lost") from None
    if check and done.returncode < 0:  # SIGKILL, the OOM killer: git could say nothing
        raise GitFailed(args[0], f"git was killed (signal {-done.returncode})")
    if check and done.returncode != 0:
        raise GitFailed(args[0], done.stderr)
    return done.stdout


class GitFailed(SyncError):
    def __init__(self, what: str, stderr: str) -> None:
        lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
        useful = [ln for ln in lines if ln.startswith(("fatal:", "error:", "!"))] or lines
        line = useful[-1] if useful else "no message"
        super().__init__(f"sync failed (git {what}): {line}; nothing here was lost")
        self.stderr = stderr
        self.what, self.last_line = what, line


def find_repo(data_path: str) -> Repo | None:
    """The work tree the (real) data file is in, or None."""
    real = os.path.realpath(data_path)
    directory = os.path.dirname(real)
    out = run_git(directory, "rev-parse", "--show-toplevel", check=False).strip()
    if not out:
        return None
    return Repo(out, os.path.relpath(real, out).replace(os.sep, "/"))


def driver_command() -> str:
    """The merge driver git runs: the installed `tasksafe`, else this interpreter and main.py."""
    installed = shutil.which("tasksafe")
    main = Path(__file__).resolve().parents[2] / "main.py"
    if main.exists():
        return f"{shlex.quote(sys.executable)} {shlex.quote(str(main))} merge-driver %O %A %B %P"
    if installed:
        return f"{shlex.quote(installed)} merge-driver %O %A %B %P"
    return f"{shlex.quote(sys.executable)} -m main merge-driver %O %A %B %P"


def init(data_path: str, remote: str) -> Repo:
    """Make the data file's directory a repository (or use the one it is in), name the remote,
    ignore everything but the data file, and register the merge driver."""
    real = os.path.realpath(data_path)
    repo = find_repo(real)
    if repo is None:
        run_git(os.path.dirname(real), "init", "-q")
        repo = find_repo(real)
        assert repo is not None
    remotes = repo.git("remote").split()
    repo.git("remote", "set-url" if REMOTE in remotes else "add", REMOTE, _remote_url(remote))
    _add_lines(Path(repo.root, ".gitignore"), IGNORED)
    _add_lines(Path(repo.root, ".gitattributes"), (f"/{repo.rel} merge=tasksafe",))
    repo.git("config", "merge.tasksafe.name", "tasksafe: per task and field")
    repo.git("config", "merge.tasksafe.driver", driver_command())
    repo.git("config", "tasksafe.file", repo.rel)
    _adopt_remote_branch(repo)
    return repo


def _remote_url(remote: str) -> str:
    """A path is made absolute (the repository may be used from anywhere)."""
    if "://" in remote or (":" in remote and not os.path.exists(remote)):
        return remote
    return os.path.abspath(remote)


def _add_lines(path: Path, lines: Sequence[str]) -> None:
    have = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    missing = [ln for ln in lines if ln not in have]
    if missing:
        prefix = "\n" if have and not path.read_text(encoding="utf-8").endswith("\n") else ""
        with path.open("a", encoding="utf-8") as f:
            f.write(prefix + "\n".join(missing) + "\n")


def _adopt_remote_branch(repo: Repo) -> None:
    """A repository with no commit yet takes the remote's default branch name."""
    if _commit(repo, "HEAD") is not None:
        return
    out = repo.git("ls-remote", "--symref", REMOTE, "HEAD")
    for line in out.splitlines():
        if line.startswith("ref: refs/heads/") and line.endswith("\tHEAD"):
            repo.git("symbolic-ref", "HEAD", line[len("ref: ") : -len("\tHEAD")])


def _commit(repo: Repo, ref: str) -> str | None:
    out = repo.git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False).strip()
    return out or None


def branch(repo: Repo) -> str:
    return repo.git("symbolic-ref", "--short", "HEAD").strip()


def read_version(repo: Repo, commit: str | None, what: str) -> Document:
    """The data file as `commit` holds it (no commit, or no file there: an empty list)."""
    if commit is None:
        return Document()
    kind = repo.git("cat-file", "-t", f"{commit}:{repo.rel}", check=False).strip()
    if not kind:
        return Document()
    if kind != "blob":
        raise SyncError(f"the {what} {repo.rel} is a {kind}, not a task file; nothing was changed")
    data = subprocess.run(
        ["git", "cat-file", "blob", f"{commit}:{repo.rel}"],
        cwd=repo.root,
        capture_output=True,
        check=True,
    ).stdout
    try:
        return decode(data)
    except (UndecodableError, NewerVersionError) as e:
        raise SyncError(
            f"the {what} {repo.rel} is not a task file tasksafe can merge ({e}); nothing was changed"
        ) from None


def change_times(entries: Sequence[Entry]) -> dict[tuple[str, str], str]:
    """(uuid, field) -> when the local history last saw that field change."""
    times: dict[tuple[str, str], str] = {}
    for entry in entries:
        for uuid, before, after in entry.edits:
            old, new = before or {}, after or {}
            for key in set(old) | set(new):
                if old.get(key) != new.get(key):
                    times[(uuid, key)] = entry.at
    return times


def merge_into(
    doc: Document,
    head: Document,
    base: Document | None,
    theirs: Document | None,
    times: dict[tuple[str, str], str],
) -> tuple[list[Any], int, Report]:
    """The records `doc` (this machine's latest, under the lock) should hold after the merge."""
    ours = stamp(doc.records, head.records, times, utc_now())
    if theirs is None:
        report = Report(pushed=_differing(ours, head.records))
        return ours, doc.next_id, report
    start = max(doc.next_id, theirs.next_id)
    merged = merge(base.records if base else [], ours, theirs.records, start)
    return merged.records, merged.next_id, merged.report


def _differing(a: Sequence[Any], b: Sequence[Any]) -> int:
    old = {r.get("uuid"): r for r in b if isinstance(r, dict)}
    new = {r.get("uuid"): r for r in a if isinstance(r, dict)}
    return sum(1 for u, r in new.items() if old.get(u) != r) + sum(1 for u in old if u not in new)


class Sides(Struct, frozen=True):
    """The commits one round of sync merges: ours (HEAD), theirs (the remote's), their base."""

    head: str | None
    theirs: str | None
    base: str | None

    def theirs_is_new(self, repo: Repo) -> bool:
        """Whether the remote holds commits HEAD does not."""
        if self.theirs is None or self.theirs == self.head:
            return False
        return self.head is None or self.base != self.theirs


def fetch(repo: Repo, name: str) -> Sides:
    repo.git("fetch", "--quiet", REMOTE)
    head = _commit(repo, "HEAD")
    theirs = _commit(repo, f"refs/remotes/{REMOTE}/{name}")
    base = None
    if head and theirs:
        base = repo.git("merge-base", head, theirs, check=False).strip() or None
    return Sides(head, theirs, base)


def commit_merged(
    repo: Repo, name: str, sides: Sides, data_path: str, notes: list[str], files: str | None
) -> str | None:
    """Commit the data file as it is now, on top of HEAD and (if new) the remote's commit;
    `files` is the tree of the other files (core.sync.others.plan), which the commit takes."""
    if not os.path.isfile(os.path.realpath(data_path)):
        return None  # no tasks on either side yet: nothing to commit
    blob = repo.git("hash-object", "-w", "--", os.path.realpath(data_path)).strip()
    parents = [c for c in (sides.head,) if c]
    start = sides.head
    if sides.theirs_is_new(repo):
        if sides.head is None or sides.base == sides.head:
            parents, start = [sides.theirs or ""], sides.theirs  # nothing of ours was committed
        else:
            parents.append(sides.theirs or "")
    tree = _tree_with(repo, files, blob)
    old_tree = repo.git("rev-parse", f"{start}^{{tree}}").strip() if start else None
    if tree == old_tree and len(parents) == 1:
        new = start
    else:
        args = [a for p in parents for a in ("-p", p)]
        message = f"tasksafe sync from {socket.gethostname()}"
        new = repo.git("commit-tree", tree, *args, "-m", message, env=_identity(repo)).strip()
    assert new is not None
    repo.git("update-ref", f"refs/heads/{name}", new, *([sides.head] if sides.head else []))
    note = refresh_index(repo, sides.head, new)
    if note:
        notes.append(note)
    return new


EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


def refresh_index(repo: Repo, old: str | None, new: str) -> str:
    """Make git's index follow the new commit (so `git status` stays clean) for the paths the
    commit changed and the data file; whatever else is staged stays staged. The data file is
    never touched. Best effort, the commit being made: while index.lock is held (a git running
    by hand, or one killed) the index stays behind until a later sync; the line says so."""
    changed = repo.git("diff-tree", "-r", "-z", "--no-renames", old or EMPTY_TREE, new)
    fields = changed.split("\0")
    lines = []
    for meta, path in zip(fields[0::2], fields[1::2], strict=False):
        _, mode, _, sha, _ = meta.split(" ")  # ":old-mode new-mode old-sha new-sha status"
        lines.append(f"{mode} {sha}\t{path}")  # mode 000000: deleted, out of the index
    mode, _, sha = repo.git("ls-tree", new, "--", repo.rel).split("\t")[0].split()
    lines.append(f"{mode} {sha}\t{repo.rel}")  # stage 0 also ends a conflicted pull's stages
    try:
        repo.git("update-index", "-z", "--index-info", stdin="\0".join(lines) + "\0")
    except GitFailed as e:
        return f"git's index is not updated ({e.last_line}); git status catches up at a later sync"
    return ""


def _tree_with(repo: Repo, files: str | None, blob: str) -> str:
    """The other files' tree with our data file and our git files."""
    with tempfile.TemporaryDirectory(prefix="tasksafe-sync-") as tmp:
        env = {"GIT_INDEX_FILE": os.path.join(tmp, "index")}
        if files:
            repo.git("read-tree", files, env=env)
        repo.git("update-index", "--add", "--cacheinfo", f"100644,{blob},{repo.rel}", env=env)
        for name in (".gitignore", ".gitattributes"):
            own = Path(repo.root, name)
            if own.is_file():
                sha = repo.git("hash-object", "-w", "--", str(own)).strip()
                repo.git("update-index", "--add", "--cacheinfo", f"100644,{sha},{name}", env=env)
        return repo.git("write-tree", env=env).strip()


def _identity(repo: Repo) -> dict[str, str]:
    """A commit needs a name and e-mail: the user's if git has them, else tasksafe@host."""
    env: dict[str, str] = {}
    host = socket.gethostname()
    if not repo.git("config", "user.name", check=False).strip():
        env["GIT_AUTHOR_NAME"] = env["GIT_COMMITTER_NAME"] = "tasksafe"
    if not repo.git("config", "user.email", check=False).strip():
        env["GIT_AUTHOR_EMAIL"] = env["GIT_COMMITTER_EMAIL"] = f"tasksafe@{host}"
    return env


def push(repo: Repo, name: str) -> bool:
    """Push the branch; False when the remote moved on meanwhile (fetch and merge again)."""
    full = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    done = subprocess.run(
        ["git", "push", "--quiet", "--porcelain", REMOTE, f"refs/heads/{name}:refs/heads/{name}"],
        cwd=repo.root,
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode == 0:
        return True
    text = done.stdout + done.stderr
    if "[rejected]" in text or "fetch first" in text or "non-fast-forward" in text:
        return False
    raise GitFailed("push", done.stderr or done.stdout)
