"""Tests for app.domain.texts: every SMS is GSM-7, at most two segments and discreet, for any allowed short name."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from app.domain import texts
from app.domain.discretion import (
    GSM7_BASIC,
    GSM7_EXTENDED,
    SHORT_NAME_MAX,
    DiscretionError,
    check_short_name,
    forbidden_words_in,
    is_gsm7,
    sms_segments,
)

LINK = "https://followup.stillwell.example.org/s/AbCdEfGhIjKlMnOpQrStUv"
CONTACT = "help@stillwell.example.org"
CRISIS_NUMBERS = ("999", "NHS 111", "option 2", "Samaritans", "116 123")


def _allowed(name: str) -> str | None:
    try:
        return check_short_name(name)
    except DiscretionError:
        return None


short_names = (
    st.text(alphabet=GSM7_BASIC + GSM7_EXTENDED, min_size=1, max_size=SHORT_NAME_MAX)
    .map(_allowed)
    .filter(lambda name: name is not None)
    .map(str)
)
_URL_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789-."
_TOKEN_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
# PUBLIC_BASE_URL up to about 40 characters, then /s/ and a 22-character token (128 bits in URL-safe base64).
links = st.builds(
    lambda scheme, host, token: f"{scheme}{host}/s/{token}",
    st.sampled_from(["https://", "http://"]),
    st.text(alphabet=_URL_CHARS, min_size=1, max_size=32),
    st.text(alphabet=_TOKEN_CHARS, min_size=22, max_size=22),
)
contacts = st.text(alphabet=_URL_CHARS + "@+", min_size=1, max_size=texts.MAX_CONTACT_LENGTH)


@given(name=short_names, link=st.none() | links, contact=st.none() | contacts)
def test_every_text_is_gsm7_short_and_discreet_for_any_allowed_short_name(
    name: str, link: str | None, contact: str | None
) -> None:
    assume(not forbidden_words_in(link or "") and not forbidden_words_in(contact or ""))
    for key, text in texts.all_texts(name, link, contact).items():
        assert is_gsm7(text), key
        assert sms_segments(text) <= 2, key
        assert set(forbidden_words_in(text)) <= set(forbidden_words_in(name)), key


@given(name=short_names, link=st.none() | links)
def test_the_first_message_names_the_service_asks_the_change_question_and_ends_with_opt_out(
    name: str, link: str | None
) -> None:
    assume(not forbidden_words_in(link or ""))
    text = texts.first_message(name, link)
    assert text.endswith(texts.OPT_OUT_WORDING)
    assert name in text
    assert "compared with when you first went" in text.lower()
    assert "1 much better, 2 a little better, 3 the same, 4 a little worse, 5 much worse" in text
    assert (link in text) if link else ("/s/" not in text)


def test_worst_case_lengths_still_fit_in_two_segments() -> None:
    # Twenty two-septet characters and the longest link and contact allowed.
    name, link, contact = "€" * SHORT_NAME_MAX, "h" * texts.MAX_LINK_LENGTH, "c" * texts.MAX_CONTACT_LENGTH
    for key, text in texts.all_texts(name, link, contact).items():
        assert sms_segments(text) <= 2, key


@pytest.mark.parametrize("text", [texts.crisis_signposting(), texts.help_reply("Tyne Wellbeing", CONTACT)])
def test_crisis_numbers_are_in_the_signposting_and_help(text: str) -> None:
    for number in CRISIS_NUMBERS:
        assert number in text


def test_help_says_who_asks_and_why_a_contact_and_how_to_opt_out() -> None:
    text = texts.help_reply("Tyne Wellbeing", CONTACT)
    assert "Stillwell" in text and "independent" in text and "Tyne Wellbeing" in text
    assert CONTACT in text and "STOP" in text
    assert "Tyne" not in texts.help_reply(None, CONTACT)  # an unknown sender: no service named


def test_questions_and_their_reasks() -> None:
    assert "How long have you been the way you are now? e.g. 3 weeks, 2 months" in texts.duration_question()
    usual = texts.usual_self_question()
    assert "Do you feel back to your usual self?" in usual
    assert "1 yes, completely" in usual and "2 mostly, only mild symptoms left" in usual and "3 no" in usual
    for question in ("change", "duration", "usual_self"):
        assert texts.reask(question).startswith("Sorry")
    assert "weeks, months or years" in texts.reask("duration")
    assert "1, 2 or 3" in texts.reask("usual_self")


def test_duration_clarification_repeats_a_plain_number_only() -> None:
    assert texts.duration_clarification("3") == "3 weeks or 3 months? Reply W or M"
    assert texts.duration_clarification("three") == "three weeks or three months? Reply W or M"
    assert texts.duration_clarification("3 :) x" * 9) == "Is that weeks or months? Reply W or M"
    assert texts.duration_clarification(None) == "Is that weeks or months? Reply W or M"


def test_thank_you_says_the_answers_go_to_the_evaluation_not_the_service() -> None:
    text = texts.thank_you("Tyne Wellbeing")
    assert "independent evaluation" in text and "not to Tyne Wellbeing" in text


@pytest.mark.parametrize("question", ["change", "duration", "usual_self"])
def test_the_reminder_repeats_the_current_question_with_the_link(question: texts.Question) -> None:
    text = texts.reminder(question, "Tyne Wellbeing", LINK)
    expected = {"change": "5 much worse", "duration": "How long", "usual_self": "usual self"}[question]
    assert expected in text and LINK in text and text.endswith(texts.OPT_OUT_WORDING)
    assert LINK not in texts.reminder(question, "Tyne Wellbeing")


def test_after_a_second_unclear_change_answer_the_link_or_the_numbered_options() -> None:
    assert LINK in texts.change_options_again(LINK)
    without = texts.change_options_again(None)
    assert all(f"{n} " in without for n in range(1, 6)) and "http" not in without


def test_closed_names_the_month() -> None:
    assert texts.closed("March") == "This check-in has closed, thank you. We will be in touch around March."
    assert "no more check-ins" in texts.closed(None)
    with pytest.raises(ValueError):
        texts.closed("Smarch")


def test_confirmations_and_acknowledgements() -> None:
    assert "START" in texts.opt_out_confirmation()
    assert "STOP" in texts.resume_confirmation()
    assert "not text this number again" in texts.wrong_number_ack()
    assert "sorry for your loss" in texts.bereavement_ack()
    assert "Stillwell" not in texts.unknown_sender()  # discreet: says nothing about who we are


@pytest.mark.parametrize("name", ["Tyne Therapies", "Mental Health Hub", "x" * 21, "Café ☕", " "])
def test_a_short_name_that_is_not_allowed_is_refused(name: str) -> None:
    with pytest.raises(DiscretionError):
        texts.first_message(name)


@pytest.mark.parametrize(
    "link",
    [
        "https://talkingtherapies.example/s/x",
        "https://a.example/s/" + "x" * 60,
        "https://a b",
        "https://\u0142.example",
    ],
)
def test_a_link_that_is_not_allowed_is_refused(link: str) -> None:
    with pytest.raises(DiscretionError):
        texts.first_message("Tyne Wellbeing", link)
