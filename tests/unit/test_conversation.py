"""Tests for app.domain.conversation: the SMS conversation of a check-in, message by message (SPEC section 2)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain import texts
from app.domain.conversation import (
    BEREAVEMENT,
    CLOSED_REPLY,
    COMPLETE,
    GENERIC_REPLY,
    OPT_OUT,
    QUESTIONS,
    RESUME,
    RISK,
    WRONG_NUMBER,
    Answers,
    Context,
    ConversationState,
    Turn,
    respond,
)
from app.domain.discretion import forbidden_words_in, is_gsm7, sms_segments

NOW = datetime(2027, 3, 15, 12, 0, tzinfo=UTC)
ANSWERED, DISCHARGED, REFERRED = date(2027, 3, 15), date(2026, 12, 1), date(2026, 6, 10)
NAME = "Tyne Wellbeing"
LINK = "https://followup.stillwell.example.org/s/AbCdEfGhIjKlMnOpQrStUv"
CRISIS = texts.crisis_signposting()


def context(**changes: object) -> Context:
    base = Context(
        now=NOW,
        answered_on=ANSWERED,
        short_name=NAME,
        discharge_date=DISCHARGED,
        referral_date=REFERRED,
        next_contact_month="May",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def converse(messages: Iterable[str], state: ConversationState | None = None, **changes: Any) -> list[Turn]:
    """Each message in turn, each reply to the state the previous one left."""
    turns: list[Turn] = []
    state = state or ConversationState.start()
    for message in messages:
        turns.append(respond(state, message, context(**changes)))
        state = turns[-1].state
    return turns


# --- the whole conversation ---------------------------------------------------------------------


def test_happy_path_change_then_duration_then_usual_self_then_thanks() -> None:
    first, second, third = converse(["Much better thanks", "about 3 weeks", "yes"])
    assert first.answers == Answers(change="much_better")
    assert first.replies == [texts.duration_question()] and first.events == () and first.attempt
    assert first.state.question == "duration"
    assert second.answers == Answers(duration_start=ANSWERED - timedelta(days=21))
    assert second.replies == [texts.usual_self_question()]
    assert third.answers == Answers(usual_self="yes")
    assert third.replies == [texts.thank_you(NAME)] and third.events == (COMPLETE,)
    assert third.state.question == "done" and third.state.answered == frozenset(QUESTIONS)


def test_all_answers_in_one_message() -> None:
    (turn,) = converse(["2, 3 weeks, mostly"])
    assert turn.answers == Answers("a_little_better", ANSWERED - timedelta(days=21), "mostly")
    assert turn.replies == [texts.thank_you(NAME)] and turn.events == (COMPLETE,)


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("1\n2 months\n3", Answers("much_better", date(2027, 1, 15), "no")),
        ("a little better and 3 weeks and no", Answers("a_little_better", date(2027, 2, 22), "no")),
        ("no change and it's been about 2 months & mostly", Answers("same", date(2027, 1, 15), "mostly")),
        ("Much better. About 3 weeks. Yes", Answers("much_better", date(2027, 2, 22), "yes")),
        ("same; since I finished; yes", Answers("same", DISCHARGED, "yes")),
        # "and" inside an answer is not a break: the whole reads as one duration
        ("1, a year and a half, 2", Answers("much_better", REFERRED, "mostly")),
        ("1, 2 weeks and 3 days, yes", Answers("much_better", date(2027, 2, 26), "yes")),
        # a comma inside one answer: the reading that explains the whole message wins
        ("1, 1 month, 2 weeks, mostly", Answers("much_better", date(2027, 2, 1), "mostly")),
        ("2, 3 weeks, yes", Answers("a_little_better", date(2027, 2, 22), "yes")),
    ],
)
def test_several_answers_in_one_message(message: str, expected: Answers) -> None:
    (turn,) = converse([message])
    assert turn.answers == expected
    assert turn.state.question == "done" and turn.events == (COMPLETE,)


def test_several_answers_stop_at_the_first_unclear_one() -> None:
    (turn,) = converse(["much better, ages really, yes"])
    assert turn.answers == Answers(change="much_better")  # "yes" after the unclear item is not read
    assert turn.state.question == "duration"
    # The unclear item followed an answer in the same message: duration was never asked, so it is not held
    # against it; the question is simply asked.
    assert turn.state.unclear_count == 0 and turn.replies == [texts.duration_question()]


@pytest.mark.parametrize("message", ["a little better and worse", "much better and then worse", "1 and 2"])
def test_and_splits_only_where_the_parts_read_as_answers(message: str) -> None:
    (turn,) = converse([message])
    assert turn.answers == Answers() and turn.replies == [texts.reask("change")]


def test_a_bare_number_after_a_change_answer_is_clarified() -> None:
    (turn,) = converse(["2, 3"])
    assert turn.answers == Answers(change="a_little_better")
    assert turn.state.pending_number == "3" and turn.replies == [texts.duration_clarification("3")]


# --- unclear answers --------------------------------------------------------------------------------


def test_duration_is_reasked_once_then_left_unanswered() -> None:
    state = ConversationState.start(["change"])
    first, second = converse(["dunno really", "hard to say"], state)
    assert first.replies == [texts.reask("duration")] and first.state.unclear_count == 1 and first.attempt
    assert second.replies == [texts.usual_self_question()]
    assert second.state.question == "usual_self" and second.state.unclear_count == 0
    assert second.state.unanswered == {"duration"} and second.answers == Answers()


def test_usual_self_is_reasked_once_then_left_unanswered_and_the_check_in_completes() -> None:
    state = ConversationState.start(["change", "duration"])
    first, second = converse(["maybe", "not sure"], state)
    assert first.replies == [texts.reask("usual_self")]
    assert second.replies == [texts.thank_you(NAME)] and second.events == (COMPLETE,)
    assert second.state.question == "done" and second.state.unanswered == {"usual_self"}


def test_an_answer_after_the_reask_is_taken() -> None:
    state = ConversationState.start(["change"])
    first, second = converse(["ages", "6 weeks"], state)
    assert first.replies == [texts.reask("duration")]
    assert second.answers == Answers(duration_start=ANSWERED - timedelta(weeks=6))
    assert second.state.question == "usual_self" and second.state.unclear_count == 0


def test_second_unclear_change_keeps_waiting_offers_the_link_then_one_reply_a_day() -> None:
    turns = converse(["better", "hmm"], links_allowed=True, link=LINK)
    assert turns[0].replies == [texts.reask("change")]
    assert turns[1].replies == [texts.change_options_again(LINK)]
    state = turns[1].state
    assert state.question == "change" and state.change_given_up and state.last_unprompted_reply_at == NOW
    # Within 24 hours: stored and counted, but no reply.
    quiet = respond(state, "not sure", context(now=NOW + timedelta(hours=23, minutes=59)))
    assert quiet.replies == [] and quiet.attempt and quiet.state == state
    # A day later one more reply (numbered options: this service allows no links).
    later = respond(quiet.state, "dunno", context(now=NOW + timedelta(hours=24)))
    assert later.replies == [texts.change_options_again(None)]
    assert later.state.last_unprompted_reply_at == NOW + timedelta(hours=24)
    # A clear answer is still taken and the conversation goes on.
    answered = respond(later.state, "3", context(now=NOW + timedelta(hours=25)))
    assert answered.answers == Answers(change="same") and answered.replies == [texts.duration_question()]
    assert answered.state.question == "duration" and not answered.state.change_given_up


def test_the_link_is_offered_only_where_the_service_allows_links() -> None:
    turns = converse(["better", "hmm"], links_allowed=False, link=LINK)
    assert turns[1].replies == [texts.change_options_again(None)]


# --- bare numbers for duration ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "start"),
    [
        ("W", date(2027, 2, 22)),
        ("weeks", date(2027, 2, 22)),
        ("w.", date(2027, 2, 22)),
        ("M", date(2026, 12, 15)),
        ("Months", date(2026, 12, 15)),
        ("mths", date(2026, 12, 15)),
        ("2 months", date(2027, 1, 15)),  # a whole answer instead
        ("since I finished", DISCHARGED),
    ],
)
def test_a_bare_number_is_clarified_with_w_or_m(reply: str, start: date) -> None:
    state = ConversationState.start(["change"])
    first, second = converse(["3", reply], state)
    assert first.replies == [texts.duration_clarification("3")] and first.answers == Answers()
    assert first.state.pending_number == "3" and first.state.unclear_count == 0
    assert second.answers == Answers(duration_start=start)
    assert second.state.question == "usual_self" and second.state.pending_number is None
    assert second.replies == [texts.usual_self_question()]


def test_the_clarification_is_not_a_reask() -> None:
    state = replace(ConversationState.start(["change"]), unclear_count=1)  # already re-asked once
    first, second = converse(["3", "M"], state)
    assert first.replies == [texts.duration_clarification("3")]
    assert second.answers == Answers(duration_start=date(2026, 12, 15))


def test_an_unclear_reply_to_the_clarification_is_an_unclear_duration_answer() -> None:
    state = ConversationState.start(["change"])
    _, second, third = converse(["3", "3", "no idea"], state)
    assert second.replies == [texts.reask("duration")] and second.state.pending_number is None
    assert third.state.unanswered == {"duration"} and third.replies == [texts.usual_self_question()]


# --- keywords ---------------------------------------------------------------------------------------


def test_stop_mid_conversation_opts_out_and_reads_no_answer() -> None:
    state = ConversationState.start(["change"])
    (turn,) = converse(["STOP"], state)
    assert turn.events == (OPT_OUT,) and turn.replies == [texts.opt_out_confirmation()]
    assert turn.state == state and turn.answers == Answers() and not turn.attempt


@pytest.mark.parametrize("message", ["stop texting me", "Unsubscribe", "please stop", "OPT OUT"])
def test_stop_phrases_opt_out(message: str) -> None:
    (turn,) = converse([message])
    assert turn.events == (OPT_OUT,)


def test_start_resumes_an_opted_out_contact() -> None:
    (turn,) = converse(["START"], opted_out=True, has_open_check_in=False)
    assert turn.events == (RESUME,) and turn.replies == [texts.resume_confirmation()]


def test_help_mid_conversation_sends_help_and_changes_nothing() -> None:
    state = ConversationState.start(["change"])
    (turn,) = converse(["HELP"], state, help_contact="help@stillwell.example.org")
    assert turn.replies == [texts.help_reply(NAME, "help@stillwell.example.org")]
    assert turn.state == state and turn.events == () and not turn.attempt
    (info,) = converse(["info"], state)
    assert info.replies == [texts.help_reply(NAME, None)]


def test_yes_never_resumes() -> None:
    (opted_out,) = converse(["YES"], opted_out=True, has_open_check_in=False)
    assert opted_out.events == () and opted_out.replies == []
    state = ConversationState.start(["change", "duration"])
    (answer,) = converse(["Yes"], state)
    assert answer.events == (COMPLETE,) and answer.answers == Answers(usual_self="yes")


def test_i_cant_stop_crying_is_not_a_keyword_but_an_unclear_answer() -> None:
    (turn,) = converse(["I can't stop crying"])
    assert OPT_OUT not in turn.events and RISK not in turn.events
    assert turn.replies == [texts.reask("change")] and turn.attempt and turn.state.unclear_count == 1


# --- safeguarding -----------------------------------------------------------------------------------


def test_a_risk_message_with_an_answer_inside() -> None:
    (turn,) = converse(["much better but I want to end it all"])
    assert turn.events[0] == RISK
    assert turn.replies[0] == CRISIS
    assert turn.answers == Answers(change="much_better")
    assert turn.replies[1:] == [texts.duration_question()]
    assert not turn.attempt


def test_a_risk_message_is_never_an_unclear_answer() -> None:
    state = replace(ConversationState.start(), unclear_count=1)
    (turn,) = converse(["I want to die"], state)
    assert turn.events == (RISK,) and turn.replies == [CRISIS]
    assert turn.state == state and not turn.attempt  # not the second unclear answer


@pytest.mark.parametrize(
    "changes",
    [
        {"known_sender": False, "has_open_check_in": False, "short_name": None},
        {"opted_out": True, "has_open_check_in": False},
        {"has_open_check_in": False},
    ],
    ids=["unknown-number", "opted-out", "nothing-open"],
)
def test_risk_from_anyone_gets_signposting_and_the_event(changes: dict[str, Any]) -> None:
    (turn,) = converse(["I feel suicidal"], **changes)
    assert turn.events == (RISK,) and turn.replies == [CRISIS] and turn.answers == Answers()


def test_risk_while_the_conversation_is_done() -> None:
    done = ConversationState.start(QUESTIONS)
    (turn,) = converse(["thinking of ending my life"], done)
    assert turn.events == (RISK,) and turn.replies == [CRISIS]


# --- opted out, unknown senders, nothing open -------------------------------------------------------


def test_an_opted_out_contact_gets_no_reply() -> None:
    (turn,) = converse(["much better"], opted_out=True, has_open_check_in=False)
    assert turn.replies == [] and turn.events == () and turn.answers == Answers()


def test_an_unknown_number_gets_one_discreet_generic_reply() -> None:
    (turn,) = converse(["1"], known_sender=False, has_open_check_in=False, short_name=None)
    assert turn.replies == [texts.unknown_sender()] and turn.events == (GENERIC_REPLY,)
    assert turn.answers == Answers()


def test_closed_message_at_most_once_a_day_and_never_read_as_answers() -> None:
    (first,) = converse(["much better"], has_open_check_in=False)
    assert first.replies == [texts.closed("May")] and first.events == (CLOSED_REPLY,)
    assert first.answers == Answers() and not first.attempt
    (again,) = converse(["2"], has_open_check_in=False, last_closed_reply_at=NOW - timedelta(hours=23))
    assert again.replies == [] and again.answers == Answers()
    (next_day,) = converse(["2"], has_open_check_in=False, last_closed_reply_at=NOW - timedelta(hours=24))
    assert next_day.replies == [texts.closed("May")]


def test_messages_after_the_conversation_is_done_are_not_answers() -> None:
    done = ConversationState.start(QUESTIONS)
    (turn,) = converse(["actually much worse"], done)
    assert turn.replies == [] and turn.answers == Answers() and turn.state == done


def test_an_empty_message_is_not_an_attempt_and_gets_no_reply() -> None:
    for message in ("", "   \n"):
        (turn,) = converse([message])
        assert turn.replies == [] and not turn.attempt and turn.state == ConversationState.start()


# --- wrong number and bereavement --------------------------------------------------------------------


@pytest.mark.parametrize("message", ["Wrong number", "sorry you have the wrong person", "no one here by that name"])
def test_wrong_number_stops_contact(message: str) -> None:
    (turn,) = converse([message])
    assert turn.events == (WRONG_NUMBER,) and turn.replies == [texts.wrong_number_ack()]
    assert turn.answers == Answers() and not turn.attempt


@pytest.mark.parametrize("message", ["He died last month", "Sorry, she passed away in May", "Mr Smith is deceased"])
def test_bereavement_stops_contact(message: str) -> None:
    (turn,) = converse([message])
    assert turn.events == (BEREAVEMENT,) and turn.replies == [texts.bereavement_ack()]


@pytest.mark.parametrize("message", ["Who is this?", "who's this", "who are you"])
def test_who_is_this_is_not_a_wrong_number_it_gets_the_help_text(message: str) -> None:
    (turn,) = converse([message])
    assert turn.events == () and turn.replies == [texts.help_reply(NAME, None)] and not turn.attempt
    assert turn.state == ConversationState.start()


def test_my_phone_died_is_not_bereavement() -> None:
    (turn,) = converse(["my phone died"])
    assert BEREAVEMENT not in turn.events


# --- answered items are never overwritten ------------------------------------------------------------


def test_answered_items_are_never_overwritten() -> None:
    state = ConversationState.start(["usual_self"])  # answered on the web
    (turn,) = converse(["2, 3 weeks, no"], state)
    assert turn.answers == Answers(change="a_little_better", duration_start=date(2027, 2, 22))
    assert turn.state.question == "done" and turn.events == (COMPLETE,)


def test_a_later_answer_to_an_answered_question_is_read_against_the_current_one() -> None:
    _, second = converse(["much better", "much worse"])
    assert second.answers == Answers() and second.replies == [texts.reask("duration")]
    assert second.state.answered == {"change"}


# --- the state itself --------------------------------------------------------------------------------


def test_state_round_trips_through_a_dict_and_checks_itself() -> None:
    state = ConversationState(
        question="duration",
        unclear_count=1,
        pending_number="3",
        last_unprompted_reply_at=NOW,
        answered=frozenset({"change"}),
    )
    assert ConversationState.from_dict(state.as_dict()) == state
    with pytest.raises(ValueError):
        ConversationState(question="duration")  # change is not answered
    with pytest.raises(ValueError):
        ConversationState(pending_number="3")  # only while duration is asked


def test_with_answered_moves_on_when_the_web_answers_the_current_question() -> None:
    state = replace(ConversationState.start(), unclear_count=1)
    moved = state.with_answered("change", "duration")
    assert moved.question == "usual_self" and moved.unclear_count == 0


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError):
        context(now=datetime(2027, 3, 15, 12, 0))


# --- properties ---------------------------------------------------------------------------------------

states = st.builds(
    lambda answered, count: (
        ConversationState.start(answered)
        if ConversationState.start(answered).question == "done"
        else replace(ConversationState.start(answered), unclear_count=count)
    ),
    st.sets(st.sampled_from(QUESTIONS)),
    st.integers(0, 1),
)
messages = st.text(max_size=80) | st.lists(
    st.sampled_from(["1", "much better", "3 weeks", "3", "W", "yes", "mostly", "blah", "stop", "and", ",", "."]),
    max_size=6,
).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(state=states, message=messages)
def test_any_message_gives_gsm7_replies_and_never_overwrites_an_answer(state: ConversationState, message: str) -> None:
    turn = respond(state, message, context())
    for reply in turn.replies:
        assert is_gsm7(reply) and sms_segments(reply) <= 2
    assert state.answered <= turn.state.answered
    for question in state.answered:
        assert getattr(turn.answers, "duration_start" if question == "duration" else question) is None
    if RISK in turn.events:
        assert turn.replies[0] == CRISIS and not turn.attempt


# --- the general case: what people type, message by message -----------------------------------------


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Much better thanks, about 3 weeks, yes completely", Answers("much_better", date(2027, 2, 22), "yes")),
        ("1,3 weeks,1", Answers("much_better", date(2027, 2, 22), "yes")),
        ("1, 3wks, y", Answers("much_better", date(2027, 2, 22), "yes")),
        ("2. 6 weeks. 2", Answers("a_little_better", date(2027, 2, 1), "mostly")),
        ("Much better\nabout 3 weeks\nYes", Answers("much_better", date(2027, 2, 22), "yes")),
        ("a bit better and about a month and mostly", Answers("a_little_better", date(2027, 2, 15), "mostly")),
        ("a little better; 2 months; no", Answers("a_little_better", date(2027, 1, 15), "no")),
        ("much better and a year and a half and yes", Answers("much_better", REFERRED, "yes")),
        ("Much better. Since March. Yes!", Answers("much_better", date(2027, 3, 1), "yes")),
        (
            "I'm much better thanks. It's been about 6 weeks. Yes back to normal",
            Answers("much_better", date(2027, 2, 1), "yes"),
        ),
        ("much better thank you and it's been 2 months and yes", Answers("much_better", date(2027, 1, 15), "yes")),
        # "for" and "since" start the duration even without a comma
        ("much better since march, yes", Answers("much_better", date(2027, 3, 1), "yes")),
        (
            "much better for about 2 months now and I feel back to normal",
            Answers("much_better", date(2027, 1, 15), "yes"),
        ),
        ("the same since I finished and no", Answers("same", DISCHARGED, "no")),
        ("a bit better for a few weeks now, mostly", Answers("a_little_better", date(2027, 2, 22), "mostly")),
    ],
)
def test_several_answers_as_people_type_them(message: str, expected: Answers) -> None:
    (turn,) = converse([message])
    assert turn.answers == expected
    assert turn.state.question == "done" and turn.events == (COMPLETE,) and turn.attempt


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("much better since therapy", Answers(change="much_better")),  # "since therapy" names no date
        ("much worse since Christmas", Answers("much_worse", date(2026, 12, 25))),
        ("2 and 3 weeks", Answers("a_little_better", date(2027, 2, 22))),
        ("much better, dunno, yes", Answers(change="much_better")),  # stops at the first unclear item
    ],
)
def test_some_answers_in_one_message(message: str, expected: Answers) -> None:
    (turn,) = converse([message])
    assert turn.answers == expected and turn.state.unclear_count == 0


@pytest.mark.parametrize("message", ["better, 3 weeks, yes", "worse", "not much better", "6", "1 3 weeks 1"])
def test_an_unclear_first_item_reads_nothing_and_reasks_change(message: str) -> None:
    (turn,) = converse([message])
    assert turn.answers == Answers() and turn.replies == [texts.reask("change")]
    assert turn.state.unclear_count == 1 and turn.attempt


@pytest.mark.parametrize(
    "message", ["been like this for 3 weeks", "ever since I finished", "for as long as I can remember"]
)
def test_a_duration_with_for_or_since_inside_stays_one_answer(message: str) -> None:
    (turn,) = converse([message], ConversationState.start(["change"]))
    assert turn.answers.duration_start is not None and turn.state.question == "usual_self"


@pytest.mark.parametrize(
    ("reply", "start"),
    [
        ("M please", date(2026, 12, 15)),
        ("m x", date(2026, 12, 15)),
        ("Months thanks", date(2026, 12, 15)),
        ("weeks!", date(2027, 2, 22)),
        ("it's weeks", date(2027, 2, 22)),
        ("Weeks \U0001f60a", date(2027, 2, 22)),
        ("mnths", date(2026, 12, 15)),
        ("monhts", date(2026, 12, 15)),
    ],
)
def test_the_w_or_m_answer_is_read_as_people_type_it(reply: str, start: date) -> None:
    _, second = converse(["3", reply], ConversationState.start(["change"]))
    assert second.answers == Answers(duration_start=start) and second.state.question == "usual_self"


def test_a_w_or_m_answer_can_carry_the_next_answer() -> None:
    _, second = converse(["3", "Months, yes"], ConversationState.start(["change"]))
    assert second.answers == Answers(duration_start=date(2026, 12, 15), usual_self="yes")
    assert second.events == (COMPLETE,)


def test_a_bare_number_with_the_usual_self_answer_keeps_that_answer_while_clarifying() -> None:
    first, second = converse(["2, 3, yes", "W"])
    assert first.answers == Answers(change="a_little_better", usual_self="yes")
    assert first.replies == [texts.duration_clarification("3")] and first.state.question == "duration"
    assert second.answers == Answers(duration_start=date(2027, 2, 22))
    assert second.replies == [texts.thank_you(NAME)] and second.events == (COMPLETE,)


def test_second_unclear_duration_after_a_reask_moves_on_and_change_is_kept() -> None:
    turns = converse(["much better", "ages", "a while", "yes"])
    assert [t.replies for t in turns] == [
        [texts.duration_question()],
        [texts.reask("duration")],
        [texts.usual_self_question()],
        [texts.thank_you(NAME)],
    ]
    assert turns[-1].state.unanswered == {"duration"} and turns[-1].state.answered == {"change", "usual_self"}
    assert all(t.attempt for t in turns)


def test_keywords_risk_and_empty_messages_are_not_attempts_and_do_not_use_up_the_reask() -> None:
    state = replace(ConversationState.start(), unclear_count=1)  # re-asked once already
    for message in ("HELP", "info", "", "  ", "I want to die", "help me"):
        (turn,) = converse([message], state)
        assert not turn.attempt and turn.state == state, message
    (unclear,) = converse(["hmm"], state)
    assert unclear.attempt and unclear.state.change_given_up


def test_an_answer_inside_a_risk_message_is_taken_and_the_next_question_follows_the_signposting() -> None:
    (turn,) = converse(["much better, 3 weeks, yes, but I still think about suicide"])
    assert turn.events == (RISK, COMPLETE) and turn.replies == [CRISIS, texts.thank_you(NAME)]
    assert turn.answers == Answers("much_better", date(2027, 2, 22), "yes") and not turn.attempt


@pytest.mark.parametrize(
    "message",
    [
        "STOP",
        "Stop.",
        "stop please",
        "Please stop texting me",
        "STOP ALL",
        "unsubscribe me",
        "cancel",
        "END",
        "quit",
        "revoke",
        "opt-out",
        "Stop texting me, I'm fine now",
        "I'd like to opt out",
    ],
)
def test_stop_words_and_phrases_opt_out_and_read_no_answer(message: str) -> None:
    (turn,) = converse([message])
    assert turn.events == (OPT_OUT,) and turn.replies == [texts.opt_out_confirmation()]
    assert turn.answers == Answers() and not turn.attempt


@pytest.mark.parametrize("message", ["I can't stop crying", "can\u2019t stop worrying", "stop the pain"])
def test_stop_inside_a_sentence_is_no_opt_out(message: str) -> None:
    (turn,) = converse([message])
    assert OPT_OUT not in turn.events


@pytest.mark.parametrize("message", ["START", "unstop", "Start please"])
def test_start_and_unstop_resume(message: str) -> None:
    (turn,) = converse([message], opted_out=True, has_open_check_in=False)
    assert turn.events == (RESUME,) and turn.replies == [texts.resume_confirmation()]


@pytest.mark.parametrize("message", ["YES", "yes please", "Yes", "y"])
def test_yes_never_resumes_an_opted_out_contact(message: str) -> None:
    (turn,) = converse([message], opted_out=True, has_open_check_in=False)
    assert RESUME not in turn.events and turn.replies == []


def test_an_opted_out_contact_with_an_open_check_in_is_not_read() -> None:
    (turn,) = converse(["much better, 3 weeks, yes"], opted_out=True)
    assert turn.answers == Answers() and turn.replies == [] and turn.events == ()


def test_an_unknown_number_gets_its_one_generic_reply_only_once() -> None:
    unknown = {"known_sender": False, "has_open_check_in": False, "short_name": None}
    (first,) = converse(["hello?"], **unknown)
    assert first.replies == [texts.unknown_sender()] and first.events == (GENERIC_REPLY,)
    for later in (timedelta(minutes=5), timedelta(days=1), timedelta(days=30)):
        (again,) = converse(["hello?"], last_closed_reply_at=NOW - later, **unknown)
        assert again.replies == [] and again.events == ()


def test_an_unknown_number_at_risk_gets_the_signposting_not_the_generic_reply() -> None:
    (turn,) = converse(["I want to kill myself"], known_sender=False, has_open_check_in=False, short_name=None)
    assert turn.replies == [CRISIS] and turn.events == (RISK,)


def test_the_closed_reply_names_no_month_when_nothing_is_planned() -> None:
    (turn,) = converse(["much better"], has_open_check_in=False, next_contact_month=None)
    assert turn.replies == [texts.closed(None)] and turn.events == (CLOSED_REPLY,)


def test_help_says_who_asks_why_a_contact_how_to_opt_out_and_where_to_get_help() -> None:
    (turn,) = converse(["HELP"], help_contact="stillwell.example.org/help")
    (reply,) = turn.replies
    assert "Stillwell" in reply and NAME in reply and "independent evaluation" in reply
    assert "stillwell.example.org/help" in reply and "STOP" in reply
    assert "999" in reply and "111" in reply and "option 2" in reply and "116 123" in reply


@pytest.mark.parametrize("message", ["wrong number", "Wrong number!", "you've got the wrong person", "wrong num"])
def test_wrong_number_in_any_form(message: str) -> None:
    (turn,) = converse([message])
    assert turn.events == (WRONG_NUMBER,) and turn.answers == Answers() and not turn.attempt


def test_every_reply_of_a_whole_conversation_is_gsm7_discreet_and_short() -> None:
    messages = ["better", "hmm", "2", "3", "x", "W", "maybe", "dunno", "HELP", "I want to die", "STOP", "START"]
    turns = converse(messages, links_allowed=True, link=LINK, help_contact="stillwell.example.org/help")
    replies = [reply for turn in turns for reply in turn.replies]
    assert len(replies) >= len(messages)
    for reply in replies:
        assert is_gsm7(reply) and sms_segments(reply) <= 2 and not forbidden_words_in(reply), reply
    assert texts.first_message(NAME, LINK).endswith(texts.OPT_OUT_WORDING)


# --- the client's language (SPEC 8.3) ------------------------------------------------------------


@pytest.mark.parametrize("language", ["cy", "cy+en"])
def test_every_reply_is_in_the_clients_language(language: str) -> None:
    said = [turn.replies for turn in converse(["better", "1", "3", "x", "w", "2"], text_language=language)]
    assert said == [
        [texts.reask("change", language)],
        [texts.duration_question(language)],
        [texts.duration_clarification("3", language)],
        [texts.reask("duration", language)],
        [texts.usual_self_question(language)],
        [texts.thank_you(NAME, language)],
    ]
    risk = respond(ConversationState.start(), "I want to kill myself", context(text_language=language))
    assert risk.replies[0] == texts.crisis_signposting(language)
    assert respond(ConversationState.start(), "HELP", context(text_language=language)).replies == [
        texts.help_reply(NAME, None, language)
    ]
    assert respond(ConversationState.start(), "STOP", context(text_language=language)).replies == [
        texts.opt_out_confirmation(language)
    ]
    closed = respond(ConversationState.start(), "hi", context(text_language=language, has_open_check_in=False))
    assert closed.replies == [texts.closed("May", language)]


def test_an_unknown_sender_always_hears_english() -> None:
    unknown = context(text_language="cy", known_sender=False, short_name=None, has_open_check_in=False)
    assert respond(ConversationState.start(), "hello", unknown).replies == [texts.unknown_sender("en")]
    assert respond(ConversationState.start(), "HELP", unknown).replies == [texts.help_reply(None, None, "en")]
