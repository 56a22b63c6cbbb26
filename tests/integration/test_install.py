"""The package: what pyproject.toml declares, and the wheel installed into a fresh venv as a new
user gets it (`pipx install .` does the same: build the wheel, install it into its own venv)."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from core.version import __version__
from tests.helpers import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
# What a build needs from the checkout: the code, the metadata, the man page.
SOURCES = ("main.py", "core", "commands", "ui", "docs", "pyproject.toml", "README.md", "LICENSE")


def requirement(line: str) -> str:
    """A requirement as written, without comments, spaces or quote style."""
    text = line.split(" #", 1)[0].strip()
    return text.replace(" ", "").replace("'", '"')


def requirements_txt() -> set[str]:
    lines = (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    return {requirement(line) for line in lines if line.strip() and not line.startswith("#")}


def test_requirements_txt_and_pyproject_list_the_same_dependencies() -> None:
    project = PYPROJECT["project"]
    declared = [*project["dependencies"], *project["optional-dependencies"]["ai"]]
    assert {requirement(d) for d in declared} == requirements_txt(), (
        "requirements.txt (what `make` installs) and pyproject.toml (what `pipx install` "
        "installs) must agree"
    )
    assert len(declared) == len(set(declared))


def test_the_ai_extra_holds_exactly_the_packages_only_ai_imports() -> None:
    from core.version import EXTRAS

    ai = {re.split(r"[<>=;]", d)[0] for d in PYPROJECT["project"]["optional-dependencies"]["ai"]}
    assert ai == {m.replace("_core", "") for m, extra in EXTRAS.items() if extra == "ai"}


def test_the_version_has_one_source_and_a_changelog_entry() -> None:
    project = PYPROJECT["project"]
    assert "version" not in project and project["dynamic"] == ["version"]
    attr = PYPROJECT["tool"]["setuptools"]["dynamic"]["version"]["attr"]
    assert attr == "core.version.__version__"
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(
        rf"^## \[{re.escape(__version__)}\] - \d{{4}}-\d{{2}}-\d{{2}}$", changelog, re.M
    )


def test_the_console_script_is_main_main() -> None:
    assert PYPROJECT["project"]["scripts"] == {"tasksafe": "main:main"}
    import main

    assert main.main(["--version"]) == 0


def run(argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=300, **kwargs)  # type: ignore[call-overload,no-any-return]


def build_wheel(tmp_path: Path) -> Path:
    """The wheel, built from a copy of the checkout (a build writes build/ and *.egg-info)."""
    source = tmp_path / "source"
    source.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=ignore)
        else:
            shutil.copy2(path, source / name)
    wheels = tmp_path / "wheels"
    # This venv's setuptools (requirements-dev.txt) builds offline; pipx uses an isolated one.
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    built = run([*pip_wheel, "-q", "--disable-pip-version-check", "-w", str(wheels), str(source)])
    assert built.returncode == 0, built.stderr
    (wheel,) = wheels.glob("tasksafe-*.whl")
    return wheel


def fresh_venv_with(wheel: Path, tmp_path: Path) -> Path:
    venv = tmp_path / "venv"
    made = run([sys.executable, "-m", "venv", str(venv)])
    assert made.returncode == 0, made.stderr
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
    installed = run([*pip, "--disable-pip-version-check", str(wheel)])
    if installed.returncode != 0 and re.search(
        r"(?i)connection|network|resolve|No matching distribution", installed.stderr
    ):
        pytest.skip(f"the package index is not reachable: {installed.stderr.strip()[-200:]}")
    assert installed.returncode == 0, installed.stderr
    return venv


@pytest.mark.slow
def test_the_wheel_installs_a_tasksafe_command_that_keeps_one_list_per_user(
    tmp_path: Path,
) -> None:
    start = time.monotonic()
    venv = fresh_venv_with(build_wheel(tmp_path), tmp_path)
    tasksafe = str(venv / "bin" / "tasksafe")
    somewhere = tmp_path / "somewhere"
    somewhere.mkdir()
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path / "home"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "LANG": "C.UTF-8",
    }

    def cli(*args: str, cwd: Path = somewhere, **extra: str) -> subprocess.CompletedProcess[str]:
        return run([tasksafe, *args], cwd=cwd, env={**env, **extra}, stdin=subprocess.DEVNULL)

    version = cli("--version")
    assert (version.returncode, version.stdout) == (0, f"tasksafe {__version__}\n")
    added = cli("add", "x")
    assert (added.returncode, added.stdout) == (0, "1\n"), added.stderr
    data = tmp_path / "data" / "tasksafe" / "tasks.json"
    assert stat.S_IMODE(data.stat().st_mode) == 0o600
    assert not (somewhere / "tasks.json").exists()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    listed = cli("list", "--json", cwd=elsewhere)
    assert listed.returncode == 0, listed.stderr
    assert [(t["id"], t["name"]) for t in json.loads(listed.stdout)] == [(1, "x")]

    # The config file is honoured; `config` says where each value came from.
    (tmp_path / "config" / "tasksafe").mkdir(parents=True)
    (tmp_path / "config" / "tasksafe" / "config.toml").write_text("backup_count = 1\n")
    shown = json.loads(cli("config", "--json").stdout)["settings"]
    assert shown["backup_count"]["value"] == 1
    assert shown["file"]["value"] == str(data)

    # `ai` asking a server without the ai extra: one line saying how to add it.
    ai = cli("ai", "buy milk", "--yes", OPENAI_BASE_URL="http://127.0.0.1:9/v1")
    assert ai.returncode == 1
    assert ai.stderr.count("\n") == 1 and "pipx install 'tasksafe[ai]'" in ai.stderr
    offline = cli("ai", "buy bread", "--yes")  # the offline parser needs no extra
    assert offline.returncode == 0, offline.stderr

    # What the package ships besides the code: the man page, under the venv's share/man.
    assert (venv / "share" / "man" / "man1" / "tasksafe.1").read_text() == (
        ROOT / "docs" / "tasksafe.1"
    ).read_text()
    completion = cli("completion", "bash")
    assert completion.returncode == 0 and "complete -F _tasksafe tasksafe" in completion.stdout
    assert time.monotonic() - start < 120  # here ~10 s: a wheel, a venv, an install from PyPI


def test_a_missing_extra_is_one_line_naming_the_install_command() -> None:
    from core.version import missing_extra

    error = missing_extra(ModuleNotFoundError("No module named 'openai'", name="openai"))
    assert error is not None and "pipx install 'tasksafe[ai]'" in str(error)
    assert missing_extra(ModuleNotFoundError("x", name="rich")) is None
    assert missing_extra(ValueError("openai")) is None


@pytest.mark.skipif(os.name != "posix", reason="the shebang launcher is POSIX")
def test_python_main_py_and_the_console_script_agree_on_the_entry_point() -> None:
    source = (ROOT / "main.py").read_text(encoding="utf-8")
    assert "def main(argv: list[str] | None = None) -> int:" in source
    assert 'if __name__ == "__main__":\n    sys.exit(main())' in source


def test_ci_checks_style_and_types_before_the_tests() -> None:
    """.ci/run fails on a formatting or typing error: `make lint` runs all three, then the tests."""
    ci = [line.split("#")[0].strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert ci.index("make lint") < ci.index("make test")
    planned = run(["make", "-n", "lint"], cwd=ROOT).stdout
    for check in ("ruff check .", "ruff format --check .", "mypy"):
        assert check in planned
    assert PYPROJECT["tool"]["mypy"]["strict"] is True
    hooks = (ROOT / ".pre-commit-config.yaml").read_text()
    for entry in ("ruff check", "ruff format --check", "mypy", "commands.manpage --check"):
        assert f".venv/bin/{entry}" in hooks or entry in hooks
