"""commands/manpage.py: docs/tasksafe.1 is what the registry gives, and reads well in man."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import core.errors
from commands.completion import specs
from commands.manpage import ENVIRONMENT, EXIT_CODES, esc, main, manpage, release_date
from commands.registry import commands
from core.config import KEYS
from core.version import __version__
from tests.helpers import ROOT

PAGE = ROOT / "docs" / "tasksafe.1"


def test_the_committed_page_is_in_step_with_the_registry() -> None:
    stale = "docs/tasksafe.1 is not in step with the command registry: run `make man`, commit it"
    assert PAGE.read_text(encoding="utf-8") == manpage(), stale


def test_check_tells_a_stale_page_from_a_current_one(tmp_path: Path) -> None:
    assert main(["--check", str(PAGE)]) == 0
    stale = tmp_path / "tasksafe.1"
    stale.write_text(manpage().replace("mark tasks done", "mark tasks finished"))
    assert main(["--check", str(stale)]) == 1


def test_the_page_names_every_command_and_option() -> None:
    page = manpage()
    for cmd in commands():
        assert f"\\fB{esc(cmd.name)}\\fR" in page
        for alias in cmd.aliases:
            assert f"\\fB{esc(alias)}\\fR" in page
    for spec in specs():
        for option in spec.options:
            for flag in option.flags:
                if flag not in ("-h", "--help"):
                    assert esc(flag) in page, flag
    assert "\\fB\\-\\-version\\fR" in page and "\\fB\\-\\-file\\fR" in page


def test_every_exit_code_setting_and_config_key_is_documented() -> None:
    constants = {v for k, v in vars(core.errors).items() if k.startswith("EXIT_")}
    assert constants <= {code for code, _ in EXIT_CODES}
    assert {k.env for k in KEYS} <= {name for name, _ in ENVIRONMENT}
    page = manpage()
    for key in KEYS:
        assert f"\\fB{esc(key.name.removeprefix('ai.'))}\\fR ({esc(key.env)})" in page


def test_the_page_carries_the_version_and_its_changelog_date() -> None:
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", release_date())
    assert f'"{release_date()}" "tasksafe {__version__}"' in manpage()


def test_roff_escapes_what_would_be_read_as_requests() -> None:
    assert esc(".hidden\n'quoted") == "\\&.hidden\n\\&'quoted"
    assert esc("a-b \\ c…") == "a\\-b \\e c\\[u2026]"


def test_groff_reads_it_without_a_warning() -> None:
    if shutil.which("groff") is None:
        pytest.skip("groff is not installed")
    done = subprocess.run(
        ["groff", "-man", "-Tutf8", "-ww", "-z", str(PAGE)], capture_output=True, text=True
    )
    assert done.returncode == 0 and done.stderr == ""


def test_man_shows_its_sections() -> None:
    if shutil.which("man") is None:
        pytest.skip("man is not installed")
    done = subprocess.run(
        ["man", "-l", str(PAGE)],
        capture_output=True,
        text=True,
        env={"MANWIDTH": "80", "MANPAGER": "cat", "PAGER": "cat", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    for section in ("NAME", "SYNOPSIS", "COMMANDS", "FILES", "ENVIRONMENT", "EXIT STATUS"):
        assert f"\n{section}\n" in done.stdout
    assert "tasksafe completion bash" in done.stdout


def test_the_generator_runs_as_a_module() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "commands.manpage"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0 and done.stdout == manpage()
