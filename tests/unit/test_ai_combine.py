"""core.ai.combine: the model's split and names, with what the user typed explicitly put back."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from core.ai.combine import combine, near_duplicates, read_pieces
from core.ai.proposal import ProposedTask

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))  # a Tuesday
MOM_TEXT = "call mom next tuesday evening, high priority, and buy milk #errands"


def test_the_issues_sentence_comes_out_as_typed() -> None:
    # Issue 15: a 0.5B model merged the two, priority 3, due tomorrow, "buy milk" as description.
    model = (ProposedTask("call mom next tuesday evening", "buy milk", 3, (), "2026-12-02"),)
    tasks, notes = combine(model, MOM_TEXT, NOW)
    assert tasks == (
        ProposedTask("call mom", priority=1, due="2026-12-08T18:00"),
        ProposedTask("buy milk", tags=("errands",)),
    )
    assert "task 1: priority 1 as typed (the model said 3)" in notes
    assert "task 1: due 2026-12-08 18:00 as typed (the model said 2026-12-02)" in notes
    assert any("split 'buy milk' out of task 1" in note for note in notes)


def test_a_right_answer_is_left_alone_without_notes() -> None:
    model = (
        ProposedTask("call mom", priority=1, due="2026-12-08T18:00"),
        ProposedTask("buy milk", tags=("errands",)),
    )
    assert combine(model, MOM_TEXT, NOW) == (model, ())


def test_dropped_tags_and_priority_go_back_on_the_task_they_were_typed_in() -> None:
    model = (ProposedTask("pay rent"), ProposedTask("water the plants", tags=("home",)))
    tasks, notes = combine(model, "pay rent p1 #money; water the plants #garden", NOW)
    assert tasks == (
        ProposedTask("pay rent", priority=1, tags=("money",)),
        ProposedTask("water the plants", tags=("garden",)),  # #home was not typed
    )
    assert "task 1: put back #money" in notes and "task 2: put back #garden" in notes


def test_a_tag_the_user_did_not_type_is_left_out() -> None:
    # Measured (make llm-check): the 0.5B model tagged "pay rent p1" #rent, "book flights to
    # Lisbon, low prio" #low, and put #errands, typed for the milk, on "call mom".
    model = (ProposedTask("pay rent", priority=1, tags=("rent",)),)
    tasks, notes = combine(model, "pay rent p1", NOW)
    assert tasks == (ProposedTask("pay rent", priority=1),)
    assert notes == ("task 1: left out #rent (not typed)",)
    model = (ProposedTask("call mom", tags=("errands",)), ProposedTask("buy milk"))
    tasks, _ = combine(model, "call mom and buy milk #errands", NOW)
    assert [t.tags for t in tasks] == [(), ("errands",)]


def test_a_task_no_piece_owns_keeps_only_tags_typed_in_the_text() -> None:
    text = "so many things: the car insurance and my sister's present #family"
    model = (
        ProposedTask("sort out the car insurance", tags=("car",)),
        ProposedTask("buy sister's present", tags=("family", "gift")),
    )
    tasks, _ = combine(model, text, NOW)
    assert [t.tags for t in tasks] == [(), ("family",)]


def test_a_priority_no_word_asks_for_is_normal() -> None:
    # Measured: the 0.5B model gave "buy milk" and "call the dentist tomorrow 9am" priority 1.
    tasks, notes = combine((ProposedTask("buy milk", priority=1),), "buy milk", NOW)
    assert tasks == (ProposedTask("buy milk"),)
    assert notes == ("task 1: priority 2: no word asks for another (the model said 1)",)


def test_a_priority_word_quick_add_cannot_read_leaves_the_models_priority() -> None:
    for text, priority in [
        ("llamar al médico el lunes, urgente", 1),
        ("fix the leaking tap, it's urgent", 1),
        ("renew passport !!!", 1),
        ("Steuererklärung machen, hohe Priorität", 1),
    ]:
        model = (ProposedTask(text.split(",")[0], priority=priority),)
        assert combine(model, text, NOW)[0][0].priority == priority, text


def test_a_tag_the_model_kept_in_another_case_is_not_doubled() -> None:
    model = (ProposedTask("fix build", tags=("work",)),)
    assert combine(model, "fix build #Work", NOW) == (model, ())


def test_without_a_typed_due_the_models_date_stays() -> None:
    model = (ProposedTask("send the report", due="2026-12-31"),)
    # "end" is a date word; "the end of the sprint" is no date the parser can compute.
    assert combine(model, "send the report by the end of the sprint", NOW)[0] == model


def test_a_split_the_parser_cannot_see_is_the_models() -> None:
    # The model split a rambling paragraph into four right tasks, which the offline parser refused.
    text = (
        "so this week I really need to sort out the car insurance, my sister's birthday present,"
        " the gutter that keeps leaking and also the tax papers #home"
    )
    model = (
        ProposedTask("sort out car insurance"),
        ProposedTask("buy sister's birthday present"),
        ProposedTask("fix the leaking gutter"),
        ProposedTask("tax papers"),
    )
    tasks, _ = combine(model, text, NOW)
    assert [t.name for t in tasks] == [t.name for t in model]
    assert len(tasks) == 4


def test_pieces_are_read_by_the_add_vocabulary() -> None:
    (mom, milk) = read_pieces(MOM_TEXT, NOW)
    assert (mom.name, mom.priority, mom.due) == ("call mom", 1, "2026-12-08T18:00")
    assert (milk.name, milk.tags, milk.due) == ("buy milk", ("errands",), None)


def test_a_piece_the_parser_refuses_is_left_to_the_model() -> None:
    model = (ProposedTask("call mom", due="2026-12-03"),)
    assert combine(model, "call mom on feb 30", NOW) == (model, ())


def test_a_proposed_task_like_a_pending_one_is_flagged() -> None:
    proposed = (ProposedTask("Buy milk"), ProposedTask("call the plumber"))
    notes = near_duplicates(proposed, [(3, "buy milk"), (4, "write report")])
    assert notes == (
        "task 1 'Buy milk' is much like pending task 3 'buy milk':"
        " change that one instead (edit 3)?",
    )
    assert near_duplicates(proposed, [(9, "buy bread")]) == ()


def test_the_models_date_words_are_read_by_tasksafes_parser() -> None:
    # The model split and named it; its date was wrong, its words for the date right.
    model = (
        ProposedTask("dentist", due="2026-12-02", due_text="next tuesday evening"),
        ProposedTask("pay rent", due="2026-12-15", due_text="on the 15th"),
    )
    tasks, notes = combine(model, "so the dentist is next tuesday evening and rent mid month", NOW)
    assert [t.due for t in tasks] == ["2026-12-08T18:00", "2026-12-15"]
    assert notes == (
        "task 1: due 2026-12-08 18:00 read from 'next tuesday evening' (the model said 2026-12-02)",
    )


def test_date_words_the_parser_cannot_read_leave_the_models_date() -> None:
    model = (ProposedTask("file taxes", due="2027-04-15", due_text="before the deadline"),)
    assert combine(model, "file taxes before the deadline", NOW) == (model, ())


def test_one_shared_word_does_not_make_a_piece_the_models_task() -> None:
    # The model dropped the plumber: its p1 and due must not land on "call mom".
    model = (ProposedTask("call mom", priority=3),)
    tasks, notes = combine(model, "call mom p3; call the plumber p1 tomorrow", NOW)
    assert tasks == (*model, ProposedTask("call the plumber", priority=1, due="2026-12-02"))
    assert notes == ("added 'call the plumber', which the model left out",)


def test_the_users_words_win_over_the_models_rewording() -> None:
    # Measured (issue 15): the 0.5B model reworded names; cutting words off the ends is kept.
    for text, model_name, name in [
        ("backup the laptop in 2 weeks", "Backup laptop in 2 weeks", "backup the laptop"),
        (
            "text Jake happy birthday on january 5",
            "Jake Happy Birthday",
            "text Jake happy birthday",
        ),
        ("fix the leaking tap, it's urgent", "fix the leaking tap", "fix the leaking tap"),
        ("Morgen Zahnarzt anrufen", "Zahnarzt anrufen", "Zahnarzt anrufen"),
        (
            "pay the electricity bill online",
            "pay the electricity bill",
            "pay the electricity bill online",
        ),
    ]:
        (task,), _ = combine((ProposedTask(model_name),), text, NOW)
        assert task.name == name, text


def test_a_piece_the_model_left_out_is_added_when_its_other_tasks_are_pieces() -> None:
    text = "write thank-you cards p3 #family; mail the package tomorrow"
    model = (ProposedTask("write thank-you cards", due="2026-12-02"),)
    tasks, notes = combine(model, text, NOW)
    assert tasks == (
        ProposedTask("write thank-you cards", priority=3, tags=("family",)),
        ProposedTask("mail the package", due="2026-12-02"),
    )
    assert "added 'mail the package', which the model left out" in notes


def test_a_left_over_piece_is_not_added_beside_a_task_it_may_be() -> None:
    # "post the parcel" may be the model's "mail the package": no second task for it.
    model = (ProposedTask("write cards"), ProposedTask("post the parcel"))
    tasks, _ = combine(model, "write cards; mail the package", NOW)
    assert [t.name for t in tasks] == ["write cards", "post the parcel"]


def test_a_due_no_word_of_the_piece_gives_is_dropped() -> None:
    # Measured: the plumber got the pizza's "friday evening" as next Tuesday 18:00.
    text = "call the plumber about the leak p1 and order pizza for friday evening"
    model = (
        ProposedTask("call the plumber about the leak", priority=1, due="2026-12-08T18:00"),
        ProposedTask("order pizza", due="2026-12-04T18:00"),
    )
    tasks, notes = combine(model, text, NOW)
    assert [t.due for t in tasks] == [None, "2026-12-04T18:00"]
    assert "task 1: no due: no word gives a date (the model said 2026-12-08T18:00)" in notes
    model = (ProposedTask("Zahnarzt anrufen", due="2026-12-02"),)
    assert combine(model, "Morgen Zahnarzt anrufen", NOW)[0] == model  # a date word: kept


def test_the_one_task_and_the_one_piece_left_are_the_same() -> None:
    # Measured: "Offsite Project" shares too few words with the piece to own it by name.
    model = (ProposedTask("Offsite Project", tags=("offsite", "project")),)
    text = "Plan the team offsite project:offsite #planning next week"
    (task,), notes = combine(model, text, NOW)
    assert task == ProposedTask(
        "Offsite Project", tags=("planning",), due="2026-12-07", project="offsite"
    )
    assert "task 1: put back #planning" in notes


def test_an_attribute_word_does_not_count_against_owning_a_piece() -> None:
    model = (ProposedTask("file taxes"), ProposedTask("call mom"))
    tasks, _ = combine(model, "file taxes p1 by dec 31 project:admin; call mom", NOW)
    assert (tasks[0].priority, tasks[0].due) == (1, "2026-12-31")


def test_a_tag_followed_by_a_comma_is_typed() -> None:
    model = (ProposedTask("phone mom", tags=("family",)), ProposedTask("get milk"))
    tasks, _ = combine(model, "mom needs a ring #family, and milk", NOW)
    assert tasks[0].tags == ("family",)


def test_a_typed_project_goes_on_the_task_and_a_model_s_own_is_left_out() -> None:
    model = (
        ProposedTask("fix the fence"),
        ProposedTask("call mum", project="family"),  # not typed: a model's guess
    )
    tasks, notes = combine(model, "fix the fence project:home; call mum", NOW)
    assert [(t.name, t.project) for t in tasks] == [("fix the fence", "home"), ("call mum", None)]
    assert any("project none as typed" in note for note in notes)
