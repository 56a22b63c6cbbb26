"""core.file_safety: durable, locked, recoverable transactions on a real directory."""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from core.errors import (
    DiskFullError,
    FileCorruptionError,
    FileLockTimeoutError,
    PermissionDeniedError,
    ReadOnlyFileSystemError,
    StorageError,
)
from core.events import Event, HistoryReset, LockWaiting, Recovered, Saved, Upgraded
from core.file_safety import BackupTiers, SafeFileManager, Snapshot
from core.model import new_record
from core.storage.document import Document, decode, encode
from core.storage.fsops import FileOps
from core.storage.history import Change
from tests.helpers import ROOT, child_env

CORRUPT_NAME = re.compile(r"tasks\.json\.corrupt-\d{8}T\d{6}Z(-\d+)?")
LEGACY = (
    b'[\n  {"id": 1, "name": "buy milk", "comment": "", "description": "", '
    b'"priority": "2", "tag": "home"},\n'
    b'  {"id": 2, "name": "call Ana", "comment": "", "description": "", '
    b'"priority": 1, "tag": ""}\n]\n'
)


def add(name: str) -> Callable[[Document], tuple[int, Change]]:
    """A mutation that appends one task and returns its id (and its Change, for the history)."""

    def mutate(doc: Document) -> tuple[int, Change]:
        rec = new_record(doc.allocate_id(), name)
        doc.records.append(rec)
        return int(rec["id"]), Change("add", ((rec["uuid"], None, rec),))

    return mutate


def looking(seen: list[Document]) -> Callable[[Document], tuple[None, Change]]:
    """A mutation that only looks: it records the document it was given and changes nothing."""

    def mutate(doc: Document) -> tuple[None, Change]:
        seen.append(doc)
        return None, Change("look", ())

    return mutate


def names(path: Path) -> list[str]:
    return [r["name"] for r in decode(path.read_bytes()).records]


def contents(
    directory: Path, skip_lock: bool = True, skip_history: bool = False
) -> dict[str, bytes]:
    """Every file in a directory and its bytes (the lock file aside: taking it is not writing)."""
    return {
        p.name: p.read_bytes()
        for p in sorted(directory.iterdir())
        if p.is_file()
        and not (skip_lock and p.name.endswith(".lock"))
        and not (skip_history and p.name.endswith(".history"))
    }


def temps(directory: Path) -> list[str]:
    return [p.name for p in directory.iterdir() if p.name.endswith(".tmp")]


class Events(list[Event]):
    """An event sink that keeps what it is told."""

    def __call__(self, event: Event) -> None:
        self.append(event)

    def of(self, kind: type[Any]) -> list[Any]:
        return [e for e in self if isinstance(e, kind)]


@pytest.fixture
def events() -> Events:
    return Events()


NO_TIERS = BackupTiers(hourly=0, daily=0, weekly=0)


def manager(path: Path, events: Events | None = None, **kwargs: Any) -> SafeFileManager:
    """A manager without the hourly/daily/weekly tiers, unless a test asks for them (they add
    files the backup-rotation tests would have to list; the tier tests are below)."""
    kwargs.setdefault("tiers", NO_TIERS)
    return SafeFileManager(path, on_event=events if events is not None else Events(), **kwargs)


def save_versions(files: SafeFileManager, count: int) -> list[bytes]:
    """`count` transactions, each adding a task; the file's bytes after each."""
    versions = []
    for i in range(count):
        files.transaction(add(f"task {i + 1}"), None)
        versions.append(Path(files.real_path).read_bytes())
    return versions


# --- the transaction ---


def test_a_transaction_writes_the_mutation_and_returns_the_new_snapshot(
    tasks_path: Path, events: Events
) -> None:
    files = manager(tasks_path, events)
    result, snap = files.transaction(add("write report"), None)
    assert result == 1
    assert names(tasks_path) == ["write report"]
    assert snap.signature == files.signature()
    assert [r["name"] for r in snap.doc.records] == ["write report"]
    assert decode(tasks_path.read_bytes()).next_id == 2
    assert temps(tasks_path.parent) == []


class RecordingOps(FileOps):
    """Real file operations that log each step, to check their order."""

    def __init__(self) -> None:
        self.steps: list[str] = []
        self.temp_fds: set[int] = set()
        self.history_fds: set[int] = set()

    def create(self, path: str) -> int:
        fd = super().create(path)
        self.temp_fds.add(fd)
        self.steps.append("create temp")
        return fd

    def open_append(self, path: str, mode: int = 0o600) -> int:
        fd = super().open_append(path, mode)
        self.history_fds.add(fd)
        self.steps.append("open history")
        return fd

    def _name(self, fd: int) -> str:
        return "history" if fd in self.history_fds else "temp" if fd in self.temp_fds else "other"

    def write(self, fd: int, data: bytes) -> None:
        self.steps.append(f"write {self._name(fd)}")
        super().write(fd, data)

    def fchmod(self, fd: int, mode: int) -> None:
        self.steps.append("chmod temp")
        super().fchmod(fd, mode)

    def fsync(self, fd: int) -> None:
        self.steps.append(f"fsync {self._name(fd)}")
        super().fsync(fd)

    def close(self, fd: int) -> None:
        self.steps.append(f"close {self._name(fd)}")
        self.temp_fds.discard(fd)
        self.history_fds.discard(fd)
        super().close(fd)

    def link_or_copy(self, src: str, dst: str) -> None:
        self.steps.append(f"link {os.path.basename(dst)}")
        super().link_or_copy(src, dst)

    def replace(self, src: str, dst: str) -> None:
        self.steps.append(f"replace {os.path.basename(dst)}")
        super().replace(src, dst)

    def fsync_dir(self, path: str) -> None:
        self.steps.append("fsync dir")
        super().fsync_dir(path)


def test_the_new_bytes_are_synced_before_the_rename_and_the_rename_is_synced(
    tasks_path: Path,
) -> None:
    ops = RecordingOps()
    files = manager(tasks_path, ops=ops)
    files.transaction(add("one"), None)
    ops.steps.clear()
    files.transaction(add("two"), None)
    assert ops.steps == [
        "create temp",
        "write temp",
        "chmod temp",
        "fsync temp",
        "close temp",
        "open history",  # the step is durable in the history before the file that holds it lands
        "write history",
        "fsync history",
        "close history",
        "link tasks.json.backup",
        "replace tasks.json",
        "fsync dir",
    ]


def test_each_transaction_emits_saved(tasks_path: Path, events: Events) -> None:
    files = manager(tasks_path, events)
    save_versions(files, 2)
    saved = events.of(Saved)
    assert [(e.path, e.task_count) for e in saved] == [(str(tasks_path), 1), (str(tasks_path), 2)]
    assert all(e.seconds >= 0 for e in saved)


def test_a_stale_snapshot_is_re_read_so_another_windows_change_stays(tasks_path: Path) -> None:
    first, second = manager(tasks_path), manager(tasks_path)
    _, stale = second.transaction(add("from second"), None)
    first.transaction(add("from first"), None)
    second.transaction(add("second again"), stale)
    assert names(tasks_path) == ["from second", "from first", "second again"]
    assert sorted(decode(tasks_path.read_bytes()).ids()) == [1, 2, 3]


def test_a_current_snapshot_is_used_without_re_reading(tasks_path: Path) -> None:
    files = manager(tasks_path)
    _, snap = files.transaction(add("one"), None)
    seen: list[Document] = []
    files.transaction(looking(seen), snap)
    # The mutation gets a copy of the snapshot's document sharing its records: nothing re-read.
    assert seen == [snap.doc] and seen[0].records[0] is snap.doc.records[0]


def test_a_mutation_works_on_a_copy_adopted_only_when_the_save_succeeds(tasks_path: Path) -> None:
    files = manager(tasks_path)
    _, snap = files.transaction(add("one"), None)
    before = list(snap.doc.records)

    def add_then_fail(doc: Document) -> None:
        add("two")(doc)
        doc.records[0] = {**doc.records[0], "name": "renamed"}
        raise RuntimeError("the save never happens")

    with pytest.raises(RuntimeError):
        files.transaction(add_then_fail, snap)
    assert snap.doc.records == before and snap.doc.next_id == 2  # the window's snapshot as it was
    _, new = files.transaction(add("three"), snap)
    assert new.doc is not snap.doc and [r["name"] for r in new.doc.records] == ["one", "three"]
    assert snap.doc.records == before  # the old snapshot is never edited, even by a success


def test_an_exception_inside_mutate_leaves_the_directory_untouched(tasks_path: Path) -> None:
    files = manager(tasks_path)
    save_versions(files, 2)
    before = contents(tasks_path.parent)

    def fail(doc: Document) -> tuple[None, Change]:
        add("half done")(doc)
        raise ValueError("changed my mind")

    with pytest.raises(ValueError, match="changed my mind"):
        files.transaction(fail, None)
    assert contents(tasks_path.parent) == before


# --- modes and symlinks ---


@pytest.mark.parametrize("mode", [0o644, 0o600, 0o640])
def test_the_files_mode_is_kept_across_saves(tasks_path: Path, mode: int) -> None:
    files = manager(tasks_path)
    files.transaction(add("one"), None)
    tasks_path.chmod(mode)
    save_versions(files, 2)
    assert tasks_path.stat().st_mode & 0o7777 == mode


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o027])
def test_a_new_file_gets_the_default_mode_under_the_umask(tasks_path: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        manager(tasks_path).transaction(add("one"), None)
    finally:
        os.umask(old)
    assert tasks_path.stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.fixture
def target(tmp_path: Path) -> Path:
    (tmp_path / "data").mkdir()
    return tmp_path / "data" / "real.json"


@pytest.mark.parametrize("relative", [False, True])
def test_a_symlinked_file_stays_a_symlink_and_its_target_is_updated(
    tasks_path: Path, target: Path, relative: bool
) -> None:
    manager(target).transaction(add("one"), None)
    tasks_path.symlink_to("data/real.json" if relative else target)
    link_text = os.readlink(tasks_path)
    files = manager(tasks_path)
    files.transaction(add("two"), None)
    files.transaction(add("three"), None)
    assert tasks_path.is_symlink()
    assert os.readlink(tasks_path) == link_text
    assert names(target) == ["one", "two", "three"]
    assert (target.parent / "real.json.backup").exists()  # backups and lock beside the target
    assert (target.parent / "real.json.lock").exists()
    assert sorted(p.name for p in tasks_path.parent.iterdir() if p.name.startswith("tasks")) == [
        "tasks.json"
    ]


def test_a_dangling_symlink_gets_its_target_created(tasks_path: Path, target: Path) -> None:
    tasks_path.symlink_to(target)
    manager(tasks_path).transaction(add("first"), None)
    assert tasks_path.is_symlink()
    assert names(target) == ["first"]


def test_the_link_and_its_target_share_one_lock(tasks_path: Path, target: Path) -> None:
    tasks_path.symlink_to(target)
    assert manager(tasks_path).lock_path == manager(target).lock_path == f"{target}.lock"


def test_the_lock_file_keeps_its_inode_across_transactions(tasks_path: Path) -> None:
    files = manager(tasks_path)
    files.transaction(add("one"), None)
    lock = Path(files.lock_path)
    inode = lock.stat().st_ino
    save_versions(files, 3)
    assert lock.stat().st_ino == inode


# --- backups ---


def test_three_backups_hold_the_three_previous_versions(tasks_path: Path) -> None:
    files = manager(tasks_path, backup_count=3)
    versions = save_versions(files, 5)
    directory = tasks_path.parent
    assert tasks_path.read_bytes() == versions[4]
    assert (directory / "tasks.json.backup").read_bytes() == versions[3]
    assert (directory / "tasks.json.backup.1").read_bytes() == versions[2]
    assert (directory / "tasks.json.backup.2").read_bytes() == versions[1]
    assert sorted(contents(directory)) == [
        "tasks.json",
        "tasks.json.backup",
        "tasks.json.backup.1",
        "tasks.json.backup.2",
        "tasks.json.history",
    ]


def test_backups_are_hard_links_of_the_replaced_files(tasks_path: Path) -> None:
    files = manager(tasks_path)
    inodes = []
    for i in range(3):
        files.transaction(add(f"task {i}"), None)
        inodes.append(tasks_path.stat().st_ino)
    backup, backup1 = (tasks_path.parent / n for n in ("tasks.json.backup", "tasks.json.backup.1"))
    assert backup.stat().st_ino == inodes[1]
    assert backup1.stat().st_ino == inodes[0]
    # Each old version now lives only as its backup: linked, not copied, and not linked twice.
    assert backup.stat().st_nlink == backup1.stat().st_nlink == 1
    assert tasks_path.stat().st_nlink == 1


def test_one_backup(tasks_path: Path) -> None:
    versions = save_versions(manager(tasks_path, backup_count=1), 3)
    assert contents(tasks_path.parent, skip_history=True) == {
        "tasks.json": versions[2],
        "tasks.json.backup": versions[1],
    }


def test_no_backups(tasks_path: Path) -> None:
    versions = save_versions(manager(tasks_path, backup_count=0), 3)
    assert contents(tasks_path.parent, skip_history=True) == {"tasks.json": versions[2]}


# --- temp files a dead writer left ---

# A writer SIGKILLed after its temp file is complete and before the rename.
DIES_BEFORE_RENAME = """
import os, signal, sys
from core.file_safety import SafeFileManager
from core.storage.fsops import FileOps
from core.model import new_record
from core.storage.history import Change

class DiesBeforeRename(FileOps):
    def replace(self, src, dst):
        os.kill(os.getpid(), signal.SIGKILL)

def mutate(doc):
    rec = new_record(doc.allocate_id(), "never saved")
    doc.records.append(rec)
    return None, Change("add", ((rec["uuid"], None, rec),))

SafeFileManager(sys.argv[1], ops=DiesBeforeRename()).transaction(mutate, None)
"""


def test_temp_files_of_a_killed_writer_are_removed_by_the_next_transaction(
    tasks_path: Path, tmp_path: Path
) -> None:
    files = manager(tasks_path)
    files.transaction(add("kept"), None)
    before = tasks_path.read_bytes()
    result = subprocess.run(
        [sys.executable, "-c", DIES_BEFORE_RENAME, str(tasks_path)],
        env=child_env(tmp_path),
        cwd=ROOT,
        capture_output=True,
    )
    assert result.returncode == -9
    left = temps(tmp_path)
    assert len(left) == 1 and left[0].startswith(".tasks.json.")
    assert tasks_path.read_bytes() == before  # the old file is whole
    files.transaction(add("next"), None)  # the dead writer's lock is free, too
    assert temps(tmp_path) == []
    assert names(tasks_path) == ["kept", "next"]


def test_only_this_files_temp_files_are_removed(tasks_path: Path, tmp_path: Path) -> None:
    stale = tmp_path / ".tasks.json.99999.deadbeef.tmp"
    other = tmp_path / ".notes.json.99999.deadbeef.tmp"
    mine = tmp_path / "tasks.json.tmp"
    for p in (stale, other, mine):
        p.write_bytes(b"partial")
    manager(tasks_path).transaction(add("one"), None)
    assert not stale.exists()
    assert other.exists() and mine.exists()


# --- typed errors; the old file stays ---


class FailingOps(FileOps):
    """Real file operations, except that one step fails with the given errno."""

    def __init__(self, step: str, code: int) -> None:
        self.step, self.code = step, code

    def _maybe_fail(self, step: str) -> None:
        if step == self.step:
            raise OSError(self.code, os.strerror(self.code))

    def write(self, fd: int, data: bytes) -> None:
        self._maybe_fail("write")
        super().write(fd, data)

    def fsync(self, fd: int) -> None:
        self._maybe_fail("fsync")
        super().fsync(fd)

    def replace(self, src: str, dst: str) -> None:
        if dst.endswith("tasks.json"):
            self._maybe_fail("replace")
        super().replace(src, dst)


@pytest.mark.parametrize("step", ["write", "fsync", "replace"])
@pytest.mark.parametrize(
    ("code", "error", "sentence"),
    [
        (errno.ENOSPC, DiskFullError, "the disk is full"),
        (errno.EDQUOT, DiskFullError, "the disk is full"),
        (errno.EROFS, ReadOnlyFileSystemError, "read-only"),
        (errno.EACCES, PermissionDeniedError, "permission denied"),
        (errno.EIO, StorageError, "Input/output error"),
    ],
)
def test_a_failed_save_raises_a_typed_error_and_keeps_the_old_file(
    tasks_path: Path, step: str, code: int, error: type[StorageError], sentence: str
) -> None:
    manager(tasks_path).transaction(add("kept"), None)
    before = tasks_path.read_bytes()
    files = manager(tasks_path, ops=FailingOps(step, code))
    with pytest.raises(error) as exc:
        files.transaction(add("lost"), None)
    assert sentence in str(exc.value)
    assert "nothing was changed" in str(exc.value)
    assert tasks_path.read_bytes() == before
    assert temps(tasks_path.parent) == []


class DirSyncFails(FileOps):
    """Real file operations, except that syncing the directory fails (EIO), after the rename."""

    def fsync_dir(self, path: str) -> None:
        raise OSError(errno.EIO, os.strerror(errno.EIO))


def test_a_failure_after_the_rename_does_not_claim_nothing_changed(tasks_path: Path) -> None:
    manager(tasks_path).transaction(add("kept"), None)
    before = tasks_path.read_bytes()
    with pytest.raises(StorageError) as exc:
        manager(tasks_path, ops=DirSyncFails()).transaction(add("maybe"), None)
    if tasks_path.read_bytes() != before:
        assert "nothing was changed" not in str(exc.value)


def test_a_directory_in_place_of_the_file_is_a_clear_error(tasks_path: Path) -> None:
    tasks_path.mkdir()
    with pytest.raises(StorageError, match="is a directory"):
        manager(tasks_path).load()


def test_a_held_lock_reports_waits_then_times_out_without_writing(
    tasks_path: Path, tmp_path: Path, events: Events
) -> None:
    manager(tasks_path).transaction(add("kept"), None)
    before = contents(tmp_path)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from core.storage.lock import FileLock; l = FileLock(sys.argv[1], 30); "
            "l.acquire(); print('locked', flush=True); sys.stdin.readline()",
            f"{tasks_path}.lock",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=child_env(tmp_path),
        cwd=ROOT,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"locked\n"
        with pytest.raises(FileLockTimeoutError) as exc:
            manager(tasks_path, events, lock_timeout=0.4).transaction(add("lost"), None)
    finally:
        holder.kill()
        holder.wait(10)
    assert f"pid {holder.pid}" in str(exc.value)
    waits = events.of(LockWaiting)
    assert waits and all(f"pid {holder.pid}" in w.holder for w in waits)
    assert contents(tmp_path) == before


# --- recovery ---


@pytest.fixture
def torn(tasks_path: Path) -> tuple[list[bytes], bytes]:
    """Three saved versions, then the main file torn in half: (versions, torn bytes).

    The history is gone too, so what is tested is the choice of backup alone (with the history,
    recovery replays the later steps: see the replay tests).
    """
    versions = save_versions(manager(tasks_path), 3)
    torn_bytes = versions[2][: len(versions[2]) // 2]
    tasks_path.write_bytes(torn_bytes)
    forget_history(tasks_path)
    return versions, torn_bytes


def forget_history(tasks_path: Path) -> None:
    Path(f"{tasks_path}.history").unlink()


def test_a_torn_file_is_quarantined_and_the_newest_backup_restored(
    tasks_path: Path, torn: tuple[list[bytes], bytes], events: Events
) -> None:
    versions, torn_bytes = torn
    snap = manager(tasks_path, events).load()
    restored = decode(tasks_path.read_bytes())
    assert restored.records == decode(versions[1]).records
    assert restored.next_id == 4  # the torn file's next_id: id 3 was handed out, never again
    assert [r["name"] for r in snap.doc.records] == ["task 1", "task 2"]
    (recovered,) = events.of(Recovered)
    assert recovered.backup == f"{tasks_path}.backup"
    assert recovered.task_count == 2
    assert recovered.path == str(tasks_path)
    assert "not valid JSON" in recovered.reason
    corrupt = Path(recovered.corrupt_copy)
    assert CORRUPT_NAME.fullmatch(corrupt.name)
    assert corrupt.read_bytes() == torn_bytes
    assert snap.signature == manager(tasks_path).signature()


def test_a_corrupt_newest_backup_is_skipped_for_the_next_valid_one(
    tasks_path: Path, torn: tuple[list[bytes], bytes], events: Events
) -> None:
    versions, _ = torn
    Path(f"{tasks_path}.backup").write_bytes(b'{"format": "tasksafe", "vers')
    snap = manager(tasks_path, events).load()
    assert decode(tasks_path.read_bytes()).records == decode(versions[0]).records
    assert len(snap.doc.records) == 1
    (recovered,) = events.of(Recovered)
    assert (recovered.backup, recovered.task_count) == (f"{tasks_path}.backup.1", 1)


def test_a_transaction_on_a_torn_file_recovers_then_applies_its_change(
    tasks_path: Path, torn: tuple[list[bytes], bytes], events: Events
) -> None:
    manager(tasks_path, events).transaction(add("after recovery"), None)
    assert names(tasks_path) == ["task 1", "task 2", "after recovery"]
    assert len(events.of(Recovered)) == 1
    assert len(list(tasks_path.parent.glob("tasks.json.corrupt-*"))) == 1


def test_recovery_keeps_the_files_mode(tasks_path: Path, torn: tuple[list[bytes], bytes]) -> None:
    tasks_path.chmod(0o600)
    manager(tasks_path).load()
    assert tasks_path.stat().st_mode & 0o777 == 0o600


def test_two_recoveries_keep_both_corrupt_copies(
    tasks_path: Path, torn: tuple[list[bytes], bytes], events: Events
) -> None:
    _, first_torn = torn
    files = manager(tasks_path, events)
    files.load()
    tasks_path.write_bytes(b"\x00\x00\x00")
    files.load()
    copies = sorted(tasks_path.parent.glob("tasks.json.corrupt-*"))
    assert len(copies) == 2
    assert {p.read_bytes() for p in copies} == {first_torn, b"\x00\x00\x00"}


@pytest.mark.parametrize("backups", ["none", "all corrupt"])
def test_a_damaged_file_without_a_valid_backup_is_refused_and_nothing_is_written(
    tasks_path: Path, tmp_path: Path, events: Events, backups: str
) -> None:
    tasks_path.write_bytes(b'{"format": "tasksafe", "version": 1, "tasks": [{"id": 1,')
    if backups == "all corrupt":
        for suffix in (".backup", ".backup.1", ".backup.2"):
            Path(f"{tasks_path}{suffix}").write_bytes(b"[{]")
    before = contents(tmp_path)
    files = manager(tasks_path, events)
    with pytest.raises(FileCorruptionError) as exc:
        files.load()
    assert contents(tmp_path, skip_lock=False) == before  # loading creates not even the lock file
    assert exc.value.exit_code == 4
    assert str(tasks_path) in str(exc.value)
    assert "no valid backup" in str(exc.value)
    called: list[Document] = []
    with pytest.raises(FileCorruptionError):
        files.transaction(looking(called), None)
    assert called == []
    assert contents(tmp_path) == before
    assert events.of(Recovered) == events.of(Saved) == []


def test_a_file_from_a_newer_version_is_refused_not_replaced_by_a_backup(
    tasks_path: Path, tmp_path: Path
) -> None:
    save_versions(manager(tasks_path), 2)
    newer = json.dumps({"format": "tasksafe", "version": 2, "next_id": 9, "tasks": []}).encode()
    tasks_path.write_bytes(newer)
    before = contents(tmp_path)
    files = manager(tasks_path)
    with pytest.raises(FileCorruptionError, match=r"newer tasksafe.*upgrade"):
        files.load()
    with pytest.raises(FileCorruptionError):
        files.transaction(add("lost"), None)
    assert contents(tmp_path) == before


def test_a_missing_file_loads_as_empty_and_the_first_save_creates_it(tasks_path: Path) -> None:
    files = manager(tasks_path)
    snap = files.load()
    assert (snap.doc.records, snap.signature) == ([], None)
    assert not tasks_path.exists()
    files.transaction(add("first"), snap)
    assert names(tasks_path) == ["first"]


# --- the legacy list ---


def test_a_legacy_list_is_upgraded_on_first_write_and_its_bytes_kept(
    tasks_path: Path, events: Events
) -> None:
    tasks_path.write_bytes(LEGACY)
    files = manager(tasks_path, events)
    snap = files.load()
    assert snap.doc.legacy
    assert tasks_path.read_bytes() == LEGACY  # reading never writes
    files.transaction(add("new"), snap)
    assert Path(f"{tasks_path}.legacy").read_bytes() == LEGACY
    assert Path(f"{tasks_path}.backup").read_bytes() == LEGACY
    assert events.of(Upgraded) == [Upgraded(str(tasks_path), f"{tasks_path}.legacy")]
    value = json.loads(tasks_path.read_bytes())
    assert (value["format"], value["version"], value["next_id"]) == ("tasksafe", 1, 4)
    assert [(r["id"], r["name"], r["tags"]) for r in value["tasks"]] == [
        (1, "buy milk", ["home"]),
        (2, "call Ana", []),
        (3, "new", []),
    ]
    files.transaction(add("again"), None)
    assert len(events.of(Upgraded)) == 1
    assert Path(f"{tasks_path}.legacy").read_bytes() == LEGACY
    assert Path(f"{tasks_path}.backup.1").read_bytes() == LEGACY


def test_a_legacy_list_keeps_its_bytes_even_without_backups(tasks_path: Path) -> None:
    tasks_path.write_bytes(LEGACY)
    manager(tasks_path, backup_count=0).transaction(add("new"), None)
    assert Path(f"{tasks_path}.legacy").read_bytes() == LEGACY


def test_encode_of_a_snapshot_matches_the_file(tasks_path: Path) -> None:
    _, snap = manager(tasks_path).transaction(add("one"), None)
    assert isinstance(snap, Snapshot)
    assert encode(snap.doc) == tasks_path.read_bytes()


class CtrlCAfterReplace(FileOps):
    """Real operations; the user presses Ctrl-C (a real SIGINT) just after the replace."""

    replaced = False

    def replace(self, src: str, dst: str) -> None:
        super().replace(src, dst)
        self.replaced = True

    def fsync_dir(self, path: str) -> None:
        if self.replaced:
            os.kill(os.getpid(), signal.SIGINT)
        super().fsync_dir(path)


def test_ctrl_c_after_the_replace_lets_the_save_finish_and_report_success(
    tasks_path: Path,
) -> None:
    """Once the file is replaced, a Ctrl-C must not make the window think nothing was saved."""
    from core.state import AppState

    state = AppState(tasks_path, ops=CtrlCAfterReplace())
    task = state.add_task("saved despite Ctrl-C")
    assert [r["name"] for r in json.loads(tasks_path.read_bytes())["tasks"]] == [task.name]
    assert state.refresh() is None  # this window knows it saved: no phantom "1 added"
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # Ctrl-C works again


def test_ids_of_tasks_lost_with_a_damaged_file_are_never_handed_out_again(tasks_path: Path) -> None:
    """The backup says next_id 3, but the damaged file held task 3 (and next_id 4) too."""
    files = manager(tasks_path)
    save_versions(files, 3)
    damaged = tasks_path.read_bytes()
    tasks_path.write_bytes(damaged[: damaged.index(b'"name": "task 3"')])  # next_id is cut away
    forget_history(tasks_path)  # (with it, task 3 itself comes back)
    files.transaction(add("after the damage"), None)
    assert decode(tasks_path.read_bytes()).find(4)["name"] == "after the damage"
    assert decode(tasks_path.read_bytes()).find(3) is None


def test_an_empty_file_without_backups_is_an_empty_list(tasks_path: Path) -> None:
    tasks_path.touch()
    files = manager(tasks_path)
    assert files.load().doc.records == []
    files.transaction(add("first"), None)
    assert [r["name"] for r in decode(tasks_path.read_bytes()).records] == ["first"]
    assert not Path(f"{tasks_path}.backup").exists()  # the empty file is not worth keeping
    assert not list(tasks_path.parent.glob("*.corrupt-*"))


def test_an_emptied_file_with_a_backup_is_damage_and_recovered(
    tasks_path: Path, events: Events
) -> None:
    save_versions(manager(tasks_path), 2)
    tasks_path.write_bytes(b"")
    snap = manager(tasks_path, events).load()
    assert [r["name"] for r in snap.doc.records] == ["task 1", "task 2"]  # backup + step 2
    (recovered,) = events.of(Recovered)
    assert "empty" in recovered.reason


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "directory"])
def test_a_path_that_is_not_a_regular_file_is_refused_before_reading(
    tmp_path: Path, kind: str
) -> None:
    """A FIFO used to hang every command; /dev/zero read until MemoryError (issue 16)."""
    path = tmp_path / "tasks.json"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "dev-zero":
        path.symlink_to("/dev/zero")
    else:
        path.mkdir()
    with pytest.raises(FileCorruptionError, match="not a task file") as caught:
        manager(path).load()
    assert caught.value.exit_code == 4
    assert not Path(f"{path}.lock").exists() or kind == "directory"


def test_stale_temps_of_another_file_in_the_same_directory_are_left_alone(
    tasks_path: Path,
) -> None:
    """`tasks.json.work`'s in-flight temp starts with `.tasks.json.` too; it is not ours."""
    theirs = tasks_path.parent / f".{tasks_path.name}.work.{os.getpid()}.0123abcd.tmp"
    ours = tasks_path.parent / f".{tasks_path.name}.4242.0123abcd.tmp"
    theirs.write_bytes(b"in flight")
    ours.write_bytes(b"left by a dead writer")
    manager(tasks_path).transaction(add("one"), None)
    assert theirs.exists() and not ours.exists()


# --- a file that repeats a key (issue 16): damage, recovered or refused like any other ---


def repeat_tasks_array(saved: bytes) -> bytes:
    """`saved` with a second, hand-pasted "tasks" array: a reader keeping the last drops the first."""
    value = json.loads(saved)
    extra = b',\n  "tasks": [{"id": 99, "uuid": "pasted", "name": "pasted"}]\n}\n'
    assert saved.endswith(b"\n}\n") and value["tasks"]
    return saved[: -len(b"\n}\n")] + extra


def test_a_file_that_repeats_a_key_is_quarantined_and_the_newest_backup_restored(
    tasks_path: Path, events: Events
) -> None:
    versions = save_versions(manager(tasks_path), 3)
    damaged = repeat_tasks_array(versions[2])
    tasks_path.write_bytes(damaged)
    forget_history(tasks_path)
    snap = manager(tasks_path, events).load()
    assert [r["name"] for r in snap.doc.records] == ["task 1", "task 2"]
    assert decode(tasks_path.read_bytes()).records == decode(versions[1]).records
    (recovered,) = events.of(Recovered)
    assert recovered.backup == f"{tasks_path}.backup"
    assert 'duplicate key "tasks" in the envelope' in recovered.reason
    assert Path(recovered.corrupt_copy).read_bytes() == damaged  # both arrays kept, verbatim


def test_a_file_that_repeats_a_key_without_a_valid_backup_is_refused_untouched(
    tasks_path: Path, tmp_path: Path
) -> None:
    manager(tasks_path, backup_count=0).transaction(add("only"), None)
    record_twice = tasks_path.read_bytes().replace(b'"name": "only"', b'"name": "a", "name": "b"')
    tasks_path.write_bytes(record_twice)
    before = contents(tmp_path)
    files = manager(tasks_path)
    with pytest.raises(FileCorruptionError, match=r'duplicate key "name" in `tasks\[0\]`') as exc:
        files.load()
    assert exc.value.exit_code == 4
    with pytest.raises(FileCorruptionError):
        files.transaction(add("would drop a name"), None)
    assert contents(tmp_path) == before


def test_bytes_tasksafe_wrote_skip_the_repeated_key_proof_and_any_edit_brings_it_back(
    tasks_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The proof re-encodes the whole file (~7 ms at 10k tasks); a step's fingerprint of the
    bytes it wrote says they are tasksafe's own encoding, which repeats no key."""
    import core.storage.document as document

    proofs: list[bytes] = []
    real = document._keys_unique
    monkeypatch.setattr(
        document, "_keys_unique", lambda data, value: proofs.append(data) or real(data, value)
    )
    versions = save_versions(manager(tasks_path), 2)
    proofs.clear()
    assert [r["name"] for r in manager(tasks_path).load().doc.records] == ["task 1", "task 2"]
    assert proofs == []  # the newest step wrote exactly these bytes
    edited = versions[1].replace(b'"task 2"', b'"task 9"')  # same size, same step
    tasks_path.write_bytes(edited)
    assert [r["name"] for r in manager(tasks_path).load().doc.records] == ["task 1", "task 9"]
    assert proofs == [edited]
    tasks_path.write_bytes(versions[0])  # an older version tasksafe wrote: not the newest step
    manager(tasks_path).load()
    assert proofs[-1] == versions[0]


def test_doctor_reports_a_file_that_repeats_a_key_as_a_problem(tasks_path: Path) -> None:
    """doctor decodes with the same decode(), so the damage the load acts on is what it reports."""
    from core.maintenance.doctor import PROBLEM, diagnose

    versions = save_versions(manager(tasks_path), 1)
    tasks_path.write_bytes(repeat_tasks_array(versions[0]))
    diagnosis = diagnose(manager(tasks_path), lock_patience=0, mountinfo="")
    (fmt,) = [c for c in diagnosis.checks if c.name == "format"]
    assert fmt.status == PROBLEM
    assert 'duplicate key "tasks" in the envelope' in fmt.summary
    assert not diagnosis.healthy


# --- recovery replays the history: a damaged file costs no acknowledged change ---


def test_a_file_truncated_anywhere_in_its_last_write_comes_back_whole(tmp_path: Path) -> None:
    """After N saves the file is cut at every offset: the backup plus the history's later steps
    bring back every acknowledged task (issue 10)."""
    source = tmp_path / "source" / "tasks.json"
    source.parent.mkdir()
    versions = save_versions(manager(source), 5)
    expected = decode(versions[-1])
    last = versions[-1]
    for cut in range(0, len(last) - 1, 23):
        case = tmp_path / f"cut-{cut}"
        shutil.copytree(source.parent, case)
        (case / "tasks.json").write_bytes(last[:cut])
        events = Events()
        snap = manager(case / "tasks.json", events).load()
        assert snap.doc.records == expected.records, cut
        assert snap.doc.step == expected.step and snap.doc.next_id == expected.next_id
        (recovered,) = events.of(Recovered)
        assert recovered.replayed >= 1 and recovered.unrecovered is None


def test_recovery_says_which_backup_how_old_and_how_many_steps_it_replayed(
    tasks_path: Path, events: Events
) -> None:
    save_versions(manager(tasks_path, backup_count=1), 4)
    tasks_path.write_bytes(b"{")
    manager(tasks_path, events).load()
    (recovered,) = events.of(Recovered)
    assert recovered.backup == f"{tasks_path}.backup" and recovered.replayed == 1
    assert recovered.backup_saved_at is not None and recovered.backup_saved_at.endswith("Z")


def test_a_gap_in_the_history_stops_the_replay_and_says_what_could_not_come_back(
    tasks_path: Path, events: Events
) -> None:
    save_versions(manager(tasks_path, backup_count=1), 4)
    history = Path(f"{tasks_path}.history")
    lines = history.read_bytes().splitlines(keepends=True)
    history.write_bytes(b"".join(lines[:4] + lines[5:]))  # step 4 is gone; nothing to replay
    data = tasks_path.read_bytes()
    tasks_path.write_bytes(data[: data.index(b'"name": "task 4"')])  # it still says step 4
    snap = manager(tasks_path, events).load()
    assert [r["name"] for r in snap.doc.records] == ["task 1", "task 2", "task 3"]
    (recovered,) = events.of(Recovered)
    assert recovered.replayed == 0 and "could not be replayed" in (recovered.unrecovered or "")


def test_a_step_whose_save_failed_is_cut_from_the_history(tasks_path: Path) -> None:
    """Backup rotation fails after the step was appended: the history must not keep a change
    the user was told did not happen (a later recovery would replay it)."""

    class FailsToRotate(FileOps):
        def link_or_copy(self, src: str, dst: str) -> None:
            raise OSError(errno.EIO, "I/O error")

    save_versions(manager(tasks_path), 2)
    history = Path(f"{tasks_path}.history").read_bytes()
    with pytest.raises(StorageError, match="nothing was changed"):
        manager(tasks_path, ops=FailsToRotate()).transaction(add("refused"), None)
    assert Path(f"{tasks_path}.history").read_bytes() == history


def test_every_compact_every_steps_old_history_is_dropped_not_on_each_save(
    tasks_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import core.file_safety

    monkeypatch.setattr(core.file_safety, "COMPACT_EVERY", 3)
    files = manager(tasks_path, history_days=1)
    save_versions(files, 2)
    history = Path(f"{tasks_path}.history")
    old = history.read_bytes().replace(b'"at":"20', b'"at":"19')  # two steps from the 1900s
    history.write_bytes(old)
    files.transaction(add("third"), None)  # step 3: compaction
    assert [e.step for e in files.history.read().entries] == [3]


def test_an_unusable_history_is_reported_once_and_the_tasks_are_untouched(
    tasks_path: Path, events: Events
) -> None:
    save_versions(manager(tasks_path), 1)
    Path(f"{tasks_path}.history").write_bytes(b"\x00\x01 not a history")
    files = manager(tasks_path, events)
    files.transaction(add("two"), None)
    files.transaction(add("three"), None)
    (reset,) = events.of(HistoryReset)
    assert Path(reset.kept_as).read_bytes() == b"\x00\x01 not a history"
    assert names(tasks_path) == ["task 1", "two", "three"]
