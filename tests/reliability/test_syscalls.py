"""Durability at the system call: the real program's save, traced by strace, fsyncs what it must.

The crash and power-loss tests see FileOps' calls, not what reaches the kernel: a FileOps whose
fsync or fsync_dir forgot its os.fsync would pass them. Here the real program runs under
`strace -f -y` (which prints the path behind every descriptor: no fd bookkeeping needed), and
the trace must show, for every temp file (`.tasks.json.<pid>.<hex>.tmp`) renamed onto the data
file: the temp is opened and written, and that descriptor fsynced after its last write and
before the rename; a descriptor on the data file's directory is fsynced after the rename (and
before the next save's); the id is printed (the acknowledgement) only after that. A recovery must
also fsync the directory after the damaged file's quarantine name appears and before the
restore's rename. With either fsync mutated away in FileOps these tests fail.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from core.state import AppState
from tests.helpers import MAIN, child_env
from tests.reliability.scenarios import DATA

# `?`: no error where an architecture lacks the old call (aarch64 has no rename or link).
SYSCALLS = "fsync,fdatasync,?rename,?renameat,renameat2,openat,?link,linkat,close,write"
TEMP = re.compile(rf"^\.{re.escape(DATA)}\.\d+\.[0-9a-f]+\.tmp$")
QUARANTINE = re.compile(rf"^{re.escape(DATA)}\.corrupt-")
# `1234  fsync(4</d/.tasks.json.1234.ab.tmp>) = 0`; `-1 ENOENT (...)` after the result is ignored.
LINE = re.compile(r"^(?:(?P<pid>\d+)\s+)?(?P<name>\w+)\((?P<args>.*)\)\s+=\s+(?P<ret>-?\d+)")
# An argument strace prints: a quoted string, or a descriptor with its path (`3</d/f>`).
ARG = re.compile(r'"(?P<string>(?:[^"\\]|\\.)*)"|(?P<fd>AT_FDCWD|\d+)<(?P<path>[^>]*)>')
PATH_CALLS = {"openat", "rename", "renameat", "renameat2", "link", "linkat"}
UNFINISHED = " <unfinished ...>"
RESUMED = re.compile(r"^(?P<pid>\d+)\s+<\.\.\. \w+ resumed>")
pytestmark = pytest.mark.reliability("system-call traces")


@functools.cache
def strace_unusable() -> str | None:
    """Why strace cannot trace here (not installed, ptrace not permitted), or None."""
    if shutil.which("strace") is None:
        return "strace is not installed (apt-get install strace; .ci/run installs it)"
    done = subprocess.run(["strace", "-o", "/dev/null", "true"], capture_output=True, text=True)
    if done.returncode != 0:
        return f"strace cannot trace here (ptrace not permitted?): {done.stderr.strip()[-200:]}"
    return None


@pytest.fixture(autouse=True)
def strace() -> None:
    """Skip, saying why, where strace is missing or may not trace; CI installs it (.ci/run)."""
    reason = strace_unusable()
    if reason is not None:
        pytest.skip(reason)


@dataclass(frozen=True)
class Call:
    """One traced system call: its position, name, and the paths and descriptors it names."""

    at: int
    name: str
    paths: tuple[str, ...]  # the paths an open, rename or link names, made absolute
    fd: int | None  # the descriptor it acts on (fsync, close, write) or an open returned
    fd_path: str  # the path strace printed for it
    ret: int
    raw: str

    def __str__(self) -> str:
        return f"#{self.at} {self.raw}"


def _joined(lines: list[str]) -> list[str]:
    """Lines with each `<unfinished ...>` call joined to its `<... resumed>` rest."""
    pending: dict[str, str] = {}
    out = []
    for line in lines:
        resumed = RESUMED.match(line)
        if line.endswith(UNFINISHED):
            pid = line.split(None, 1)[0]
            pending[pid] = line.removesuffix(UNFINISHED)
        elif resumed and resumed["pid"] in pending:
            out.append(pending.pop(resumed["pid"]) + line[resumed.end() :])
        else:
            out.append(line)
    return out


def parse(text: str, cwd: str) -> list[Call]:
    """The calls of a `strace -y` log, in order; relative paths joined to their directory."""
    calls: list[Call] = []
    for raw in _joined(text.splitlines()):
        m = LINE.match(raw)
        if m is None:
            continue  # signals, exits, strace's own notes
        name, ret, args = m["name"], int(m["ret"]), list(ARG.finditer(m["args"]))
        paths: list[str] = []
        fd, fd_path = None, ""
        if name in PATH_CALLS:
            base = cwd
            for arg in args:
                if arg["string"] is None:
                    base = arg["path"]  # a dirfd: the next path is relative to it
                else:
                    paths.append(os.path.join(base, arg["string"]))
            if name == "openat" and ret >= 0:
                fd, fd_path = ret, paths[0]  # the descriptor it returned
        elif args and args[0]["fd"] is not None:
            fd, fd_path = int(args[0]["fd"]), args[0]["path"]
        calls.append(Call(len(calls), name, tuple(paths), fd, fd_path, ret, raw))
    return calls


@dataclass
class Trace:
    """A parsed trace of one run, and the questions the durability checks ask of it."""

    calls: list[Call]
    directory: str  # the data file's directory, resolved
    data: str  # the data file, resolved

    def renames_onto_data(self) -> list[Call]:
        """Renames of one of this file's temps onto the data file: each is a save's commit."""
        return [
            c
            for c in self.calls
            if c.name.startswith("rename") and c.ret == 0 and len(c.paths) == 2
            and c.paths[1] == self.data and TEMP.match(os.path.basename(c.paths[0]))
        ]  # fmt: skip

    def opened(self, path: str, before: int) -> Call | None:
        """The last successful open of `path` before position `before`."""
        opens = [c for c in self.calls[:before] if c.name == "openat" and c.ret >= 0]
        return next((c for c in reversed(opens) if c.paths and c.paths[0] == path), None)

    def on(self, names: tuple[str, ...], path: str, start: int, end: int) -> list[Call]:
        """Successful calls in `names` on a descriptor of `path`, between two positions."""
        return [
            c for c in self.calls[start:end] if c.name in names and c.ret >= 0 and c.fd_path == path
        ]

    def fsyncs(self, path: str, start: int, end: int | None = None) -> list[Call]:
        return self.on(("fsync", "fdatasync"), path, start, len(self.calls) if end is None else end)

    def first_naming(self, pattern: re.Pattern[str]) -> Call | None:
        """The first call that gives the directory a name matching `pattern` (link, rename, create)."""
        for c in self.calls:
            if c.ret < 0 or not c.paths or (c.name == "openat" and "O_CREAT" not in c.raw):
                continue
            created = c.paths[-1]  # open's one path; link's and rename's new name
            if os.path.dirname(created) == self.directory and pattern.match(Path(created).name):
                return c
        return None

    def acknowledgement(self) -> Call | None:
        """The first write to standard output: the moment the user is told the new id."""
        return next((c for c in self.calls if c.name == "write" and c.fd == 1 and c.ret > 0), None)

    def save_problems(self, commit: Call, end: int) -> list[str]:
        """What the save committed by `commit` (its temp renamed onto the data file) did not make
        durable by position `end` (the next save's commit, or the end of the trace)."""
        temp = commit.paths[0]
        opened = self.opened(temp, commit.at)
        if opened is None:
            return [f"{commit}: the temp file was never opened before it was renamed"]
        problems = []
        writes = self.on(("write",), temp, opened.at, commit.at)
        synced = self.fsyncs(temp, writes[-1].at if writes else opened.at, commit.at)
        if not writes:
            problems.append(f"{commit}: nothing was written to the temp file")
        if not [c for c in synced if c.fd == opened.fd]:
            problems.append(f"{commit}: the temp's descriptor was not fsynced after its last write")
        if not self.fsyncs(self.directory, commit.at, end):
            problems.append(f"{commit}: no descriptor on the directory was fsynced after it")
        return problems

    def every_save_problem(self) -> list[str]:
        """save_problems of every commit, and an id printed before the last one was durable."""
        commits = self.renames_onto_data()
        ends = [c.at for c in commits[1:]] + [len(self.calls)]
        problems = [
            p for c, end in zip(commits, ends, strict=True) for p in self.save_problems(c, end)
        ]
        ack = self.acknowledgement()
        if commits and (ack is None or not self.fsyncs(self.directory, commits[-1].at, ack.at)):
            problems.append(f"the id was printed before the directory was fsynced: {ack}")
        return problems

    def explain(self, problems: list[str]) -> str:
        """The problems and the calls on the data directory, with its long path as DIR."""
        mine = [
            str(c)
            for c in self.calls
            if c.name != "close"
            and self.directory in (c.fd_path, *map(os.path.dirname, (c.fd_path, *c.paths)))
        ]
        text = "\n".join([*problems, "calls on the data directory:", *mine[-40:]])
        return text.replace(self.directory, "DIR")


def traced_run(data: Path, log: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], Trace]:
    """`strace ... python main.py --file DATA ARGS` in DATA's directory, like `run_cli`."""
    directory = data.parent
    argv = ["strace", "-f", "-qq", "-y", "-o", str(log), "-e", f"trace={SYSCALLS}"]
    done = subprocess.run(
        [*argv, sys.executable, MAIN, "--file", str(data), *args],
        capture_output=True,
        text=True,
        cwd=directory,
        env=child_env(directory),
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    real = os.path.realpath(directory)
    calls = parse(log.read_text(errors="replace"), real)
    return done, Trace(calls, real, os.path.join(real, DATA))


def data_in(tmp_path: Path) -> Path:
    directory = tmp_path / "data"  # the trace is written beside it, not among the data files
    directory.mkdir()
    return directory / DATA


@pytest.mark.parametrize("existing", [0, 3], ids=["new file", "file with backups"])
def test_a_save_fsyncs_the_temp_before_the_rename_and_the_directory_after(
    tmp_path: Path, existing: int
) -> None:
    data = data_in(tmp_path)
    for n in range(existing):
        AppState(data).add_task(f"already there {n}")
    done, trace = traced_run(data, tmp_path / "trace", "add", "foo")
    assert done.returncode == 0, done.stderr
    commits = trace.renames_onto_data()
    assert len(commits) == 1, trace.explain([f"not one temp renamed onto {DATA}: {commits}"])
    problems = trace.every_save_problem()
    assert not problems, trace.explain(problems)
    assert [t.name for t in AppState(data).tasks][-1] == "foo"


def test_a_recovery_fsyncs_the_quarantine_before_restoring(tmp_path: Path) -> None:
    data = data_in(tmp_path)
    for n in range(3):
        AppState(data).add_task(f"kept in a backup {n}")
    damaged = data.read_bytes()[:40]
    data.write_bytes(damaged)
    done, trace = traced_run(data, tmp_path / "trace", "add", "foo")
    assert done.returncode == 0 and "restored" in done.stderr, done.stderr
    quarantine = trace.first_naming(QUARANTINE)
    assert quarantine is not None, trace.explain(["the damaged file was never set aside"])
    restore = next((c for c in trace.renames_onto_data() if c.at > quarantine.at), None)
    assert restore is not None, trace.explain([f"no temp renamed onto {DATA} after {quarantine}"])
    problems = trace.every_save_problem()
    if not trace.fsyncs(trace.directory, quarantine.at, restore.at):
        problems.append(f"the directory was not fsynced between {quarantine} and {restore}")
    copied = quarantine.name == "openat"  # no hard links here: its bytes must be durable too
    if copied and not trace.fsyncs(quarantine.paths[0], quarantine.at, restore.at):
        problems.append(f"the quarantined copy was not fsynced before {restore}")
    assert not problems, trace.explain(problems)
    (corrupt,) = data.parent.glob(f"{DATA}.corrupt-*")
    assert corrupt.read_bytes() == damaged
