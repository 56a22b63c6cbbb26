"""How fast the REPL feels: start to first prompt, and the first screenful of `list`, at 10k tasks.

Run: `.venv/bin/python bench/bench_startup.py [--tasks N] [--runs N]`. Prints medians next to
floors (a bare interpreter, importing prompt_toolkit) and PASS/MISS against issue 3's bars.
Wall time grows with whatever else the machine runs (compare the floors); the CPU-time row is the
program's own work, which load changes much less.
"""

from __future__ import annotations

import argparse
import gc
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.model import new_record  # noqa: E402
from core.storage.document import Document, encode  # noqa: E402

PROMPT_BAR_MS = 400.0
LIST_BAR_MS = 150.0


def make_file(path: Path, count: int) -> None:
    """A data file of `count` tasks: a fifth done, mixed priorities, tags and dues."""
    records = []
    for i in range(1, count + 1):
        rec = new_record(
            i,
            f"task {i}: write the quarterly report section {i % 97}",
            priority=i % 3 + 1,
            tags=["work", f"area{i % 7}"] if i % 2 else ["home"],
            due=f"2026-{i % 12 + 1:02d}-{i % 28 + 1:02d}" if i % 4 == 0 else None,
        )
        if i % 5 == 0:
            rec["status"] = "done"
        records.append(rec)
    path.write_bytes(encode(Document(records, count + 1)))


def child_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TASKS_", "OPENAI_"))}
    env.update(HOME=str(home), XDG_STATE_HOME=str(home / "state"), TERM="xterm")
    return env


def time_to_prompt(path: Path, env: dict[str, str]) -> float:
    """Seconds from spawning `python main.py --file F` on a pty until the prompt is drawn."""
    return _prompt(path, env)[0]


def cpu_to_prompt(path: Path, env: dict[str, str]) -> float:
    """CPU seconds the program used until its prompt, all threads."""
    return _prompt(path, env)[1]


def _cpu_seconds(pid: int) -> float:
    # Fields 14 and 15 of /proc/PID/stat: user and system time, in clock ticks.
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _prompt(path: Path, env: dict[str, str]) -> tuple[float, float]:
    import pexpect

    start = time.perf_counter()
    child = pexpect.spawn(
        sys.executable,
        [str(ROOT / "main.py"), "--file", str(path)],
        cwd=str(path.parent),
        env=env,
        dimensions=(40, 120),
        encoding="utf-8",
        timeout=20,
    )
    child.expect("tasksafe> ")
    elapsed = time.perf_counter() - start
    cpu = _cpu_seconds(child.pid) if sys.platform == "linux" else float("nan")
    child.sendcontrol("d")
    child.expect(pexpect.EOF)
    child.close()
    return elapsed, cpu


def time_command(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def time_list_render(path: Path) -> float:
    """Seconds to run `list` and render its first screenful of 100x40 to a string."""
    from rich.console import Console

    from commands import Context, build_parser, dispatch
    from core.state import AppState
    from ui.render import render

    state = AppState(path)
    state.load()
    _ = state.tasks  # building the Task objects happens once, on load, not per `list`
    gc.freeze()  # as the REPL does once its first load is done (ui/repl.py, Repl._welcome)
    ctx = Context(state, lambda q, t: False, interactive=True)
    args = build_parser("tasksafe", interactive=True).parse_args(["list"])
    # force_terminal: page as on a terminal (one screenful), without colour codes to count.
    console = Console(
        file=io.StringIO(), width=100, height=40, color_system=None, force_terminal=True
    )
    start = time.perf_counter()
    render(dispatch(ctx, args), console)
    elapsed = time.perf_counter() - start
    gc.unfreeze()  # the next run starts as a new window would
    return elapsed


def median_ms(measure: Callable[[], float], runs: int) -> float:
    measure()  # warm the page cache and the bytecode cache
    return statistics.median(measure() for _ in range(runs)) * 1000


def row(label: str, ms: float, bar: float | None = None) -> None:
    verdict = "" if bar is None else ("PASS" if ms <= bar else "MISS") + f" (bar {bar:.0f} ms)"
    print(f"  {label:<44} {ms:8.1f} ms  {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=10)
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        path = home / "tasks.json"
        make_file(path, opts.tasks)
        env = child_env(home)
        print(
            f"tasksafe startup, {opts.tasks} tasks, median of {opts.runs} ({datetime.now():%F %H:%M})"
        )
        py = sys.executable
        row("floor: python -c pass", median_ms(lambda: time_command([py, "-c", "pass"]), opts.runs))
        pt = [py, "-c", "import prompt_toolkit"]
        row("floor: import prompt_toolkit", median_ms(lambda: time_command(pt), opts.runs))
        row(
            "start to first prompt (pty)",
            median_ms(lambda: time_to_prompt(path, env), opts.runs),
            PROMPT_BAR_MS,
        )
        row(
            "  its CPU time (all threads; less sensitive to load)",
            median_ms(lambda: cpu_to_prompt(path, env), opts.runs),
        )
        row(
            "`list`: first screenful rendered (100x40)",
            median_ms(lambda: time_list_render(path), opts.runs),
            LIST_BAR_MS,
        )


if __name__ == "__main__":
    main()
