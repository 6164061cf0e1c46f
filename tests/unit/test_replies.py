"""Tests for app.domain.replies: the published samples, hand-made cases for each reader, and properties."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.replies import (
    CHANGES,
    KEYWORDS,
    USUAL_SELF,
    mentions_risk,
    read_change,
    read_duration,
    read_keyword,
    read_usual_self,
)

# The repository is cloned with shared/ beside it; the samples are part of the contract, so never skip.
SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "replies-sample.tsv"

# The dates most hand-made duration cases use (those of the published samples).
ANSWERED, DISCHARGED, REFERRED = date(2027, 3, 15), date(2026, 12, 1), date(2026, 6, 10)


def _samples() -> list[dict[str, str]]:
    if not SAMPLES.is_file():
        return []
    with SAMPLES.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def _sample_params() -> list[object]:
    rows = _samples()
    if not rows:  # a missing or empty file fails the test below instead of silently testing nothing
        return [pytest.param(None, id="sample-file-missing")]
    return [pytest.param(row, id=f"line{n}-{row['function']}-{row['reply']}") for n, row in enumerate(rows, 2)]


def _expected(row: dict[str, str]) -> object:
    text = row["expected"]
    if text in ("unclear", "none"):
        return None
    if text in ("true", "false"):
        return text == "true"
    if row["function"] == "read_duration" and text != "clarify":
        return date.fromisoformat(text)
    return text


@pytest.mark.parametrize("row", _sample_params())
def test_published_sample(row: dict[str, str] | None) -> None:
    assert row is not None, f"{SAMPLES} is missing: the published samples must be checked"
    reply = row["reply"]
    if row["function"] == "read_duration":
        dates = (date.fromisoformat(row[key]) for key in ("answered_on", "discharge_date", "referral_date"))
        got: object = read_duration(reply, *dates)
    else:
        reader = {
            "read_change": read_change,
            "read_usual_self": read_usual_self,
            "read_keyword": read_keyword,
            "mentions_risk": mentions_risk,
        }[row["function"]]
        got = reader(reply)
    assert got == _expected(row)


def test_sample_file_covers_every_reader() -> None:
    functions = {row["function"] for row in _samples()}
    assert functions == {"read_change", "read_usual_self", "read_duration", "read_keyword", "mentions_risk"}


# ---------------------------------------------------------------------------------------------------
# read_change
# ---------------------------------------------------------------------------------------------------

CHANGE_CASES = [
    # numbered options in the ways people type them
    ("1.", "much_better"),
    ("2)", "a_little_better"),
    ("#2", "a_little_better"),
    ("(4)", "a_little_worse"),
    ("option 5", "much_worse"),
    ("no. 2", "a_little_better"),
    ("Number 3", "same"),
    ("five", "much_worse"),
    ("Two", "a_little_better"),
    ("1\ufe0f\u20e3", "much_better"),  # keycap emoji
    ("3 - the same", "same"),
    ("5 much worse", "much_worse"),
    # labels, short forms and typos
    ("very much better", "much_better"),
    ("v much better", "much_better"),
    ("vv much better", "much_better"),
    ("much much better", "much_better"),
    ("much, much better", "much_better"),
    ("a lot better", "much_better"),
    ("alot worse", "much_worse"),
    ("loads better", "much_better"),
    ("far better", "much_better"),
    ("way worse", "much_worse"),
    ("much improved", "much_better"),
    ("feeling a lot better", "much_better"),
    ("I\u2019m much worse", "much_worse"),
    ("much better than I was", "much_better"),
    ("soooo much better", "much_better"),
    ("muhc better", "much_better"),
    ("much bettr", "much_better"),
    ("much worst", "much_worse"),
    ("abit better", "a_little_better"),
    ("a bit better I think", "a_little_better"),
    ("slightly better", "a_little_better"),
    ("slightly worse", "a_little_worse"),
    ("a little bit better", "a_little_better"),
    ("little bit worse", "a_little_worse"),
    ("a touch better", "a_little_better"),
    ("marginally worse", "a_little_worse"),
    ("somewhat better", "a_little_better"),
    ("very slightly better", "a_little_better"),
    ("a littel better", "a_little_better"),
    ("a lttle worse", "a_little_worse"),
    ("a little improved", "a_little_better"),
    ("about the same", "same"),
    ("much the same", "same"),
    ("pretty much the same", "same"),
    ("still the same", "same"),
    ("the same really", "same"),
    ("same as ever", "same"),
    ("smae", "same"),
    ("no changes", "same"),
    ("no real change", "same"),
    ("nothing has changed", "same"),
    ("no different", "same"),
    ("unchanged", "same"),
    ("no better no worse", "same"),
    ("neither better nor worse", "same"),
    # pleasantries, emoji, case and punctuation
    ("MUCH BETTER!!!", "much_better"),
    ("Much better, thanks :)", "much_better"),
    ("much better thank you x", "much_better"),
    ("much better thank you for asking", "much_better"),
    ("hi, much better", "much_better"),
    ("much better ta", "much_better"),
    ("much better?", "much_better"),
    # ambiguity is never guessed
    ("better than I was", None),
    ("better now", None),
    ("getting better", None),
    ("not much better", None),
    ("not the same", None),
    ("no better", None),
    ("no worse", None),
    ("not worse", None),
    ("better and worse", None),
    ("the same but better", None),
    ("quite a bit better", None),
    ("much better but", None),
    ("not much change", None),
    ("not much different", None),
    ("a fair bit better", None),
    ("\u1369", None),  # an Ethiopic digit one is not option 1
    ("1 a little better", None),
    ("2 much better", None),
    ("10", None),
    ("-1", None),
    ("1.5", None),
    ("1-2", None),
    ("no chance", None),
    ("some", None),
    ("fine", None),
    ("good", None),
    ("yes", None),
    ("no", None),
    ("worst", None),
    ("   ", None),
    ("\U0001f60a", None),
]


@pytest.mark.parametrize(("reply", "expected"), CHANGE_CASES)
def test_read_change(reply: str, expected: str | None) -> None:
    assert read_change(reply) == expected


# ---------------------------------------------------------------------------------------------------
# read_usual_self
# ---------------------------------------------------------------------------------------------------

USUAL_SELF_CASES = [
    ("Yes!", "yes"),
    ("Y", "yes"),
    ("yeah", "yes"),
    ("yep", "yes"),
    ("yes totally", "yes"),
    ("completely", "yes"),
    ("totally", "yes"),
    ("Yes, completely thanks", "yes"),
    ("yes I am", "yes"),
    ("absolutely", "yes"),
    ("100%", "yes"),
    ("back to normal", "yes"),
    ("I think so", "yes"),
    ("very much so", "yes"),
    ("I feel like myself again", "yes"),
    ("completly", "yes"),
    ("1 yes", "yes"),
    ("#1", "yes"),
    ("one", "yes"),
    ("yes mostly", "mostly"),
    ("mainly", "mostly"),
    ("almost", "mostly"),
    ("nearly", "mostly"),
    ("2 mostly", "mostly"),
    ("2 - mostly", "mostly"),
    ("almost there", "mostly"),
    ("getting there", "mostly"),
    ("pretty much", "mostly"),
    ("more or less", "mostly"),
    ("mostly, only mild symptoms left", "mostly"),
    ("almost back to normal", "mostly"),
    ("getting there slowly", "mostly"),
    ("mostley", "mostly"),
    ("no. 2", "mostly"),
    ("No.", "no"),
    ("nah", "no"),
    ("not at all", "no"),
    ("no not yet", "no"),
    ("not yet", "no"),
    ("no, not really", "no"),
    ("definitely not", "no"),
    ("no I\u2019m not", "no"),
    ("not back to normal", "no"),
    ("i don't think so", "no"),
    ("no thanks", "no"),
    ("3 no", "no"),
    ("three", "no"),
    ("option 3", "no"),
    ("0", None),
    ("not sure", None),
    ("dont know", None),
    ("sort of", None),
    ("not completely", None),
    ("not quite", None),
    ("yes and no", None),
    ("yes no", None),
    ("mostly not", None),
    ("1 no", None),
    ("yes 2", None),
    ("I am", None),
    ("hope", None),
    ("a bit", None),
    ("no change", None),
    ("much better", None),
    ("", None),
]


@pytest.mark.parametrize(("reply", "expected"), USUAL_SELF_CASES)
def test_read_usual_self(reply: str, expected: str | None) -> None:
    assert read_usual_self(reply) == expected


def test_each_reader_reads_only_its_own_question() -> None:
    assert read_usual_self("no") == "no" and read_change("no") is None
    assert read_change("no change") == "same" and read_usual_self("no change") is None
    assert read_keyword("yes") is None and read_usual_self("yes") == "yes"


# ---------------------------------------------------------------------------------------------------
# read_duration
# ---------------------------------------------------------------------------------------------------

DURATION_CASES = [
    ("3 weeks ago", date(2027, 2, 22)),
    ("for 3 weeks", date(2027, 2, 22)),
    ("3wks", date(2027, 2, 22)),
    ("3 weeks-ish", date(2027, 2, 22)),
    ("3ish weeks", date(2027, 2, 22)),
    ("~3 weeks", date(2027, 2, 22)),
    ("three weeks", date(2027, 2, 22)),
    ("twenty-one days", date(2027, 2, 22)),
    ("twenty one days", date(2027, 2, 22)),
    ("3 weks", date(2027, 2, 22)),
    ("a week", date(2027, 3, 8)),
    ("a fortnight", date(2027, 3, 1)),
    ("2 fortnights", date(2027, 2, 15)),
    ("a month", date(2027, 2, 15)),
    ("1 mth", date(2027, 2, 15)),
    ("2 moths", date(2027, 1, 15)),
    ("3mo", date(2026, 12, 15)),
    ("six wks", date(2027, 2, 1)),
    ("half a year", date(2026, 9, 15)),
    ("a month and a half", date(2027, 1, 31)),
    ("a week and a half", date(2027, 3, 5)),
    ("2 and a half weeks", date(2027, 2, 26)),
    ("2 to 3 months", date(2027, 1, 15)),
    ("2 or 3 months", date(2027, 1, 15)),
    ("between 2 and 3 months", date(2027, 1, 15)),
    ("a month or two", date(2027, 2, 15)),
    ("3-4 weeks", date(2027, 2, 22)),
    ("two or three weeks", date(2027, 3, 1)),
    ("2 weeks to a month", date(2027, 3, 1)),
    ("couple of weeks", date(2027, 3, 1)),
    ("a couple weeks", date(2027, 3, 1)),
    ("a few weeks", date(2027, 2, 22)),
    ("several months", date(2026, 12, 15)),
    ("a couple of days", date(2027, 3, 13)),
    ("just over a month", date(2027, 2, 15)),
    ("roughly 2 months", date(2027, 1, 15)),
    ("around 2 months", date(2027, 1, 15)),
    ("nearly 2 months", date(2027, 1, 15)),
    ("almost 2 months", date(2027, 1, 15)),
    ("approximately 6 weeks", date(2027, 2, 1)),
    ("approx 6 weeks", date(2027, 2, 1)),
    ("6 weeks or so", date(2027, 2, 1)),
    ("maybe 6 weeks", date(2027, 2, 1)),
    ("about 6 weeks x", date(2027, 2, 1)),
    ("6 weeks \U0001f60a", date(2027, 2, 1)),
    ("the past month", date(2027, 2, 15)),
    ("in the last 2 weeks", date(2027, 3, 1)),
    ("it\u2019s been about a month", date(2027, 2, 15)),
    ("1 month and 2 weeks", date(2027, 2, 1)),
    ("a week and 3 days", date(2027, 3, 5)),
    ("1 day", date(2027, 3, 14)),
    ("48 hours", date(2027, 3, 13)),
    ("since finishing", DISCHARGED),
    ("since I was discharged", DISCHARGED),
    ("since therapy ended", DISCHARGED),
    ("since the end of treatment", DISCHARGED),
    ("since my last session", DISCHARGED),
    ("since I finshed", DISCHARGED),
    ("since march", date(2027, 3, 1)),
    ("since Marhc", date(2027, 3, 1)),
    ("since Dec", date(2026, 12, 1)),
    ("since Feburary", date(2027, 2, 1)),
    ("since mid February", date(2027, 2, 15)),
    ("since mid-Jan", date(2027, 1, 15)),
    ("Since last Christmas", date(2026, 12, 25)),
    ("since the end of January", date(2027, 1, 31)),
    ("since 3rd january", date(2027, 1, 3)),
    ("since the 3rd of January", date(2027, 1, 3)),
    ("since january 3rd", date(2027, 1, 3)),
    ("since 3/1/27", date(2027, 1, 3)),
    ("since 3-1-2027", date(2027, 1, 3)),
    ("since 3.1.2027", date(2027, 1, 3)),
    ("since 2027-01-03", date(2027, 1, 3)),
    ("since 3/1", date(2027, 1, 3)),
    ("since christmas", date(2026, 12, 25)),
    ("since new year", date(2027, 1, 1)),
    ("since yesterday", date(2027, 3, 14)),
    ("today", ANSWERED),
    ("since last week", date(2027, 3, 8)),
    ("forever", REFERRED),
    ("since forever", REFERRED),
    ("as long as i can remember", REFERRED),
    ("as long as I remember", REFERRED),
    ("all my life", REFERRED),
    ("I\u2019ve always been like this", REFERRED),
    ("since March 2026", REFERRED),
    ("4 years", REFERRED),
    ("99999999999999999 years", REFERRED),
    ("999999999999999 days", REFERRED),
    ("three", "clarify"),
    ("about 3", "clarify"),
    ("3 or 4", "clarify"),
    ("3-4", "clarify"),
    ("0", None),
    ("100", None),
    ("3m", None),
    ("weeks", None),
    ("days", None),
    ("ages", None),
    ("a while", None),
    ("not long", None),
    ("a long time", None),
    ("not always", None),
    ("since then", None),
    ("since I started therapy", None),
    ("3 weeks before discharge", None),
    ("in 2 weeks", None),
    ("since 20/3/2027", None),
    ("since 31/2/2027", None),
    ("feeling weak", None),
    ("", None),
]


@pytest.mark.parametrize(("reply", "expected"), DURATION_CASES)
def test_read_duration(reply: str, expected: date | str | None) -> None:
    assert read_duration(reply, ANSWERED, DISCHARGED, REFERRED) == expected


CALENDAR_CASES = [
    # (reply, answered_on, referral_date, expected): month ends, leap years, the future and the referral clamp
    ("1 month", date(2027, 3, 31), date(2020, 1, 1), date(2027, 2, 28)),
    ("1 month", date(2028, 3, 31), date(2020, 1, 1), date(2028, 2, 29)),
    ("3 months", date(2027, 5, 31), date(2020, 1, 1), date(2027, 2, 28)),
    ("1 year", date(2028, 2, 29), date(2020, 1, 1), date(2027, 2, 28)),
    ("4 years", date(2028, 2, 29), date(2020, 1, 1), date(2024, 2, 29)),
    ("2 weeks", date(2028, 3, 7), date(2020, 1, 1), date(2028, 2, 22)),
    ("1 week", date(2027, 1, 3), date(2020, 1, 1), date(2026, 12, 27)),
    ("a year and a half", date(2027, 8, 31), date(2020, 1, 1), date(2026, 2, 28)),
    ("since March", date(2027, 2, 10), date(2020, 1, 1), date(2026, 3, 1)),
    ("since March", date(2027, 3, 1), date(2020, 1, 1), date(2027, 3, 1)),
    ("since last March", date(2027, 5, 20), date(2020, 1, 1), date(2027, 3, 1)),
    ("since last March", date(2027, 3, 20), date(2020, 1, 1), date(2026, 3, 1)),
    ("since the end of February", date(2028, 6, 1), date(2020, 1, 1), date(2028, 2, 29)),
    ("since 29/2", date(2027, 6, 1), date(2020, 1, 1), date(2024, 2, 29)),
    ("since March last year", date(2027, 6, 1), date(2020, 1, 1), date(2026, 3, 1)),
    ("since 2025", date(2027, 6, 1), date(2020, 1, 1), date(2025, 1, 1)),
    ("since 3/10/2026", date(2027, 6, 1), date(2020, 1, 1), date(2026, 10, 3)),
    ("since 3/10/2026", date(2026, 10, 2), date(2020, 1, 1), None),
    ("since March this year", date(2027, 2, 1), date(2020, 1, 1), None),
    ("6 months", date(2027, 3, 15), date(2027, 1, 1), date(2027, 1, 1)),
    ("since January", date(2027, 3, 15), date(2027, 2, 1), date(2027, 2, 1)),
    ("today", date(2027, 3, 15), date(2027, 3, 15), date(2027, 3, 15)),
]


@pytest.mark.parametrize(("reply", "answered_on", "referral_date", "expected"), CALENDAR_CASES)
def test_read_duration_calendar(reply: str, answered_on: date, referral_date: date, expected: date | None) -> None:
    assert read_duration(reply, answered_on, referral_date, referral_date) == expected


def test_since_discharge_uses_the_discharge_date() -> None:
    discharged = date(2027, 1, 20)
    assert read_duration("since I finished", date(2027, 3, 15), discharged, date(2026, 6, 10)) == discharged
    assert read_duration("always", date(2027, 3, 15), discharged, date(2026, 6, 10)) == date(2026, 6, 10)


# ---------------------------------------------------------------------------------------------------
# read_keyword
# ---------------------------------------------------------------------------------------------------

KEYWORD_CASES = [
    ("STOP ALL", "stop"),
    ("stopall", "stop"),
    ("STOP STOP", "stop"),
    ("Unsubscribe me", "stop"),
    ("unsubcribe", "stop"),
    ("cancel", "stop"),
    ("END", "stop"),
    ("end.", "stop"),
    ("quit", "stop"),
    ("revoke", "stop"),
    ("optout", "stop"),
    ("opt out", "stop"),
    ("Opt-Out", "stop"),
    ("stop!", "stop"),
    ("  stop  ", "stop"),
    ("STOP \U0001f6d1", "stop"),
    ("stop please", "stop"),
    ("Stop thanks", "stop"),
    ("stop texting", "stop"),
    ("stop texting me please", "stop"),
    ("please stop", "stop"),
    ("please stop texting me", "stop"),
    ("stop messaging me", "stop"),
    ("stop sending me messages", "stop"),
    ("stop contacting me", "stop"),
    ("no more texts", "stop"),
    ("don\u2019t text me", "stop"),
    ("start", "start"),
    ("Unstop", "start"),
    ("Help", "help"),
    ("INFO", "help"),
    ("yes", None),
    ("YES", None),
    ("resume", None),
    ("help me", None),
    ("stop it", None),
    ("dont stop", None),
    ("the end", None),
    ("end it all", None),
    ("quit smoking", None),
    ("i cant stop crying", None),
    ("3 weeks", None),
    ("", None),
]


@pytest.mark.parametrize(("reply", "expected"), KEYWORD_CASES)
def test_read_keyword(reply: str, expected: str | None) -> None:
    assert read_keyword(reply) == expected


# ---------------------------------------------------------------------------------------------------
# mentions_risk
# ---------------------------------------------------------------------------------------------------

RISKY = [
    "suicidal",
    "sucide",
    "suisidal",
    "sucidal thoughts",
    "killing myself",
    "kil myself",
    "kill my self",
    "kill me",
    "end it all",
    "end my life",
    "ending it all",
    "i just want to end it",
    "want to die",
    "wanna die",
    "I want 2 die",
    "I WANT TO DIE",
    "wish I was dead",
    "i wish i'd never been born",
    "better off dead",
    "self harm",
    "self-harm",
    "selfharm",
    "self harming",
    "hurt myself",
    "hurting myself",
    "harm myself",
    "cut myself",
    "cutting myself",
    "I don't want to be here",
    "I don\u2019t want to be here",
    "dont want to be here",
    "do not want to be here",
    "don't want to live",
    "no reason to live",
    "nothing to live for",
    "life isn't worth living",
    "can't go on",
    "overdose",
    "overdosed",
    "ovrdose",
    "OD",
    "I OD'd last week",
    "planning to take an overdose",
    "take all my pills",
    "I've been stockpiling tablets",
    "hang myself",
    "jump off a bridge",
    "kill him",
    "kill her",
    "kill them",
    "kill someone",
    "hurt someone",
    "hurt somebody",
    "i want to hurt my husband",
    "I want to kill my boss",
    "i dont feel safe at home",
    "unalive myself",
    "I'm not suicidal any more",  # errs towards flagging: a person reads it
]
NOT_RISKY = [
    "much better",
    "a little worse",
    "3 weeks",
    "no",
    "the same",
    "killing it at work, much better",
    "this is killing me",
    "I'm overjoyed",
    "I've overcome it",
    "overdoing it",
    "overdue",
    "fill me in",
    "odd",
    "I'm dying to know",
    "cut my hair",
    "hang out with friends",
    "I could kill for a coffee",
    "dead tired",
    "killing time",
    "I took my pills",
    "I hurt my back",
    "i cant stop crying",
    "",
]


@pytest.mark.parametrize("message", RISKY)
def test_risk_is_flagged(message: str) -> None:
    assert mentions_risk(message) is True


@pytest.mark.parametrize("message", NOT_RISKY)
def test_ordinary_replies_are_not_flagged(message: str) -> None:
    assert mentions_risk(message) is False


# ---------------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------------

VOCABULARY = (
    "1 2 3 4 5 6 0 12 2027 one two three five twenty a an the no not yes y n much very v a bit abit little lot "
    "better worse same change different mostly completely nearly really stop start help info unsubscribe opt out "
    "weeks week wks month months mths year yrs days fortnight half and or to - / since march dec finished "
    "discharge always forever remember about over nearly ish ago 3/10/2026 2026-10-03 kill myself suicide "
    "want die self harm dont be here thanks x :) !"
).split()
vocabulary_text = st.lists(st.sampled_from(VOCABULARY), max_size=8).map(" ".join)
any_text = st.one_of(st.text(), vocabulary_text)


@st.composite
def episode_dates(draw: st.DrawFn) -> tuple[date, date, date]:
    referral = draw(st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 1, 1)))
    discharge = referral + timedelta(days=draw(st.integers(0, 3000)))
    answered = discharge + timedelta(days=draw(st.integers(0, 3000)))
    return answered, discharge, referral


@settings(max_examples=300, deadline=None)
@given(any_text)
def test_readers_never_raise_and_stay_in_their_sets(text: str) -> None:
    assert read_change(text) in (*CHANGES, None)
    assert read_usual_self(text) in (*USUAL_SELF, None)
    assert read_keyword(text) in (*KEYWORDS, None)
    assert isinstance(mentions_risk(text), bool)


@settings(max_examples=300, deadline=None)
@given(any_text, episode_dates())
def test_duration_is_clarify_or_within_the_episode(text: str, dates: tuple[date, date, date]) -> None:
    answered, discharge, referral = dates
    result = read_duration(text, answered, discharge, referral)
    assert result is None or result == "clarify" or (isinstance(result, date) and referral <= result <= answered)


@given(st.integers(1, 400), st.sampled_from(["days", "weeks"]), episode_dates())
def test_days_and_weeks_are_exact(count: int, unit: str, dates: tuple[date, date, date]) -> None:
    answered, discharge, referral = dates
    back = timedelta(days=count * (7 if unit == "weeks" else 1))
    assert read_duration(f"{count} {unit}", answered, discharge, referral) == max(answered - back, referral)


@given(st.integers(1, 120), st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)))
def test_months_land_on_the_same_day_or_the_month_end(count: int, answered: date) -> None:
    start = read_duration(f"{count} months", answered, answered, date(1800, 1, 1))
    assert isinstance(start, date)
    assert (answered.year * 12 + answered.month) - (start.year * 12 + start.month) == count
    assert start.day == answered.day or (start.day < answered.day and (start + timedelta(days=1)).day == 1)


@given(st.text(), st.sampled_from(["kill myself", "suicidal", "want to die", "self harm", "overdose"]), st.text())
def test_a_risk_phrase_flags_whatever_surrounds_it(before: str, phrase: str, after: str) -> None:
    assert mentions_risk(f"{before} {phrase} {after}")
