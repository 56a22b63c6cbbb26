"""core.storage.fsops: the file-system calls of a save, including the other platforms' branches."""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from core.storage.fsops import FileOps


@pytest.fixture
def ops() -> FileOps:
    return FileOps()


@pytest.fixture
def src(tmp_path: Path) -> Path:
    path = tmp_path / "tasks.json"
    path.write_bytes(b'{"tasks": []}\n')
    return path


def test_link_or_copy_makes_a_hard_link(ops: FileOps, src: Path, tmp_path: Path) -> None:
    dst = tmp_path / "tasks.json.backup"
    ops.link_or_copy(str(src), str(dst))
    assert dst.stat().st_ino == src.stat().st_ino
    assert src.stat().st_nlink == 2


@pytest.mark.parametrize(
    "code", [errno.EPERM, errno.EXDEV, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP]
)
def test_link_or_copy_copies_where_the_file_system_cannot_link(
    ops: FileOps, src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    # No FAT or exFAT file system can be mounted here (no vfat module, no mkfs.vfat): make
    # os.link fail the way it does there. The cross-device test below does it for real.
    def no_links(a: Any, b: Any) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, "link", no_links)
    dst = tmp_path / "tasks.json.backup"
    ops.link_or_copy(str(src), str(dst))
    assert dst.read_bytes() == src.read_bytes()
    assert dst.stat().st_ino != src.stat().st_ino


def test_link_or_copy_copies_across_file_systems(ops: FileOps, src: Path) -> None:
    shm = Path("/dev/shm")
    if not shm.is_dir() or shm.stat().st_dev == src.stat().st_dev:
        pytest.skip("needs /dev/shm on a different file system than the temp directory")
    dst = shm / f"tasksafe-test-{os.getpid()}-{time.monotonic_ns()}"
    try:
        ops.link_or_copy(str(src), str(dst))  # os.link fails with EXDEV for real
        assert dst.read_bytes() == src.read_bytes()
    finally:
        dst.unlink(missing_ok=True)


def test_link_or_copy_raises_other_errors_without_creating_anything(
    ops: FileOps, tmp_path: Path, src: Path
) -> None:
    with pytest.raises(FileNotFoundError):
        ops.link_or_copy(str(tmp_path / "missing"), str(tmp_path / "dst"))
    assert not (tmp_path / "dst").exists()
    taken = tmp_path / "taken"
    taken.write_bytes(b"keep")
    with pytest.raises(FileExistsError):  # quarantine relies on this to pick a fresh name
        ops.link_or_copy(str(src), str(taken))
    assert taken.read_bytes() == b"keep"


def test_create_is_exclusive_and_private_until_given_a_mode(ops: FileOps, tmp_path: Path) -> None:
    path = tmp_path / ".tasks.json.1.ab.tmp"
    fd = ops.create(str(path))
    try:
        assert path.stat().st_mode & 0o777 == 0o600
        ops.write(fd, b"x" * 300_000)
        ops.fchmod(fd, 0o644)
        ops.fsync(fd)
    finally:
        ops.close(fd)
    assert path.stat().st_mode & 0o777 == 0o644
    assert path.read_bytes() == b"x" * 300_000
    with pytest.raises(FileExistsError):
        ops.create(str(path))


def test_copy_writes_the_same_bytes(ops: FileOps, src: Path, tmp_path: Path) -> None:
    dst = tmp_path / "copy"
    ops.copy(str(src), str(dst))
    assert dst.read_bytes() == src.read_bytes()
    assert dst.stat().st_ino != src.stat().st_ino


def test_fsync_dir_syncs_a_directory_and_fails_on_a_missing_one(
    ops: FileOps, tmp_path: Path
) -> None:
    ops.fsync_dir(str(tmp_path))
    with pytest.raises(FileNotFoundError):
        ops.fsync_dir(str(tmp_path / "missing"))


def test_fsync_dir_is_skipped_on_windows(ops: FileOps, tmp_path: Path) -> None:
    ops.platform = "win32"  # Windows cannot open a directory to fsync it
    ops.fsync_dir(str(tmp_path / "missing"))  # would raise if it tried to open it


def test_fchmod_is_skipped_on_windows(ops: FileOps, tmp_path: Path) -> None:
    ops.platform = "win32"
    path = tmp_path / "f"
    fd = ops.create(str(path))
    try:
        ops.fchmod(fd, 0o644)
    finally:
        ops.close(fd)
    assert path.stat().st_mode & 0o777 == 0o600


@pytest.fixture
def fcntl_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[int, int]]]:
    """Record fcntl calls with F_FULLFSYNC, which Linux does not have (macOS value: 51)."""
    calls: list[tuple[int, int]] = []
    real = fcntl.fcntl

    def recording(fd: int, cmd: int, *args: Any) -> Any:
        calls.append((fd, cmd))
        if cmd == 51:
            return 0
        return real(fd, cmd, *args)

    monkeypatch.setattr(fcntl, "F_FULLFSYNC", 51, raising=False)
    monkeypatch.setattr(fcntl, "fcntl", recording)
    yield calls


def test_fsync_asks_macos_for_a_full_flush(
    ops: FileOps, src: Path, fcntl_calls: list[tuple[int, int]]
) -> None:
    ops.platform = "darwin"
    fd = os.open(src, os.O_RDWR)
    try:
        ops.fsync(fd)
    finally:
        os.close(fd)
    assert fcntl_calls == [(fd, 51)]


def test_fsync_on_linux_does_not_use_full_fsync(
    ops: FileOps, src: Path, fcntl_calls: list[tuple[int, int]]
) -> None:
    ops.platform = "linux"
    fd = os.open(src, os.O_RDWR)
    try:
        ops.fsync(fd)
    finally:
        os.close(fd)
    assert fcntl_calls == []


def test_fsync_falls_back_to_fsync_where_full_fsync_is_refused(
    ops: FileOps, src: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Some macOS file systems (network shares) refuse F_FULLFSYNC; plain fsync must still run.
    def refused(fd: int, cmd: int, *args: Any) -> Any:
        raise OSError(errno.ENOTSUP, "not supported")

    monkeypatch.setattr(fcntl, "F_FULLFSYNC", 51, raising=False)
    monkeypatch.setattr(fcntl, "fcntl", refused)
    ops.platform = "darwin"
    with pytest.raises(OSError, match="Bad file descriptor"):
        ops.fsync(10_000)  # the fallback reached os.fsync, which checks the descriptor
    fd = os.open(src, os.O_RDWR)
    try:
        ops.fsync(fd)
    finally:
        os.close(fd)


def flaky_replace(monkeypatch: pytest.MonkeyPatch, failures: int) -> list[int]:
    """os.replace that refuses `failures` times, as Windows does while another process has
    the target open (no such sharing violation exists on Linux)."""
    real: Callable[[str, str], None] = os.replace
    attempts: list[int] = []

    def replace(a: str, b: str) -> None:
        attempts.append(1)
        if len(attempts) <= failures:
            raise PermissionError(errno.EACCES, "The process cannot access the file")
        real(a, b)

    monkeypatch.setattr(os, "replace", replace)
    return attempts


def test_replace_retries_a_permission_error_on_windows(
    ops: FileOps, src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    new = tmp_path / "new"
    new.write_bytes(b"new")
    attempts = flaky_replace(monkeypatch, failures=3)
    ops.platform = "win32"
    ops.replace(str(new), str(src))
    assert len(attempts) == 4
    assert src.read_bytes() == b"new"


def test_replace_does_not_retry_on_posix(
    ops: FileOps, src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    new = tmp_path / "new"
    new.write_bytes(b"new")
    attempts = flaky_replace(monkeypatch, failures=1)
    ops.platform = "linux"
    with pytest.raises(PermissionError):
        ops.replace(str(new), str(src))
    assert len(attempts) == 1


@pytest.fixture
def immutable(src: Path) -> Iterator[Path]:
    """The target made immutable (chattr +i): os.replace onto it fails with EPERM, even as root."""
    if shutil.which("chattr") is None:
        pytest.skip("chattr is not installed")
    result = subprocess.run(["chattr", "+i", str(src)], capture_output=True)
    if result.returncode != 0:
        pytest.skip(f"cannot make a file immutable here: {result.stderr.decode().strip()}")
    try:
        yield src
    finally:
        subprocess.run(["chattr", "-i", str(src)], check=True)


@pytest.fixture
def replace_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Count os.replace calls; each still does the real rename."""
    real: Callable[[str, str], None] = os.replace
    calls: list[tuple[str, str]] = []

    def counting(a: str, b: str) -> None:
        calls.append((a, b))
        real(a, b)

    monkeypatch.setattr(os, "replace", counting)
    return calls


@pytest.mark.parametrize(("platform", "attempts"), [("win32", 20), ("linux", 1)])
def test_replace_gives_up_on_a_lasting_permission_error(
    ops: FileOps,
    immutable: Path,
    tmp_path: Path,
    replace_calls: list[tuple[str, str]],
    platform: str,
    attempts: int,
) -> None:
    new = tmp_path / "new"
    new.write_bytes(b"new")
    ops.platform = platform
    with pytest.raises(PermissionError):
        ops.replace(str(new), str(immutable))
    assert len(replace_calls) == attempts
    assert new.read_bytes() == b"new"


def test_replace_does_not_retry_a_missing_source(
    ops: FileOps, src: Path, tmp_path: Path, replace_calls: list[tuple[str, str]]
) -> None:
    ops.platform = "win32"
    with pytest.raises(FileNotFoundError):
        ops.replace(str(tmp_path / "missing"), str(src))
    assert len(replace_calls) == 1


def test_unlink_and_listdir(ops: FileOps, src: Path, tmp_path: Path) -> None:
    assert "tasks.json" in ops.listdir(str(tmp_path))
    ops.unlink(str(src))
    assert "tasks.json" not in ops.listdir(str(tmp_path))
