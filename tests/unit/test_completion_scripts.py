"""commands/completion*.py: the scripts each shell gets, generated from the registry, run in the
real shells; `tasksafe _complete` answers them without Rich and without writing."""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from commands.completion import specs, words
from commands.registry import REGISTRY, arg, command, commands
from commands.setup import script_for
from tests.helpers import MAIN, child_env


@pytest.fixture
def shell_env(tmp_path: Path) -> dict[str, str]:
    """A `tasksafe` on PATH (this checkout), its per-user list holding three tasks, one done."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    exe = bin_dir / "tasksafe"
    exe.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} {shlex.quote(MAIN)} "$@"\n')
    exe.chmod(0o755)
    env = child_env(
        tmp_path,
        {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "XDG_DATA_HOME": str(tmp_path)},
    )
    for args in (
        ["add", "buy milk", "-t", "errands"],
        ["add", "call mom", "-t", "family"],
        ["add", "milk the cow"],
        ["done", "2"],
    ):
        subprocess.run(["tasksafe", *args], env=env, check=True, capture_output=True)
    return env


def bash_complete(env: dict[str, str], *words: str, script: str | None = None) -> list[str]:
    """COMPREPLY after sourcing the generated script in a real bash, as Tab at the last word."""
    text = script if script is not None else script_for("bash")
    line = " ".join(words)
    code = "\n".join(
        [
            text,
            f"COMP_WORDS=({' '.join(shlex.quote(w) for w in words)})",
            f"COMP_CWORD={len(words) - 1}",
            f"COMP_LINE={shlex.quote(line)}",
            f"COMP_POINT={len(line)}",
            "_tasksafe",
            'printf "%s\\n" "${COMPREPLY[@]}"',
        ]
    )
    done = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    return [w for w in done.stdout.splitlines() if w]


def test_bash_completes_command_names(shell_env: dict[str, str]) -> None:
    assert bash_complete(shell_env, "tasksafe", "ed") == ["edit"]
    names = set(bash_complete(shell_env, "tasksafe", ""))
    one_shot = {n for c in commands() if not c.interactive_only for n in (c.name, *c.aliases)}
    assert names == one_shot
    assert {"help", "clear", "quit"}.isdisjoint(names)  # the REPL's own


def test_bash_completes_options_and_their_values(shell_env: dict[str, str]) -> None:
    options = bash_complete(shell_env, "tasksafe", "add", "--")
    assert {"--priority", "--tag", "--due", "--description", "--file", "--help"} <= set(options)
    assert bash_complete(shell_env, "tasksafe", "add", "x", "-p", "") == ["1", "2", "3"]
    assert bash_complete(shell_env, "tasksafe", "add", "x", "--tag", "") == ["errands", "family"]
    assert bash_complete(shell_env, "tasksafe", "completion", "") == ["bash", "zsh", "fish"]
    assert bash_complete(shell_env, "tasksafe", "--v") == ["--version"]


def test_bash_completes_task_ids_with_their_names(shell_env: dict[str, str]) -> None:
    # Several: each id with its name beside it in the list bash shows.
    shown = bash_complete(shell_env, "tasksafe", "show", "")
    assert sorted(shown) == ["1  buy milk", "2  call mom", "3  milk the cow"]
    # One left: the id alone goes on the line. `undone` offers done tasks, `done` pending ones.
    assert bash_complete(shell_env, "tasksafe", "undone", "") == ["2"]
    assert bash_complete(shell_env, "tasksafe", "done", "2") == []
    assert bash_complete(shell_env, "tasksafe", "done", "1") == ["1"]
    assert bash_complete(shell_env, "tasksafe", "show", "cow") == ["3"]  # a word of the name


def test_bash_reads_the_list_the_line_names(shell_env: dict[str, str], tmp_path: Path) -> None:
    other = tmp_path / "other.json"
    subprocess.run(
        ["tasksafe", "--file", str(other), "add", "elsewhere"], env=shell_env, check=True
    )
    assert bash_complete(shell_env, "tasksafe", "--file", str(other), "show", "") == ["1"]
    # COMP_WORDBREAKS splits --file=PATH into three words; the script joins them back.
    split = bash_complete(shell_env, "tasksafe", "--file", "=", str(other), "show", "")
    assert split == ["1"]


def test_bash_completes_filter_words_across_the_colon(shell_env: dict[str, str]) -> None:
    (listing,) = [s for s in specs() if s.name == "list"]
    assert listing.positional is not None and listing.positional.kind == "filters"
    due = [w.removeprefix("due:") for w in listing.positional.words if w.startswith("due:to")]
    assert due  # due:today at least
    # bash splits `due:to` at the colon; it replaces only what follows it.
    assert bash_complete(shell_env, "tasksafe", "list", "due", ":", "to") == due
    assert "overdue" in bash_complete(shell_env, "tasksafe", "list", "")
    assert bash_complete(shell_env, "tasksafe", "list", "3") == ["3"]  # an id is a filter too


@pytest.fixture
def extra_command() -> Iterator[str]:
    """A command registered only for this test."""

    @command("frobnicate", "a command no script was ever written for", arg("--wobble"))
    def frobnicate(ctx: object, args: argparse.Namespace) -> None:
        return None

    yield "frobnicate"
    del REGISTRY["frobnicate"]


def test_the_scripts_come_from_the_registry(shell_env: dict[str, str], extra_command: str) -> None:
    script = script_for("bash")
    assert bash_complete(shell_env, "tasksafe", "frob", script=script) == [extra_command]
    assert bash_complete(shell_env, "tasksafe", "frobnicate", "--w", script=script) == ["--wobble"]
    assert "frobnicate:a command no script" in script_for("zsh")
    assert "-a 'frobnicate' -d 'a command no script" in script_for("fish")


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_the_zsh_and_fish_scripts_parse_in_their_shell(shell: str, tmp_path: Path) -> None:
    if shutil.which(shell) is None:
        pytest.skip(f"{shell} is not installed")
    path = tmp_path / f"script.{shell}"
    path.write_text(script_for(shell))
    done = subprocess.run([shell, "-n", str(path)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr


def test_the_zsh_and_fish_scripts_name_every_command_and_option() -> None:
    zsh, fish = script_for("zsh"), script_for("fish")
    assert zsh.startswith("#compdef tasksafe\n")
    for spec in specs():
        for name in spec.names:
            assert f"{name}:" in zsh and f"-a '{name}'" in fish
        for option in spec.options:
            for flag in option.flags:
                assert flag in zsh
                fish_flag = f"-l {flag[2:]}" if flag.startswith("--") else f"-s {flag[1:]}"
                assert fish_flag in fish
    assert "_tasksafe_words ids undone" in zsh and "__tasksafe_words ids" in fish


def test_the_bash_script_parses_in_bash() -> None:
    done = subprocess.run(["bash", "-n"], input=script_for("bash"), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_completion_command_prints_the_script_as_it_is(shell_env: dict[str, str]) -> None:
    printed = subprocess.run(
        ["tasksafe", "completion", "zsh"], env=shell_env, capture_output=True, text=True
    )
    assert printed.returncode == 0 and printed.stdout == script_for("zsh")


# --- `tasksafe _complete`: what the scripts ask ---


def complete(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["tasksafe", "_complete", *args], env=env, capture_output=True, text=True, timeout=30
    )


def test_complete_prints_ids_with_names_tags_and_projects(shell_env: dict[str, str]) -> None:
    assert complete(shell_env, "ids", "done", "").stdout == "1\tbuy milk\n3\tmilk the cow\n"
    assert complete(shell_env, "ids", "undone", "").stdout == "2\tcall mom\n"
    assert complete(shell_env, "tags", "add", "e").stdout == "errands\n"
    assert complete(shell_env, "projects", "add", "").stdout == ""
    assert complete(shell_env, "nonsense").stdout == ""


def test_words_name_projects_and_clean_names() -> None:
    from core.model import Task, new_record

    task = Task.from_record({**new_record(4, "two\nlines \x1b[31mred"), "project": "home.garden"})
    assert words("ids", "show", "", [task]) == ["4\ttwo lines red"]  # one line, no escapes
    assert words("projects", "add", "ho", [task]) == ["home.garden"]


def test_complete_imports_no_rich_and_writes_nothing_to_a_damaged_file(
    shell_env: dict[str, str], tmp_path: Path
) -> None:
    data = tmp_path / "tasksafe" / "tasks.json"
    data.write_bytes(b'{"format": "tasksafe", "tasks": [')  # torn; a valid .backup exists
    before = sorted(p.name for p in data.parent.iterdir())
    probe = (
        "import sys, main; code = main.main(['_complete', 'ids', 'done', '']); "
        "print(code, sorted({m.split('.')[0] for m in sys.modules} & "
        "{'rich', 'prompt_toolkit', 'questionary', 'openai'}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        env={**shell_env, "PYTHONPATH": str(Path(MAIN).parent)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.stdout == "0 []\n", done.stderr  # no ids, no heavy imports
    assert sorted(p.name for p in data.parent.iterdir()) == before  # not recovered, no new lock
