"""commands.registry: the command table, its parser, the handlers' Context, and id arguments."""

from __future__ import annotations

import argparse
from typing import Any

import pytest

import commands  # noqa: F401  (registers the real commands)
from commands import registry
from commands.registry import (
    Context,
    arg,
    build_parser,
    command,
    dispatch,
    flatten_ids,
    parse_ids,
    task_id,
)
from core.errors import InvalidValueError, UsageError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3", [3]),
        ("5-7", [5, 6, 7]),
        ("3,5-7", [3, 5, 6, 7]),
        ("1,,2,", [1, 2]),
        ("4-4", [4]),
        ("9,2", [9, 2]),
    ],
)
def test_parse_ids(text: str, expected: list[int]) -> None:
    assert parse_ids(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x", "not a task id or range: 'x'"),
        ("3-", "not a task id or range"),
        ("-3", "not a task id or range"),
        ("1.5", "not a task id or range"),
        ("0", "not a valid id range: '0'"),
        ("7-5", "not a valid id range: '7-5'"),
        ("1-100000", "not a valid id range"),
    ],
)
def test_parse_ids_refuses_what_is_not_ids(text: str, message: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=message):
        parse_ids(text)


def test_task_id_wants_exactly_one() -> None:
    assert task_id("12") == 12
    with pytest.raises(argparse.ArgumentTypeError, match="one task id"):
        task_id("3-4")


def test_flatten_ids_keeps_the_first_of_each_in_order() -> None:
    assert flatten_ids([[3, 1], [1, 2], [3]]) == [3, 1, 2]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        (["done"], "required: FILTER"),
        (["undone", "x"], "not a task id or range: 'x'"),
        (["show", "3-4"], "one task id"),
        (["list", "--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_parse_errors_raise_one_line_usage_errors_instead_of_exiting(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = build_parser("tasksafe")
    with pytest.raises(UsageError) as exc:
        parser.parse_args(argv)
    text = str(exc.value)
    assert message in text
    assert "\n" not in text
    assert exc.value.exit_code == 2
    assert capsys.readouterr() == ("", "")  # nothing printed: the caller reports it


def test_a_wrong_priority_is_an_invalid_value_not_a_usage_error() -> None:
    with pytest.raises(InvalidValueError, match="priority must be 1") as exc:
        build_parser("tasksafe").parse_args(["add", "x", "-p", "9"])
    assert exc.value.exit_code == 1


def test_the_parser_knows_the_task_commands() -> None:
    parser = build_parser("tasksafe")
    args = parser.parse_args(["add", "buy", "milk", "-p", "1", "-t", "home", "-t", "shop"])
    assert (args.command, args.name, args.priority, args.tags) == (
        "add",
        ["buy", "milk"],
        1,
        ["home", "shop"],
    )
    assert parser.parse_args(["undone", "1", "3-4"]).ids == [[1], [3, 4]]
    assert parser.parse_args(["done", "1", "3-4"]).filters == ["1", "3-4"]  # a filter: ids too
    names = {c.name for c in registry.commands()}
    assert {"add", "list", "show", "edit", "done", "undone", "delete"} <= names
    assert {"modify", "next", "annotate", "denotate", "start", "stop", "subtask"} <= names


def test_a_word_starting_with_a_dash_is_a_filter_unless_it_is_an_option() -> None:
    parser = build_parser("tasksafe")
    args = parser.parse_args(["list", "-someday", "+home", "-h2", "-a"])
    assert (args.filters, args.all) == (["-someday", "+home", "-h2"], True)  # not -h, not -s
    assert parser.parse_args(["done", "-old", "--yes"]).filters == ["-old"]
    with pytest.raises(UsageError, match="unrecognized arguments: --bogus"):
        parser.parse_args(["list", "--bogus"])  # a long option stays an option
    with pytest.raises(UsageError):
        parser.parse_args(["add", "x", "-someday"])  # add takes no dash words: a typo is an error


def test_modify_keeps_the_double_dash_that_splits_filter_from_changes() -> None:
    args = build_parser("tasksafe").parse_args(["modify", "-old", "--", "-y", "p1"])
    assert (args.words, args.yes) == (["-old", "--", "-y", "p1"], False)


@pytest.fixture
def table(monkeypatch: pytest.MonkeyPatch) -> dict[str, registry.Command]:
    """An empty registry for this test, so test commands do not leak into the real one."""
    registry.load_all()  # the real commands registered first, so none lands in this table
    fresh: dict[str, registry.Command] = {}
    monkeypatch.setattr(registry, "REGISTRY", fresh)
    return fresh


def test_command_registers_a_handler_under_its_name_and_aliases(
    table: dict[str, registry.Command],
) -> None:
    @command("greet", "say hello", arg("who"), arg("--loud", action="store_true"), aliases=("hi",))
    def greet(ctx: Context, args: argparse.Namespace) -> Any:
        return f"hello {args.who}" + ("!" if args.loud else "")

    assert table["greet"] is table["hi"]
    assert [c.name for c in registry.commands()] == ["greet"]  # each command once
    assert table["greet"].options() == ["--loud"]
    parser = build_parser("t")
    ctx = Context(state=None, confirm=lambda q, t: True)  # type: ignore[arg-type]
    assert dispatch(ctx, parser.parse_args(["hi", "ana", "--loud"])) == "hello ana!"


def test_interactive_only_commands_stay_out_of_the_one_shot_parser(
    table: dict[str, registry.Command],
) -> None:
    @command("clear", "clear the screen", interactive_only=True)
    def clear(ctx: Context, args: argparse.Namespace) -> Any:
        return None

    with pytest.raises(UsageError, match="invalid choice"):
        build_parser("t").parse_args(["clear"])
    assert build_parser("t", interactive=True).parse_args(["clear"]).command == "clear"


def test_a_context_sees_the_process_environment_unless_it_is_given_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TASKS_AI_MODEL", "from-the-process")
    ctx = Context(state=None, confirm=lambda q, t: True)  # type: ignore[arg-type]
    assert ctx.environ["TASKS_AI_MODEL"] == "from-the-process"
    given = Context(state=None, confirm=lambda q, t: True, environ={"NO_COLOR": "1"})  # type: ignore[arg-type]
    assert given.environ == {"NO_COLOR": "1"}


def test_the_module_table_names_where_every_command_is_defined() -> None:
    registry.load_all()
    defined = {name: cmd.handler.__module__ for name, cmd in registry.REGISTRY.items()}
    listed = {n: module for module, names in registry.COMMAND_MODULES.items() for n in names}
    assert listed == defined  # a new command (or alias) goes in COMMAND_MODULES


def test_a_parser_of_one_command_parses_it_alone() -> None:
    only = registry.load("ls")
    assert only is not None and only.name == "list"
    parser = build_parser("tasksafe", only=only)
    assert parser.parse_args(["ls", "-a"]).all is True
    with pytest.raises(UsageError, match="invalid choice"):
        parser.parse_args(["add", "x"])
    assert registry.load("frobnicate") is None
