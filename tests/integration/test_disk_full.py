"""A full disk, for real: a 256 KiB tmpfs. The save fails clearly and the old file is intact."""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.state import AppState
from tests.helpers import run_cli

pytestmark = pytest.mark.root


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB tmpfs mounted for this test, unmounted afterwards whatever happens."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root; run as root (CI does) to test a full disk")
    mount = tmp_path / "small"
    mount.mkdir()
    r = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip() or r.returncode}")
    try:
        yield mount
    finally:
        if subprocess.run(["umount", str(mount)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def fill(directory: Path) -> Path:
    """Write a file until the file system has not one byte left."""
    filler = directory / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        for chunk in (64 * 1024, 4096, 512, 1):
            try:
                while True:
                    os.write(fd, b"\0" * chunk)
            except OSError as e:
                assert e.errno == errno.ENOSPC, e
    finally:
        os.close(fd)
    return filler


def test_full_disk_fails_with_one_clear_line_and_keeps_the_old_file(small_disk: Path) -> None:
    path = small_disk / "tasks.json"
    state = AppState(path)
    for k in range(30):
        state.add_task(f"task {k}", description="d" * 100)
    before = path.read_bytes()
    filler = fill(small_disk)

    r = run_cli(path, "add", "one too many")

    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    (line,) = r.stderr.splitlines()
    assert line.startswith("error: ") and "disk is full" in line
    assert r.stdout == ""
    assert path.read_bytes() == before
    assert not list(small_disk.glob(".tasks.json.*.tmp"))

    filler.unlink()
    again = run_cli(path, "add", "one too many")
    assert (again.returncode, again.stdout, again.stderr) == (0, "31\n", "")
    assert len(AppState(path).tasks) == 31
