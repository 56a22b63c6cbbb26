"""The one-shot command line, run as the real program: output, exit codes, files, settings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from core.state import AppState
from tests.helpers import MAIN, ROOT, child_env, run_cli

ESC = "\x1b"


def run_in(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`python main.py ARGS...` in `cwd`, with no --file: the program finds its data file itself."""
    return subprocess.run(
        [sys.executable, MAIN, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=child_env(cwd, env),
        stdin=subprocess.DEVNULL,
        timeout=60,
    )


def ok(path: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Run a command that must succeed quietly; return its stdout."""
    r = run_cli(path, *args, env=env)
    assert (r.returncode, r.stderr) == (0, ""), r.stderr
    return r.stdout


def records(path: Path) -> list[dict[str, Any]]:
    tasks: list[dict[str, Any]] = json.loads(path.read_text())["tasks"]
    return tasks


def by_id(path: Path, task_id: int) -> dict[str, Any]:
    return next(r for r in records(path) if r["id"] == task_id)


def one_error_line(r: subprocess.CompletedProcess[str]) -> str:
    """The single line a failure prints on stderr; nothing else, no traceback."""
    assert "Traceback" not in r.stderr
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.fixture
def four(tasks_path: Path) -> Path:
    """A file with four tasks: 1 p1 #home, 2 #work, 3 p3 #home, 4 (set up in-process: fast)."""
    state = AppState(tasks_path)
    state.add_task("alpha", priority=1, tags=["home"])
    state.add_task("bravo", tags=["work"])
    state.add_task("charlie", priority=3, tags=["home"])
    state.add_task("delta")
    return tasks_path


# --- add, list, show ---


def test_add_prints_only_the_new_id(tasks_path: Path) -> None:
    assert ok(tasks_path, "add", "first", "task") == "1\n"
    assert ok(tasks_path, "add", "second", "-p", "1", "-t", "a", "-t", "b") == "2\n"
    rec = by_id(tasks_path, 2)
    assert (rec["name"], rec["priority"], rec["tags"]) == ("second", 1, ["a", "b"])
    assert by_id(tasks_path, 1)["name"] == "first task"


def test_list_shows_pending_unless_all(four: Path) -> None:
    ok(four, "done", "2")
    pending = ok(four, "list")
    assert "alpha" in pending and "delta" in pending and "bravo" not in pending
    everything = ok(four, "list", "--all")
    assert all(name in everything for name in ("alpha", "bravo", "charlie", "delta"))


def test_list_filters_by_tag_and_priority(four: Path) -> None:
    def names(*args: str) -> list[str]:
        return [r["name"] for r in json.loads(ok(four, "list", "--json", *args))]

    assert names("--tag", "home") == ["alpha", "charlie"]
    assert names("--priority", "3") == ["charlie"]
    assert names("--tag", "home", "--priority", "1") == ["alpha"]
    human = ok(four, "list", "--tag", "work")
    assert "bravo" in human and "alpha" not in human


def test_json_prints_records_exactly_as_stored_and_nothing_else(tasks_path: Path) -> None:
    AppState(tasks_path).add_task("plain")
    doc = json.loads(tasks_path.read_text())
    doc["tasks"][0]["x-sync"] = {"etag": "abc", "seen": [1, 2]}
    doc["tasks"].append({**doc["tasks"][0], "id": 2, "uuid": "u-2", "colour": "red"})
    doc["next_id"] = 3
    tasks_path.write_text(json.dumps(doc))

    listed = json.loads(ok(tasks_path, "list", "--json"))  # stdout is JSON and only JSON
    assert listed == doc["tasks"]
    assert [list(r) for r in listed] == [list(r) for r in doc["tasks"]]  # key order kept
    assert json.loads(ok(tasks_path, "show", "2", "--json")) == doc["tasks"][1]


def test_recovery_notice_goes_to_stderr_and_json_stays_clean(tasks_path: Path) -> None:
    state = AppState(tasks_path)
    state.add_task("one")
    state.add_task("two")  # the first version is now the backup
    torn = tasks_path.read_bytes()[:-40]
    tasks_path.write_bytes(torn)

    r = run_cli(tasks_path, "list", "--json")
    assert r.returncode == 0, r.stderr
    assert [t["name"] for t in json.loads(r.stdout)] == ["one", "two"]  # + the replayed step
    assert "restored" in r.stderr and "1 later step(s)" in r.stderr and "Traceback" not in r.stderr
    (kept,) = tasks_path.parent.glob("tasks.json.corrupt-*")
    assert kept.read_bytes() == torn


def test_task_text_is_printed_literally_not_as_markup(tasks_path: Path) -> None:
    ok(tasks_path, "add", "[bold]x[/]", "-t", "[red]t")
    for args in (["list"], ["show", "1"]):
        out = ok(tasks_path, *args)
        assert "[bold]x[/]" in out
    assert "[red]t" in ok(tasks_path, "show", "1")


@pytest.mark.parametrize("force", [{"FORCE_COLOR": "1"}, {"TTY_COMPATIBLE": "1"}])
def test_no_color_means_no_escape_sequences_even_on_a_forced_terminal(
    tasks_path: Path, force: dict[str, str]
) -> None:
    AppState(tasks_path).add_task("urgent", priority=1)
    assert ESC in ok(tasks_path, "list", env=force), "the terminal was not forced; test is void"
    for args in (["list"], ["show", "1"], ["done", "1"]):
        out = ok(tasks_path, *args, env={**force, "NO_COLOR": "1"})
        assert ESC not in out, f"{args}: {out!r}"


# --- edit, done, undone, delete ---


def test_edit_changes_each_field_it_is_given(tasks_path: Path) -> None:
    AppState(tasks_path).add_task("old", tags=["keep", "drop"], comment="c0")
    ok(tasks_path, "edit", "1", "--name", "new", "-p", "3", "--due", "2030-01-02", "-d", "desc")
    rec = by_id(tasks_path, 1)
    assert (rec["name"], rec["priority"], rec["due"], rec["description"], rec["comment"]) == (
        "new",
        3,
        "2030-01-02",
        "desc",
        "c0",
    )
    ok(tasks_path, "edit", "1", "-c", "c1", "--add-tag", "more", "--remove-tag", "drop")
    rec = by_id(tasks_path, 1)
    assert (rec["comment"], rec["tags"], rec["name"]) == ("c1", ["keep", "more"], "new")
    ok(tasks_path, "edit", "1", "--due", "none")
    assert by_id(tasks_path, 1)["due"] is None


def test_done_takes_ids_and_ranges_and_undone_reopens(four: Path) -> None:
    ok(four, "done", "1", "3-4")
    assert [r["status"] for r in records(four)] == ["done", "pending", "done", "done"]
    assert by_id(four, 1)["completed"]
    ok(four, "undone", "3")
    assert by_id(four, 3)["status"] == "pending"
    assert by_id(four, 3)["completed"] is None


def test_delete_off_a_terminal_needs_yes(four: Path) -> None:
    before = four.read_bytes()
    r = run_cli(four, "delete", "2")
    assert r.returncode == 2
    assert "--yes" in one_error_line(r)
    assert four.read_bytes() == before

    ok(four, "delete", "2", "4", "--yes")
    assert [r["id"] for r in records(four)] == [1, 3]
    assert ok(four, "add", "echo") == "5\n"  # ids are never reused


# --- exit codes and errors ---


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["show", "9"], 1, "task 9 not found"),
        (["edit", "9", "-p", "1"], 1, "task 9 not found"),
        (["done", "1", "9"], 1, "task 9 not found"),
        (["edit", "1", "--due", "someday-ish"], 1, "due date"),
        (["add", "   "], 1, "needs a name"),
        (["frobnicate"], 2, "unknown command 'frobnicate'"),
        (["ad", "x"], 2, "unknown command 'ad': did you mean add?"),
        (["clear"], 2, "works only in the interactive manager"),
        (["list", "--bogus"], 2, "--bogus"),
        (["add", "x", "-p", "7"], 1, "priority"),
        (["edit", "1", "-p", "9"], 1, "priority"),
        (["done"], 2, "FILTER"),
    ],
)
def test_errors_are_one_line_with_their_exit_code_and_change_nothing(
    four: Path, args: list[str], code: int, words: str
) -> None:
    before = four.read_bytes()
    r = run_cli(four, *args)
    assert r.returncode == code, r.stderr
    assert words in one_error_line(r)
    assert r.stdout == ""
    assert four.read_bytes() == before


def test_corrupt_file_without_backup_exits_4_and_is_left_untouched(tasks_path: Path) -> None:
    damaged = b'{"format": "tasksafe", "version": 1, "tasks": [{"id": 1, "na'
    tasks_path.write_bytes(damaged)
    for args in (["list"], ["add", "more"]):
        r = run_cli(tasks_path, *args)
        assert r.returncode == 4
        assert "no valid backup" in one_error_line(r)
        assert tasks_path.read_bytes() == damaged
    # Nothing written beside it either: no quarantined copy, no backup, not even a lock file.
    assert [p.name for p in tasks_path.parent.iterdir() if p.name.startswith("tasks")] == [
        "tasks.json"
    ]


# --- where the data lives ---


def test_file_option_beats_tasks_file_beats_the_working_directory(tmp_path: Path) -> None:
    (tmp_path / "tasks.json").write_text("[]")  # the directory's own list (else: the per-user one)
    env = {"TASKS_FILE": str(tmp_path / "from-env.json")}
    assert run_in(tmp_path, "--file", "opt.json", "add", "a", env=env).returncode == 0
    assert run_in(tmp_path, "add", "b", env=env).returncode == 0
    assert run_in(tmp_path, "add", "c").returncode == 0
    assert [r["name"] for r in records(tmp_path / "opt.json")] == ["a"]
    assert [r["name"] for r in records(tmp_path / "from-env.json")] == ["b"]
    assert [r["name"] for r in records(tmp_path / "tasks.json")] == ["c"]


def test_tasks_file_from_dotenv_is_honoured_below_the_environment(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("TASKS_FILE=dotenv.json\n")
    assert run_in(tmp_path, "add", "a").returncode == 0
    assert run_in(tmp_path, "add", "b", env={"TASKS_FILE": "env.json"}).returncode == 0
    assert [r["name"] for r in records(tmp_path / "dotenv.json")] == ["a"]
    assert [r["name"] for r in records(tmp_path / "env.json")] == ["b"]
    assert not (tmp_path / "tasks.json").exists()


def committed_demo() -> bytes:
    """The demo `tasks.json` as committed: `make run` changes the working copy (issue 13)."""
    shown = subprocess.run(
        ["git", "-C", str(ROOT), "show", "HEAD:tasks.json"], capture_output=True, check=False
    )
    return shown.stdout if shown.returncode == 0 else (ROOT / "tasks.json").read_bytes()


def test_demo_legacy_file_loads_as_is_and_upgrades_on_first_write(tasks_path: Path) -> None:
    tasks_path.write_bytes(committed_demo())
    legacy = tasks_path.read_bytes()
    listed = json.loads(ok(tasks_path, "list", "--json"))
    assert sorted(t["id"] for t in listed) == [1, 2, 3, 4]
    assert "Buy milk" in ok(tasks_path, "list")
    assert tasks_path.read_bytes() == legacy  # reading never writes

    r = run_cli(tasks_path, "add", "fifth")
    assert (r.returncode, r.stdout) == (0, "5\n"), r.stderr
    doc = json.loads(tasks_path.read_text())
    assert (doc["format"], doc["next_id"]) == ("tasksafe", 6)
    assert [t["name"] for t in doc["tasks"]][2:] == ["Buy milk", "Call the dentist", "fifth"]
    assert doc["tasks"][2]["tags"] == ["errands"] and doc["tasks"][3]["tags"] == []
    assert Path(f"{tasks_path}.backup").read_bytes() == legacy


def test_mode_and_symlink_survive_saves(tmp_path: Path) -> None:
    real = tmp_path / "data" / "tasks.json"
    real.parent.mkdir()
    link = tmp_path / "tasks.json"
    link.symlink_to(real)
    AppState(link).add_task("one")
    os.chmod(real, 0o640)
    ok(link, "add", "two")
    ok(link, "done", "1")

    assert link.is_symlink() and os.readlink(link) == str(real)
    assert [r["name"] for r in records(real)] == ["one", "two"]
    assert real.stat().st_mode & 0o7777 == 0o640
    assert Path(f"{real}.backup").exists() and not Path(f"{link}.backup").exists()


def _add_interrupted_after(tasks_path: Path, delay: float, name: str) -> tuple[int, str]:
    """A real one-shot `add`, sent SIGINT (Ctrl-C) `delay` seconds after it started."""
    import signal

    proc = subprocess.Popen(
        [sys.executable, MAIN, "--file", str(tasks_path), "add", name],
        cwd=tasks_path.parent,
        env=child_env(tasks_path.parent, {"PYTHONDONTWRITEBYTECODE": ""}),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # The interpreter's own start-up, before main.py's first line, is not the program's:
        # a Ctrl-C landing there is held (as a blocked signal) until main.py has taken it.
        preexec_fn=lambda: signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT}),
    )
    try:
        proc.wait(timeout=delay)  # a spread of moments: start-up, the save, the output, the exit
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    return proc.returncode, err


@pytest.mark.slow
def test_ctrl_c_at_any_moment_is_one_line_and_the_exit_code_says_whether_it_was_saved(
    tasks_path: Path,
) -> None:
    """Exit 0: the task is in the file. Exit 130: it is not. Never a traceback (issue 16)."""
    run_cli(tasks_path, "add", "first")  # the file exists, so every add does a real save
    seen = set()
    for step in range(48):
        name = f"task {step}"
        code, err = _add_interrupted_after(tasks_path, step * 0.004, name)
        saved = name in [r["name"] for r in json.loads(tasks_path.read_text())["tasks"]]
        assert "Traceback" not in err, err
        assert code in (0, 130), (code, err)
        assert (code == 0) == saved, (code, saved, err)
        seen.add(code)
    assert {0, 130} <= seen  # both kinds of moment were hit


# --- issue 13: the one-shot CLI ---


def test_help_says_no_command_opens_the_interactive_manager(tasks_path: Path) -> None:
    r = run_cli(tasks_path, "--help")
    assert r.returncode == 0
    assert "Without a COMMAND, tasksafe opens the interactive task manager." in r.stdout
    assert "add" in r.stdout and "list" in r.stdout  # every command, not just one


def test_global_options_before_the_command_keep_their_values(four: Path) -> None:
    r = run_cli(four, "--lock-timeout", "2", "list", "--json")
    assert r.returncode == 0, r.stderr
    assert [t["name"] for t in json.loads(r.stdout)][:1] == ["alpha"]


def test_list_into_a_closed_pipe_exits_0_quietly(tasks_path: Path) -> None:
    AppState(tasks_path).add_tasks([{"name": f"task {k}"} for k in range(3000)])
    argv = f"{sys.executable} {MAIN} --file {tasks_path} list | head -2"
    r = subprocess.run(
        ["bash", "-o", "pipefail", "-c", argv],
        capture_output=True,
        text=True,
        cwd=tasks_path.parent,
        env=child_env(tasks_path.parent, None),
        timeout=60,
    )
    assert (r.returncode, r.stderr) == (0, "")
    assert len(r.stdout.splitlines()) == 2


def test_list_off_a_terminal_prints_every_row_as_plain_lines(four: Path) -> None:
    out = ok(four, "list").splitlines()
    assert out[0].split() == ["id", "pri", "tags", "name"]  # no row has a due: no due column
    assert [line.split()[0] for line in out[1:-1]] == ["1", "2", "4", "3"]
    assert out[-1].startswith("4 shown")
