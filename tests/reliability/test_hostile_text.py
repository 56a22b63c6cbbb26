"""Hostile task text: stored as given (terminal escape sequences and control characters aside),
shown literally, tables intact.

Rich markup, ANSI and OSC escapes, C1 controls, bidi overrides, zero-width characters, wide and
combining characters, newlines and a 1 MB name, through the one-shot CLI and the batch REPL.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from rich.cells import cell_len

from tests.helpers import MAIN, child_env, run_cli
from tests.reliability.conftest import Recorder

NO_COLOR = {"NO_COLOR": "1", "COLUMNS": "100"}
COLOR = {"FORCE_COLOR": "1", "TERM": "xterm-256color", "COLUMNS": "100"}
BOX = re.compile(r"^[\u2500-\u257f]")  # a line of a table or panel starts with a box character
TOP_LEFT = "┌┏╭╔"
CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")  # any C0/C1 control but the newline
pytestmark = pytest.mark.reliability("hostile texts")
MEGA = " ".join(["y" * 100_000] * 10)  # argv strings stop at 128 KiB each, so ten words


@dataclass(frozen=True)
class Hostile:
    label: str
    given: str
    stored: str  # exactly what the file must hold
    visible: tuple[str, ...]  # what `list` and `show` must print literally

    @property
    def words(self) -> list[str]:
        return self.given.split(" ") if self is MEGA_NAME else [self.given]


MEGA_NAME = Hostile("1 MB name", MEGA, MEGA, ("y" * 60,))
TEXTS = (
    Hostile(
        "Rich markup",
        "[bold red]alarm[/] [link=https://evil.example]click[/link] [/]",
        "[bold red]alarm[/] [link=https://evil.example]click[/link] [/]",
        ("[bold red]alarm[/]", "[link=https://evil.example]click[/link]"),
    ),
    # Whole escape sequences go (core.vocabulary.clean_text), not only their ESC.
    Hostile(
        "ANSI and OSC escapes",
        "\x1b[31mred\x1b[0m \x1b]0;pwned\x07 \x1b[2J \x1b]8;;http://x\x1b\\link",
        "red   link",
        ("red   link",),
    ),
    # CSI as one C1 byte is a sequence too; an unterminated DCS runs to the end of the text.
    Hostile("C1 controls", "a\x9b31mb \x85next \x90dcs", "ab next ", ("ab next",)),
    Hostile(
        "bidi overrides",
        "invoice\u202efdp.exe\u202c \u2066isolated\u2069 \u200fmark",
        "invoicefdp.exe isolated mark",
        ("invoicefdp.exe isolated mark",),
    ),
    Hostile("zero-width", "pay\u200bpal \ufeffbom", "paypal bom", ("paypal bom",)),
    Hostile(
        "backspace and bell", "over\x08\x08\x08\x08hidden\x07!", "overhidden!", ("overhidden!",)
    ),
    Hostile(
        "wide characters",
        "漢字テスト 🎉 ｆｕｌｌｗｉｄｔｈ 한국어",
        "漢字テスト 🎉 ｆｕｌｌｗｉｄｔｈ 한국어",
        ("漢字テスト", "ｆｕｌｌｗｉｄｔｈ", "한국어"),
    ),
    Hostile(
        "combining characters",
        "Ze\u0301\u0301\u0301bra Z\u0351\u0352\u0353algo cafe\u0301",
        "Ze\u0301\u0301\u0301bra Z\u0351\u0352\u0353algo cafe\u0301",
        ("Ze\u0301\u0301\u0301bra", "cafe\u0301"),
    ),
    Hostile(
        "newlines and tabs",
        "line one\nline two\r\nthree\tfour",
        "line one\nline two\nthree\tfour",
        ("line one", "line two", "three"),
    ),
    MEGA_NAME,
)


PLAIN_ROW = re.compile(r"\s*\d+ ")  # a task line of the plain list starts with its id


def misshapen_tables(output: str) -> list[set[int]]:
    """The display widths of each table or panel (a run of box lines) that are not all equal."""
    blocks: list[set[int]] = [set()]
    for line in output.splitlines():
        if blocks[-1] and (not BOX.match(line) or line[0] in TOP_LEFT):
            blocks.append(set())  # a table or panel ended, or the next one starts right away
        if BOX.match(line):
            blocks[-1].add(cell_len(line))
    assert blocks[0], "no table or panel in the output"
    return [widths for widths in blocks if len(widths) > 1]


def misshapen_rows(output: str, tasks: int) -> list[str]:
    """The one-shot `list`'s plain lines (off a terminal, no box drawing): a header, one line per
    task starting with its id, and the summary; a name's new line or escape must not add one."""
    lines = output.splitlines()
    rows = [line for line in lines[1:-1] if line.strip()]
    return [line for line in rows if not PLAIN_ROW.match(line)] + (
        [f"{len(rows)} rows for {tasks} tasks"] if len(rows) != tasks else []
    )


def assert_literal(output: str, text: Hostile, boxed: bool = True) -> None:
    assert "\x1b" not in output and not CONTROL.search(output), repr(CONTROL.search(output))
    for piece in text.visible:
        assert piece in output, f"{piece!r} not shown literally"
    if boxed:
        assert not misshapen_tables(output), "a table line is wider than the others"
    else:
        assert not misshapen_rows(output, 1), misshapen_rows(output, 1)


def assert_no_injected_escapes(output: str) -> None:
    """With colour on Rich writes its own SGR codes; the task's escapes must not get through."""
    for injected in ("\x1b]", "\x1b[2J", "\x1b[31mred", "\x9b", "\x07", "\x08"):
        assert injected not in output, repr(injected)


@pytest.mark.parametrize("text", TEXTS, ids=[t.label for t in TEXTS])
def test_hostile_text_is_stored_as_given_and_shown_literally(text: Hostile, tmp_path: Path) -> None:
    path = tmp_path / "tasks.json"
    added = run_cli(path, "add", *text.words, "-d", text.given[:1000], "-c", text.given[:1000])
    assert added.returncode == 0 and added.stdout == "1\n", added.stderr
    (record,) = json.loads(run_cli(path, "list", "--all", "--json").stdout)
    assert record["name"] == text.stored
    short = text.stored if len(text.given) <= 1000 else text.given[:1000]
    assert record["description"] == record["comment"] == short
    for args in (("list", "--all"), ("show", "1")):
        done = run_cli(path, *args, env=NO_COLOR)
        assert done.returncode == 0, done.stderr
        assert_literal(done.stdout, text, boxed=args[0] == "show")
        coloured = run_cli(path, *args, env=COLOR)
        assert_no_injected_escapes(coloured.stdout)


def test_hostile_tags_are_cleaned_and_shown_literally(tmp_path: Path) -> None:
    path = tmp_path / "tasks.json"
    tags = ("[red]alarm[/red]", "#\x1b[31mesc", "漢字", "bidi\u202e")
    added = run_cli(path, "add", "tagged", *(a for t in tags for a in ("-t", t)))
    assert added.returncode == 0, added.stderr
    (record,) = json.loads(run_cli(path, "list", "--all", "--json").stdout)
    assert record["tags"] == ["[red]alarm[/red]", "esc", "漢字", "bidi"]
    shown = run_cli(path, "list", env=NO_COLOR).stdout
    assert "#[red]alarm[/red]" in shown and "#esc" in shown and "\x1b" not in shown


def test_a_table_of_all_of_them_keeps_its_shape(tmp_path: Path) -> None:
    path = tmp_path / "tasks.json"
    for text in TEXTS[:-1]:
        assert run_cli(path, "add", *text.words).returncode == 0
    output = run_cli(path, "list", "--all", env=NO_COLOR).stdout  # off a terminal: plain lines
    assert "\x1b" not in output and not CONTROL.search(output)
    assert not misshapen_rows(output, len(TEXTS) - 1), misshapen_rows(output, len(TEXTS) - 1)


def batch(path: Path, lines: list[str], extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The REPL reading commands from a pipe: `main.py --file F < commands`."""
    return subprocess.run(
        [sys.executable, MAIN, "--file", str(path)],
        input="".join(f"{line}\n" for line in lines),
        capture_output=True,
        text=True,
        cwd=path.parent,
        env=child_env(path.parent, extra),
        timeout=120,
    )


def test_hostile_text_through_the_batch_repl(tmp_path: Path, reliability: Recorder) -> None:
    path = tmp_path / "tasks.json"
    # One command a line: a name with a newline or a carriage return cannot be typed there.
    texts = [t for t in TEXTS if "\n" not in t.given and "\r" not in t.given]
    # Every name quoted, the 1 MB one too: the REPL's line splitter is linear.
    adds = [f"add {shlex.quote(t.given)}" for t in texts]
    reliability.attempt("hostile texts", len(texts))
    done = batch(path, adds, NO_COLOR)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    stored = [r["name"] for r in json.loads(path.read_bytes())["tasks"]]
    assert stored == [t.stored for t in texts]
    shown = batch(path, ["list --all", *(f"show {n}" for n in range(1, len(texts) + 1))], NO_COLOR)
    assert shown.returncode == 0, shown.stderr
    for text in texts:
        assert_literal(shown.stdout, text)


def test_joiners_are_text_not_control_characters(tmp_path: Path) -> None:
    path = tmp_path / "tasks.json"
    name = "👩\u200d💻 dev · می\u200cخواهم"
    assert run_cli(path, "add", name).returncode == 0
    (record,) = json.loads(run_cli(path, "list", "--all", "--json").stdout)
    assert record["name"] == name
