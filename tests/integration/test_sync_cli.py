"""Sync through real git (issue 11): a bare repository as the remote, clones as machines.

Each rule through `sync` and through a plain `git pull` with the merge driver; failures are one
line, exit 1, nothing lost.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from core.state import AppState
from tests.helpers import MAIN, child_env, run_cli
from tests.integration import workers

GIT_ENV = {
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
}


def git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **GIT_ENV}
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=check
    )


class Machine:
    """One machine: its own directory (and HOME), data file and repository."""

    def __init__(self, root: Path, name: str, remote: Path) -> None:
        self.dir = root / name
        self.dir.mkdir()
        self.file = self.dir / "tasks.json"
        self.remote = remote

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run_cli(self.file, *args, env=GIT_ENV)

    def ok(self, *args: str) -> str:
        done = self.run(*args)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def sync(self, *extra: str) -> dict[str, Any]:
        report: dict[str, Any] = json.loads(self.ok("sync", "--json", *extra))
        return report

    def join(self) -> dict[str, Any]:
        return self.sync("--init", str(self.remote))

    def tasks(self) -> dict[str, dict[str, Any]]:
        doc = json.loads(self.file.read_text())
        return {t["name"]: t for t in doc["tasks"]}

    def by_uuid(self) -> dict[str, dict[str, Any]]:
        return {t["uuid"]: t for t in json.loads(self.file.read_text())["tasks"]}


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    path = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(path))
    return path


@pytest.fixture
def two(tmp_path: Path, remote: Path) -> tuple[Machine, Machine]:
    """Two machines that share one task, "buy milk" (id 1)."""
    a, b = Machine(tmp_path, "a", remote), Machine(tmp_path, "b", remote)
    a.ok("add", "buy milk")
    a.join()
    b.join()
    assert set(b.tasks()) == {"buy milk"}
    return a, b


def test_a_second_machine_joining_keeps_both_lists_and_renumbers_its_own(
    tmp_path: Path, remote: Path
) -> None:
    a, b = Machine(tmp_path, "a", remote), Machine(tmp_path, "b", remote)
    a.ok("add", "buy milk")
    a.join()
    b.ok("add", "call mum")
    report = b.join()
    assert [(r["name"], r["old_id"], r["new_id"]) for r in report["renumbered"]] == [
        ("call mum", 1, 2)
    ]
    a.sync()
    assert a.tasks().keys() == b.tasks().keys() == {"buy milk", "call mum"}
    assert a.file.read_bytes() == b.file.read_bytes()
    ignored = (a.dir / ".gitignore").read_text()
    assert "*.history" in ignored and "*.lock" in ignored and "*.backup" in ignored
    shared = git(
        remote.parent, "--git-dir", str(remote), "ls-tree", "-r", "--name-only", "HEAD"
    ).stdout
    assert set(shared.split()) == {".gitattributes", ".gitignore", "tasks.json"}


def test_same_field_on_both_machines_the_later_wins_and_the_other_is_reported(
    two: tuple[Machine, Machine],
) -> None:
    a, b = two
    a.ok("edit", "1", "--name", "buy oat milk")
    time.sleep(1.1)  # change times have one-second precision
    b.ok("edit", "1", "--name", "buy soy milk")
    a.sync()
    report = b.sync()
    (c,) = report["conflicts"]
    assert (c["field"], c["kept"], c["other"], c["kept_side"]) == (
        "name",
        "buy soy milk",
        "buy oat milk",
        "local",
    )
    a.sync()
    assert set(a.tasks()) == set(b.tasks()) == {"buy soy milk"}
    human = b.run("sync").stdout
    assert "synced" in human


def test_the_earlier_change_loses_even_when_it_syncs_last(two: tuple[Machine, Machine]) -> None:
    a, b = two
    a.ok("edit", "1", "--name", "earlier")
    time.sleep(1.1)
    b.ok("edit", "1", "--name", "later")
    b.sync()
    report = a.sync()
    assert report["conflicts"][0]["kept"] == "later"
    assert report["conflicts"][0]["other"] == "earlier"
    assert set(a.tasks()) == {"later"}


def test_one_side_changes_tags_merge_as_sets_done_keeps_the_edit(
    two: tuple[Machine, Machine],
) -> None:
    a, b = two
    a.ok("modify", "1", "--", "+dairy", "p1")
    a.ok("add", "call mum")
    b.ok("modify", "1", "--", "+errands", "due:2026-12-24")
    b.ok("done", "1")
    a.sync()
    report = b.sync()
    assert report["conflicts"] == []
    a.sync()
    for m in (a, b):
        milk = m.tasks()["buy milk"]
        assert sorted(milk["tags"]) == ["dairy", "errands"]
        assert (milk["priority"], milk["due"], milk["status"]) == (1, "2026-12-24", "done")
        assert "call mum" in m.tasks()


def test_deleted_on_one_machine_edited_on_the_other_is_kept(two: tuple[Machine, Machine]) -> None:
    a, b = two
    a.ok("add", "water plants")
    a.sync()
    b.sync()
    a.ok("delete", "1", "2", "--yes")
    b.ok("edit", "1", "--name", "buy milk and bread")
    a.sync()
    report = b.sync()
    assert [r["deleted_on"] for r in report["revived"]] == ["remote"]
    a.sync()
    assert set(a.tasks()) == set(b.tasks()) == {"buy milk and bread"}


def test_a_sync_is_one_undoable_step(two: tuple[Machine, Machine]) -> None:
    a, b = two
    a.ok("add", "from a")
    a.sync()
    b.sync()
    assert "from a" in b.tasks()
    log = json.loads(b.ok("log", "--json", "-n", "1"))
    assert log[0]["label"] == "sync"
    b.ok("undo")
    assert "from a" not in b.tasks()


def test_a_plain_git_pull_merges_per_task_with_the_driver(two: tuple[Machine, Machine]) -> None:
    a, b = two
    a.ok("modify", "1", "--", "+dairy")
    a.ok("add", "call mum")
    a.sync()
    b.ok("edit", "1", "--name", "buy oat milk")
    b.ok("add", "pay rent")
    git(b.dir, "commit", "-q", "-am", "by hand")
    pulled = git(b.dir, "pull", "--no-rebase", "-q", "origin", "master", check=False)
    assert pulled.returncode == 0, pulled.stdout + pulled.stderr
    text = b.file.read_text()
    assert "<<<<<<<" not in text
    tasks = b.tasks()
    assert set(tasks) == {"buy oat milk", "call mum", "pay rent"}
    assert tasks["buy oat milk"]["tags"] == ["dairy"]
    assert len({t["id"] for t in tasks.values()}) == 3
    b.sync()
    a.sync()
    assert a.by_uuid() == b.by_uuid()


def test_git_pull_keeps_an_edit_over_a_delete_done_with_an_edit_and_renumbers(
    two: tuple[Machine, Machine],
) -> None:
    a, b = two
    a.ok("add", "water plants")
    a.sync()
    b.sync()
    a.ok("delete", "2", "--yes")
    a.ok("done", "1")
    a.ok("add", "from a")
    a.sync()
    b.ok("edit", "2", "--name", "water the plants")
    b.ok("modify", "1", "--", "p1")
    b.ok("add", "from b")  # id 3, which a gave to "from a"
    git(b.dir, "commit", "-q", "-am", "by hand")
    pulled = git(b.dir, "pull", "--no-rebase", "-q", "origin", "master", check=False)
    assert pulled.returncode == 0, pulled.stdout + pulled.stderr
    tasks = b.tasks()
    assert set(tasks) == {"buy milk", "water the plants", "from a", "from b"}
    assert (tasks["buy milk"]["status"], tasks["buy milk"]["priority"]) == ("done", 1)
    assert (tasks["from a"]["id"], tasks["from b"]["id"]) == (3, 4)
    b.sync()
    a.sync()
    assert a.by_uuid() == b.by_uuid()


def test_an_unreachable_remote_is_one_line_exit_1_nothing_lost(tmp_path: Path) -> None:
    m = Machine(tmp_path, "a", tmp_path / "nowhere.git")
    m.ok("add", "buy milk")
    done = m.run("sync", "--init", str(tmp_path / "nowhere.git"))
    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1 and "sync failed" in done.stderr
    assert set(m.tasks()) == {"buy milk"}
    m.ok("add", "offline still works")
    assert m.run("sync").returncode == 1


def test_a_rejected_push_is_one_line_and_the_next_sync_picks_up(
    two: tuple[Machine, Machine], remote: Path
) -> None:
    a, b = two
    hook = remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'no pushes today' >&2\nexit 1\n")
    hook.chmod(0o755)
    a.ok("add", "call mum")
    done = a.run("sync")
    assert done.returncode == 1 and "sync failed" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    hook.unlink()
    a.sync()
    b.sync()
    assert "call mum" in b.tasks()


def test_a_remote_holding_a_non_task_file_is_refused_with_nothing_changed(
    tmp_path: Path, remote: Path
) -> None:
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(remote), str(other))
    (other / "tasks.json").write_text("these are not tasks\n")
    git(other, "add", "tasks.json")
    git(other, "commit", "-q", "-m", "not tasks")
    git(other, "push", "-q", "origin", "HEAD")
    m = Machine(tmp_path, "m", remote)
    m.ok("add", "buy milk")
    before = m.file.read_bytes()
    done = m.run("sync", "--init", str(remote))
    assert done.returncode == 1
    assert "not a task file" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert m.file.read_bytes() == before


def test_sync_before_init_says_how(tmp_path: Path) -> None:
    m = Machine(tmp_path, "m", tmp_path / "r")
    m.ok("add", "x")
    done = m.run("sync")
    assert done.returncode == 1 and "sync --init" in done.stderr


def test_syncs_at_the_same_time_on_three_machines_all_land(
    two: tuple[Machine, Machine], tmp_path: Path, remote: Path
) -> None:
    a, b = two
    c = Machine(tmp_path, "c", remote)
    c.join()
    for m in (a, b, c):
        m.ok("add", f"from {m.dir.name}")
    children = [
        subprocess.Popen(
            [sys.executable, MAIN, "--file", str(m.file), "sync"],
            cwd=m.dir,
            env=child_env(m.dir, GIT_ENV),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for m in (a, b, c)
    ]
    for child in children:
        _, err = child.communicate(timeout=60)
        assert child.returncode == 0, err  # a refused push is fetched, merged and pushed again
    for m in (a, b, c, a, b):
        m.sync()
    want = {"buy milk", "from a", "from b", "from c"}
    assert set(a.tasks()) == set(b.tasks()) == set(c.tasks()) == want


KILLS = 4  # each: a sync killed, the other machine syncs


def test_a_sync_killed_at_any_moment_is_completed_by_the_next(two: tuple[Machine, Machine]) -> None:
    a, b = two
    rng = random.Random(7)
    for n in range(KILLS):
        a.ok("add", f"a{n}")
        b.ok("add", f"b{n}")
        child = subprocess.Popen(
            [sys.executable, MAIN, "--file", str(a.file), "sync"],
            cwd=a.dir,
            env=child_env(a.dir, GIT_ENV),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.05, 0.6))
        child.send_signal(signal.SIGKILL)
        child.wait()
        assert a.run("list", "--json").returncode == 0  # the file always loads
        b.sync()
    for m in (a, b, a):
        m.sync()
    want = {"buy milk", *(f"a{n}" for n in range(KILLS)), *(f"b{n}" for n in range(KILLS))}
    assert set(a.tasks()) == set(b.tasks()) == want
    assert a.by_uuid() == b.by_uuid()


def test_a_window_open_during_a_sync_sees_the_change(two: tuple[Machine, Machine]) -> None:
    a, b = two
    window = AppState(b.file)
    window.load()
    a.ok("add", "call mum")
    a.sync()
    b.sync()
    changes = window.refresh()
    assert changes is not None and (changes.added, changes.by) == (1, "sync")


def test_a_sync_while_another_window_holds_the_lock_exits_3_and_the_next_completes(
    two: tuple[Machine, Machine], hold_lock: Callable[[Path], subprocess.Popen[str]]
) -> None:
    a, b = two
    a.ok("add", "call mum")
    a.sync()
    before = b.file.read_bytes()
    holder = hold_lock(b.file)
    done = b.run("--lock-timeout", "0.5", "sync")
    assert done.returncode == 3, done.stderr
    assert b.file.read_bytes() == before
    workers.kill(holder)
    b.sync()
    assert "call mum" in b.tasks()


def test_git_pull_orders_a_conflict_by_the_fields_own_change_times(
    two: tuple[Machine, Machine],
) -> None:
    a, b = two
    b.ok("edit", "1", "--name", "b earlier")
    time.sleep(1.1)
    a.ok("edit", "1", "--name", "a later")
    a.sync()
    time.sleep(1.1)
    b.ok("modify", "1", "--", "p1")  # b's record is now modified after a's rename
    git(b.dir, "commit", "-q", "-am", "by hand")
    pulled = git(b.dir, "pull", "--no-rebase", "-q", "origin", "master", check=False)
    assert pulled.returncode == 0, pulled.stderr
    (task,) = b.tasks().values()
    assert (task["name"], task["priority"]) == ("a later", 1)


def test_a_recurring_task_done_on_both_machines_has_one_next_occurrence(
    two: tuple[Machine, Machine],
) -> None:
    a, b = two
    a.ok("add", "water plants", "recur:weekly", "due:2026-12-01")
    a.sync()
    b.sync()
    a.ok("done", "2")
    b.ok("done", "2")
    a.sync()
    b.sync()
    a.sync()
    for m in (a, b):
        plants = [t for t in m.by_uuid().values() if t["name"] == "water plants"]
        assert sorted(t["status"] for t in plants) == ["done", "pending"]


def test_other_files_on_the_remote_are_kept_and_appear_beside_the_list(
    two: tuple[Machine, Machine], tmp_path: Path, remote: Path
) -> None:
    a, b = two
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(remote), str(other))
    (other / "notes.md").write_text("shared notes\n")
    git(other, "add", "notes.md")
    git(other, "commit", "-q", "-m", "notes")
    git(other, "push", "-q", "origin", "HEAD")
    a.ok("add", "call mum")
    a.sync()
    assert (a.dir / "notes.md").read_text() == "shared notes\n"
    assert git(a.dir, "status", "--porcelain").stdout == ""
    b.sync()
    assert "call mum" in b.tasks() and (b.dir / "notes.md").exists()


# --- a repository that holds more than the data file (core/sync/others.py) ---
# `sync --init` uses the work tree the data file is in: a notes file or a dotfiles repository
# beside it. A sync takes another machine's change to such a file as `git pull` would, and
# stops, changing nothing, where `git pull` would stop too.


def commit_by_hand(machine: Machine, name: str, text: str) -> None:
    (machine.dir / name).write_text(text)
    git(machine.dir, "add", name)
    git(machine.dir, "commit", "-q", "-m", f"{name} by hand")


def on_remote(machine: Machine, name: str) -> str:
    return git(machine.remote, "--git-dir", str(machine.remote), "show", f"master:{name}").stdout


def test_another_machines_change_to_another_file_is_kept_and_brought_in(
    two: tuple[Machine, Machine],
) -> None:
    a, b = two
    commit_by_hand(a, "notes.md", "v1\n")
    a.sync()
    b.sync()
    assert (b.dir / "notes.md").read_text() == "v1\n"
    commit_by_hand(a, "notes.md", "v2\n")
    a.ok("add", "call mom")
    a.sync()
    b.ok("add", "pay rent")  # work on both sides: the sync merges two histories
    b.sync()
    assert (b.dir / "notes.md").read_text() == "v2\n"  # in the work tree
    assert on_remote(b, "notes.md") == "v2\n"  # and never undone by b's merge commit
    assert git(b.dir, "status", "--porcelain", "--", "notes.md").stdout == ""
    assert {"buy milk", "call mom", "pay rent"} <= set(b.tasks())


def test_both_machines_changing_another_file_stop_the_sync_with_nothing_changed(
    two: tuple[Machine, Machine],
) -> None:
    a, b = two
    commit_by_hand(a, "notes.md", "from a\n")
    a.sync()
    commit_by_hand(b, "notes.md", "from b\n")
    b.ok("add", "pay rent")
    before = b.file.read_bytes()
    done = b.run("sync")
    assert done.returncode == 1
    assert "both changed notes.md" in done.stderr and "git pull" in done.stderr
    assert "Traceback" not in done.stderr
    assert b.file.read_bytes() == before  # nothing merged into the tasks either
    assert (b.dir / "notes.md").read_text() == "from b\n"


def test_uncommitted_changes_to_a_file_the_remote_changed_stop_the_sync(
    two: tuple[Machine, Machine],
) -> None:
    a, b = two
    commit_by_hand(a, "notes.md", "v1\n")
    a.sync()
    b.sync()
    commit_by_hand(a, "notes.md", "v2\n")
    a.sync()
    (b.dir / "notes.md").write_text("mine, not committed\n")
    before = b.file.read_bytes()
    done = b.run("sync")
    assert done.returncode == 1 and "not committed" in done.stderr
    assert (b.dir / "notes.md").read_text() == "mine, not committed\n"
    assert b.file.read_bytes() == before
    git(b.dir, "stash", "-q")  # as the line says; then the sync completes
    b.sync()
    assert (b.dir / "notes.md").read_text() == "v2\n"


def test_a_file_the_remote_deleted_goes_here_too(two: tuple[Machine, Machine]) -> None:
    a, b = two
    commit_by_hand(a, "old.txt", "x\n")
    a.sync()
    b.sync()
    git(a.dir, "rm", "-q", "old.txt")
    git(a.dir, "commit", "-q", "-m", "gone")
    a.sync()
    b.ok("add", "pay rent")
    b.sync()
    assert not Path(b.dir / "old.txt").exists()


def test_joining_beside_a_file_the_remote_has_keeps_it_or_stops(
    tmp_path: Path, remote: Path
) -> None:
    a = Machine(tmp_path, "a", remote)
    a.ok("add", "buy milk")
    a.join()
    commit_by_hand(a, "notes.md", "same\n")
    a.sync()
    b = Machine(tmp_path, "b", remote)
    (b.dir / "notes.md").write_text("same\n")  # already as the remote has it: joins
    b.ok("add", "call mom")
    b.join()
    assert {"buy milk", "call mom"} <= set(b.tasks())
    c = Machine(tmp_path, "c", remote)
    (c.dir / "notes.md").write_text("c's own\n")  # git pull would not overwrite it either
    c.ok("add", "pay rent")
    done = c.run("sync", "--init", str(remote))
    assert done.returncode == 1 and "notes.md" in done.stderr and "Traceback" not in done.stderr
    assert (c.dir / "notes.md").read_text() == "c's own\n"
    assert set(c.tasks()) == {"pay rent"}
