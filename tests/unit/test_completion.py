"""ui.completion: what Tab offers, generated from the registry and the tasks in the file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from prompt_toolkit.completion import CompleteEvent, Completion
from prompt_toolkit.document import Document

from commands.registry import REGISTRY, commands
from core.state import AppState
from ui.completion import MAX_TASKS, TaskCompleter


@pytest.fixture
def state(tasks_path: Path) -> AppState:
    state = AppState(tasks_path)
    state.add_task("Buy milk", tags=["home", "errands"])
    state.add_task("Write report", priority=1, tags=["work"])
    state.add_task("Call the bank", priority=3)
    state.complete(3)
    return state


def complete(state: AppState, text: str) -> list[Completion]:
    return list(TaskCompleter(state).get_completions(Document(text), CompleteEvent(True)))


def texts(state: AppState, text: str) -> list[str]:
    return [c.text for c in complete(state, text)]


def test_an_empty_line_offers_every_command_with_its_help(state: AppState) -> None:
    offered = {c.text: c.display_meta_text for c in complete(state, "")}
    for cmd in commands():
        assert offered[cmd.name] == cmd.help
    assert set(offered) == set(REGISTRY)  # aliases too


def test_a_prefix_narrows_the_commands_and_replaces_the_word(state: AppState) -> None:
    found = complete(state, "li")
    assert [c.text for c in found] == ["list"]
    assert found[0].start_position == -2


def test_options_of_the_command_being_typed(state: AppState) -> None:
    assert set(texts(state, "add --")) == {
        "--priority",
        "--tag",
        "--due",
        "--description",
        "--comment",
        "--raw",
    }
    assert "--all" in texts(state, "list -")


def test_task_ids_are_offered_with_the_name_as_meta(state: AppState) -> None:
    found = {c.text: c.display_meta_text for c in complete(state, "show ")}
    assert found == {"1": "Buy milk", "2": "Write report", "3": "Call the bank"}


def test_ids_in_the_order_list_shows_them(state: AppState) -> None:
    assert texts(state, "edit ") == ["2", "1", "3"]  # P1 first, done last


def test_a_word_of_the_name_completes_to_its_id(state: AppState) -> None:
    found = complete(state, "edit REPO")
    assert [(c.text, c.start_position) for c in found] == [("2", -4)]


def test_digits_match_the_start_of_an_id(state: AppState, tasks_path: Path) -> None:
    for i in range(4, 13):
        state.add_task(f"task {i}")
    assert sorted(texts(state, "show 1"), key=int) == ["1", "10", "11", "12"]


def test_done_offers_pending_tasks_and_undone_offers_done_ones(state: AppState) -> None:
    assert sorted(texts(state, "done ")) == ["1", "2"]
    assert texts(state, "undone ") == ["3"]


def test_several_ids_each_complete(state: AppState) -> None:
    assert "1" in texts(state, "done 2 ")


def test_a_single_id_command_stops_after_its_id(state: AppState) -> None:
    assert texts(state, "show 1 ") == []


def test_tags_after_a_tag_option_and_after_a_hash(state: AppState) -> None:
    assert texts(state, "add Pay rent --tag ") == ["errands", "home", "work"]
    assert texts(state, "add x -t h") == ["home"]
    assert texts(state, "edit 1 --add-tag w") == ["work"]
    assert texts(state, "list #") == ["#errands", "#home", "#work"]


def test_list_offers_its_filter_words(state: AppState) -> None:
    offered = texts(state, "list ")
    for word in ("done", "overdue", "due:today", "p1"):
        assert word in offered
    assert texts(state, "list ov") == ["overdue"]


def test_priority_values_name_their_meaning(state: AppState) -> None:
    found = {c.text: c.display_meta_text for c in complete(state, "add x -p ")}
    assert found == {"1": "high", "2": "normal", "3": "low"}


def test_help_completes_command_names(state: AppState) -> None:
    assert texts(state, "help ed") == ["edit"]


def test_an_unknown_command_gets_no_suggestions(state: AppState) -> None:
    assert texts(state, "frobnicate ") == []


def test_a_name_with_control_characters_is_shown_cleaned(tasks_path: Path) -> None:
    AppState(tasks_path).add_task("Evil")
    data = json.loads(tasks_path.read_text())
    data["tasks"][0]["name"] = "Evil\x1b[2Jname"  # edited into the file by hand, say
    tasks_path.write_text(json.dumps(data))
    assert complete(AppState(tasks_path), "show ")[0].display_meta_text == "Evilname"


def test_a_huge_file_offers_a_bounded_menu(tasks_path: Path) -> None:
    state = AppState(tasks_path)
    state.add_tasks([{"name": f"task {i}"} for i in range(MAX_TASKS + 50)])
    assert len(complete(state, "show ")) == MAX_TASKS
    assert texts(state, f"show {MAX_TASKS + 40}") == [str(MAX_TASKS + 40)]


# --- the words of issue 9: attributes, projects, rules, filters ---


@pytest.fixture
def projects(state: AppState) -> AppState:
    state.add_task("Weed", project="home.garden")
    state.add_task("Taxes", project="work")
    return state


def test_a_name_offers_attribute_names_once_two_letters_are_typed(projects: AppState) -> None:
    assert texts(projects, "add pay rent pro") == ["project:"]
    assert texts(projects, "add pay rent sch") == ["scheduled:"]
    assert texts(projects, "add pay rent d") == []  # one letter: typing a name opens no menu
    assert texts(projects, "add pay re") == ["recur:"]


def test_project_values_are_the_projects_in_the_file_and_their_parents(projects: AppState) -> None:
    assert texts(projects, "add x project:") == [
        "project:home",
        "project:home.garden",
        "project:work",
    ]
    assert texts(projects, "add x pro:h") == ["pro:home", "pro:home.garden"]
    assert texts(projects, "list project:w") == ["project:work"]


def test_recurrence_rules_and_dates_after_their_attribute(projects: AppState) -> None:
    assert texts(projects, "add x recur:m") == ["recur:monthly"]
    assert "due:tomorrow" in texts(projects, "add x due:t")
    assert "due.before:fri" in texts(projects, "list due.before:")
    assert "due.before:overdue" not in texts(projects, "list due.before:o")
    assert texts(projects, "list due:ov") == ["due:overdue"]


def test_filters_offer_the_query_words_and_names(projects: AppState) -> None:
    offered = texts(projects, "list ")
    for word in ("waiting", "blocked", "ready", "active", "recurring", "or", "not", "project:"):
        assert word in offered
    assert "proj:" not in offered  # each attribute once, by its full name
    assert texts(projects, "next bl") == ["blocked", "blocking"]
    assert texts(projects, "list +h") == ["+home"]
    assert texts(projects, "list -w") == []  # `-` starts an option here: -w is none


def test_done_and_modify_offer_pending_ids_then_filter_words(projects: AppState) -> None:
    assert sorted(texts(projects, "done "), key=int) == ["1", "2", "4", "5"]
    assert "4" in texts(projects, "delete 1 ")
    assert texts(projects, "done wee") == ["4"]  # a word of a name completes to its id
    assert "waiting" in texts(projects, "modify wa")


def test_modify_offers_change_words_after_the_double_dash(projects: AppState) -> None:
    assert texts(projects, "modify +home -- pri") == ["priority:"]
    assert texts(projects, "modify +home -- -h") == ["-home"]  # a tag to remove, not an option
    assert texts(projects, "modify +home -- +w") == ["+work"]


def test_subtask_offers_the_parent_id_then_the_words(projects: AppState) -> None:
    assert "1" in texts(projects, "subtask ")
    assert texts(projects, "subtask 1 wa") == ["wait:"]
