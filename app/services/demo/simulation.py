"""`flask demo simulate`: months of follow-up played in simulated time through the real code.

The simulation never sends anything and never shortcuts the product: it calls `dispatch.tick(now)` (the
scheduler's only call) at every instant something can happen (each service's send window opening, the
reminder moments, the 14-day closes) with the console transports, and plays each synthetic client's
replies through `inbound.handle_inbound_sms` (the webhook's service function, as `demo reply` does), the
web survey's `survey.submit` and the email unsubscribe link. Who replies, when and what comes from
app/services/demo/people.py's synthetic people, drawn from generators keyed by the seed and row ids: the same
seed on the same seeded data gives the same figures. A person's chance of a lasting recovery follows their
episode's case mix (first scores, sessions, problem group) and their demo service's effect (seeding.SERVICES).

The last simulated instant is kept in the audit log, so a second run continues from there instead of
replaying (and duplicating) what the first one did.
"""

from __future__ import annotations

import heapq
import io
import itertools
import json
import random
import re
import secrets
import time as wallclock
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any, TextIO, cast
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import and_, event, func, or_, select

from app.domain import schedule
from app.domain.conversation import QUESTIONS, ConversationState
from app.domain.languages import catalogue_language
from app.domain.protocol import LONDON, REMINDER_AFTER, RESPONSE_WINDOW
from app.domain.replies import mentions_risk
from app.domain.schedule import SendWindow
from app.extensions import db
from app.messaging.base import EmailSender, SendOutcome
from app.messaging.console import ConsoleEmailSender, ConsoleSmsSender
from app.models import AuditEvent, CheckIn, CheckInStatus, Client, Episode, InboundMessage, OptEvent, OutboundMessage
from app.models.message import ReviewItem, SafeguardingAlert
from app.models.organisation import Service
from app.services import audit, dispatch
from app.services.contact import links as unsubscribe
from app.services.conversation import handle_inbound_sms, survey
from app.services.demo import people as demo_people
from app.services.demo import seeding as demo
from app.services.dispatch import decrypt
from app.services.errors import ServiceError

ACTION = "demo.simulate"
ProgressCallback = Callable[[datetime], None]
ALERT_EMAIL_AFTER = timedelta(minutes=1)
_ANSWER_COLUMNS = {"change": "change", "duration": "duration_start", "usual_self": "usual_self"}


@dataclass
class SimulationReport:
    """What a run did, for the command's summary (counts over the simulated period)."""

    start: datetime | None
    until: datetime
    nothing_to_do: bool = False
    ticks: int = 0
    messages_sent: int = 0  # first sends, fallbacks, reminders, alert emails, and replies to texts
    first_sends: int = 0
    reminders: int = 0
    texts_received: int = 0
    web_answers: int = 0
    check_ins_answered: int = 0
    closed_unanswered: int = 0
    opt_outs: int = 0
    safeguarding_alerts: int = 0
    wrong_numbers: int = 0
    skipped: int = 0
    withdrawn: int = 0
    assessment_interviews: int = 0  # the demo's telephone assessment, once the simulation reaches today
    assessment_to_call: int = 0  # its calls left open for the demo assessor
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form (instants as ISO 8601)."""
        values = asdict(self)
        values["start"] = self.start.isoformat() if self.start else None
        values["until"] = self.until.isoformat()
        values["seconds"] = round(self.seconds, 1)
        return values


class _Discard(io.TextIOBase):
    """Where console messages go unless the operator asked to see them."""

    def write(self, text: str) -> int:
        return len(text)


class RecordingEmailSender:
    """The console email transport, remembering each address's latest survey and unsubscribe links (memory only).

    A synthetic client answers by following the link in the last email they got, exactly as a person would.
    """

    def __init__(self, inner: EmailSender, base_url: str) -> None:
        self.inner = inner
        base = re.escape(base_url.rstrip("/"))
        self._survey = re.compile(base + r"/s/([A-Za-z0-9_-]+)")
        self._unsubscribe = re.compile(base + r"/u/([A-Za-z0-9_.-]+)")
        self.survey_tokens: dict[str, str] = {}
        self.unsubscribe_tokens: dict[str, str] = {}

    def send_email(self, to: str, subject: str, text: str, html: str, headers: dict[str, str]) -> SendOutcome:
        """Remember the links, then let the console transport print (or discard) the email."""
        if found := self._survey.search(text):
            self.survey_tokens[to] = found.group(1)
        if found := self._unsubscribe.search(text):
            self.unsubscribe_tokens[to] = found.group(1)
        return self.inner.send_email(to, subject, text, html, headers)


@dataclass
class _InPlay:
    """A check-in the simulation follows: who, where to reply, by when, and the person's plan for it."""

    check_in_id: int
    channel: str
    phone: str | None
    email: str | None
    first_sent_at: datetime
    referral: date
    discharge: date
    zone: ZoneInfo
    plan: demo_people.ReplyPlan
    rng: random.Random
    welsh: bool = False  # the client's language is Welsh (cy): their answers are in Welsh where the reader agrees

    @property
    def closes_at(self) -> datetime:
        return self.first_sent_at + RESPONSE_WINDOW


def last_simulated_until() -> datetime | None:
    """The last instant an earlier run simulated up to (from the audit log), if any."""
    detail = db.session.scalars(
        select(AuditEvent.detail).where(AuditEvent.action == ACTION).order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    if not detail:
        return None
    return datetime.fromisoformat(json.loads(detail)["until"])


def earliest_due() -> datetime | None:
    """When the first check-in still waiting falls due."""
    return db.session.scalars(
        select(CheckIn.due_at).where(CheckIn.status == CheckInStatus.SCHEDULED).order_by(CheckIn.due_at).limit(1)
    ).first()


def simulate(
    *,
    until: datetime,
    actor: str,
    now: datetime,
    start: datetime | None = None,
    seed: int = 2026,
    force: bool = False,
    progress: Callable[[datetime], None] | None = None,
    messages: TextIO | None = None,
) -> SimulationReport:
    """Play follow-up from `start` (default: where the last run stopped, or the first due check-in) to `until`.

    `now` is the real clock (for the audit log); `messages` receives the console transports' output
    (default: discarded). Refuses real transports and, without `force`, a database that is not the demo's.
    """
    demo.refuse_real_transports()
    if not force and not demo.is_demo_database():
        raise ServiceError(
            "this database does not hold the demo data (no demo areas and services): run `flask demo seed` "
            "on an empty database first, or pass --force to play synthetic replies here anyway"
        )
    previous = last_simulated_until()
    if start is not None and previous is not None and start < previous:
        raise ServiceError(
            f"replies were already simulated up to {previous.isoformat()}: --start must not be earlier "
            "(leave it out to continue from there)"
        )
    begin = start or previous or earliest_due()
    if begin is None or begin >= until:
        return SimulationReport(start=begin, until=until, nothing_to_do=True)
    began = wallclock.monotonic()
    player = _Player(seed, until, messages)
    try:
        with _unsynced_sqlite():
            player.run(begin, progress)
    except BaseException:
        # Interrupted (Ctrl-C, an error): remember how far it got, so the next run continues from there.
        db.session.rollback()
        if player.reached is not None:
            audit.record(
                actor,
                ACTION,
                now,
                subject="demo",
                start=begin.isoformat(),
                until=player.reached.isoformat(),
                seed=seed,
                interrupted=True,
            )
            db.session.commit()
        raise
    report = player.report
    _count_outcomes(report, begin, until, first_run=previous is None)
    db.session.commit()
    if until.astimezone(LONDON).date() >= now.astimezone(LONDON).date():
        from app.services.demo.assessing import complete_demo_assessment

        done = complete_demo_assessment(now=min(until, now), simulation_seed=seed, actor=actor)
        report.assessment_interviews = done.interviews
        report.assessment_to_call = done.to_call
    report.seconds = wallclock.monotonic() - began
    audit.record(
        actor,
        ACTION,
        now,
        subject="demo",
        start=begin.isoformat(),
        until=until.isoformat(),
        seed=seed,
        **{key: value for key, value in report.as_dict().items() if isinstance(value, int)},
    )
    db.session.commit()
    return report


@contextmanager
def _unsynced_sqlite() -> Iterator[None]:
    """On SQLite, no fsync per commit while simulating: thousands of small commits would otherwise take minutes.

    Safe against a crash of this process (SQLite's journal still protects every transaction); only a
    power cut mid-run could damage the file, and a demo database can simply be seeded again.
    """
    engine = db.engine
    if engine.dialect.name != "sqlite":
        yield
        return

    def unsynced(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        dbapi_connection.execute("PRAGMA synchronous=OFF")

    event.listen(engine, "checkout", unsynced)
    db.session.commit()
    db.session.connection().exec_driver_sql("PRAGMA synchronous=OFF")
    try:
        yield
    finally:
        event.remove(engine, "checkout", unsynced)
        db.session.rollback()  # every service commits its own work; this only ends a read or a failed transaction
        db.session.connection().exec_driver_sql("PRAGMA synchronous=FULL")
        db.session.commit()


def _count_outcomes(report: SimulationReport, begin: datetime, until: datetime, *, first_run: bool) -> None:
    """Counts from the database over the period: what the run left behind, whoever wrote it.

    The period is (begin, until]; a first run also owns `begin` itself (a later run's `begin` is the
    previous run's last tick).
    """

    def count(model: Any, column: Any, *conditions: Any) -> int:
        after = column >= begin if first_run else column > begin
        return int(
            db.session.scalar(select(func.count()).select_from(model).where(after, column <= until, *conditions)) or 0
        )

    report.messages_sent += count(
        OutboundMessage,
        OutboundMessage.created_at,
        OutboundMessage.status.in_(("accepted", "possibly_sent", "sent", "delivered")),
    )
    report.check_ins_answered = count(CheckIn, CheckIn.change_at)
    report.closed_unanswered = count(
        CheckIn,
        CheckIn.closed_at,
        CheckIn.change.is_(None),
        CheckIn.status.in_((CheckInStatus.CLOSED, CheckInStatus.WITHDRAWN)),
    )
    report.opt_outs = count(OptEvent, OptEvent.at, OptEvent.kind == "opt_out")
    report.safeguarding_alerts = count(SafeguardingAlert, SafeguardingAlert.raised_at)
    report.wrong_numbers = count(ReviewItem, ReviewItem.raised_at, ReviewItem.kind == "wrong_number")
    report.texts_received = count(InboundMessage, InboundMessage.received_at, InboundMessage.channel == "sms")
    report.web_answers = count(InboundMessage, InboundMessage.received_at, InboundMessage.channel == "web")


class _Player:
    """The event loop: ticks and replies in time order (a tick first when both fall on the same instant)."""

    def __init__(self, seed: int, until: datetime, messages: TextIO | None) -> None:
        stream = messages or cast(TextIO, _Discard())
        self.email = RecordingEmailSender(ConsoleEmailSender(stream), current_app.config["PUBLIC_BASE_URL"])
        # No rate limit: nothing leaves the machine, and a year must play in seconds.
        self.senders = dispatch.Senders(ConsoleSmsSender(stream), self.email, 0.0)
        self.seed = seed
        self.until = until
        self.report = SimulationReport(start=None, until=until)
        self.windows = {
            service_id: schedule.make_window(window, days, zone)
            for service_id, window, days, zone in db.session.execute(
                select(Service.id, Service.send_window, Service.send_days, Service.timezone)
            )
        }
        self.ticks: list[datetime] = []
        self.tick_set: set[datetime] = set()
        self.turns: list[tuple[datetime, int, int]] = []
        self.order = itertools.count()
        self.in_play: dict[int, _InPlay] = {}
        self.last_tick: datetime | None = None
        self.reached: datetime | None = None  # everything up to this instant has been played

    def run(self, begin: datetime, progress: Callable[[datetime], None] | None) -> None:
        self.report.start = begin
        self._follow(self._sent_rows(CheckIn.status == CheckInStatus.OPEN, CheckIn.first_sent_at <= begin), begin)
        self._at(begin)
        self._at(self.until)
        opening = self._next_opening(begin)
        while True:
            next_tick = min(self.ticks[0], opening) if self.ticks else opening
            while self.turns and self.turns[0][0] < next_tick and self.turns[0][0] <= self.until:
                at, _, check_in_id = heapq.heappop(self.turns)
                self._play(at, check_in_id)
            if next_tick > self.until:
                break
            wanted = next_tick in self.tick_set
            if next_tick == opening:
                opening = self._next_opening(next_tick)
            while self.ticks and self.ticks[0] <= next_tick:
                self.tick_set.discard(heapq.heappop(self.ticks))
            # A window opening with nothing due would be an idle tick: reminders, closes and alert emails
            # have ticks of their own, so only a due check-in makes an opening worth a tick.
            if wanted or _anything_due(next_tick):
                self._tick(next_tick)
            self.reached = next_tick
            if progress:
                progress(next_tick)

    def _at(self, instant: datetime) -> None:
        """Make sure a tick runs at `instant` (within the simulated period)."""
        if instant <= self.until and instant not in self.tick_set:
            self.tick_set.add(instant)
            heapq.heappush(self.ticks, instant)

    def _next_opening(self, after: datetime) -> datetime:
        """The next instant after `after` at which some service's send window opens."""
        return min((_window_start_after(window, after) for window in self.windows.values()), default=self.until)

    def _tick(self, now: datetime) -> None:
        summary = dispatch.tick(now, self.senders)
        report = self.report
        report.ticks += 1
        report.first_sends += summary["sent"]
        report.reminders += summary["reminders"]
        report.skipped += summary["skipped"]
        report.withdrawn += summary["withdrawn"]
        since = self.last_tick or now
        if summary["sent"]:
            self._follow(self._sent_rows(CheckIn.first_sent_at >= since, CheckIn.first_sent_at <= now), now)
        if summary["reminders"]:
            for check_in_id, reminded_at in db.session.execute(
                select(CheckIn.id, CheckIn.reminder_sent_at).where(
                    CheckIn.reminder_sent_at >= since, CheckIn.reminder_sent_at <= now
                )
            ):
                followed = self.in_play.get(check_in_id)
                if followed and reminded_at and followed.plan.after_reminder and followed.plan.kind != "silent":
                    self._reply_at(followed, reminded_at + followed.plan.delay)
        self.last_tick = now

    def _sent_rows(self, *conditions: Any) -> list[Any]:
        return list(
            db.session.execute(
                select(
                    CheckIn.id,
                    CheckIn.episode_id,
                    CheckIn.channel,
                    CheckIn.offset_weeks,
                    CheckIn.first_sent_at,
                    CheckIn.reminder_sent_at,
                    CheckIn.last_inbound_at,
                    CheckIn.conversation,
                    Episode.plan,
                    Episode.referral_date,
                    Episode.discharge_date,
                    Episode.service_id,
                    Episode.phq9_first,
                    Episode.gad7_first,
                    Episode.treatment_sessions,
                    Episode.problem_descriptor,
                    Episode.language,
                    Service.code.label("service_code"),
                    Service.timezone,
                    Client.phone_enc,
                    Client.email_enc,
                )
                .join(Episode, Episode.id == CheckIn.episode_id)
                .join(Service, Service.id == Episode.service_id)
                .join(Client, Client.id == CheckIn.client_id)
                .where(and_(CheckIn.first_sent_at.is_not(None), *conditions))
                .order_by(CheckIn.id)
            )
        )

    def _follow(self, rows: list[Any], now: datetime) -> None:
        """Plan each newly sent check-in's reply, and the ticks its reminder and close need."""
        for row in rows:
            if row.id in self.in_play:
                continue
            zone = ZoneInfo(row.timezone)
            case_mix = demo_people.CaseMix(
                row.phq9_first, row.gad7_first, row.treatment_sessions, row.problem_descriptor
            )
            service = demo.SERVICE_BY_CODE.get(row.service_code)  # None on a database forced to play
            person = demo_people.person_for(
                random.Random(f"{self.seed}:person:{row.episode_id}"),
                row.referral_date,
                row.discharge_date,
                case_mix,
                service.recovery_effect if service else 0.0,
            )
            rng = random.Random(f"{self.seed}:check-in:{row.id}")
            day = row.first_sent_at.astimezone(zone).date()
            answer = demo_people.answer_for(rng, person, day, row.referral_date, row.discharge_date)
            index = schedule.parse_plan(row.plan).index(row.offset_weeks)
            plan = demo_people.plan_reply(rng, person, answer, index, row.channel or "sms")
            followed = _InPlay(
                row.id,
                row.channel or "sms",
                decrypt(row.phone_enc),
                decrypt(row.email_enc),
                row.first_sent_at,
                row.referral_date,
                row.discharge_date,
                zone,
                plan,
                rng,
                welsh=catalogue_language(row.language) == "cy",
            )
            self.in_play[row.id] = followed
            window = self.windows[row.service_id]
            if row.reminder_sent_at is None and row.last_inbound_at is None:
                self._at(max(now, window.next_opening(row.first_sent_at + REMINDER_AFTER)))
            self._at(max(now, followed.closes_at))
            if plan.kind == "silent":
                continue
            if row.last_inbound_at is not None:  # a conversation an earlier run left half way
                plan.turns, plan.done = 1, {"risk", "help", "unclear", "bare"}
                self._reply_at(followed, now + timedelta(minutes=rng.randint(1, 30)))
            elif not plan.after_reminder:
                self._reply_at(followed, row.first_sent_at + plan.delay, not_before=now)
            elif row.reminder_sent_at is not None:
                self._reply_at(followed, row.reminder_sent_at + plan.delay, not_before=now)

    def _reply_at(self, followed: _InPlay, at: datetime, not_before: datetime | None = None) -> None:
        if (not_before is None or at >= not_before) and at < followed.closes_at and at <= self.until:
            heapq.heappush(self.turns, (at, next(self.order), followed.check_in_id))

    def _play(self, at: datetime, check_in_id: int) -> None:
        """One move of a synthetic client: a text, a web submission or an unsubscribe click."""
        followed = self.in_play[check_in_id]
        check_in = db.session.get(CheckIn, check_in_id, populate_existing=True)
        if check_in is None or check_in.status != CheckInStatus.OPEN or at >= followed.closes_at:
            return
        if followed.channel == "email":
            self._on_the_web(at, followed)
            return
        state = _conversation(check_in)
        text = demo_people.next_sms(
            followed.rng,
            followed.plan,
            state.question,
            state.pending_number,
            state.unclear_count,
            at.astimezone(followed.zone).date(),
            followed.referral,
            followed.discharge,
            welsh=followed.welsh,
        )
        if text is None or followed.phone is None:
            return
        followed.plan.turns += 1
        replies = handle_inbound_sms(f"SMdemo{secrets.token_hex(16)}", followed.phone, text, at)
        self.report.messages_sent += len(replies)
        if mentions_risk(text):
            self._at(at + ALERT_EMAIL_AFTER)  # the scheduler's next minute sends the alert email
        if followed.plan.kind == "answer":
            self._reply_at(followed, at + _pause(followed.rng))

    def _on_the_web(self, at: datetime, followed: _InPlay) -> None:
        plan, address = followed.plan, followed.email or ""
        plan.turns += 1
        if plan.kind == "stop":
            token = self.email.unsubscribe_tokens.get(address)
            if token:
                unsubscribe.unsubscribe(token, at)
            return
        token = self.email.survey_tokens.get(address)
        lookup = survey.find(token or "", at)
        if plan.kind != "answer" or token is None or lookup.survey is None:
            return
        duration = plan.answer.duration
        choice = survey.DurationChoice(duration.kind, duration.number, duration.unit)
        try:
            start = survey.start_date(choice, lookup.survey) if plan.answers_given >= 2 else None
        except survey.DurationError:
            start = None
        comment = demo_people.risk_comment(followed.rng) if plan.risk else ""
        answers = survey.WebAnswers(
            change=plan.answer.change,  # type: ignore[arg-type]
            duration_start=start,
            usual_self=plan.answer.usual_self if plan.answers_given >= 3 else None,  # type: ignore[arg-type]
            comment=comment,
        )
        verbatim = {
            "change": plan.answer.change,
            "duration_kind": duration.kind if duration.kind != "length" else "",
            "duration_number": str(duration.number or ""),
            "duration_unit": duration.unit or "",
            "usual_self": answers.usual_self or "",
            "comment": comment,
        }
        if survey.submit(token, answers, verbatim, at).risk:
            self._at(at + ALERT_EMAIL_AFTER)


def _anything_due(now: datetime) -> bool:
    """Whether some check-in waits to be sent (or skipped, or withdrawn) at `now`."""
    return (
        db.session.scalars(
            select(CheckIn.id)
            .where(
                CheckIn.status == CheckInStatus.SCHEDULED,
                CheckIn.due_at <= now,
                or_(CheckIn.next_attempt_at.is_(None), CheckIn.next_attempt_at <= now),
            )
            .limit(1)
        ).first()
        is not None
    )


def _conversation(check_in: CheckIn) -> ConversationState:
    answered = [q for q in QUESTIONS if getattr(check_in, _ANSWER_COLUMNS[q]) is not None]
    if not check_in.conversation:
        return ConversationState.start(answered)
    return ConversationState.from_dict(json.loads(check_in.conversation))


def _pause(rng: random.Random) -> timedelta:
    """How long a person takes to answer the next question: mostly minutes, sometimes hours."""
    roll = rng.random()
    if roll < 0.75:
        return timedelta(minutes=rng.randint(1, 8))
    if roll < 0.95:
        return timedelta(minutes=rng.randint(10, 120))
    return timedelta(hours=rng.randint(3, 20))


def _window_start_after(window: SendWindow, after: datetime) -> datetime:
    """The first local window start strictly after `after`."""
    day = after.astimezone(window.zone).date()
    for ahead in range(0, 9):
        candidate = day + timedelta(days=ahead)
        if candidate.weekday() in window.days:
            opening = schedule.local_instant(candidate, window.start, window.zone)
            if opening > after:
                return opening
    raise ServiceError("a send window has no open day")
