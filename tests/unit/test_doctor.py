"""core/maintenance/doctor.py: each problem kind is found and named, and diagnosing writes nothing."""

from __future__ import annotations

import io
import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console

from commands.admin_results import DoctorReport
from core.file_safety import SafeFileManager
from core.maintenance.doctor import (
    INFO,
    OK,
    PROBLEM,
    WARNING,
    Check,
    Diagnosis,
    check_file_system,
    diagnose,
    find_mount,
    lock_state,
)
from core.state import AppState
from ui.render import render


@pytest.fixture
def clean(tasks_path: Path) -> SafeFileManager:
    """A healthy file with two saves behind it (so one valid backup)."""
    state = AppState(tasks_path)
    state.add_task("one")
    state.add_task("two")
    return state.files


def by_name(diagnosis: Diagnosis) -> dict[str, Check]:
    return {c.name: c for c in diagnosis.checks}


def write_records(path: Path, records: list[object]) -> None:
    envelope = {"format": "tasksafe", "version": 1, "next_id": 50, "tasks": records}
    path.write_text(json.dumps(envelope))


def test_a_clean_file_is_healthy_and_every_check_says_so(clean: SafeFileManager) -> None:
    diagnosis = diagnose(clean)
    checks = by_name(diagnosis)
    assert diagnosis.healthy
    for name in ("file", "format", "records", "duplicates", "lock", "temp files", "backups"):
        assert checks[name].status == OK, checks[name]
    assert checks["records"].summary == "2 valid tasks"
    assert "-rw-" in checks["file"].summary
    assert DoctorReport(diagnosis).exit_code == 0


def test_a_symlinked_file_is_shown_with_the_file_it_points_to(
    clean: SafeFileManager, tmp_path: Path
) -> None:
    link = tmp_path / "link.json"
    link.symlink_to(clean.real_path)
    check = by_name(diagnose(SafeFileManager(link)))["file"]
    assert check.summary.startswith(f"{link} → {clean.real_path}: ")
    assert "→" not in by_name(diagnose(SafeFileManager("tasks.json")))["file"].summary


def test_an_invalid_record_is_listed_with_its_position_id_and_why(
    clean: SafeFileManager, tasks_path: Path
) -> None:
    records = json.loads(tasks_path.read_text())["tasks"]
    records.insert(1, {"id": 7, "uuid": "x", "name": "bad", "priority": 9})
    write_records(tasks_path, records)
    diagnosis = diagnose(clean)
    check = by_name(diagnosis)["records"]
    assert check.status == PROBLEM
    assert check.details == ("record 2 (id 7): priority must be 1, 2 or 3, not 9",)
    assert not diagnosis.healthy and DoctorReport(diagnosis).exit_code == 1


def test_duplicate_ids_and_uuids_are_named_with_their_positions(
    clean: SafeFileManager, tasks_path: Path
) -> None:
    records = json.loads(tasks_path.read_text())["tasks"]
    records.append({**records[0], "uuid": "other"})  # same id as the first
    records.append({**records[1], "id": 30})  # same uuid as the second
    write_records(tasks_path, records)
    check = by_name(diagnose(clean))["duplicates"]
    assert check.status == PROBLEM
    assert check.details == (
        f"id {records[0]['id']} at records 1, 3",
        f"uuid {records[1]['uuid']} at records 2, 4",
    )


def test_a_stray_temp_file_is_a_problem(clean: SafeFileManager, tmp_path: Path) -> None:
    (tmp_path / ".tasks.json.4242.abcd1234.tmp").write_text("half a save")
    (tmp_path / ".other.json.1.ab.tmp").write_text("not ours")
    check = by_name(diagnose(clean))["temp files"]
    assert check.status == PROBLEM
    assert check.details == (".tasks.json.4242.abcd1234.tmp",)


@pytest.fixture
def held_lock(
    clean: SafeFileManager, tasks_path: Path, hold_lock: Callable[[Path], subprocess.Popen[str]]
) -> subprocess.Popen[str]:
    """A live child process holding the writer lock."""
    return hold_lock(tasks_path)


def test_a_lock_held_by_a_live_process_names_its_pid(
    clean: SafeFileManager, held_lock: subprocess.Popen[str]
) -> None:
    diagnosis = diagnose(clean, lock_patience=0.05)
    check = by_name(diagnosis)["lock"]
    assert check.status == PROBLEM
    assert f"pid {held_lock.pid} " in check.summary
    assert not diagnosis.healthy


def test_the_lock_is_free_again_once_its_holder_is_gone(
    clean: SafeFileManager, held_lock: subprocess.Popen[str]
) -> None:
    held_lock.kill()
    held_lock.wait(10)
    assert lock_state(clean.lock_path, patience=0).holder is None


def test_temp_files_while_the_lock_is_held_may_be_the_save_in_progress(
    clean: SafeFileManager, held_lock: subprocess.Popen[str], tmp_path: Path
) -> None:
    (tmp_path / ".tasks.json.1.abababab.tmp").write_text("")
    assert by_name(diagnose(clean, lock_patience=0.05))["temp files"].status == WARNING


def test_an_undecodable_file_is_a_problem_that_says_why(
    clean: SafeFileManager, tasks_path: Path
) -> None:
    tasks_path.write_bytes(tasks_path.read_bytes()[:40])
    diagnosis = diagnose(clean)
    check = by_name(diagnosis)["format"]
    assert check.status == PROBLEM and "does not decode" in check.summary
    assert "records" not in by_name(diagnosis)


def test_a_file_from_a_newer_version_is_a_problem(clean: SafeFileManager, tasks_path: Path) -> None:
    tasks_path.write_text(json.dumps({"format": "tasksafe", "version": 99, "tasks": []}))
    assert "newer tasksafe" in by_name(diagnose(clean))["format"].summary


def test_a_missing_file_is_healthy_and_only_informs(tasks_path: Path) -> None:
    diagnosis = diagnose(SafeFileManager(tasks_path))
    checks = by_name(diagnosis)
    assert diagnosis.healthy
    assert checks["file"].status == INFO and "does not exist yet" in checks["file"].summary
    assert checks["backups"].status == INFO


def test_backups_that_do_not_decode_and_quarantined_copies_are_warnings(
    clean: SafeFileManager, tmp_path: Path
) -> None:
    (tmp_path / "tasks.json.backup.1").write_text("{")
    (tmp_path / "tasks.json.corrupt-20260101T000000Z").write_text("{")
    diagnosis = diagnose(clean)
    checks = by_name(diagnosis)
    assert checks["backups"].status == WARNING and checks["backups"].details[0].startswith(
        "backup.1:"
    )
    assert checks["quarantine"].status == WARNING
    assert checks["quarantine"].details == ("corrupt-20260101T000000Z",)
    assert diagnosis.healthy  # kept copies never make the data file unhealthy


def snapshot_dir(directory: Path) -> dict[str, tuple[bytes, int, int]]:
    """Every entry's bytes, mode and mtime: what `never writes` must leave identical."""
    result = {}
    for entry in sorted(os.listdir(directory)):
        st = os.lstat(directory / entry)
        data = (directory / entry).read_bytes() if os.path.isfile(directory / entry) else b""
        result[entry] = (data, st.st_mode, st.st_mtime_ns)
    return result


def test_diagnosing_a_damaged_directory_writes_nothing(tmp_path: Path, tasks_path: Path) -> None:
    tasks_path.write_bytes(b'{"format": "tasksafe", "version": 1, "tasks": [{"id": 1, "na')
    (tmp_path / ".tasks.json.1.abababab.tmp").write_text("stray")
    (tmp_path / "tasks.json.backup").write_text("[]")
    before = snapshot_dir(tmp_path)
    assert not diagnose(SafeFileManager(tasks_path)).healthy
    assert snapshot_dir(tmp_path) == before  # not even a lock file was created


def test_diagnosing_next_to_the_lock_file_and_backups_writes_nothing(
    clean: SafeFileManager, tmp_path: Path, tasks_path: Path
) -> None:
    write_records(tasks_path, [{"id": 1, "name": "no uuid"}, {"id": 1, "name": "again"}])
    (tmp_path / ".tasks.json.2.cdcdcdcd.tmp").write_text("stray")
    before = snapshot_dir(tmp_path)
    assert "tasks.json.lock" in before and "tasks.json.backup" in before
    assert not diagnose(clean).healthy
    assert snapshot_dir(tmp_path) == before


SAMPLE_MOUNTINFO = r"""22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
30 22 0:40 / /home rw,relatime shared:2 - xfs /dev/sda2 rw
31 30 0:41 / /home/me/net rw,relatime shared:3 - nfs4 server:/export rw,vers=4.2
32 30 0:42 / /home/me/My\040Stuff ro,relatime shared:4 - ext4 /dev/sdb1 ro
33 30 0:43 / /home/me/usb rw,relatime shared:5 - vfat /dev/sdc1 rw
34 30 0:44 / /home/me/ssh rw,nosuid shared:6 - fuse.sshfs me@host:/ rw
"""


def test_the_mount_holding_a_path_is_the_longest_matching_mount_point() -> None:
    assert find_mount("/home/me/net/tasks", SAMPLE_MOUNTINFO) == (
        "nfs4",
        "/home/me/net",
        "rw,relatime",
    )
    assert find_mount("/home/me/network", SAMPLE_MOUNTINFO)[0] == "xfs"  # type: ignore[index]
    assert find_mount("/etc", SAMPLE_MOUNTINFO)[1] == "/"  # type: ignore[index]
    assert find_mount("/home/me/My Stuff/x", SAMPLE_MOUNTINFO)[1] == "/home/me/My Stuff"  # type: ignore[index]


@pytest.mark.parametrize(
    ("directory", "status", "words"),
    [
        ("/home/me/net", WARNING, "locks are best-effort"),
        ("/home/me/ssh", WARNING, "locks are best-effort"),
        ("/home/me/My Stuff", PROBLEM, "read-only"),
        ("/home/me/usb", INFO, "no hard links"),
        ("/home/me", OK, "xfs on /home"),
    ],
)
def test_the_file_system_check_warns_where_locks_or_saves_are_not_reliable(
    directory: str, status: str, words: str
) -> None:
    check = check_file_system(directory, SAMPLE_MOUNTINFO)
    assert check.status == status
    assert words in " ".join((check.summary, *check.details))


def test_the_real_file_system_is_named(clean: SafeFileManager) -> None:
    check = by_name(diagnose(clean))["file system"]
    assert check.status in (OK, INFO) and " on /" in check.summary


def test_the_report_renders_every_check_and_the_verdict(
    clean: SafeFileManager, tmp_path: Path
) -> None:
    (tmp_path / ".tasks.json.9.abcdef01.tmp").write_text("")  # a dead writer's: the problem
    (tmp_path / "tasks.json.corrupt-[bold]x[red]").write_text("")  # a damaged copy's name
    console = Console(file=io.StringIO(), width=120, color_system=None)
    render(DoctorReport(diagnose(clean)), console)
    out = console.file.getvalue()  # type: ignore[attr-defined]
    assert "✗ problem" in out and "✓ ok" in out
    assert "corrupt-[bold]x[red]" in out  # file names are data, never markup
    assert "1 problem(s) found" in out


def test_a_fifo_as_the_data_file_is_a_problem_named_without_waiting_for_a_writer(
    tmp_path: Path,
) -> None:
    path = tmp_path / "tasks.json"
    os.mkfifo(path)
    checks = by_name(diagnose(SafeFileManager(path)))
    assert checks["format"].status == PROBLEM
    assert "named pipe" in checks["format"].summary


def test_the_history_is_checked_against_the_file_and_a_torn_tail_reported(
    tasks_path: Path,
) -> None:
    state = AppState(tasks_path)
    state.add_task("a")
    state.add_task("b")
    files = SafeFileManager(tasks_path)
    assert by_name(diagnose(files))["history"].summary.endswith("the file holds step 2")
    history = Path(f"{tasks_path}.history")
    with history.open("ab") as f:
        f.write(b'{"step": 3, "at": "2026')  # an append cut short by a crash
    check = by_name(diagnose(files))["history"]
    assert check.status == WARNING and "cut short" in " ".join(check.details)
    history.write_bytes(b"".join(history.read_bytes().splitlines(keepends=True)[:2]))
    check = by_name(diagnose(files))["history"]
    assert (
        check.status == PROBLEM and "the file holds step 2, the history ends at 1" in check.summary
    )


@pytest.mark.parametrize("kind", ["fifo", "symlink"])
def test_a_lock_file_that_is_not_a_file_is_named_without_hanging(
    clean: SafeFileManager, kind: str
) -> None:
    """A FIFO named .lock used to hang doctor; a symlinked one was called healthy (issue 16)."""
    lock = Path(clean.lock_path)
    lock.unlink(missing_ok=True)
    if kind == "fifo":
        os.mkfifo(lock)
    else:
        lock.symlink_to(clean.real_path)
    check = by_name(diagnose(clean, lock_patience=0))["lock"]
    assert check.status == PROBLEM and "every save refuses it" in check.summary


def test_a_file_system_without_locks_is_a_problem_named_not_a_crash(
    clean: SafeFileManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No real file system without flock runs here (some network mounts): flock is made to fail
    with ENOLCK, the one fake in this file."""
    import errno
    import fcntl

    def no_locks(fd: int, operation: int) -> None:
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(fcntl, "flock", no_locks)
    check = by_name(diagnose(clean, lock_patience=0))["lock"]
    assert check.status == PROBLEM and "does not support locks" in check.summary
