"""tasksafe: `python main.py` starts the interactive task manager; `python main.py COMMAND` runs one."""

from __future__ import annotations

import signal
import sys

# First thing, before any import of the project: a Ctrl-C during start-up (the imports take tens
# of milliseconds) is held until they are done, then answered with one line and exit 130, never
# a traceback; nothing has been read or written yet. Once ui.cli.run starts it handles Ctrl-C
# itself, and its exit code says whether a change was saved (README: Exit codes). Where Ctrl-C
# is ignored (a background job of a script), it stays ignored.
_held: list[int] = []
_CTRL_C_IGNORED = signal.getsignal(signal.SIGINT) is signal.SIG_IGN
if not _CTRL_C_IGNORED:
    signal.signal(signal.SIGINT, lambda signum, frame: _held.append(signum))
    # A Ctrl-C that came while the interpreter started, held by a caller's signal mask,
    # arrives now, where it is one line.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _import_msgspec_alone() -> None:
    """Import msgspec with typing_extensions out of its sight, then give that module back.

    msgspec imports typing_extensions when it is installed (openai brings it) only to recognise
    that module's types in annotations, and typing_extensions imports inspect: together a sixth
    of a one-shot `add`'s CPU (~8 ms). No tasksafe type uses them, and on Python 3.11 msgspec
    falls back to `typing` for all it needs. Whoever imports typing_extensions later (the AI
    client) gets the real one. Here, at the entry, because the first import of msgspec decides.
    """
    if "msgspec" in sys.modules or "typing_extensions" in sys.modules:
        return
    sys.modules["typing_extensions"] = None  # type: ignore[assignment]  # importing it fails
    try:
        import msgspec  # noqa: F401
    finally:
        del sys.modules["typing_extensions"]


def main(argv: list[str] | None = None) -> int:
    import gc
    import os

    # A one-shot command lives for milliseconds and builds only acyclic records: the cyclic GC
    # would just rescan them as they pile up (a tenth of `done`'s CPU at 10k tasks). The REPL,
    # which lives all day, turns it back on (ui.cli._run).
    gc.disable()
    _import_msgspec_alone()
    from ui.cli import run

    if _held:
        print("cancelled; nothing was changed", file=sys.stderr)
        return 130
    if not _CTRL_C_IGNORED:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return run(sys.argv[1:] if argv is None else argv, os.environ, exiting=argv is None)
    except KeyboardInterrupt:  # in the instant before run's own handler: nothing was done
        print("cancelled; nothing was changed", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
