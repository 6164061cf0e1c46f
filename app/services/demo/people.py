"""Synthetic people for `flask demo simulate`: a latent course per client and a reply plan per check-in.

A course's chance of a lasting recovery follows the episode's case mix and its service's effect
(`recovery_chance`, `seeding.SERVICES`), so that comparing services (SPEC 8.1) has something to find.

Used by app/services/simulation.py: each demo client has a latent course after discharge (recovered and
staying so, relapsing, fluctuating, chronic or worsening) drawn once from a seeded generator, so their answers
agree with each other across follow-ups, and each check-in gets a reply plan (silent, answering within hours or
after the reminder, STOP, wrong number, sometimes unclear first, several answers in one text, a risk message
now and then). Every text is checked against the real reply readers, so a phrasing the readers do not
understand falls back to a plain digit.
Pure: no database, no clock; the generators are keyed by seed and row id so a run is reproducible.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

from app.domain.outcomes import problem_group, sessions_band
from app.domain.replies import mentions_risk, read_change, read_duration, read_keyword, read_usual_self

State = Literal["well", "partial_mostly", "partial_no", "same", "worse"]
DurationKind = Literal["length", "finished", "always"]
ReplyKind = Literal["silent", "answer", "stop", "wrong_number"]
Style = Literal["single", "combined", "unclear_first", "bare_number"]

_CHANGE_WORDS = {
    "much_better": ("1", "1", "much better", "Much better thanks", "loads better", "one"),
    "a_little_better": ("2", "2", "2)", "a bit better", "a little better", "A little better thanks"),
    "same": ("3", "3", "the same", "same as before", "no change", "pretty much the same"),
    "a_little_worse": ("4", "4", "a bit worse", "slightly worse", "a little worse"),
    "much_worse": ("5", "5", "much worse", "way worse"),
}
_USUAL_SELF_WORDS = {
    "yes": ("1", "1", "yes", "Yes completely", "y"),
    "mostly": ("2", "2", "mostly", "mostly yes", "getting there"),
    "no": ("3", "3", "no", "not really", "nope", "not yet"),
}
_UNCLEAR_WORDS = ("dunno", "not sure", "ok i guess", "better", "hard to say", "so so", "up and down")
_RISK_WORDS = (
    "some days I want to end it all",
    "I keep thinking I dont want to be here",
    "had thoughts of self harm again",
    "honestly some days I want to die",
)
_STOP_WORDS = ("STOP", "Stop", "stop texting me", "please stop", "STOP")
_WRONG_NUMBER_WORDS = ("Sorry, wrong number", "You have the wrong number", "wrong number, no one called that here")
_HELP_WORDS = ("who is this?", "HELP", "whats this about")
_NUMBER_NAMES = ("zero one two three four five six seven eight nine ten eleven twelve").split()


@dataclass(frozen=True)
class Spell:
    """From `start` on, the client is in `state` (until the next spell)."""

    start: date
    state: State


@dataclass(frozen=True)
class Person:
    """A synthetic client: their course after discharge and how readily they answer."""

    course: str
    spells: tuple[Spell, ...]
    fully_well: bool  # when well, "yes, completely" rather than "mostly"
    engagement: float  # chance of answering a first follow-up

    def spell_on(self, day: date) -> Spell:
        """The spell a day falls in."""
        current = self.spells[0]
        for spell in self.spells:
            if spell.start <= day:
                current = spell
        return current


@dataclass(frozen=True)
class Duration:
    """A duration as a person would give it: a number and a unit, since discharge, or "always"."""

    kind: DurationKind
    number: int | None = None
    unit: Literal["days", "weeks", "months", "years"] | None = None


@dataclass(frozen=True)
class Answer:
    """What a person would answer at one check-in, read from their course."""

    change: str
    duration: Duration
    usual_self: str


@dataclass
class ReplyPlan:
    """How a person reacts to one check-in; the playing code follows it turn by turn."""

    kind: ReplyKind
    answer: Answer
    delay: timedelta  # from the first send, or from the reminder when `after_reminder`
    after_reminder: bool = False
    style: Style = "single"
    answers_given: int = 3  # stops after this many questions (1: change only)
    risk: bool = False  # a risk message first (SMS), or in the comment (web)
    help_first: bool = False
    turns: int = 0
    done: set[str] = field(default_factory=set)  # the one-off steps already taken (risk, help, unclear, bare)


@dataclass(frozen=True)
class CaseMix:
    """What intake said about a client at first contact, which the chance of a lasting recovery depends on."""

    phq9_first: int | None = None
    gad7_first: int | None = None
    sessions: int = 6
    problem_descriptor: str = "F41.1"


AVERAGE_CASE_MIX = CaseMix(phq9_first=15, gad7_first=12)
# The log-odds of a lasting recovery for a client of average case mix at an average service (about 22%), and
# how it moves: lower with more severe first scores, with no or one session, for problems outside the groups.
# Steep in the scores (PHQ-9 5 to 25 takes an otherwise average client from about 58% to 7%), so that CORN's severe case
# mix alone puts it below the 99.8% limits before adjustment (seeding.SERVICES).
_BASE_LOG_ODDS = math.log(0.22 / 0.78)
_PER_PHQ9_POINT = -0.15
_PER_GAD7_POINT = -0.10
_SESSIONS_LOG_ODDS = {"0": -0.9, "1": -0.5, "2-6": 0.0, "7+": 0.25}
_GROUP_LOG_ODDS = {"depression": 0.0, "anxiety": 0.1, "other": -0.4}
_WELL_AGAIN = 1.8  # after a relapse, the chance of getting well again is this times the chance of recovery


def recovery_chance(case_mix: CaseMix, service_effect: float = 0.0) -> float:
    """The chance that a client recovers and stays so: a logistic model of case mix plus the service's effect.

    A missing first score counts as average."""
    phq9 = case_mix.phq9_first if case_mix.phq9_first is not None else AVERAGE_CASE_MIX.phq9_first or 0
    gad7 = case_mix.gad7_first if case_mix.gad7_first is not None else AVERAGE_CASE_MIX.gad7_first or 0
    log_odds = (
        _BASE_LOG_ODDS
        + _PER_PHQ9_POINT * (phq9 - (AVERAGE_CASE_MIX.phq9_first or 0))
        + _PER_GAD7_POINT * (gad7 - (AVERAGE_CASE_MIX.gad7_first or 0))
        + _SESSIONS_LOG_ODDS[sessions_band(case_mix.sessions)]
        + _GROUP_LOG_ODDS[problem_group(case_mix.problem_descriptor)]
        + service_effect
    )
    return 1 / (1 + math.exp(-log_odds))


def person_for(
    rng: random.Random,
    referral: date,
    discharge: date,
    case_mix: CaseMix = AVERAGE_CASE_MIX,
    service_effect: float = 0.0,
) -> Person:
    """Draw a client's latent course: a minority recover and stay so, others relapse, fluctuate or do not improve.

    The chance of recovering and staying so is `recovery_chance(case_mix, service_effect)`. Relapsing needs
    a recovery first, so its share of the rest grows with that chance (22 in 78 at the average); fluctuating,
    chronic and worsening share what is left 22:22:12. For an average client that is 22% each for the first
    four courses and 12% worsening."""
    days = timedelta
    recovers = recovery_chance(case_mix, service_effect)
    relapses = min(0.5, recovers / 0.78)  # of those who do not recover and stay so
    roll = rng.random()
    # `rest` runs from 0 to 1 over those who do not recover and stay so; `other` over those who never recover.
    rest = (roll - recovers) / (1 - recovers) if roll >= recovers else 0.0
    other = (rest - relapses) / (1 - relapses) if rest >= relapses else 0.0
    before = Spell(referral, "partial_no")
    spells: tuple[Spell, ...]
    if roll < recovers:
        course, spells = "recovered", (before, Spell(_recovery_start(rng, discharge), "well"))
    elif rest < relapses:
        well = _recovery_start(rng, discharge)
        relapse = well + days(rng.randint(50, 200))
        spells = (before, Spell(well, "well"), Spell(relapse, rng.choice(("same", "partial_no", "worse"))))
        if rng.random() < min(0.9, recovers * _WELL_AGAIN):  # getting well again follows the same odds
            spells += (Spell(relapse + days(rng.randint(60, 150)), "well"),)
        course = "relapsing"
    elif other < 22 / 56:
        states: tuple[State, State] = ("partial_mostly", "partial_no")
        start, spells_list = discharge - days(rng.randint(0, 30)), [before]
        for number in range(12):
            spells_list.append(Spell(start, states[number % 2]))
            start += days(rng.randint(25, 80))
        course, spells = "fluctuating", tuple(spells_list)
    elif other < 44 / 56:
        since = referral - days(rng.randint(200, 2000)) if rng.random() < 0.6 else discharge
        course, spells = "chronic", (Spell(since, "same"),)
    else:
        course, spells = "worsening", (before, Spell(discharge + days(rng.randint(14, 150)), "worse"))
    engagement = rng.choices((0.9, 0.5, 0.05), weights=(50, 32, 18))[0]
    return Person(course, spells, fully_well=rng.random() < 0.55, engagement=engagement)


def _recovery_start(rng: random.Random, discharge: date) -> date:
    roll = rng.random()
    if roll < 0.35:
        return discharge
    if roll < 0.65:
        return discharge - timedelta(days=rng.randint(7, 45))
    return discharge + timedelta(days=rng.randint(7, 100))


def answer_for(rng: random.Random, person: Person, day: date, referral: date, discharge: date) -> Answer:
    """What the person would say on `day` (local date): consistent with their course and earlier answers."""
    spell = person.spell_on(day)
    state = spell.state
    if state == "well":
        usual = "yes" if person.fully_well else "mostly"
        change = rng.choices(("much_better", "a_little_better"), weights=(70, 30) if person.fully_well else (40, 60))
    elif state == "partial_mostly":
        usual, change = "mostly", rng.choices(("a_little_better", "much_better", "same"), weights=(80, 10, 10))
    elif state == "partial_no":
        usual, change = "no", rng.choices(("a_little_better", "same"), weights=(65, 35))
    elif state == "same":
        usual, change = "no", rng.choices(("same", "a_little_better", "a_little_worse"), weights=(75, 10, 15))
    else:
        usual, change = "no", rng.choices(("a_little_worse", "much_worse"), weights=(55, 45))
    return Answer(change[0], _duration(rng, spell.start, day, referral, discharge), usual)


def _duration(rng: random.Random, start: date, day: date, referral: date, discharge: date) -> Duration:
    if start <= referral:
        return Duration("always")
    if start == discharge and rng.random() < 0.6:
        return Duration("finished")
    elapsed = max(1, (day - start).days)
    if elapsed < 14:
        return Duration("length", elapsed, "days")
    if elapsed < 77:
        return Duration("length", round(elapsed / 7), "weeks")
    return Duration("length", max(2, round(elapsed / 30.44)), "months")


def plan_reply(rng: random.Random, person: Person, answer: Answer, follow_up_index: int, channel: str) -> ReplyPlan:
    """Decide how the person reacts to a check-in just sent (the `follow_up_index`-th of their episode)."""
    roll = rng.random()
    willing = person.engagement * 0.93**follow_up_index
    if roll < 0.02:
        kind: ReplyKind = "stop"
    elif roll < 0.026 and channel == "sms":
        kind = "wrong_number"
    elif rng.random() < willing:
        kind = "answer"
    else:
        kind = "silent"
    after_reminder = rng.random() < 0.18
    if after_reminder:
        delay = timedelta(minutes=rng.randint(20, 30 * 60))
    else:
        bucket = rng.random()
        minutes = (
            rng.randint(2, 30) if bucket < 0.35 else rng.randint(30, 240) if bucket < 0.7 else rng.randint(240, 600)
        )
        delay = timedelta(minutes=minutes) if bucket < 0.9 else timedelta(hours=rng.randint(20, 48))
    style_roll = rng.random()
    style: Style = (
        "unclear_first"
        if style_roll < 0.08
        else "combined"
        if style_roll < 0.28
        else "bare_number"
        if style_roll < 0.33 and answer.duration.kind == "length" and answer.duration.unit in ("weeks", "months")
        else "single"
    )
    gives = rng.choices((3, 2, 1), weights=(89, 5, 6))[0]
    troubled = answer.usual_self == "no" and answer.change in ("same", "a_little_worse", "much_worse")
    return ReplyPlan(
        kind=kind,
        answer=answer,
        delay=delay,
        after_reminder=after_reminder,
        style=style,
        answers_given=gives,
        risk=kind == "answer" and rng.random() < (0.05 if troubled else 0.003),
        help_first=kind == "answer" and rng.random() < 0.02,
    )


def next_sms(
    rng: random.Random,
    plan: ReplyPlan,
    question: str,
    pending_number: str | None,
    unclear: int,
    answered_on: date,
    referral: date,
    discharge: date,
    *,
    welsh: bool = False,
) -> str | None:
    """The person's next text, given the question they were asked; None when they say nothing more.

    `welsh`: the same text in Welsh where `in_welsh` has it (no further draw: the same plan either way)."""
    text = _next_sms(rng, plan, question, pending_number, unclear, answered_on, referral, discharge)
    return in_welsh(text, answered_on, referral, discharge) if welsh and text is not None else text


def _next_sms(
    rng: random.Random,
    plan: ReplyPlan,
    question: str,
    pending_number: str | None,
    unclear: int,
    answered_on: date,
    referral: date,
    discharge: date,
) -> str | None:
    if plan.turns >= 8 or question == "done":
        return None
    if plan.kind == "stop":
        return None if plan.turns else rng.choice(_STOP_WORDS)
    if plan.kind == "wrong_number":
        return None if plan.turns else rng.choice(_WRONG_NUMBER_WORDS)
    if plan.risk and "risk" not in plan.done:
        plan.done.add("risk")
        return _checked(rng.choice(_RISK_WORDS), mentions_risk, _RISK_WORDS[0])
    if plan.help_first and "help" not in plan.done:
        plan.done.add("help")
        return rng.choice(_HELP_WORDS)
    order = ("change", "duration", "usual_self")
    if question not in order or order.index(question) >= plan.answers_given:
        return None
    if pending_number is not None:
        unit = plan.answer.duration.unit or "months"
        return rng.choice(("W", "weeks")) if unit == "weeks" else rng.choice(("M", "months"))
    if question == "change" and plan.style == "unclear_first" and "unclear" not in plan.done and not unclear:
        plan.done.add("unclear")
        return _checked(rng.choice(_UNCLEAR_WORDS), lambda text: read_change(text) is None, "dunno")
    duration = plan.answer.duration
    if (
        question == "duration"
        and plan.style == "bare_number"
        and "bare" not in plan.done
        and duration.number is not None
    ):
        plan.done.add("bare")
        return str(duration.number)
    parts = {
        "change": lambda: change_text(rng, plan.answer.change),
        "duration": lambda: duration_text(rng, duration, answered_on, referral, discharge),
        "usual_self": lambda: usual_self_text(rng, plan.answer.usual_self),
    }
    wanted = order[order.index(question) : plan.answers_given]
    if plan.style == "combined" and len(wanted) > 1:
        return ", ".join(parts[item]() for item in wanted)
    return parts[question]()


#: How a Welsh-speaking client says what `next_sms` drew (the words of tests/unit/replies-sample-cy.tsv); a text
#: not here (option numbers, durations in numbers, risk phrases, HELP) is sent as drawn.
WELSH_WORDS = {
    "much better": "llawer gwell",
    "Much better thanks": "Llawer gwell, diolch",
    "loads better": "gwell o lawer",
    "a little better": "ychydig yn well",
    "a bit better": "tipyn bach yn well",
    "A little better thanks": "Ychydig yn well, diolch",
    "the same": "yr un fath",
    "no change": "dim newid",
    "same as before": "yr un peth",
    "a little worse": "ychydig yn waeth",
    "a bit worse": "ychydig yn waeth",
    "much worse": "llawer gwaeth",
    "yes": "ydw",
    "Yes completely": "ydw, yn llwyr",
    "mostly": "gan amlaf",
    "mostly yes": "gan amlaf",
    "no": "nac ydw",
    "not really": "na",
    "not yet": "ddim eto",
    "since I finished": "ers i mi orffen",
    "since discharge": "ers i mi orffen",
    "STOP": "STOPIO",
    "Stop": "Stopio",
}


def in_welsh(text: str, answered_on: date, referral: date, discharge: date) -> str:
    """`text` in Welsh, each of its comma-separated answers translated where `WELSH_WORDS` has it, when the
    real readers take the Welsh exactly as the English; else `text` unchanged."""
    welsh = ", ".join(WELSH_WORDS.get(part, part) for part in text.split(", "))

    def reading(said: str) -> tuple[object, ...]:
        return (
            read_change(said),
            read_usual_self(said),
            read_keyword(said),
            read_duration(said, answered_on, discharge, referral),
            mentions_risk(said),
        )

    return welsh if reading(welsh) == reading(text) else text


def risk_comment(rng: random.Random) -> str:
    """A web survey comment that the safeguarding scan must flag."""
    return _checked(rng.choice(_RISK_WORDS), mentions_risk, _RISK_WORDS[0])


def change_text(rng: random.Random, change: str) -> str:
    """A way of saying `change` that the reader understands."""
    words = _CHANGE_WORDS[change]
    return _checked(rng.choice(words), lambda text: read_change(text) == change, words[0])


def usual_self_text(rng: random.Random, usual_self: str) -> str:
    """A way of saying `usual_self` that the reader understands."""
    words = _USUAL_SELF_WORDS[usual_self]
    return _checked(rng.choice(words), lambda text: read_usual_self(text) == usual_self, words[0])


def duration_text(rng: random.Random, duration: Duration, answered_on: date, referral: date, discharge: date) -> str:
    """A way of saying the duration that the reader turns into a start date."""
    if duration.kind == "always":
        options: tuple[str, ...] = ("as long as I can remember", "always", "as long as i can remember really")
    elif duration.kind == "finished":
        options = ("since I finished", "since discharge", "since I finished there")
    else:
        number, unit = duration.number or 1, duration.unit or "weeks"
        word = _NUMBER_NAMES[number] if number < len(_NUMBER_NAMES) else str(number)
        options = (f"{number} {unit}", f"about {number} {unit}", f"{word} {unit}", f"{number} {unit} or so")
        if unit == "weeks":
            options += (f"{number}wks",)
        if unit == "months":
            options += (
                f"{number} mths",
                "a couple of months"
                if number == 2
                else "half a year"
                if number == 6
                else "a year"
                if number == 12
                else f"nearly {number} months",
            )
    plain = options[0]

    def understood(text: str) -> bool:
        return isinstance(read_duration(text, answered_on, discharge, referral), date)

    return _checked(rng.choice(options), understood, plain)


def _checked(text: str, understood: Callable[[str], bool], fallback: str) -> str:
    """`text` when the real readers take it as meant (and it is no keyword); else the plain fallback."""
    return text if understood(text) and read_keyword(text) is None else fallback
