"""The import graph of ui/ and commands/: no circles, and every module imports on its own.

A circle works only while each module's imports happen to come after what the other one needs
(ui/render.py once imported its renderers at the bottom for that): this finds them, lazy imports
inside functions included, before they break at a distance.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("ui", "commands")


def module_names() -> dict[str, Path]:
    """Every module of PACKAGES by dotted name (a package by its own name)."""
    names = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return names


class _Imports(ast.NodeVisitor):
    """Every `import` a module runs, at the top or inside a function; not `if TYPE_CHECKING:`."""

    def __init__(self) -> None:
        self.found: list[tuple[str, list[str]]] = []

    def visit_If(self, node: ast.If) -> None:
        if isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for child in node.orelse:
                self.visit(child)
            return
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        self.found.extend((alias.name, []) for alias in node.names)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        self.found.append((node.module or "", [alias.name for alias in node.names]))


def imported_modules(path: Path, known: dict[str, Path]) -> Iterator[str]:
    """The modules of `known` that this file imports (`from ui import x` names ui.x if it is one)."""
    visitor = _Imports()
    visitor.visit(ast.parse(path.read_text(), str(path)))
    for module, names in visitor.found:
        submodules = [f"{module}.{n}" for n in names if f"{module}.{n}" in known]
        if submodules:
            yield from submodules
        elif module in known:
            yield module


def import_graph() -> dict[str, set[str]]:
    known = module_names()
    return {name: set(imported_modules(path, known)) - {name} for name, path in known.items()}


def find_circle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle as the path round it, or None."""
    done: set[str] = set()

    def walk(name: str, path: list[str]) -> list[str] | None:
        if name in path:
            return [*path[path.index(name) :], name]
        if name in done:
            return None
        for target in sorted(graph[name]):
            circle = walk(target, [*path, name])
            if circle:
                return circle
        done.add(name)
        return None

    for name in sorted(graph):
        circle = walk(name, [])
        if circle:
            return circle
    return None


def test_the_graph_sees_top_level_and_lazy_imports() -> None:
    graph = import_graph()
    assert "ui.render.base" in graph["ui.render.tasks"]  # at the top
    assert "ui.repl" in graph["ui.cli"]  # inside `_run`
    assert "ui.ai_review" in graph["ui.forms"]  # inside a method


def test_no_module_of_ui_or_commands_imports_itself_round_a_circle() -> None:
    assert find_circle(import_graph()) is None


def test_find_circle_names_the_modules_round_it() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_circle(graph) == ["a", "b", "c", "a"]
    assert find_circle({"a": {"b"}, "b": set()}) is None


def test_every_module_imports_alone_in_a_fresh_interpreter() -> None:
    children = {
        name: subprocess.Popen(
            [sys.executable, "-c", f"import {name}"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for name in module_names()
    }
    failed = {name: child.communicate(timeout=60)[0] for name, child in children.items()}
    assert {name: out for name, out in failed.items() if children[name].returncode} == {}


# What a one-shot `add` loads (issue 13: its CPU is mostly imports). Run for real, then inspected.
_ADD_PATH_PROBE = """
import dataclasses, runpy, sys
sys.argv = ["main.py", "--file", sys.argv[1], "add", "buy milk"]
try:
    runpy.run_path("main.py", run_name="__main__")
except SystemExit:
    pass
ours = [n for n in sys.modules if n.split(".")[0] in ("core", "commands", "ui")]
print("modules", *sorted(ours))
print("dataclasses", *sorted(
    f"{n}.{k}" for n in ours for k, v in vars(sys.modules[n]).items()
    if isinstance(v, type) and dataclasses.is_dataclass(v) and v.__module__ == n
))
print("third", *sorted({n.split(".")[0] for n in sys.modules} & {"rich", "prompt_toolkit",
    "questionary", "openai", "subprocess", "icalendar", "dateutil", "orjson", "typing_extensions",
    "shutil"}))
import gc
print("gc", "on" if gc.isenabled() else "off")
"""


def _add_path(tmp_path: Path) -> dict[str, list[str]]:
    out = subprocess.run(
        [sys.executable, "-c", _ADD_PATH_PROBE, str(tmp_path / "tasks.json")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    lines = [line.split() for line in out.splitlines() if line.split()]
    wanted = ("modules", "dataclasses", "third", "gc")
    return {words[0]: words[1:] for words in lines if words[0] in wanted}


def test_a_one_shot_add_loads_only_what_adding_needs(tmp_path: Path) -> None:
    seen = _add_path(tmp_path)
    # No Rich, prompt_toolkit, pager, AI or calendar parser; nor orjson, typing_extensions (msgspec
    # looks for it: main.py hides it) or shutil (argparse's formatter: commands.registry), each
    # milliseconds of every command.
    assert seen["third"] == []
    # A dataclass costs ~0.4 ms to define at import; msgspec's Struct ~10 us (design: value types).
    assert seen["dataclasses"] == []
    commands = {m for m in seen["modules"] if m.startswith("commands.") and "result" not in m}
    assert commands <= {
        "commands.options",
        "commands.registry",
        "commands.tasks",
        "commands.words",
        "commands.filters",
    }
    assert not {"core.timeline", "core.sync", "core.interop", "core.ai"} & set(seen["modules"])
    assert seen["gc"] == ["off"]  # a one-shot command needs no cyclic GC (main.py)
