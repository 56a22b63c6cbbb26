"""Benchmark: tasksafe next to Taskwarrior, whole processes, the same tasks, runs interleaved.

Run: `make bench` or `.venv/bin/python bench/bench_peers.py [--sizes 1000,10000] [--runs 7]
[--with-100k]`. Without `task` on PATH only tasksafe's figures are printed (with a note).
Prints medians (wall, and CPU of the child: user + system from wait4) and the ratio
tasksafe / Taskwarrior per row, PASS/MISS against issue 13's bars; always exits 0.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import pty
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.model import new_record  # noqa: E402
from core.storage.document import Document, encode  # noqa: E402

MAIN = str(ROOT / "main.py")
TW_PRIORITY = {1: "H", 2: "M", 3: "L"}
PTY_SIZE = (24, 80)  # rows, columns of the pseudo-terminal


@dataclass
class Sample:
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    rss: list[int] = field(default_factory=list)  # kB

    def add(self, wall: float, cpu: float, rss: int) -> None:
        self.wall.append(wall)
        self.cpu.append(cpu)
        self.rss.append(rss)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def clean_env(home: Path) -> dict[str, str]:
    """No tasksafe settings and no caller's Taskwarrior: each tool sees only its own files."""
    drop = ("TASKS_", "OPENAI_", "TASKRC", "TASKDATA", "PYTHONDONTWRITEBYTECODE", "NO_COLOR")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(PYTHONPATH=str(ROOT), HOME=str(home), XDG_DATA_HOME=str(home / "data"))
    env.update(XDG_CONFIG_HOME=str(home / "config"), XDG_STATE_HOME=str(home / "state"))
    env["PAGER"] = "cat"
    return env


def seed_tasksafe(path: Path, count: int) -> None:
    # Ids given directly: Document.allocate_id scans every id, quadratic over a whole seed.
    records = [
        new_record(k, f"task number {k} of the bench", priority=k % 3 + 1, tags=["bench"])
        for k in range(1, count + 1)
    ]
    path.write_bytes(encode(Document(records=records, next_id=count + 1)))


def seed_taskwarrior(data: Path, rc: Path, count: int) -> list[str]:
    """Taskwarrior 2.6's pending.data written directly (`task import` of 10k takes minutes)."""
    data.mkdir(parents=True, exist_ok=True)
    rc.write_text(
        f"data.location={data}\nconfirmation=off\nhooks=off\nnews.version=2.6.2\nrecurrence=off\n"
    )
    stamp = str(int(time.time()) - 86_400)
    uuids, lines = [], []
    for k in range(1, count + 1):
        u = str(uuid.uuid4())
        uuids.append(u)
        lines.append(
            f'[description:"task number {k} of the bench" entry:"{stamp}" modified:"{stamp}"'
            f' priority:"{TW_PRIORITY[k % 3 + 1]}" status:"pending" tags:"bench"'
            f' tags_bench:"x" uuid:"{u}"]\n'
        )
    (data / "pending.data").write_text("".join(lines))
    for name in ("completed.data", "undo.data", "backlog.data"):
        (data / name).write_text("")
    return uuids


def run_measured(argv: Sequence[str], env: dict[str, str], cwd: Path, on: str) -> Sample:
    """One whole process: wall time, its own CPU (user + system) and peak memory from wait4.

    `on`: "null" (stdout to /dev/null), "pipe" (read by us), "pty" (a 80x24 pseudo-terminal).
    """
    sample = Sample()
    master = None
    if on == "pty":
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", *PTY_SIZE, 0, 0))
        stdout: int = slave
    else:
        stdout = subprocess.DEVNULL if on == "null" else subprocess.PIPE
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=stdout, stderr=subprocess.DEVNULL
    )
    if master is not None:
        os.close(slave)
        while True:
            try:
                if not os.read(master, 65536):
                    break
            except OSError:  # EIO: the child closed the terminal
                break
        os.close(master)
    elif proc.stdout is not None:
        while proc.stdout.read(1 << 20):
            pass
        proc.stdout.close()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):  # `task` exits 1 when a report matches nothing
        raise SystemExit(f"{' '.join(argv[:6])}... exited {proc.returncode}")
    sample.add(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss)
    return sample


def peak_rss_kb(argv: Sequence[str], env: dict[str, str], cwd: Path) -> int | None:
    """The peak memory of `argv` alone, its stdout into a pipe, from GNU time's %M.

    Not wait4's ru_maxrss of our own child: Linux carries the forked copy of this benchmark's
    memory across exec into it, so a small process would show the bench's size.
    """
    gnu_time = "/usr/bin/time"
    if not os.access(gnu_time, os.X_OK):
        return None
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as out:
        subprocess.run(
            [gnu_time, "-f", "%M", "-o", out.name, *argv],
            cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, check=False,
        )  # fmt: skip
        return int(out.read().split()[-1])


def peak_rss(tools: Sequence[Tool], op: str, results: dict[str, Sample]) -> None:
    """Replace each tool's rss samples by GNU time's measure (median of 3), when it is there."""
    for tool in tools:
        argv = tool.argv(op, 0)
        assert argv is not None
        kbs = [peak_rss_kb(argv, tool.env, tool.cwd) for _ in range(3)]
        if all(kb is not None for kb in kbs):
            results[tool.name].rss = [kb for kb in kbs if kb is not None]


@dataclass
class Tool:
    name: str
    argv: Callable[[str, int], list[str] | None]  # (operation, run number) -> argv
    env: dict[str, str]
    cwd: Path


def interleaved(tools: Sequence[Tool], op: str, on: str, runs: int) -> dict[str, Sample]:
    """`runs` measured runs of `op` per tool, alternating tools, after one warm-up each."""
    results = {t.name: Sample() for t in tools}
    for i in range(runs + 1):
        for tool in tools if i % 2 else list(reversed(tools)):
            argv = tool.argv(op, i)
            if argv is None:
                continue
            s = run_measured(argv, tool.env, tool.cwd, on)
            if i:
                r = results[tool.name]
                r.add(s.wall[0], s.cpu[0], s.rss[0])
    return results


def tasksafe_tool(data: Path, env: dict[str, str], cwd: Path, count: int) -> Tool:
    base = [sys.executable, MAIN, "--file", str(data)]

    def argv(op: str, i: int) -> list[str] | None:
        return {
            "add": [*base, "add", f"bench add {i}", "-p", "2"],
            "done": [*base, "done", str(count - i)],
            "edit": [*base, "edit", str(count // 2 - i), "--name", f"edited {i}"],
            "list": [*base, "list"],
            "list_json": [*base, "list", "--json"],
        }.get(op)

    return Tool("tasksafe", argv, env, cwd)


def taskwarrior_tool(task: str, uuids: list[str], env: dict[str, str], cwd: Path) -> Tool:
    def argv(op: str, i: int) -> list[str] | None:
        return {
            "add": [task, "add", f"bench add {i}", "priority:M"],
            "done": [task, uuids[-1 - i], "done"],
            "edit": [task, uuids[len(uuids) // 2 - 1 - i], "modify", f"edited {i}"],
            "list": [task, "list"],
            "list_json": [task, "export"],
        }.get(op)

    return Tool("taskwarrior", argv, env, cwd)


def concurrent_adds(tool: Tool, procs: int, adds: int) -> float:
    """`procs` processes each running `adds` one-shot adds one after another: adds per second."""
    loop = "\n".join(
        ["import subprocess, sys", "for i in range(int(sys.argv[1])):",
         "    subprocess.run(sys.argv[2:] + [f'c{i}'], check=False,"
         " stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)"]
    )  # fmt: skip
    argv = tool.argv("add", 0)
    assert argv is not None
    base = argv[: argv.index("add")]
    start = time.perf_counter()
    running = [
        subprocess.Popen([sys.executable, "-c", loop, str(adds), *base, "add"], env=tool.env,
                         cwd=tool.cwd)
        for _ in range(procs)
    ]  # fmt: skip
    for p in running:
        p.wait()
    return procs * adds / (time.perf_counter() - start)


def count_tasksafe(data: Path) -> int:
    return len(json.loads(data.read_bytes())["tasks"])


def count_taskwarrior(data: Path) -> int:
    return sum(
        len(p.read_text().splitlines()) for p in (data / "pending.data", data / "completed.data")
    )


def ratio(a: float, b: float | None) -> str:
    return f"{a / b:5.2f}x" if b else "   -  "


def report(label: str, results: dict[str, Sample], bars: dict[str, float | None]) -> list[str]:
    """One line per metric in `bars` (wall always): medians, the ratio, PASS/MISS unless None."""
    ts, tw = results["tasksafe"], results.get("taskwarrior")
    rows = []
    for metric, pick, unit in (
        ("wall", lambda s: median(s.wall) * 1e3, "ms"),
        ("cpu", lambda s: median(s.cpu) * 1e3, "ms"),
        ("rss", lambda s: median(s.rss) / 1024, "MB"),
    ):
        if metric not in bars and metric != "wall":
            continue
        a = pick(ts)
        b = pick(tw) if tw is not None and tw.wall else None
        other = f"{b:9.1f} {unit}" if b is not None else "        -   "
        verdict = ""
        bar = bars.get(metric)
        if bar is not None and b is not None:
            verdict = f"  bar <= {bar:g}x: {'PASS' if a <= bar * b else 'MISS'}"
        rows.append(f"  {label:<26} {metric:<4} {a:9.1f} {unit} {other}  {ratio(a, b)}{verdict}")
    return rows


def bench_size(count: int, runs: int, task: str | None, tmp: Path, pty_too: bool) -> list[str]:
    home = tmp / f"home-{count}"
    home.mkdir()
    env = clean_env(home)
    ts_data = home / "tasks.json"
    seed_tasksafe(ts_data, count)
    tools = [tasksafe_tool(ts_data, env, home, count)]
    if task is not None:
        tw_env = dict(env, TASKRC=str(home / "taskrc"), TASKDATA=str(home / "tw"))
        uuids = seed_taskwarrior(home / "tw", home / "taskrc", count)
        tools.append(taskwarrior_tool(task, uuids, tw_env, home))
    add_bars: dict[str, float | None] = {"cpu": 2.0 if count <= 1000 else 1.0}
    lines = [f"{count} pending tasks, median of {runs} (tasksafe  taskwarrior  ratio)"]
    for op, label, on, bars in (
        ("add", "add", "null", add_bars),
        ("done", "done ID", "null", add_bars),
        ("edit", "edit ID / modify", "null", add_bars),
        ("list", "list | (pipe)", "pipe", {"wall": 1.0, "rss": None}),
        ("list", "list (pty 80x24)", "pty", {"wall": 1.0}),
        ("list_json", "list --json / export", "pipe", {"rss": None}),
    ):
        if on == "pty" and not pty_too:
            continue
        results = interleaved(tools, op, on, runs)
        if "rss" in bars:
            peak_rss(tools, op, results)
        if op == "list_json":
            json_rss = median(results["tasksafe"].rss)
        if op == "list" and on == "pipe":
            list_rss = median(results["tasksafe"].rss)
        lines += report(label, results, bars)
    lines.append(
        f"  list rss / list --json rss: {list_rss / json_rss:.2f}x  bar <= 1.5x: "
        f"{'PASS' if list_rss <= 1.5 * json_rss else 'MISS'}"
    )
    return lines


FLOORS = (
    ("python -c pass", "pass"),
    # What every tasksafe command runs before any of its own modules: main.py's entry and the
    # decoder the data file needs (msgspec brings typing, re, enum, uuid, datetime, decimal).
    ("python + main.py's first imports", "import main; main._import_msgspec_alone()"),
)


def bench_floor(task: str | None, tmp: Path, runs: int) -> list[str]:
    """The interpreter's own CPU, next to Taskwarrior's whole `task add` at 1k tasks: what the
    one-shot bars leave a CPython program for its imports and work."""
    home = tmp / "home-floor"
    home.mkdir()
    env = clean_env(home)
    cpu = {}
    for label, code in FLOORS:
        samples = [
            run_measured([sys.executable, "-c", code], env, home, "null") for _ in range(runs)
        ]
        cpu[label] = median([x.cpu[0] for x in samples]) * 1e3
    lines = [f"the floor: CPU of Python processes that do no task work, median of {runs}"]
    lines += [f"  {label:<34} {ms:6.1f} ms" for label, ms in cpu.items()]
    if task is not None:
        tw_env = dict(env, TASKRC=str(home / "taskrc"), TASKDATA=str(home / "tw"))
        uuids = seed_taskwarrior(home / "tw", home / "taskrc", 1000)
        tool = taskwarrior_tool(task, uuids, tw_env, home)
        add = [run_measured(tool.argv("add", i) or [], tw_env, home, "null") for i in range(runs)]
        tw_add = median([x.cpu[0] for x in add]) * 1e3
        first = cpu[FLOORS[1][0]]
        lines.append(f"  taskwarrior add at 1000 tasks       {tw_add:6.1f} ms")
        lines.append(
            f"  2x Taskwarrior's add (the 1k bar) is {2 * tw_add:.1f} ms; the interpreter and the "
            f"decoder take {first:.1f} ms ({first / tw_add:.2f}x) before tasksafe's own code runs"
        )
    return lines


def bench_concurrent(task: str | None, tmp: Path, procs: int, adds: int) -> list[str]:
    home = tmp / "home-concurrent"
    home.mkdir()
    env = clean_env(home)
    ts_data = home / "tasks.json"
    seed_tasksafe(ts_data, 1000)
    ts = concurrent_adds(tasksafe_tool(ts_data, env, home, 1000), procs, adds)
    ts_kept = count_tasksafe(ts_data) - 1000
    lines = [f"{procs} processes x {adds} one-shot adds at 1000 tasks"]
    lines.append(f"  tasksafe     {ts:6.1f} adds/s, {ts_kept} of {procs * adds} kept")
    if task is not None:
        tw_env = dict(env, TASKRC=str(home / "taskrc"), TASKDATA=str(home / "tw"))
        uuids = seed_taskwarrior(home / "tw", home / "taskrc", 1000)
        tw = concurrent_adds(taskwarrior_tool(task, uuids, tw_env, home), procs, adds)
        tw_kept = count_taskwarrior(home / "tw") - 1000
        lines.append(f"  taskwarrior  {tw:6.1f} adds/s, {tw_kept} of {procs * adds} kept")
        verdict = "PASS" if ts >= tw and ts_kept == procs * adds else "MISS"
        lines.append(f"  ratio {ts / tw:.2f}x  bar >= 1x, all kept: {verdict}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="pending tasks, comma-separated")
    parser.add_argument("--with-100k", action="store_true", help="also 100000 tasks (slow)")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--no-pty", action="store_true", help="skip list on a pseudo-terminal")
    parser.add_argument("--procs", type=int, default=8)
    parser.add_argument("--adds", type=int, default=25)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    if args.with_100k:
        sizes.append(100_000)
    task = shutil.which("task")
    version = "absent"
    if task is not None:
        out = subprocess.run([task, "--version"], capture_output=True, text=True)
        version = out.stdout.strip()
    print(f"tasksafe vs Taskwarrior {version}; whole processes, {os.cpu_count()} CPUs")
    if task is None:
        print("note: `task` not on PATH (apt-get install taskwarrior): tasksafe's figures only")
    with tempfile.TemporaryDirectory(prefix="tasksafe-peers-") as name:
        tmp = Path(name)
        for count in sizes:
            print("\n".join(bench_size(count, args.runs, task, tmp, not args.no_pty)), flush=True)
        print("\n".join(bench_concurrent(task, tmp, args.procs, args.adds)), flush=True)
        print("\n".join(bench_floor(task, tmp, args.runs)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
