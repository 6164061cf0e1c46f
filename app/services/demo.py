"""A synthetic demo: areas, services, a few hundred discharged clients, one user per role, and how they reply.

Everything here is invented. A demo client's phone number is a well-formed UK mobile number made from its
reference (`demo_phone`: TYNE-00042 has 07700 110042, WEAR-00042 07700 120042, AVON-00042 07700 130042), so
a person playing the conversation can tell who is who without anything printing a number; the demo refuses to
run unless both transports print to the console, so nothing is ever sent to them.

The second half describes synthetic people for `flask demo simulate` (app/services/simulation.py): each
client has a latent course after discharge (recovered and staying so, relapsing, fluctuating, chronic or
worsening) drawn once from a seeded generator, so their answers agree with each other across follow-ups, and
each check-in gets a reply plan (silent, answering within hours or after the reminder, STOP, wrong number,
sometimes unclear first, several answers in one text, a risk message now and then). Every text is checked
against the real reply readers, so a phrasing the readers do not understand falls back to a plain digit.
Pure: no database, no clock; the generators are keyed by seed and row id so a run is reproducible.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal

from flask import current_app
from sqlalchemy import func, select

from app.domain.discharge_list import COLUMNS, normalise_phone
from app.domain.replies import mentions_risk, read_change, read_duration, read_keyword, read_usual_self
from app.extensions import db
from app.models import Area, CheckIn, CheckInStatus, Client, Episode, InboundMessage, Service
from app.models.message import SafeguardingAlert
from app.services import audit, intake, organisation, users
from app.services.contactability import opted_out_clients
from app.services.dispatch import RESPONSE_WINDOW
from app.services.errors import ServiceError
from app.services.sending import decrypt, new_survey_token, survey_link

AREAS = (("NE-ICB", "North East Integrated Care Board"), ("SW-ICB", "South West Integrated Care Board"))
SERVICES = (
    ("TYNE", "Tyneside Wellbeing Service", "NE-ICB", "Tyne Wellbeing"),
    ("WEAR", "Wearside Wellbeing Service", "NE-ICB", "Wear Wellbeing"),
    ("AVON", "Avon Wellbeing Service", "SW-ICB", "Avon Wellbeing"),
)
DESCRIPTORS = ("F32.1", "F33.1", "F41.1", "F41.2", "F40.1", "F42", "F43.1", "F45.2", "none")
# Discharges spread over the last 15 months, so by today every follow-up point (52 weeks too) has answers.
DISCHARGED_WITHIN_DAYS = 456


@dataclass(frozen=True)
class DemoAccount:
    role: str
    email: str
    password: str


def refuse_real_transports() -> None:
    """Synthetic contact details must never reach a real provider."""
    if current_app.config["SMS_TRANSPORT"] != "console" or current_app.config["MAIL_TRANSPORT"] != "console":
        raise ServiceError("the demo runs only with SMS_TRANSPORT=console and MAIL_TRANSPORT=console")


def database_is_empty() -> bool:
    return not db.session.scalar(select(func.count()).select_from(Area))


def is_demo_database() -> bool:
    """Whether the demo's own areas and services are here (simulating replies elsewhere needs --force)."""
    areas = db.session.scalar(select(func.count()).select_from(Area).where(Area.code.in_([a for a, _ in AREAS])))
    services = db.session.scalar(
        select(func.count()).select_from(Service).where(Service.code.in_([s[0] for s in SERVICES]))
    )
    return areas == len(AREAS) and services == len(SERVICES)


def demo_phone(service_number: int, number: int) -> str | None:
    """The demo's phone number for client `number` of the `service_number`-th demo service (1-9).

    "07700 1", the service's digit, then the client's number in 4 digits: TYNE-00042 (service 1) has
    07700 110042. None when it does not fit (more than 9,999 clients). Every such number is one that
    `phonenumbers` classifies as a UK mobile, as intake requires."""
    if not 1 <= service_number <= 9 or not 0 < number <= 9_999:
        return None
    return f"07700 1{service_number}{number:04d}"


def synthetic_discharge_csv(
    rng: random.Random, clients: int, today: date, prefix: str, *, service_number: int | None = None
) -> bytes:
    """A discharge list of invented clients discharged over the last 15 months.

    With `service_number`, client N gets `demo_phone(service_number, N)` (a random mobile number past 9,999);
    without, a random one. The random number is drawn either way: the cohort is the same for the same seed."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)  # the values below follow the same order
    for number in range(1, clients + 1):
        discharge = today - timedelta(days=rng.randint(1, DISCHARGED_WITHIN_DAYS))
        first_treatment = discharge - timedelta(days=rng.randint(30, 120))
        assessment = first_treatment - timedelta(days=rng.randint(7, 60))
        referral = assessment - timedelta(days=rng.randint(3, 40))
        consent = rng.random() < 0.85
        has_mobile = rng.random() < 0.85
        sessions = rng.choice((0, 1, 2, 3, 4, 6, 8, 10, 12, 16))
        phq_first, gad_first = rng.randint(5, 25), rng.randint(4, 20)
        # Scores at the last session usually fall together: about half "recover" by the services' own measure.
        improvement = rng.uniform(0.15, 1.05)
        writer.writerow(
            [
                f"{prefix}-{number:05d}",
                _mobile(rng, service_number, number) if has_mobile else "",
                f"client{number}.{prefix.lower()}@example.org" if (not has_mobile or rng.random() < 0.5) else "",
                "",
                "yes" if consent else "no",
                referral.isoformat(),
                assessment.isoformat(),
                first_treatment.isoformat() if sessions else "",
                discharge.isoformat(),
                sessions,
                rng.choice(DESCRIPTORS),
                rng.choice(("low", "high", "stepped")),
                phq_first,
                min(27, max(0, round(phq_first * improvement) + rng.randint(-2, 2))) if sessions >= 2 else "",
                gad_first,
                min(21, max(0, round(gad_first * improvement) + rng.randint(-2, 2))) if sessions >= 2 else "",
                rng.choice(("completed", "completed", "completed", "dropped_out", "other")),
                "en",
            ]
        )
    return out.getvalue().encode()


def _mobile(rng: random.Random, service_number: int | None, number: int) -> str:
    drawn = _synthetic_mobile(rng)  # always drawn: the rest of the cohort does not depend on service_number
    return (demo_phone(service_number, number) if service_number is not None else None) or drawn


def _synthetic_mobile(rng: random.Random) -> str:
    """A random well-formed UK mobile number (never used with a real provider: see refuse_real_transports)."""
    while True:
        candidate = f"07700 {rng.randint(100000, 899999)}"
        normalised = normalise_phone(candidate)
        if normalised and normalised[1]:
            return candidate


def seed(
    *, actor: str, now: datetime, today: date, clients_per_service: int = 120, seed_value: int = 2026
) -> list[DemoAccount]:
    """Create the demo organisation, clients and one user per role; returns the accounts (passwords shown once)."""
    refuse_real_transports()
    if not database_is_empty():
        raise ServiceError("the database already has data; the demo seeds only an empty database")
    rng = random.Random(seed_value)  # the cohort is reproducible; the passwords are not
    for code, name in AREAS:
        organisation.create_area(code, name, actor=actor, now=now)
    for service_number, (code, name, area, short_name) in enumerate(SERVICES, start=1):
        settings = organisation.ServiceSettings(
            short_name=short_name, safeguarding_email=f"safeguarding.{code.lower()}@example.org"
        )
        organisation.create_service(code, name, area, settings, actor=actor, now=now)
        data = synthetic_discharge_csv(rng, clients_per_service, today, code, service_number=service_number)
        intake.import_discharge_list(code, data, filename=f"demo-{code}.csv", actor=actor, now=now, today=today)
    accounts = [
        DemoAccount("admin", "admin@example.org", secrets.token_urlsafe(12)),
        DemoAccount("evaluator", "evaluator@example.org", secrets.token_urlsafe(12)),
        DemoAccount("commissioner", "commissioner@example.org", secrets.token_urlsafe(12)),
        DemoAccount("service_submitter", "submitter@example.org", secrets.token_urlsafe(12)),
    ]
    for account in accounts:
        users.create_user(
            account.email,
            account.role,
            account.password,
            service_code="TYNE" if account.role == "service_submitter" else None,
            area_code="NE-ICB" if account.role == "commissioner" else None,
            actor=actor,
            now=now,
        )
    return accounts


# ---------------------------------------------------------------------------------------------------
# Exploring the demo by hand: who to text as (`demo clients`), a web survey link (`demo survey-link`) and
# what happened to a message played with `demo reply`
# ---------------------------------------------------------------------------------------------------

_ASKING = {"change": "change", "duration": "duration", "usual_self": "usual self", "done": "nothing (all settled)"}


@dataclass(frozen=True)
class ClientLine:
    """One demo client as `demo clients` shows it: who, how to text as them, and where their follow-up stands."""

    client_ref: str
    service: str
    phone: str | None  # E.164; None when the client has no UK mobile number (email only) or it was erased
    email_only: bool
    stands: str  # "open since ...: asking duration", "next check-in 2027-02-02 10:00 (18 weeks)", ...
    open_check_in: bool


@dataclass(frozen=True)
class CheckInLine:
    """One check-in of a client, for `demo clients --client REF`."""

    weeks: int
    due_at: datetime
    status: str
    first_sent_at: datetime | None
    channel: str | None
    asking: str | None  # the question the SMS conversation waits for, while open


def refuse_unless_demo() -> None:
    """Printing contact details and minting links is for the demo's own synthetic clients only."""
    refuse_real_transports()
    if not is_demo_database():
        raise ServiceError("this database does not hold the demo (run `flask demo seed` on an empty database)")


def list_clients(
    *, now: datetime, actor: str, service_code: str | None = None, open_only: bool = False, limit: int = 20
) -> list[ClientLine]:
    """Demo clients who have consented to follow-up, those with an open check-in first; audited."""
    refuse_unless_demo()
    query = select(Client).join(Service, Service.id == Client.service_id).order_by(Service.code, Client.client_ref)
    if service_code:
        service_id = db.session.scalar(select(Service.id).where(Service.code == service_code))
        if service_id is None:
            raise ServiceError(f"--service: no service {service_code!r} (the demo has {_service_codes()})")
        query = query.where(Client.service_id == service_id)
    lines = [line for client in db.session.scalars(query) if (line := _client_line(client, now)) is not None]
    if open_only:
        lines = [line for line in lines if line.open_check_in]
    lines.sort(key=_rank)  # stable: by service and reference within each group
    shown = lines[:limit]
    audit.record(actor, "demo.clients_listed", now, shown=len(shown), service=service_code, open_only=open_only)
    db.session.commit()
    return shown


def client_check_ins(client_ref: str, *, now: datetime, actor: str) -> tuple[ClientLine, list[CheckInLine]]:
    """One demo client and each of their check-ins (when due, what became of it); audited."""
    refuse_unless_demo()
    client = _demo_client(client_ref)
    line = _client_line(client, now)
    if line is None:
        raise ServiceError(f"{client_ref} did not consent to follow-up: nothing is sent to them")
    rows = db.session.scalars(
        select(CheckIn).where(CheckIn.client_id == client.id).order_by(CheckIn.due_at, CheckIn.id)
    ).all()
    check_ins = [
        CheckInLine(
            weeks=row.offset_weeks,
            due_at=row.due_at,
            status=row.status,
            first_sent_at=row.first_sent_at,
            channel=row.channel,
            asking=_asking(row) if row.status == CheckInStatus.OPEN else None,
        )
        for row in rows
    ]
    audit.record(actor, "demo.client_shown", now, subject=client_ref)
    db.session.commit()
    return line, check_ins


def new_survey_link(client_ref: str, *, now: datetime, actor: str) -> str:
    """A fresh web survey link for the client's open check-in (the one sent before stops working); audited.

    The same token code as a first send: a 128-bit token, only its SHA-256 stored on the check-in."""
    refuse_unless_demo()
    client = _demo_client(client_ref)
    check_in = _open_check_in(client.id, now)
    if check_in is None:
        raise ServiceError(f"{client_ref} has no open check-in at {now:%Y-%m-%d %H:%M} UTC; {_next_hint(client, now)}")
    token, token_hash = new_survey_token()
    check_in.survey_token_hash = token_hash
    audit.record(actor, "demo.survey_link", now, subject=client_ref, check_in=check_in.id)
    db.session.commit()
    return survey_link(token)


@dataclass(frozen=True)
class ReplyNotes:
    """What a message played with `demo reply` did besides the replies, in words for the person playing."""

    lines: list[str]


def reply_notes(message_sid: str, replies: list[str]) -> ReplyNotes:
    """Why a message got no reply, and what it set off (an alert, an opt-out, stopped contact)."""
    message = db.session.scalar(select(InboundMessage).where(InboundMessage.provider_id == message_sid))
    if message is None:
        return ReplyNotes([])
    events = set((message.events or "").split(","))
    base = str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
    notes: list[str] = []
    if "risk" in events:
        alert = db.session.scalar(
            select(SafeguardingAlert.id).where(SafeguardingAlert.inbound_message_id == message.id)
        )
        notes.append(
            f"safeguarding alert {alert} raised: evaluators see it at {base}/evaluate/alerts/{alert}; "
            "the safeguarding contact is emailed a link to it at the next dispatch tick"
        )
    if "opt_out" in events:
        notes.append("opted out on every channel: no more check-ins until START")
    if "resume" in events:
        notes.append("opted back in: check-ins due from now on will be sent")
    for reason in ("wrong_number", "bereavement"):
        if reason in events:
            notes.append(f"contact stopped, {reason.replace('_', ' ')}: no more texts; evaluators have a review item")
    if "complete" in events:
        notes.append("check-in complete: every question is answered or given up")
    if not replies:
        notes.append(f"no reply: {_why_silent(message, events)}")
    return ReplyNotes(notes)


def _why_silent(message: InboundMessage, events: set[str]) -> str:
    if not message.body.strip():
        return "the message is empty"
    if message.client_id is None:
        return "no client has this number, and the one generic reply goes at most once a day"
    client = db.session.get(Client, message.client_id)
    assert client is not None
    if client.id in opted_out_clients([client.id]):
        return "this number is opted out: only STOP, START and HELP get an answer"
    if message.check_in_id is None:
        return "nothing is open for this number, and the 'closed' reply goes at most once a day"
    check_in = db.session.get(CheckIn, message.check_in_id)
    assert check_in is not None
    state = json.loads(check_in.conversation) if check_in.conversation else {}
    if state.get("question") == "done":
        return "every question of this check-in is settled; the message is kept but not read as an answer"
    if state.get("change_given_up"):
        return "after a second unclear answer to the first question, unclear replies get at most one reply a day"
    return "the message is stored"


def _rank(line: ClientLine) -> int:
    """Open check-ins still waiting for an answer first, then the other open ones, then everyone else."""
    if not line.open_check_in:
        return 2
    return 1 if line.stands.endswith(_ASKING["done"]) else 0


def _service_codes() -> str:
    return ", ".join(code for code, *_ in SERVICES)


def _demo_client(client_ref: str) -> Client:
    clients = db.session.scalars(select(Client).where(Client.client_ref == client_ref.strip().upper())).all()
    if not clients:
        raise ServiceError(
            f"--client: no demo client {client_ref!r} (references look like TYNE-00001; see `flask demo clients`)"
        )
    return clients[0]


def _open_check_in(client_id: int, now: datetime) -> CheckIn | None:
    """The client's open check-in whose response window is not over at `now` (sent with a later `dispatch tick
    --now` counts too: links are opened on the real clock), contact not stopped."""
    return db.session.scalars(
        select(CheckIn)
        .join(Episode, Episode.id == CheckIn.episode_id)
        .where(
            CheckIn.client_id == client_id,
            CheckIn.status == CheckInStatus.OPEN,
            CheckIn.first_sent_at > now - RESPONSE_WINDOW,
            Episode.contact_stopped_at.is_(None),
        )
        .order_by(CheckIn.first_sent_at.desc())
    ).first()


def _next_hint(client: Client, now: datetime) -> str:
    due = db.session.scalar(
        select(func.min(CheckIn.due_at)).where(
            CheckIn.client_id == client.id, CheckIn.status == CheckInStatus.SCHEDULED, CheckIn.due_at > now
        )
    )
    if due is None:
        return "no more check-ins are planned"
    return (
        f"the next is due {due:%Y-%m-%d %H:%M} UTC: send it with "
        f"`flask --app wsgi dispatch tick --now {due:%Y-%m-%dT%H:%M:%SZ}`"
    )


def _asking(check_in: CheckIn) -> str:
    state = json.loads(check_in.conversation) if check_in.conversation else {}
    question = str(state.get("question", "change"))
    if state.get("pending_number"):
        return "duration (weeks or months?)"
    return _ASKING.get(question, question)


def _client_line(client: Client, now: datetime) -> ClientLine | None:
    """How a client stands at `now`; None when they did not consent (nothing is ever sent to them)."""
    episodes = db.session.scalars(select(Episode).where(Episode.client_id == client.id)).all()
    if not any(episode.consent for episode in episodes):
        return None
    phone = decrypt(client.phone_enc) if client.phone_is_uk_mobile else None
    normalised = normalise_phone(phone) if phone else None
    service = db.session.get(Service, client.service_id)
    assert service is not None
    line = functools.partial(
        ClientLine,
        client_ref=client.client_ref,
        service=service.code,
        phone=normalised[0] if normalised else None,
        email_only=not normalised,
    )
    stopped = next((episode for episode in episodes if episode.contact_stopped_at is not None), None)
    if stopped is not None:
        return line(stands=f"contact stopped ({stopped.contact_stopped_reason or 'stopped'})", open_check_in=False)
    if client.contact_erased_at is not None:
        return line(stands="contact details erased", open_check_in=False)
    if client.id in opted_out_clients([client.id]):
        return line(stands="opted out (text START to resume)", open_check_in=False)
    check_in = _open_check_in(client.id, now)
    if check_in is not None:
        assert check_in.first_sent_at is not None
        how = "by text" if check_in.channel == "sms" else "by email"
        return line(
            stands=f"open since {check_in.first_sent_at:%Y-%m-%d %H:%M} {how}, asking {_asking(check_in)}",
            open_check_in=True,
        )
    due = db.session.scalars(
        select(CheckIn)
        .where(CheckIn.client_id == client.id, CheckIn.status == CheckInStatus.SCHEDULED)
        .order_by(CheckIn.due_at)
    ).first()
    if due is None:
        return line(stands="no more check-ins planned", open_check_in=False)
    return line(stands=f"next check-in due {due.due_at:%Y-%m-%d %H:%M} ({due.offset_weeks} weeks)", open_check_in=False)


# ---------------------------------------------------------------------------------------------------
# Synthetic people: a latent course per client and a reply plan per check-in (for `demo simulate`)
# ---------------------------------------------------------------------------------------------------

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


def person_for(rng: random.Random, referral: date, discharge: date) -> Person:
    """Draw a client's latent course: a minority recover and stay so, others relapse, fluctuate or do not improve."""
    days = timedelta
    roll = rng.random()
    before = Spell(referral, "partial_no")
    spells: tuple[Spell, ...]
    if roll < 0.22:
        course, spells = "recovered", (before, Spell(_recovery_start(rng, discharge), "well"))
    elif roll < 0.44:
        well = _recovery_start(rng, discharge)
        relapse = well + days(rng.randint(50, 200))
        spells = (before, Spell(well, "well"), Spell(relapse, rng.choice(("same", "partial_no", "worse"))))
        if rng.random() < 0.4:
            spells += (Spell(relapse + days(rng.randint(60, 150)), "well"),)
        course = "relapsing"
    elif roll < 0.66:
        states: tuple[State, State] = ("partial_mostly", "partial_no")
        start, spells_list = discharge - days(rng.randint(0, 30)), [before]
        for number in range(12):
            spells_list.append(Spell(start, states[number % 2]))
            start += days(rng.randint(25, 80))
        course, spells = "fluctuating", tuple(spells_list)
    elif roll < 0.88:
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
) -> str | None:
    """The person's next text, given the question they were asked; None when they say nothing more."""
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
