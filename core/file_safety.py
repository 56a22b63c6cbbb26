"""SafeFileManager: every change to the data file is one durable transaction under the lock.

The protocol (design.md): lock `<real>.lock`; remove temps dead writers left; re-read if the file
changed; mutate; write a temp in the same directory, fsync it, give it the old file's mode; rotate
hard-link backups; os.replace; fsync the directory. Readers take no lock: a replaced file is whole.
"""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from typing import NoReturn, TypeVar

from msgspec import Struct

from core.errors import FileCorruptionError, StorageError, storage_error
from core.events import EventSink, HistoryReset, LockWaiting, Recovered, Saved, Upgraded, ignore
from core.model import utc_now
from core.storage.document import (
    Document,
    NewerVersionError,
    UndecodableError,
    UnencodableError,
    decode,
    encode,
)
from core.storage.fsops import DEFAULT_OPS, FileOps
from core.storage.history import Change, History, entry_line, fingerprint, replay
from core.storage.lock import FileLock, holder_info
from core.storage.reading import NotRegularFileError, read_regular

T = TypeVar("T")
COMPACT_EVERY = 1000  # steps between two compactions of the history
# `"id": 41` or `"next_id": 42` in damaged bytes; 18 digits at most, so a stray huge number
# cannot push ids past what every JSON tool reads exactly.
_STEP_FIELD = re.compile(rb'"step"\s*:\s*(\d{1,18})(?!\d)')
_ID_FIELD = re.compile(rb'"(id|next_id)"\s*:\s*(\d{1,18})(?!\d)')
Signature = tuple[int, int, int, int]


# How each tier's copies are named: one per UTC hour, day, ISO week.
TIER_STAMPS = {"hourly": "%Y%m%dT%H", "daily": "%Y%m%d", "weekly": "%G-W%V"}


class BackupTiers(Struct, frozen=True):
    """How many copies each tier keeps (0 turns it off): a day of hours, two weeks of days,
    two months of weeks (TASKS_BACKUP_HOURLY, _DAILY, _WEEKLY)."""

    hourly: int = 24
    daily: int = 14
    weekly: int = 8

    def counts(self) -> list[tuple[str, int]]:
        return [("hourly", self.hourly), ("daily", self.daily), ("weekly", self.weekly)]


class Snapshot(Struct):
    """A decoded file and the stat signature of the bytes it came from (None: no file yet)."""

    doc: Document
    signature: Signature | None


def _signature(st: os.stat_result) -> Signature:
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


class SafeFileManager:
    """Durable, locked, recoverable access to one JSON data file."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        lock_timeout: float = 5.0,
        backup_count: int = 3,
        on_event: EventSink = ignore,
        ops: FileOps = DEFAULT_OPS,
        tiers: BackupTiers | None = None,
        history_days: int = 365,
    ) -> None:
        self.path = os.fspath(path)
        self.tiers = tiers or BackupTiers()
        self.history_days = history_days  # 0 keeps every step
        # Resolve symlinks once: the link survives and its target is what we replace.
        self.real_path = os.path.realpath(self.path)
        self.directory = os.path.dirname(self.real_path)
        self.name = os.path.basename(self.real_path)
        self.lock_path = self.real_path + ".lock"
        self.lock_timeout = lock_timeout
        self.backup_count = max(0, backup_count)
        self.on_event = on_event
        self.ops = ops
        # Transactions whose replace happened, counted in the same Ctrl-C-proof moment: an
        # interrupted one-shot command can then say truthfully whether its change was saved.
        self.changes_saved = 0
        self.new_file_mode: int | None = None  # a file this creates (per-user list: 0o600)
        self.history = History(self.real_path + ".history", ops, self.owner)
        self._lock: FileLock | None = None

    # --- reading (no lock) ---

    def signature(self) -> Signature | None:
        try:
            return _signature(os.stat(self.real_path))
        except FileNotFoundError:
            return None

    def load(self) -> Snapshot:
        """Read and decode the file; a file that does not decode is recovered under the lock."""
        try:
            return self._read()
        except UndecodableError as e:
            if self._newest_valid_backup() is None:
                self._refuse(str(e))  # without even creating the lock file: nothing is written
            with self._locked():
                return self._read_or_recover()

    def _read(self) -> Snapshot:
        try:
            data, st = read_regular(self.real_path)
        except FileNotFoundError:
            return Snapshot(Document(), None)
        except NotRegularFileError as e:
            raise FileCorruptionError(
                f"{self.path} is {e.kind}, not a task file (move it away, or use --file)"
            ) from None
        except OSError as e:
            raise storage_error(e, f"cannot read {self.path}") from e
        if (not data or data.isspace()) and self._newest_valid_backup() is None:
            # `touch tasks.json`: with no backup there is nothing to lose, so it is an empty list.
            # With one, an emptied file is damage (a truncation), and decode() says so.
            return Snapshot(Document(), _signature(st))
        try:
            return Snapshot(decode(data, own=self._wrote_these(data)), _signature(st))
        except NewerVersionError as e:
            raise FileCorruptionError(f"{self.path}: {e}; upgrade tasksafe to use it") from e

    def _wrote_these(self, data: bytes) -> bool:
        """Whether `data` is what the newest step wrote (history.fingerprint): bytes read without
        the lock may be older or newer than the history's tail, and then they are checked."""
        wrote = self.history.last_wrote()
        return wrote is not None and wrote == fingerprint(data)

    # --- the transaction ---

    def transaction(
        self, mutate: Callable[[Document], tuple[T, Change]], known: Snapshot | None
    ) -> tuple[T, Snapshot]:
        """Apply `mutate` to a copy of the latest document; durable before it returns.

        `mutate` returns its result and the Change it made, which becomes the history's next step.
        It must replace the records it changes, never edit one in place: the copy shares them
        with `known`, which stays this window's snapshot if anything fails. A change that changes
        nothing writes nothing: no step, no backup pushed out.
        """
        start = time.perf_counter()
        with self._locked():
            self._remove_stale_temps()
            snap = (
                known if known and known.signature == self.signature() else self._read_or_recover()
            )
            work = snap.doc.working_copy()  # `known` is adopted only if the save succeeds
            result, change = mutate(work)
            if _unchanged(snap.doc, work, change):
                return result, snap
            work.step = snap.doc.step + 1
            try:
                data = encode(work)
            except UnencodableError as e:
                raise StorageError(f"could not save {self.path}; nothing was changed: {e}") from e
            self._write(data, snap, self._step_line(work, change, data))
            self._tend_history(work.step)
            new = Snapshot(work, self.signature())
        self.on_event(Saved(self.path, len(work.records), time.perf_counter() - start))
        return result, new

    def _tend_history(self, step: int) -> None:
        """Say once that an unusable history was set aside; every COMPACT_EVERY steps, drop the
        steps older than `history_days` (an atomic rewrite, so not on every save)."""
        if self.history.set_aside:
            self.on_event(HistoryReset(self.path, self.history.set_aside))
            self.history.set_aside = None
        if step % COMPACT_EVERY == 0 and self.history_days > 0:
            cutoff = datetime.now(UTC) - timedelta(days=self.history_days)
            with suppress(OSError):  # compaction is housekeeping: the save already happened
                self.history.compact(cutoff.strftime("%Y-%m-%dT%H:%M:%SZ"))

    def _step_line(self, work: Document, change: Change, data: bytes) -> bytes:
        who = {k: v for k, v in holder_info().items() if k != "since"}
        return entry_line(work.step, utc_now(), who, change, work.next_id, wrote=data)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        def report(holder: str, waited: float) -> None:
            self.on_event(LockWaiting(self.path, holder, waited))

        with FileLock(self.lock_path, self.lock_timeout, report, owner=self.owner()) as lock:
            self._lock = lock
            try:
                yield
            finally:
                self._lock = None

    def _verify_lock(self) -> None:
        """Before each write: a lock file removed or replaced meanwhile lets a newcomer in, so
        this save must change nothing rather than overwrite the newcomer's (issue 16)."""
        if self._lock is not None:
            self._lock.verify(self.path)

    def _read_or_recover(self) -> Snapshot:
        try:
            return self._read()
        except UndecodableError as e:
            return self._recover(str(e))

    def _write(self, data: bytes, old: Snapshot, step: bytes | None = None) -> None:
        """The save itself; `step`: the history line of this change (None: a recovery's restore).

        The step is appended after the temp is durable and before the replace: a full disk then
        fails before the history changes, and a step is in the history before its file lands.
        """
        tmp = self._temp_path()
        appended: int | None = None
        try:
            self._write_temp(tmp, data, self._mode())
            self._verify_lock()
            if step is not None:
                appended = self.history.append(step)
            if old.signature is not None and old.signature[1] > 0:  # an empty file keeps nothing
                self._keep_old_version(old.doc)
            self._verify_lock()
            with _ctrl_c_ignored():  # Ctrl-C cancels up to here; a replace that began must finish
                self.ops.replace(tmp, self.real_path)
                appended = None  # the step happened: it stays in the history whatever follows
                self.changes_saved += step is not None
                self._make_durable()
        except OSError as e:
            self._undo_write(tmp, appended)
            raise storage_error(e, f"could not save {self.path}; nothing was changed") from e
        except BaseException:
            self._undo_write(tmp, appended)
            raise

    def _undo_write(self, tmp: str, appended: int | None) -> None:
        """Before the replace nothing was changed: no temp left, and no step in the history."""
        self._discard(tmp)
        if appended is not None:
            self.history.cut(appended)

    def _make_durable(self) -> None:
        """fsync the directory after the replace; a failure must not claim nothing changed."""
        try:
            self.ops.fsync_dir(self.directory)
        except OSError as e:
            # The new file is in place: saying "nothing was changed" would invite a duplicate.
            raise storage_error(
                e,
                f"{self.path} was saved, but the disk did not confirm it (a power cut may undo it)",
            ) from e

    def _temp_path(self) -> str:
        """`.<name>.<pid>.<random>.tmp` beside the file: same file system, so os.replace is atomic."""
        return os.path.join(self.directory, f".{self.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")

    def is_our_temp(self, entry: str) -> bool:
        """Exactly `_temp_path`'s pattern for this file or its history (whose compaction writes
        one the same way): `tasks.json.work`'s temps are not ours."""
        return any(_is_temp_of(name, entry) for name in (self.name, f"{self.name}.history"))

    def _write_temp(self, tmp: str, data: bytes, mode: int) -> None:
        fd = self.ops.create(tmp)
        try:
            self.ops.write(fd, data)
            owner = self.owner()
            if owner is not None:
                self.ops.fchown(fd, *owner)  # before fchmod: a chown may clear set-id bits
            self.ops.fchmod(fd, mode)
            self.ops.fsync(fd)
        finally:
            self.ops.close(fd)

    def _mode(self) -> int:
        try:
            return os.stat(self.real_path).st_mode & 0o7777
        except FileNotFoundError:
            return _default_mode() if self.new_file_mode is None else self.new_file_mode

    def owner(self) -> tuple[int, int] | None:
        """Who the files of this list belong to: the data file's owner and group, else the
        directory's. A save by another user (`sudo tasksafe add`) keeps them (issue 16)."""
        for path in (self.real_path, self.directory):
            try:
                st = os.stat(path)
                return st.st_uid, st.st_gid
            except OSError:
                continue
        return None

    def _discard(self, tmp: str) -> None:
        with suppress(OSError):
            self.ops.unlink(tmp)

    def _remove_stale_temps(self) -> None:
        # Only the lock holder creates temps, so any found now belong to a writer that died.
        try:
            names = self.ops.listdir(self.directory)
        except OSError:
            return
        for entry in names:
            if self.is_our_temp(entry):
                self._discard(os.path.join(self.directory, entry))

    # --- backups ---

    def backup_paths(self) -> list[str]:
        """Newest first: `.backup`, `.backup.1`, ..."""
        base = self.real_path + ".backup"
        return [base, *(f"{base}.{i}" for i in range(1, self.backup_count))][: self.backup_count]

    def _keep_old_version(self, old: Document) -> None:
        """Rotate backups and hard-link the current (parseable) file as the newest."""
        if old.legacy:
            self._keep_legacy_copy()
        self._keep_tier_copies()
        paths = self.backup_paths()
        if not paths:
            return
        for newer, older in zip(reversed(paths[:-1]), reversed(paths[1:]), strict=True):
            if os.path.lexists(newer):
                self.ops.replace(newer, older)
        if os.path.lexists(paths[0]):
            self.ops.unlink(paths[0])
        self.ops.link_or_copy(self.real_path, paths[0])

    def _keep_tier_copies(self) -> None:
        """The first save of each hour, day and week keeps the version it replaces, so copies
        reach back a day, two weeks, two months; each tier pruned to its count. The clock names
        them (UTC), never file times. A hard link: free until the file it names is replaced."""
        now = datetime.now(UTC)
        for tier, keep in self.tiers.counts():
            path = f"{self.real_path}.{tier}-{now.strftime(TIER_STAMPS[tier])}"
            if keep and not os.path.lexists(path):
                self.ops.link_or_copy(self.real_path, path)
                self._prune_tier(tier, keep)

    def tier_paths(self, tier: str) -> list[str]:
        """The copies of one tier, newest first (their stamps sort as text)."""
        prefix = f"{self.name}.{tier}-"
        try:
            names = self.ops.listdir(self.directory)
        except OSError:
            return []
        found = sorted((n for n in names if n.startswith(prefix)), reverse=True)
        return [os.path.join(self.directory, n) for n in found]

    def _prune_tier(self, tier: str, keep: int) -> None:
        for path in self.tier_paths(tier)[keep:]:
            self._discard(path)

    def _keep_legacy_copy(self) -> None:
        legacy = self.real_path + ".legacy"
        if not os.path.lexists(legacy):
            self.ops.link_or_copy(self.real_path, legacy)
            self.on_event(Upgraded(self.path, legacy))

    # --- recovery ---

    def _recover(self, reason: str) -> Snapshot:
        """Quarantine the undecodable file and restore the newest valid backup (under the lock)."""
        found = self._newest_valid_backup()
        if found is None:
            self._refuse(reason)
        backup, data, doc = found
        replay = self._replay_history(doc)
        if replay.replayed:
            doc = replay.doc
            data = encode(doc)
        data, doc = self._past_damaged_ids(data, doc)
        try:
            corrupt = self._quarantine()
            # The damaged bytes' new name must be durable before the file is replaced, or a
            # power cut could keep the replace and lose them.
            self.ops.fsync_dir(self.directory)
        except OSError as e:
            raise storage_error(e, f"could not set {self.path} aside to restore {backup}") from e
        # No signature: damaged bytes never become a backup. A restore is not the user's change.
        self._write(data, Snapshot(doc, None))
        self.on_event(
            Recovered(
                self.path,
                reason,
                backup,
                len(doc.records),
                corrupt,
                replay.replayed,
                replay.backup_saved_at,
                replay.unrecovered,
            )
        )
        return Snapshot(doc, self.signature())

    def _replay_history(self, backup: Document) -> Replay:
        """The backup with every later step of the history applied: recovery loses nothing the
        history holds. Steps run in order and stop at a gap (a step the history lacks)."""
        read = self.history.read()
        saved_at = next((e.at for e in read.entries if e.step == backup.step), None)
        damaged_step = self._damaged_step()  # a step above it never landed: not replayed
        last = damaged_step or max((e.step for e in read.entries), default=0)
        later = [e for e in read.entries if backup.step < e.step <= last]
        steps = []
        for expected, entry in enumerate(later, backup.step + 1):
            if entry.step != expected:
                break
            steps.append(entry)
        reached = steps[-1].step if steps else backup.step
        unrecovered = (
            f"steps {reached + 1} to {last} could not be replayed (the history lacks them)"
            if reached < last
            else read.problem and f"the history could not be read ({read.problem})"
        )
        if not steps:
            return Replay(backup, 0, saved_at, unrecovered or None)
        records, next_id = replay(backup.records, steps)
        doc = backup.working_copy()
        doc.records, doc.step = records, steps[-1].step
        doc.next_id = max(doc.next_id, next_id)
        return Replay(doc, len(steps), saved_at, unrecovered or None)

    def _past_damaged_ids(self, data: bytes, doc: Document) -> tuple[bytes, Document]:
        """The backup to restore, with next_id past every id the damaged file still shows.

        Ids are never reused: the damaged file may hold tasks added after the backup was kept.
        """
        highest = self._highest_id_in_damaged_file()
        if highest < doc.next_id or doc.unwritable:
            return data, doc  # (an unwritable backup is restored byte for byte; saves refuse it)
        doc = doc.working_copy()
        doc.next_id = highest + 1
        return encode(doc), doc

    def _damaged_step(self) -> int | None:
        """The step the damaged file's envelope names, if its start is still readable."""
        try:
            damaged, _ = read_regular(self.real_path)
        except OSError:
            return None
        envelope = damaged[: damaged.find(b'"tasks"')] if b'"tasks"' in damaged else b""
        found = _STEP_FIELD.search(envelope)
        return int(found.group(1)) if found else None

    def _highest_id_in_damaged_file(self) -> int:
        """The largest `"id"` or `"next_id"` - 1 the damaged bytes still show, or 0.

        A scan, not a parse: the bytes do not decode. An unknown field named "id" can only make
        ids skip a number, never repeat one.
        """
        try:
            damaged, _ = read_regular(self.real_path)
        except OSError:
            return 0
        found = [int(n) - (key == b"next_id") for key, n in _ID_FIELD.findall(damaged)]
        return max(found, default=0)

    def _refuse(self, reason: str) -> NoReturn:
        raise FileCorruptionError(
            f"{self.path} is damaged ({reason}) and no valid backup exists; "
            "it was left untouched (see `doctor`, or fix it by hand)"
        )

    def _newest_valid_backup(self) -> tuple[str, bytes, Document] | None:
        """The rotated backups newest first; else the tier copy holding the latest step; else
        the legacy original, the oldest copy there is."""
        for backup in self.backup_paths():
            if (found := self._valid_copy(backup)) is not None:
                return found
        tiers = [self._valid_copy(p) for tier in TIER_STAMPS for p in self.tier_paths(tier)]
        valid = [found for found in tiers if found is not None]
        if valid:
            return max(valid, key=lambda found: found[2].step)
        return self._valid_copy(self.real_path + ".legacy")

    def _valid_copy(self, path: str) -> tuple[str, bytes, Document] | None:
        try:
            data = self.ops.read(path)
            return path, data, decode(data)
        except (OSError, ValueError):
            return None

    def _quarantine(self) -> str:
        """Keep the damaged bytes as `<name>.corrupt-<UTC timestamp>`; never deleted automatically."""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        base = f"{self.real_path}.corrupt-{stamp}"
        for n in range(100):
            target = base if n == 0 else f"{base}-{n}"
            try:
                self.ops.link_or_copy(self.real_path, target)
                return target
            except FileExistsError:
                continue
        raise StorageError(f"too many quarantined copies of {self.path}; clean some up")


class Replay(Struct, frozen=True):
    doc: Document
    replayed: int
    backup_saved_at: str | None
    unrecovered: str | None


def _is_temp_of(name: str, entry: str) -> bool:
    """`.<name>.<pid>.<8 hex>.tmp`."""
    pid, _, rest = entry.removeprefix(f".{name}.").partition(".")
    token, _, suffix = rest.partition(".")
    return (
        entry.startswith(f".{name}.")
        and pid.isdigit()
        and len(token) == 8
        and all(c in "0123456789abcdef" for c in token)
        and suffix == "tmp"
    )


def _unchanged(before: Document, after: Document, change: Change) -> bool:
    return not change.edits and after.next_id == before.next_id and after.extra == before.extra


@contextmanager
def _ctrl_c_ignored() -> Iterator[None]:
    """Ignore SIGINT for a few milliseconds, so the file and this window agree on what happened.

    Only the main thread can set signal handlers; elsewhere Ctrl-C does not arrive anyway.
    """
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
