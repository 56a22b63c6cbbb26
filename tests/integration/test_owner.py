"""A save by another user keeps the list its owner's (issue 16): root (`sudo tasksafe add`) on a
file owned by the unprivileged `nobody`, then `nobody` goes on using it. Root only."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import MAIN, child_env

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to act as another user")


@pytest.fixture
def nobody() -> pwd.struct_passwd:
    return pwd.getpwnam("nobody")


def run_as(
    user: pwd.struct_passwd | None, path: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    """The real program, as `user` (None: as root)."""
    prefix = (
        []
        if user is None
        else ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups"]
    )
    return subprocess.run(
        [*prefix, sys.executable, MAIN, "--file", str(path), *args],
        capture_output=True,
        text=True,
        cwd=path.parent,
        env=child_env(path.parent),
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def world_dir() -> Iterator[Path]:
    """A directory every user can enter (pytest's tmp_path is 0700, closed to `nobody`)."""
    directory = Path(tempfile.mkdtemp(prefix="tasksafe-owner-"))
    directory.chmod(0o755)
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


def test_roots_save_keeps_the_owner_mode_and_every_companion_file_usable(
    world_dir: Path, nobody: pwd.struct_passwd
) -> None:
    home = world_dir / "home"
    home.mkdir()
    os.chown(home, nobody.pw_uid, nobody.pw_gid)
    tasks = home / "tasks.json"
    first = run_as(nobody, tasks, "add", "mine")
    assert first.returncode == 0, first.stderr
    os.chmod(tasks, 0o600)
    by_root = run_as(None, tasks, "add", "added with sudo")  # creates the lock and history too
    assert by_root.returncode == 0, by_root.stderr
    for companion in ("tasks.json", "tasks.json.history", "tasks.json.lock"):
        st = (home / companion).stat()
        assert (st.st_uid, st.st_gid) == (nobody.pw_uid, nobody.pw_gid), companion
    assert (tasks.stat().st_mode & 0o777) == 0o600
    again = run_as(nobody, tasks, "add", "mine again")
    assert again.returncode == 0, again.stderr
    listed = run_as(nobody, tasks, "list", "--json")
    assert [t["name"] for t in json.loads(listed.stdout)] == [
        "mine",
        "added with sudo",
        "mine again",
    ]
