"""The reliability table counts what was attempted, and how each attempt ended.

A small suite with a pass, a failure, a skip in setup and one in the test, and a test that says
which of its units failed runs under the report plugin in a child pytest; its table must say so.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.helpers import ROOT, child_env

SUITE = """
import pytest

@pytest.fixture
def needs_root():
    pytest.skip("needs root to mount a tmpfs")

@pytest.mark.reliability("faults")
@pytest.mark.parametrize("n", range(3))
def test_handled(n):
    assert n != 1

@pytest.mark.reliability("faults")
def test_skipped_in_setup(needs_root):
    pass

@pytest.mark.reliability("crash points")
def test_some_points_unsafe(reliability):
    reliability.attempt("crash points", 10)
    reliability.fail("crash points", 2)
    reliability.measure("chaos", "kills", 7)
    assert False

@pytest.mark.reliability("crash points")
def test_fails_before_counting():
    raise RuntimeError("broke before the points were known")

@pytest.mark.reliability("hostile texts")
def test_batch(reliability):
    reliability.attempt("hostile texts", 9)
    pytest.skip("no pty here")

def test_undeclared(reliability):
    reliability.attempt("damaged files")
"""


def run_suite(tmp_path: Path) -> str:
    (tmp_path / "test_suite.py").write_text(SUITE)
    plugins = ["-p", "tests.reliability.conftest", "-p", "no:randomly", "-p", "no:cacheprovider"]
    alone = ["-c", "/dev/null", "--rootdir", str(tmp_path)]  # not this project's pytest settings
    argv = [sys.executable, "-m", "pytest", *plugins, *alone, "--reliability-report"]
    done = subprocess.run(
        [*argv, str(tmp_path / "test_suite.py")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=child_env(tmp_path),
        timeout=120,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    return done.stdout


def row(output: str, name: str) -> list[str]:
    line = next(line for line in output.splitlines() if line.startswith(f"| {name} "))
    return [cell.strip() for cell in line.strip("|").split("|")][1:]


def test_failures_and_skips_are_counted_apart_from_passes(tmp_path: Path) -> None:
    output = run_suite(tmp_path)
    # attempted, passed, failed, skipped
    assert row(output, "faults") == ["3", "2", "1", "1"]
    assert row(output, "crash points") == ["11", "8", "3", "0"]  # 2 of 10 said, 1 uncounted
    assert row(output, "hostile texts") == ["0", "0", "0", "9"]
    assert "skipped 1 faults: needs root to mount a tmpfs" in output
    assert "skipped 9 hostile texts: no pty here" in output
    assert row(output, "chaos") == ["7 kills"]
    # A test that counts a row it does not declare fails, so it cannot drop out of the table.
    assert "counts 'damaged files' without @pytest.mark.reliability" in output
