"""tasksafe(1), generated from the command registry: `python -m commands.manpage > docs/tasksafe.1`.

`make man` writes it; `--check FILE` exits 1 when FILE is not what the registry gives now (the
test and the pre-commit hook), so the page never drifts from the commands.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from commands.options import GLOBAL_OPTIONS, VERSION_OPTION
from commands.registry import Arg, Command, commands
from core.config import KEYS, Key
from core.errors import EXIT_ERROR, EXIT_LOCK_TIMEOUT, EXIT_OK, EXIT_UNREADABLE, EXIT_USAGE
from core.version import __version__

CHANGELOG = Path(__file__).resolve().parent.parent / "CHANGELOG.md"
EXIT_INTERRUPTED = 130  # ui/cli.py's: Ctrl-C before anything was saved
# Every exit code (README: Exit codes has the same table); tests check each EXIT_* is here.
EXIT_CODES = (
    (EXIT_OK, "done (an interrupted command whose change was saved exits 0 too)"),
    (EXIT_ERROR, "an error: task not found, invalid value, disk full, permission denied, ..."),
    (
        EXIT_USAGE,
        "usage: unknown command or option, a bad setting or config file, "
        "or delete without --yes off a terminal",
    ),
    (EXIT_LOCK_TIMEOUT, "another window held the lock for longer than the timeout"),
    (
        EXIT_UNREADABLE,
        "the data file is unreadable and no valid backup exists (the file is left as it was)",
    ),
    (EXIT_INTERRUPTED, "Ctrl-C before anything was saved"),
)
ENVIRONMENT = (
    ("TASKS_FILE", "the data file (below --file, above ./tasks.json)"),
    ("TASKS_LOCK_TIMEOUT", "seconds to wait for another window's lock (default 5)"),
    ("TASKS_BACKUP_COUNT", "backups kept beside the data file (default 3)"),
    ("TASKS_BACKUP_HOURLY", "hourly copies kept, each the first save of an hour (default 24)"),
    ("TASKS_BACKUP_DAILY", "daily copies kept (default 14)"),
    ("TASKS_BACKUP_WEEKLY", "weekly copies kept, one per ISO week (default 8)"),
    ("TASKS_HISTORY_DAYS", "days the change history keeps a step (default 365; 0 keeps all)"),
    ("TASKS_CONTEXT", "filter words list, next and calendar show at most (a window's `context`)"),
    ("OPENAI_API_KEY", "the AI server's key (never read from the config file)"),
    ("OPENAI_BASE_URL", "an OpenAI-compatible server for ai (Ollama, llama.cpp, vLLM, LM Studio)"),
    ("TASKS_AI_MODEL", "the model ai asks (default gpt-4o-mini)"),
    ("TASKS_AI_TIMEOUT", "seconds one request of ai may take (default 30)"),
    ("XDG_DATA_HOME", "where the per-user list lives (default ~/.local/share)"),
    ("XDG_CONFIG_HOME", "where config.toml is read from (default ~/.config)"),
    ("XDG_STATE_HOME", "where the REPL's history and the error log live (default ~/.local/state)"),
    ("NO_COLOR", "when set and not empty, no colours or styles"),
)
FILES = (
    (
        "$XDG_DATA_HOME/tasksafe/tasks.json",
        "the per-user list (default ~/.local/share/tasksafe/tasks.json), used when neither "
        "--file, TASKS_FILE, ./tasks.json nor file in the config file names one; its directory "
        "is made (mode 0700) by the first change, and a new file there is mode 0600",
    ),
    ("./tasks.json", "a list of the current directory's own, used when it exists"),
    ("$XDG_CONFIG_HOME/tasksafe/config.toml", "the config file (see CONFIGURATION)"),
    ("FILE.lock", "the writer lock beside the data file; never replaced or deleted"),
    ("FILE.backup, FILE.backup.1, ...", "the versions before the last saves (backups, restore)"),
    ("FILE.hourly-TIME, FILE.daily-TIME, FILE.weekly-TIME", "older versions by hour, day and week"),
    (
        "FILE.history",
        "the change history: one line per saved change (log, undo STEP, restore --at)",
    ),
    ("FILE.corrupt-TIME", "a damaged file moved aside on recovery; never deleted by tasksafe"),
    ("FILE.legacy", "the original app's list, kept when it was upgraded"),
    ("FILE.history", "the change history, one line per saved change"),
    ("$XDG_STATE_HOME/tasksafe/history", "the REPL's input history"),
    ("$XDG_STATE_HOME/tasksafe/error.log", "tracebacks of unexpected errors"),
)


def esc(text: str) -> str:
    """Text for roff: backslashes, hyphens and non-ASCII escaped, a leading dot or quote literal."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    text = "".join(
        c if ord(c) < 128 else f"\\[u{ord(c):04X}]" for c in text
    )  # groff without preconv
    return re.sub(r"^([.'])", r"\\&\1", text, flags=re.MULTILINE)


def bold(text: str) -> str:
    return f"\\fB{esc(text)}\\fR"


def italic(text: str) -> str:
    return f"\\fI{esc(text)}\\fR"


def usage(cmd: Command) -> str:
    """`add [-p PRIORITY] ... [NAME ...]`: argparse's usage, at a fixed width (no $COLUMNS)."""
    parser = argparse.ArgumentParser(
        prog=cmd.name,
        add_help=False,
        formatter_class=lambda prog: argparse.HelpFormatter(prog, width=10_000),
    )
    for a in cmd.args:
        parser.add_argument(*a.flags, **a.options)
    return parser.format_usage().removeprefix("usage: ").strip()


def option_lines(args: Iterable[Arg]) -> list[str]:
    out = []
    for a in args:
        help = str(a.options.get("help", ""))
        if not a.flags[0].startswith("-"):
            if help:  # an ID without a word of its own: the usage line says it all
                out += [".TP", italic(str(a.options.get("metavar") or a.flags[0])), esc(help)]
            continue
        takes = a.options.get("action") not in ("store_true", "store_false", "count")
        metavar = a.options.get("metavar") or a.flags[-1].lstrip("-").upper()
        value = f" {italic(str(metavar))}" if takes else ""
        out += [".TP", ", ".join(bold(f) + value for f in a.flags), esc(help)]
    return out


def command_section(cmd: Command) -> list[str]:
    out = [
        ".TP",
        bold(cmd.name) + " " + esc(usage(cmd).removeprefix(cmd.name).strip()),
        esc(cmd.help),
    ]
    if cmd.aliases:
        out += [".br", f"Also: {', '.join(bold(a) for a in cmd.aliases)}."]
    options = option_lines(cmd.args)
    if options:
        out += [".RS", *options, ".RE"]
    return out


def key_lines(keys: Sequence[Key]) -> list[str]:
    out = []
    for key in keys:
        default = key.unset if key.default is None else _shown(key.default)
        name = key.name.removeprefix("ai.") if key.name.startswith("ai.") else key.name
        out += [
            ".TP",
            f"{bold(name)} ({esc(key.env)})",
            esc(f"{key.help}: {key.accepted}; default: {default}."),
        ]
    return out


def _shown(value: object) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def release_date() -> str:
    """The date of this version's entry in CHANGELOG.md (the page's date), or empty."""
    try:
        text = CHANGELOG.read_text(encoding="utf-8")
    except OSError:
        return ""
    found = re.search(rf"^## \[{re.escape(__version__)}\] - (\S+)", text, flags=re.MULTILINE)
    return found.group(1) if found else ""


def manpage() -> str:
    one_shot = [c for c in commands() if not c.interactive_only]
    repl_only = [c for c in commands() if c.interactive_only]
    top = [k for k in KEYS if "." not in k.name]
    ai = [k for k in KEYS if k.name.startswith("ai.")]
    lines = [
        '.\\" Generated by `python -m commands.manpage` from the command registry: do not edit.',
        f'.TH TASKSAFE 1 "{release_date()}" "tasksafe {__version__}" "User Commands"',
        ".SH NAME",
        "tasksafe \\- an interactive terminal task manager that never loses a task",
        ".SH SYNOPSIS",
        f"{bold('tasksafe')} [{bold('--file')} {italic('PATH')}]"
        f" [{bold('--lock-timeout')} {italic('SECONDS')}]",
        ".br",
        f"{bold('tasksafe')} [{italic('options')}] {italic('COMMAND')} [{italic('ARGS')} ...]",
        ".br",
        f"{bold('tasksafe --version')}",
        ".SH DESCRIPTION",
        esc(
            "With no command, tasksafe opens the interactive task manager (a REPL with completion, "
            "a toolbar and forms); with one, it runs that command once and exits, for scripts. "
            "Commands read from a pipe run one per line. Every change is one transaction under a "
            "lock, durable on disk when the command returns, merged field by field with what "
            "other windows did; a damaged file is moved aside and the newest valid backup restored."
        ),
        ".SH OPTIONS",
        esc("These go before or after the command."),
        *option_lines([*GLOBAL_OPTIONS, VERSION_OPTION]),
        ".SH COMMANDS",
        *(line for cmd in one_shot for line in command_section(cmd)),
        ".SS Only in the interactive task manager",
        *(line for cmd in repl_only for line in command_section(cmd)),
        ".SH CONFIGURATION",
        esc(
            "Settings come from, in this order: the command line, the environment, a .env file "
            "in the current directory, the config file, the default. The config file is TOML; "
            "an unknown key or a wrong value is an error naming the file and the key (exit 2). "
            "tasksafe config shows each setting in effect and where it came from. Keys:"
        ),
        *key_lines(top),
        ".TP",
        bold("[ai]"),
        esc("a table for the AI server of the ai command:"),
        ".RS",
        *key_lines(ai),
        ".RE",
        ".PP",
        esc("For example:"),
        ".PP",
        ".RS",
        ".nf",
        "lock_timeout = 10",
        "backup_count = 5",
        "",
        "[ai]",
        'base_url = "http://127.0.0.1:11434/v1"',
        'model = "llama3.2"',
        ".fi",
        ".RE",
        ".SH FILES",
        esc(
            "The data file is --file, else TASKS_FILE, else ./tasks.json if the current directory "
            "has one, else file in the config file, else the per-user list; tasksafe doctor says "
            "which rule chose it. FILE below is the data file's real path (through symbolic links)."
        ),
        *(line for path, text in FILES for line in (".TP", bold(path), esc(text))),
        ".SH ENVIRONMENT",
        *(line for name, text in ENVIRONMENT for line in (".TP", bold(name), esc(text))),
        ".SH EXIT STATUS",
        *(line for code, text in EXIT_CODES for line in (".TP", bold(str(code)), esc(text))),
        ".SH SHELL COMPLETION",
        esc("Generated from the same registry; each completes commands, options and task ids:"),
        ".PP",
        ".RS",
        ".nf",
        esc("tasksafe completion bash > ~/.local/share/bash-completion/completions/tasksafe"),
        esc('tasksafe completion zsh > "${fpath[1]}/_tasksafe"'),
        esc("tasksafe completion fish > ~/.config/fish/completions/tasksafe.fish"),
        ".fi",
        ".RE",
        ".SH NOTES",
        esc(
            "On network file systems (NFS, SMB, sshfs) locks are best-effort: use one machine at "
            "a time; tasksafe doctor warns there."
        ),
        ".SH SEE ALSO",
        f"{bold('task')}(1), {bold('todo.sh')}(1)",
    ]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m commands.manpage", description=__doc__)
    parser.add_argument("--check", metavar="FILE", help="exit 1 if FILE differs from the page")
    args = parser.parse_args(argv)
    page = manpage()
    if args.check is None:
        sys.stdout.write(page)
        return 0
    if Path(args.check).read_text(encoding="utf-8") == page:
        return 0
    print(f"{args.check} is not in step with the registry: run `make man`", file=sys.stderr)
    return 1


if __name__ == "__main__":  # the commands package, imported first, has registered every command
    sys.exit(main())
