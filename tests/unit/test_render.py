"""ui.render: one dispatcher, every result type registered, user text as data, NO_COLOR.

The renderers of each command's results are tested with their commands (test_admin_commands.py,
test_ai_command.py, ...); this file covers the package and ui/render/base.py.
"""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from commands.admin_results import (
    BackupList,
    DoctorReport,
    Replayed,
    Restored,
    SalvageReport,
    Stats,
)
from commands.ai import ProposalAdded, ProposalShown
from commands.results import (
    Message,
    StatusChanged,
    TaskDetail,
    TaskEdited,
    TasksAdded,
    TasksDeleted,
    TaskTable,
)
from commands.session import HelpIndex, HelpTopic
from ui.render import console_for, data, render


@pytest.mark.parametrize(
    "result_type",
    [
        Message, TasksAdded, TaskTable, TaskDetail, TaskEdited, StatusChanged, TasksDeleted,
        Replayed, BackupList, Restored, DoctorReport, SalvageReport, Stats,
        ProposalShown, ProposalAdded, HelpIndex, HelpTopic,
    ],
)  # fmt: skip
def test_importing_the_package_registers_a_renderer_for_every_result(result_type: type) -> None:
    assert render.dispatch(result_type) is not render.dispatch(object)


def test_user_text_is_shown_literally_never_as_markup() -> None:
    out = io.StringIO()
    render(Message("[bold red]pay[/] now", "ok"), Console(file=out, color_system=None))
    assert out.getvalue() == "✓ [bold red]pay[/] now\n"
    assert data("[link=http://x]y[/link]").plain == "[link=http://x]y[/link]"


@pytest.mark.parametrize(("environ", "styled"), [({}, True), ({"NO_COLOR": "1"}, False)])
def test_no_color_comes_from_the_mapping_the_caller_gives(
    environ: dict[str, str], styled: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")  # a StringIO coloured as a terminal would be
    monkeypatch.setenv("TERM", "xterm-256color")
    out = io.StringIO()
    render(Message("done", "ok"), console_for(out, environ))
    assert ("\x1b[" in out.getvalue()) is styled
