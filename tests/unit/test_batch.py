"""ui.batch: `python main.py < commands.txt` runs each line and exits with the first error's code."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from commands.registry import REGISTRY, Command
from core.config import Settings
from core.state import AppState
from tests.helpers import run_cli
from ui.batch import run_batch


def batch(path: Path, text: str, environ: dict[str, str] | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_batch(Settings(str(path)), io.StringIO(text), environ or {}, out, err)
    return code, out.getvalue(), err.getvalue()


@dataclass(frozen=True)
class Failed:
    """A result that declares an exit code (commands.results.HasExitCode), as `doctor`'s does."""

    exit_code: int = 3


def names(path: Path) -> list[str]:
    return [t.name for t in AppState(path).tasks]


def test_each_line_runs_in_order_and_blank_lines_and_comments_are_skipped(
    tasks_path: Path,
) -> None:
    code, out, err = batch(
        tasks_path,
        "# groceries\nadd Buy milk -t home\n\n   \nadd 'Pay rent' -p 1\ndone 1\nlist --all\n",
    )
    assert (code, err) == (0, "")
    assert names(tasks_path) == ["Buy milk", "Pay rent"]
    assert AppState(tasks_path).get(1).done
    assert "✓ added 1 Buy milk" in out and "Pay rent" in out


def test_every_line_runs_and_the_exit_code_is_the_first_errors(tasks_path: Path) -> None:
    code, _, err = batch(tasks_path, "add first\ndone 9\nadd --bogus bad\nadd last\n")
    assert code == 1  # task 9 not found; the later usage error (2) does not replace it
    assert "line 2: task 9 not found" in err
    assert "line 3:" in err
    assert names(tasks_path) == ["first", "last"]


def test_doctor_finding_a_problem_sets_the_exit_code(tasks_path: Path) -> None:
    AppState(tasks_path).add_task("fine")
    (tasks_path.parent / ".tasks.json.4242.deadbeef.tmp").write_text("left by a dead writer")
    code, out, _ = batch(tasks_path, "doctor\nlist\n")
    assert code == 1
    assert ".tasks.json.4242.deadbeef.tmp" in out and "fine" in out


def test_a_result_that_says_its_exit_code_sets_it(
    tasks_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(REGISTRY, "fail", Command("fail", "exits 3", lambda ctx, args: Failed()))
    code, out, err = batch(tasks_path, "fail\nadd after\n")
    assert code == 3 and err == ""
    assert "✓ added 1 after" in out


def test_commands_read_their_settings_from_the_environment_given(tasks_path: Path) -> None:
    code, _, err = batch(tasks_path, "ai --yes buy milk\n", {"TASKS_AI_TIMEOUT": "soon"})
    assert code == 1 and "line 1: TASKS_AI_TIMEOUT must be seconds" in err  # not in os.environ
    assert not tasks_path.exists()


def test_no_color_in_the_environment_given_drops_every_style(
    tasks_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")  # Rich would colour even a StringIO
    monkeypatch.setenv("TERM", "xterm-256color")
    coloured = batch(tasks_path, "add -p 1 urgent\nlist\n")[1]
    plain = batch(tasks_path, "list\n", {"NO_COLOR": "1"})[1]
    assert "\x1b[" in coloured
    assert "urgent" in plain and "\x1b[" not in plain


def test_quit_stops_reading(tasks_path: Path) -> None:
    code, _, _ = batch(tasks_path, "add kept\nquit\nadd never\n")
    assert code == 0
    assert names(tasks_path) == ["kept"]


def test_delete_needs_yes_because_no_one_can_answer(tasks_path: Path) -> None:
    code, _, err = batch(tasks_path, "add a\nadd b\ndelete 1\ndelete 2 --yes\n")
    assert code == 2
    assert "--yes" in err
    assert names(tasks_path) == ["a"]


def test_forms_are_not_opened_without_a_terminal(tasks_path: Path) -> None:
    code, _, err = batch(tasks_path, "add\n")
    assert code == 2 and "needs a NAME" in err
    assert not tasks_path.exists()


def test_json_output_is_plain_json(tasks_path: Path) -> None:
    _, out, _ = batch(tasks_path, "add x\nlist --json\n")
    assert json.loads(out[out.index("[") :])[0]["name"] == "x"


def test_json_output_survives_ids_past_64_bits(tasks_path: Path) -> None:
    far = {"id": 2**64 - 1, "uuid": "8f7d0e1c-0000-4000-8000-000000000002", "name": "far"}
    tasks_path.write_text(json.dumps({"format": "tasksafe", "version": 1, "tasks": [far]}))
    code, out, err = batch(tasks_path, "add next\nlist --json\n")
    assert (code, err) == (0, "")
    assert [r["id"] for r in json.loads(out[out.index("[") :])] == [2**64 - 1, 2**64]


def test_a_file_of_commands_piped_to_the_program(tasks_path: Path) -> None:
    script = (
        "add Water plants -t home\nadd Renew passport --due 2030-01-01\ndone 1\nshow 9\nadd after\n"
    )
    result = run_cli(tasks_path, input=script)
    assert result.returncode == 1, result.stderr
    assert "task 9 not found" in result.stderr
    assert "Renew passport" in result.stdout
    tasks = AppState(tasks_path).tasks
    assert [(t.name, t.status) for t in tasks] == [
        ("Water plants", "done"),
        ("Renew passport", "pending"),
        ("after", "pending"),
    ]
    assert tasks[1].due == "2030-01-01"


def test_batch_mode_never_loads_prompt_toolkit(tasks_path: Path) -> None:
    # -X importtime lists every module the child imported on its stderr.
    result = run_cli(tasks_path, input="add x\nlist\nhelp\n", env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert result.returncode == 0
    assert "commands.tasks" in result.stderr  # the listing is there
    assert "prompt_toolkit" not in result.stderr
    assert "questionary" not in result.stderr


# --- issue 9: the words typed inline, filters and bulk changes, from a pipe ---


def test_add_reads_attribute_words_and_says_what_it_read(tasks_path: Path) -> None:
    code, out, err = batch(
        tasks_path,
        "add pay rent due:2030-01-01 recur:monthly project:home p1\nadd call mom #family\n",
    )
    assert (code, err) == (0, "")
    assert "✓ added 1 pay rent · p1 · project home · due Tue 2030-01-01 · recurs monthly" in out
    rent, mom = AppState(tasks_path).tasks
    assert (rent.name, rent.priority, rent.project, rent.recur) == (
        "pay rent",
        1,
        "home",
        "monthly",
    )
    assert (mom.name, mom.tags) == ("call mom", ["family"])


def test_filters_and_bulk_changes_from_a_pipe(tasks_path: Path) -> None:
    setup = "add weed project:home.garden\nadd tidy +urgent\nadd gym\nadd piano +someday\n"
    code, out, _ = batch(tasks_path, setup + "list project:home or +urgent\n")
    assert code == 0
    table = out[out.index("tasks project:home or +urgent") :]
    assert "weed" in table and "tidy" in table and "gym" not in table
    code, out, err = batch(tasks_path, "modify +someday -- wait:monday\nlist\n")
    assert (code, err) == (0, "")  # one task matches: no question
    assert "✓ modified 1 task: waits until Mon" in out
    assert "piano" not in out[out.rindex("tasks") :]  # waiting: hidden from the list
    code, _, err = batch(tasks_path, "modify +urgent or +someday -- p1\n")
    assert code == 2 and "modify 2 tasks (2 tidy, 4 piano)" in err and "--yes" in err
    code, _, err = batch(tasks_path, "modify +urgent or +someday -- p1 --yes\n")
    assert (code, err) == (0, "")
    assert [t.priority for t in AppState(tasks_path).tasks] == [2, 1, 2, 1]


def test_next_and_help_words_from_a_pipe(tasks_path: Path) -> None:
    code, out, err = batch(tasks_path, "add a p3\nadd b p1\nadd c depends:2\nnext\nhelp words\n")
    assert (code, err) == (0, "")
    rows = [
        r for r in map(str.split, out.splitlines()) if r[:1] in (["1"], ["2"]) and r[1][0] == "P"
    ]
    assert [r[2] for r in rows] == ["b", "a"]  # c is blocked by b (80 columns: no box lines)
    assert "recur:RULE" in out and "list project:home or +urgent" in out


def test_a_word_that_cannot_be_read_is_named_with_what_would_be(tasks_path: Path) -> None:
    code, _, err = batch(tasks_path, "add x due:frid\nlist projct:home\n")
    assert code == 1  # the first error's: an invalid value
    assert "line 1: due:frid — not a date; try tomorrow, fri" in err
    assert "line 2: " in err and "did you mean project:home" in err
    assert not tasks_path.exists()
