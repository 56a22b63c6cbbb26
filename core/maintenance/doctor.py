"""Check the data file and everything around it, writing nothing.

Each check gives a status: ok, info, warning or problem. Only a problem makes the file unhealthy
(exit code 1): something is damaged, stuck or will make the next save fail.
"""

from __future__ import annotations

import errno
import os
import stat
import time
from collections import defaultdict
from typing import Any

from msgspec import Struct

from core.file_safety import SafeFileManager
from core.maintenance.backups import backup_files
from core.model import InvalidRecord, Task
from core.storage.document import Document, NewerVersionError, decode
from core.storage.lock import describe_holder, unusable_lock_file
from core.storage.reading import NotRegularFileError, read_regular

OK, INFO, WARNING, PROBLEM = "ok", "info", "warning", "problem"
# Locks on these are advisory at best: servers and clients may each grant them.
NETWORK_FILE_SYSTEMS = frozenset(
    {"nfs", "nfs4", "cifs", "smb", "smb2", "smb3", "smbfs", "sshfs", "fuse.sshfs", "9p", "afs"}
)
NO_HARD_LINKS = frozenset({"vfat", "msdos", "exfat", "fuseblk"})
# A save holds the lock for milliseconds; wait this long before calling the lock held.
LOCK_PATIENCE = 0.3
_MAX_LISTED = 20


class Check(Struct, frozen=True):
    """One line of the report: what was checked, its status, and the details behind it."""

    name: str
    status: str
    summary: str
    details: tuple[str, ...] = ()


class Diagnosis(Struct, frozen=True):
    path: str
    checks: tuple[Check, ...]

    @property
    def healthy(self) -> bool:
        return all(c.status != PROBLEM for c in self.checks)


def diagnose(
    files: SafeFileManager, lock_patience: float = LOCK_PATIENCE, mountinfo: str | None = None
) -> Diagnosis:
    """Every check, in the order a user reads them."""
    lock = lock_state(files.lock_path, lock_patience)
    rule, per_user = check_rule(files)
    checks = [
        check_file(files, made_on_first_change=per_user),
        rule,
        *check_content(files),
        check_history(files),
        check_lock(lock, files.lock_path),
        check_temps(files, lock_held=lock.holder is not None),
        *check_kept_copies(files),
        check_file_system(files.directory, mountinfo),
    ]
    return Diagnosis(files.path, tuple(checks))


# --- the change history ---


def check_history(files: SafeFileManager) -> Check:
    """It decodes, its newest applied step is the file's, and no append was torn."""
    read = files.history.read()
    if read.problem:
        return Check(
            "history",
            WARNING,
            f"cannot be used: {read.problem}",
            ("the next save starts a new one",),
        )
    try:
        data, _ = read_regular(files.real_path)
        step = decode(data).step
    except (OSError, ValueError):
        step = None
    details = []
    if read.torn_tail:
        details.append("the last append was cut short (a crash); it is ignored")
    if read.bad_lines:
        details.append(
            f"{len(read.bad_lines)} line(s) are not steps: {', '.join(map(str, read.bad_lines[:5]))}"
        )
    newest = max((e.step for e in read.applied(step or 0)), default=0)
    if step and newest != step:
        return Check(
            "history",
            PROBLEM,
            f"the file holds step {step}, the history ends at {newest}",
            tuple(details),
        )
    if not read.entries:
        return Check("history", INFO, "no steps yet; each change becomes one", tuple(details))
    first = read.entries[0]
    summary = f"{len(read.entries)} steps, {first.at[:10]} to now; the file holds step {step}"
    return Check("history", WARNING if details else OK, summary, tuple(details))


# --- the file itself ---


def check_file(files: SafeFileManager, made_on_first_change: bool = False) -> Check:
    """Exists, is a regular file, mode and owner, and whether this user can read and save it.

    `made_on_first_change`: the per-user list, whose missing directory the first change makes.
    """
    linked = os.path.abspath(files.path) != files.real_path
    shown = f"{files.path} → {files.real_path}" if linked else files.path
    try:
        st = os.stat(files.real_path)
    except FileNotFoundError:
        summary = f"{shown} does not exist yet; the first change creates it"
        if made_on_first_change and not os.path.exists(files.directory):
            summary += " and its directory (private: 0700)"
            problems = _directory_problems(_nearest_existing(files.directory))
        else:
            problems = _directory_problems(files.directory)
        return Check("file", PROBLEM if problems else INFO, summary, tuple(problems))
    except OSError as e:
        return Check("file", PROBLEM, f"{shown}: {e.strerror}")
    if not stat.S_ISREG(st.st_mode):
        return Check("file", PROBLEM, f"{shown} is not a regular file")
    summary = f"{shown}: {stat.filemode(st.st_mode)} {_owner(st)}, {_size(st.st_size)}"
    problems = _access_problems(files)
    if problems:
        return Check("file", PROBLEM, summary, tuple(problems))
    if st.st_mode & stat.S_IWOTH:
        return Check("file", WARNING, summary, ("any user on this machine can change it",))
    return Check("file", OK, summary)


def check_rule(files: SafeFileManager) -> tuple[Check, bool]:
    """Which rule chose this file (--file, TASKS_FILE, ./tasks.json, the config file, per-user),
    and whether it is the per-user list, whose directory the first change makes."""
    from core.config import data_file_rule
    from core.errors import AppError

    try:
        chosen = data_file_rule(files.path)
    except AppError as e:  # the config file went bad since this window started
        return Check("chosen by", WARNING, str(e)), False
    return Check("chosen by", INFO, chosen.source), chosen.per_user


def _nearest_existing(directory: str) -> str:
    while not os.path.exists(directory) and os.path.dirname(directory) != directory:
        directory = os.path.dirname(directory)
    return directory


def _access_problems(files: SafeFileManager) -> list[str]:
    problems = [] if os.access(files.real_path, os.R_OK) else ["you cannot read it"]
    return problems + _directory_problems(files.directory)


def _directory_problems(directory: str) -> list[str]:
    # A save writes a temp file beside the data and renames it over; both need the directory.
    if not os.path.isdir(directory):
        return [f"{directory} does not exist"]
    if not os.access(directory, os.W_OK | os.X_OK):
        return [f"you cannot create files in {directory}: saves will fail"]
    return []


def _owner(st: os.stat_result) -> str:
    try:
        import grp
        import pwd

        return f"{pwd.getpwuid(st.st_uid).pw_name}:{grp.getgrgid(st.st_gid).gr_name}"
    except (ImportError, KeyError):
        return f"{st.st_uid}:{st.st_gid}"


def _size(n: int) -> str:
    return (
        f"{n} bytes"
        if n < 1024
        else f"{n / 1024:.1f} KiB"
        if n < 1 << 20
        else f"{n / (1 << 20):.1f} MiB"
    )


# --- what it holds ---


def check_content(files: SafeFileManager) -> list[Check]:
    """Decodes, every record a valid task, ids and uuids unique."""
    try:
        data, _ = read_regular(files.real_path)
    except FileNotFoundError:
        return []
    except NotRegularFileError as e:
        return [Check("format", PROBLEM, f"is {e.kind}, not a task file", ("move it away",))]
    except OSError as e:
        return [Check("format", PROBLEM, f"cannot read it: {e.strerror}")]
    try:
        doc = decode(data)
    except NewerVersionError as e:
        return [Check("format", PROBLEM, str(e), ("upgrade tasksafe to use this file",))]
    except (ValueError, RecursionError) as e:
        hint = (
            "the next load restores the newest valid backup; `doctor --salvage` then recovers more"
        )
        return [Check("format", PROBLEM, f"does not decode: {e}", (hint,))]
    return [_format_check(doc), check_records(doc.records), check_duplicates(doc.records)]


def _format_check(doc: Document) -> Check:
    if doc.legacy:
        return Check("format", INFO, "the original app's list; upgraded on the next save")
    return Check(
        "format", OK, f"tasksafe format, {len(doc.records)} records, next id {doc.next_id}"
    )


def check_records(records: list[Any]) -> Check:
    """Records that are not valid tasks: position (from 1), id, why."""
    bad = []
    for pos, rec in enumerate(records, start=1):
        try:
            Task.from_record(rec)
        except InvalidRecord as e:
            rid = rec.get("id") if isinstance(rec, dict) else None
            bad.append(f"record {pos} (id {rid!r:.20}): {e}")
    if not bad:
        return Check("records", OK, f"{len(records)} valid tasks")
    summary = f"{len(bad)} of {len(records)} records are not valid tasks (kept as they are)"
    return Check("records", PROBLEM, summary, _capped(bad))


def check_duplicates(records: list[Any]) -> Check:
    """Ids or uuids that more than one record claims."""
    where: dict[tuple[str, object], list[int]] = defaultdict(list)
    for pos, rec in enumerate(records, start=1):
        if not isinstance(rec, dict):
            continue
        if type(rec.get("id")) is int:
            where["id", rec["id"]].append(pos)
        if isinstance(rec.get("uuid"), str):
            where["uuid", rec["uuid"]].append(pos)
    dups = [
        f"{kind} {value} at records {', '.join(map(str, positions))}"
        for (kind, value), positions in where.items()
        if len(positions) > 1
    ]
    if not dups:
        return Check("duplicates", OK, "every id and uuid is unique")
    return Check("duplicates", PROBLEM, f"{len(dups)} duplicated id(s) or uuid(s)", _capped(dups))


def _capped(lines: list[str]) -> tuple[str, ...]:
    if len(lines) <= _MAX_LISTED:
        return tuple(lines)
    return (*lines[:_MAX_LISTED], f"… and {len(lines) - _MAX_LISTED} more")


# --- the lock and what dead writers left ---


class LockState(Struct, frozen=True):
    """What doctor found of the writer lock."""

    holder: str | None = None  # who held it after the patience; None: free (or no lock file)
    supported: bool = True  # False: this file system refuses locks (ENOLCK, EOPNOTSUPP)


def lock_state(lock_path: str, patience: float = LOCK_PATIENCE) -> LockState:
    """Who holds the writer lock (after `patience` seconds), if anyone; whether locks work.

    Opens the lock file read-only and never creates it: doctor writes nothing.
    """
    from core.storage.lock import try_lock, unlock

    # O_NONBLOCK: a FIFO named .lock must not hang doctor; O_NOFOLLOW: a symlink is not followed
    # (check_lock says what is wrong with such a lock file instead).
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(lock_path, flags)
    except OSError:
        return LockState()  # none yet (no window has saved here), or not a file: check_lock tells
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return LockState()
        deadline = time.monotonic() + patience
        while not try_lock(fd):
            if time.monotonic() >= deadline:
                return LockState(describe_holder(lock_path))
            time.sleep(0.01)
        unlock(fd)
        return LockState()
    except OSError as e:
        if e.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS):
            return LockState(supported=False)
        raise
    finally:
        os.close(fd)


def check_lock(lock: LockState, lock_path: str = "") -> Check:
    kind = unusable_lock_file(lock_path) if lock_path else None
    if kind is not None:
        hint = "move it away: tasksafe makes a new one on the next save"
        return Check("lock", PROBLEM, f"the lock file is {kind}; every save refuses it", (hint,))
    if not lock.supported:
        hint = "move the list to a local disk (or use --file): without locks it is not safe"
        return Check("lock", PROBLEM, "this file system does not support locks", (hint,))
    if lock.holder is None:
        return Check("lock", OK, "free")
    hint = "another window is saving or stuck; close it if this lasts"
    return Check("lock", PROBLEM, f"held by {lock.holder}", (hint,))


def check_temps(files: SafeFileManager, lock_held: bool) -> Check:
    """This list's temp files: only the lock holder writes them, so others are a dead writer's."""
    try:
        names = sorted(n for n in os.listdir(files.directory) if files.is_our_temp(n))
    except OSError as e:
        return Check("temp files", INFO, f"cannot list {files.directory}: {e.strerror}")
    if not names:
        return Check("temp files", OK, "none")
    if lock_held:
        return Check(
            "temp files", WARNING, f"{len(names)} (maybe the save in progress)", tuple(names)
        )
    summary = f"{len(names)} left by a writer that died; the next save removes them"
    return Check("temp files", PROBLEM, summary, _capped(names))


# --- kept copies ---


def check_kept_copies(files: SafeFileManager) -> list[Check]:
    """Backups present and valid; quarantined damaged files waiting for salvage."""
    copies = backup_files(files)
    backups = [c for c in copies if c.kind != "corrupt"]
    corrupt = [c for c in copies if c.kind == "corrupt"]
    checks = [_backups_check(backups)]
    if corrupt:
        names = tuple(c.short_name for c in corrupt)
        summary = (
            f"{len(corrupt)} damaged copy(ies) kept: `doctor --salvage` recovers what they "
            "hold; then they may be deleted"
        )
        checks.append(Check("quarantine", WARNING, summary, names))
    return checks


def _backups_check(backups: list[Any]) -> Check:
    if not backups:
        return Check("backups", INFO, "none yet; each save keeps the previous version")
    bad = [f"{b.short_name}: {b.problem}" for b in backups if not b.valid]
    if bad:
        return Check("backups", WARNING, f"{len(bad)} of {len(backups)} do not decode", tuple(bad))
    names = ", ".join(b.short_name for b in backups)
    return Check("backups", OK, f"{len(backups)} valid: {names}")


# --- the file system ---


def check_file_system(directory: str, mountinfo: str | None = None) -> Check:
    """The file system the data is on; network ones lock only on a best-effort basis."""
    if mountinfo is None:
        mountinfo = _read_mountinfo()
    mount = find_mount(directory, mountinfo) if mountinfo else None
    if mount is None:
        return Check("file system", INFO, "unknown (no /proc/self/mountinfo)")
    fstype, point, options = mount
    summary = f"{fstype} on {point}"
    if "ro" in options.split(","):
        return Check(
            "file system",
            PROBLEM,
            summary + ", read-only",
            ("saves will fail until it is remounted read-write",),
        )
    if fstype in NETWORK_FILE_SYSTEMS or fstype.startswith("nfs"):
        hint = "locks are best-effort here: use tasksafe from one machine at a time"
        return Check("file system", WARNING, summary + ", a network file system", (hint,))
    if fstype in NO_HARD_LINKS:
        return Check("file system", INFO, summary, ("no hard links: each backup is a full copy",))
    return Check("file system", OK, summary)


def _read_mountinfo() -> str:
    try:
        with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def find_mount(path: str, mountinfo: str) -> tuple[str, str, str] | None:
    """(type, mount point, options) of the mount holding `path`: the longest matching point."""
    path = os.path.realpath(path)
    best: tuple[str, str, str] | None = None
    for line in mountinfo.splitlines():
        fields = line.split()
        if "-" not in fields[6:]:
            continue
        sep = fields.index("-", 6)
        point, options, fstype = _unescape(fields[4]), fields[5], fields[sep + 1]
        inside = path == point or path.startswith(point.rstrip("/") + "/")
        # Equal length: a later line is mounted over the earlier one.
        if inside and (best is None or len(point) >= len(best[1])):
            best = (fstype, point, options)
    return best


def _unescape(field: str) -> str:
    """mountinfo writes space, tab, newline and backslash as octal escapes (\\040)."""
    import re

    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)
