"""Fitting tasksafe into a user's setup: `config` (each setting and where it came from) and
`completion` (a shell's completion script, generated from the registry)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from contextlib import suppress
from typing import Any

from msgspec import Struct

from commands.registry import Context, arg, command
from commands.results import JsonOutput
from core.config import (
    FROM_DEFAULT,
    KEYS,
    SOURCE_FLAG,
    Environ,
    Key,
    config_path,
    origin_of,
    resolve_settings,
)

SHELLS = ("bash", "zsh", "fish")


class Setting(Struct, frozen=True):
    """One effective setting: its config key, value (None: not set), and where it came from."""

    key: str
    env: str
    value: object
    origin: str  # --file, environment, .env, the config file's path, default, or a data-file rule
    help: str
    unset: str = ""  # what a value of None means


class ConfigReport(Struct, frozen=True):
    config_path: str
    config_exists: bool
    settings: list[Setting]


class Script(Struct, frozen=True):
    """Text printed exactly as it is (a completion script), never through Rich."""

    text: str


@command(
    "config",
    "show each setting in effect and where it came from (flag, environment, .env, config file)",
    arg("--json", action="store_true", help="print the settings as JSON"),
)
def config(ctx: Context, args: argparse.Namespace) -> Any:
    report = config_report(ctx, getattr(args, "file", None), getattr(args, "lock_timeout", None))
    if not args.json:
        return report
    return JsonOutput(
        {
            "config_file": report.config_path,
            "config_file_exists": report.config_exists,
            "settings": {
                s.key: {"value": s.value, "from": s.origin, "env": s.env} for s in report.settings
            },
        }
    )


def config_report(ctx: Context, file_arg: str | None, timeout_arg: float | None) -> ConfigReport:
    """The settings the state runs with; a REPL's start-up flags show where the values differ."""
    env = ctx.environ
    settings = resolve_settings(env, file_arg, timeout_arg)
    files = ctx.state.files
    path, source = settings.path, settings.source
    if os.path.abspath(path) != os.path.abspath(files.path):  # the REPL was started with --file
        path, source = files.path, SOURCE_FLAG
    timeout, timeout_from = settings.lock_timeout, settings.origins["lock_timeout"]
    if timeout != files.lock_timeout:
        timeout, timeout_from = files.lock_timeout, "--lock-timeout"
    resolved = {
        "file": (os.path.abspath(path), source),
        "lock_timeout": (timeout, timeout_from),
        "backup_count": (settings.backup_count, settings.origins["backup_count"]),
    }
    rows = [
        Setting(
            key.name,
            key.env,
            *(resolved.get(key.name) or _env_value(env, key)),
            key.help,
            key.unset,
        )
        for key in KEYS
    ]
    has_key = bool(env.get("OPENAI_API_KEY", "").strip())
    rows.append(
        Setting(
            "OPENAI_API_KEY",
            "OPENAI_API_KEY",
            "set (not shown)" if has_key else None,
            origin_of(env, "OPENAI_API_KEY"),
            "the AI server's key: in the environment or .env only, never in the config file",
            "not set",
        )
    )
    path_of_config = env.config.path if isinstance(env, Environ) else config_path(env)
    return ConfigReport(path_of_config, os.path.isfile(path_of_config), rows)


def _env_value(env: Mapping[str, str], key: Key) -> tuple[object, str]:
    """A setting read by its feature from the environment (`ai`): shown as that feature reads it."""
    raw = env.get(key.env, "").strip()
    if not raw:
        return key.default, FROM_DEFAULT
    value: object = raw
    if isinstance(key.default, float):
        with suppress(ValueError):  # else shown as given: the feature says what is wrong
            value = float(raw)
    return value, origin_of(env, key.env)


@command(
    "completion",
    "print a completion script for your shell: completion bash|zsh|fish",
    arg("shell", choices=SHELLS, help="the shell: bash, zsh or fish"),
)
def completion(ctx: Context, args: argparse.Namespace) -> Any:
    return Script(script_for(args.shell))


def script_for(shell: str) -> str:
    """The completion script of `shell`, generated from the registry as it is now."""
    from commands.completion import global_options, specs
    from commands.completion_scripts import GENERATORS

    return GENERATORS[shell](specs(), global_options())
