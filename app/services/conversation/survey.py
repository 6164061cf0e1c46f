"""The web survey (SPEC section 2, "Web survey"): find a check-in by its link, take its answers once.

A link is `/s/<token>`; only the token's SHA-256 is stored (`CheckIn.survey_token_hash`). Opening the link
never spends it (link scanners open links); a successful submission does, by one conditional UPDATE, so two
submissions racing each other cannot both be taken. Answers already given by SMS are never overwritten, and
the SMS conversation is told which items the web answered, so both channels stay consistent.

Every submission is stored verbatim as an inbound message on channel "web" (invalid ones too: a comment
about risk must be seen even when the form was incomplete), and its comment is scanned for risk.
"""

from __future__ import annotations

import enum
import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal, cast
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult

from app.domain.conversation import QUESTIONS, ConversationState
from app.domain.languages import client_page_language
from app.domain.pages import page_text
from app.domain.protocol import RESPONSE_WINDOW
from app.domain.replies import Change, UsualSelf, mentions_risk, read_duration
from app.domain.texts import Question, crisis_signposting
from app.extensions import db
from app.models import CheckIn, CheckInStatus, Client, InboundMessage, Service
from app.services.safeguarding import raise_alert

log = logging.getLogger("stillwell.survey")

DurationKind = Literal["length", "finished", "always", "unsure"]
DurationUnit = Literal["days", "weeks", "months", "years"]
# The same words the SMS reader understands, so the web follows SPEC section 3's rules exactly.
_KIND_TEXT = {"finished": "since I finished", "always": "as long as I can remember"}


class LinkState(enum.StrEnum):
    """What a survey link is good for now."""

    OPEN = "open"  # answerable
    UNKNOWN = "unknown"  # no check-in has this token (mistyped, or replaced by a newer link)
    EXPIRED = "expired"  # the response window is over, or the check-in closed (opt-out, contact stopped)
    USED = "used"  # already answered through this link


class DurationError(ValueError):
    """A duration the survey cannot turn into a start date; `key` names the respondent's message in the page
    catalogue (`app.domain.pages`), so the page shows it in the respondent's language."""

    def __init__(self, key: str) -> None:
        super().__init__(page_text("en", key))
        self.key = key


@dataclass(frozen=True)
class Survey:
    """An answerable check-in, as the page needs it: dates for durations and what SMS already answered."""

    check_in_id: int
    client_id: int
    service_id: int
    short_name: str
    answered_on: date  # the local date (service time zone) of this request
    discharge_date: date
    referral_date: date
    change: str | None
    duration_start: date | None
    usual_self: str | None
    language_tag: str | None = None  # the episode's BCP 47 `language` (SPEC 8.3), as the intake gave it
    bilingual: bool = False  # the service sends Welsh then English to clients who gave no language

    @property
    def language(self) -> str:
        """The catalogue of the page: cy, cy-GB -> Welsh; none given at a bilingual service: Welsh first;
        anything else English."""
        return client_page_language(self.language_tag, self.bilingual)


@dataclass(frozen=True)
class Lookup:
    """A link's state; its survey when open; the episode's language tag whenever the link is known."""

    state: LinkState
    survey: Survey | None = None
    language_tag: str | None = None
    bilingual: bool = False  # the episode's service is bilingual (`client_page_language`)


@dataclass(frozen=True)
class DurationChoice:
    """The duration as given on the form: a number and a unit, or one of the named options."""

    kind: DurationKind
    number: int | None = None
    unit: DurationUnit | None = None


@dataclass(frozen=True)
class WebAnswers:
    """A valid submission: None for an item not given (or shown read-only because SMS answered it)."""

    change: Change | None
    duration_start: date | None
    usual_self: UsualSelf | None
    comment: str


@dataclass(frozen=True)
class Outcome:
    """What a submission did: `state` is OPEN when it was taken; `risk` when the comment was flagged."""

    state: LinkState
    risk: bool = False


def token_hash(token: str) -> str:
    """The SHA-256 hex digest stored for a link's token."""
    return hashlib.sha256(token.encode()).hexdigest()


def find(token: str, now: datetime) -> Lookup:
    """The check-in a link belongs to and whether it can be answered at `now` (reading never spends it)."""
    if not token or len(token) > 64:
        return Lookup(LinkState.UNKNOWN)
    check_in = db.session.scalars(select(CheckIn).where(CheckIn.survey_token_hash == token_hash(token))).first()
    if check_in is None:
        return Lookup(LinkState.UNKNOWN)
    episode = check_in.episode
    if check_in.survey_submitted_at is not None:
        return Lookup(LinkState.USED, language_tag=episode.language, bilingual=episode.service.bilingual)
    if (
        check_in.status != CheckInStatus.OPEN
        or check_in.first_sent_at is None
        or now >= check_in.first_sent_at + RESPONSE_WINDOW
        or episode.contact_stopped_at is not None
    ):
        return Lookup(LinkState.EXPIRED, language_tag=episode.language, bilingual=episode.service.bilingual)
    service = episode.service
    survey = Survey(
        check_in_id=check_in.id,
        client_id=check_in.client_id,
        service_id=service.id,
        short_name=service.short_name,
        answered_on=now.astimezone(ZoneInfo(service.timezone)).date(),
        discharge_date=episode.discharge_date,
        referral_date=episode.referral_date,
        change=check_in.change,
        duration_start=check_in.duration_start,
        usual_self=check_in.usual_self,
        language_tag=episode.language,
        bilingual=service.bilingual,
    )
    return Lookup(LinkState.OPEN, survey, episode.language, service.bilingual)


def start_date(choice: DurationChoice | None, survey: Survey) -> date | None:
    """The start of the current state (SPEC 3: calendar months, clamped to the referral); None: not given."""
    if choice is None or choice.kind == "unsure":
        return None
    if choice.kind == "length":
        if choice.number is None or choice.unit is None:
            raise DurationError("survey.error.length_missing")
        text = f"{choice.number} {choice.unit}"
    else:
        text = _KIND_TEXT[choice.kind]
    start = read_duration(text, survey.answered_on, survey.discharge_date, survey.referral_date)
    if not isinstance(start, date):  # only a start in the future is unclear here
        raise DurationError("survey.error.future")
    return start


def submit(token: str, answers: WebAnswers, verbatim: dict[str, str], now: datetime) -> Outcome:
    """Take a valid submission once: spend the link, store new answers (never overwriting), tell the SMS side."""
    lookup = find(token, now)
    if lookup.survey is None:
        return Outcome(lookup.state)
    survey = lookup.survey
    spent = cast(
        CursorResult[Any],
        db.session.execute(
            update(CheckIn)
            .where(
                CheckIn.id == survey.check_in_id,
                CheckIn.survey_submitted_at.is_(None),
                CheckIn.status == CheckInStatus.OPEN,
                CheckIn.first_sent_at > now - RESPONSE_WINDOW,
            )
            .values(survey_submitted_at=now, last_inbound_at=now)
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    if not spent:  # another submission (or a close) won the race
        db.session.rollback()
        return Outcome(find(token, now).state)
    # The UPDATE holds the row (PostgreSQL) or the database (SQLite) until commit: read it fresh.
    check_in = db.session.get(CheckIn, survey.check_in_id, populate_existing=True)
    assert check_in is not None
    _store_answers(check_in, answers, now)
    risk = _record(survey, verbatim, answers.comment, now)
    db.session.commit()
    log.info("web survey taken for check-in %s (risk=%s)", survey.check_in_id, risk)
    return Outcome(LinkState.OPEN, risk)


def record_attempt(survey: Survey, verbatim: dict[str, str], comment: str, now: datetime) -> bool:
    """Store a submission that was not taken (invalid, or its form expired); True when its comment shows risk."""
    risk = _record(survey, verbatim, comment, now)
    db.session.commit()
    return risk


def _store_answers(check_in: CheckIn, answers: WebAnswers, now: datetime) -> None:
    """New answers only, each stamped with `now`; then the conversation learns what was answered."""
    if answers.change is not None and check_in.change is None:
        check_in.change, check_in.change_at = answers.change, now
    if answers.duration_start is not None and check_in.duration_start is None:
        check_in.duration_start, check_in.duration_at = answers.duration_start, now
    if answers.usual_self is not None and check_in.usual_self is None:
        check_in.usual_self, check_in.usual_self_at = answers.usual_self, now
    answered: list[Question] = [q for q in QUESTIONS if _answer_of(check_in, q) is not None]
    if check_in.conversation:
        state = ConversationState.from_dict(json.loads(check_in.conversation))
        state = state.with_answered(*answered)
    else:
        state = ConversationState.start(answered)
    check_in.conversation = json.dumps(state.as_dict())


def _answer_of(check_in: CheckIn, question: Question) -> object:
    return {"change": check_in.change, "duration": check_in.duration_start, "usual_self": check_in.usual_self}[question]


def _record(survey: Survey, verbatim: dict[str, str], comment: str, now: datetime) -> bool:
    """Store the submission verbatim; a comment showing risk raises a safeguarding alert, as an SMS would."""
    risk = bool(comment.strip()) and mentions_risk(comment)
    message = InboundMessage(
        channel="web",
        client_id=survey.client_id,
        check_in_id=survey.check_in_id,
        body=json.dumps(verbatim, sort_keys=True, ensure_ascii=False),
        risk_flagged=risk,
        reply_text=json.dumps([crisis_signposting(survey.language)] if risk else []),
        received_at=now,
    )
    db.session.add(message)
    db.session.flush()
    if risk:
        # The SMS path's alert: one for evaluators, and an email (a link only) to the safeguarding contact.
        raise_alert(message, db.session.get(Client, survey.client_id), db.session.get(Service, survey.service_id), now)
    return risk
