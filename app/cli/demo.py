"""`flask demo ...`: a synthetic cohort to explore Stillwell with."""

from __future__ import annotations

import json
import logging
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import click
from flask.cli import with_appcontext

from app.cli.common import cli_actor, command_with_clear_errors, parse_instant, today_in_london
from app.domain.phones import normalise_phone, phone_problem
from app.services import demo as demo_service
from app.services.conversation import handle_inbound_sms
from app.services.demo import explore as demo_explore
from app.services.demo import simulation

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar


@click.group(
    help="Synthetic demo data (never real people): `seed` it, `simulate` a year of replies, and play a "
    "conversation by hand: `clients` (who to text as), `reply` (one inbound text), `survey-link` (the web survey)."
)
def demo() -> None:
    pass


@demo.command(
    "seed",
    help="Seed 2 areas, 20 services (one truly better, one truly worse, one with a more severe case mix), "
    "a few thousand synthetic clients and one user per role.",
)
@click.option("--if-empty", is_flag=True, help="Do nothing (successfully) when the database already has data.")
@click.option(
    "--clients-per-service",
    default=demo_service.CLIENTS_PER_SERVICE,
    show_default=True,
    type=click.IntRange(1, 100_000),
)
@with_appcontext
@command_with_clear_errors
def seed(if_empty: bool, clients_per_service: int) -> None:
    if if_empty and not demo_service.database_is_empty():
        click.echo("demo: the database already has data; nothing seeded")
        return
    now = parse_instant(None, "now")
    accounts = demo_service.seed(
        actor=cli_actor(), now=now, today=today_in_london(now), clients_per_service=clients_per_service
    )
    click.echo(
        f"demo: seeded {len(demo_service.AREAS)} areas, {len(demo_service.SERVICES)} services, "
        f"{clients_per_service * len(demo_service.SERVICES)} synthetic discharged clients"
    )
    click.echo("demo accounts (passwords are shown only this once):")
    for account in accounts:
        click.echo(f"  {account.role:<18} {account.email:<28} {account.password}")
    click.echo(
        "demo clients text from synthetic numbers made from their reference (TYNE-00042: 07700 110042);\n"
        "  play a conversation: flask --app wsgi demo clients --open, then\n"
        '  flask --app wsgi demo reply --phone 07700110042 "2"  (README: "Playing the demo conversation")'
    )


@demo.command(
    "reply",
    help="Handle one inbound SMS as if TEXT came from --phone at --at, through the same code as the Twilio webhook, "
    "and print each reply text on its own line (nothing when no reply is due). The message is stored and its "
    "answers taken, as for a real text. A demo client's number: `flask --app wsgi demo clients` (TYNE-00042 "
    "texts from 07700 110042). On a terminal, notes on stderr say what else happened (an alert, an opt-out) "
    "and why nothing was sent back.\n\n\b\n"
    'Example: flask --app wsgi demo reply --phone 07700110042 --at 2027-01-31T12:00:00Z "a little better"',
)
@click.option("--phone", required=True, help="The sender's number (E.164, or UK national format).")
@click.option("--at", "at", default=None, help="When it arrived (ISO 8601; no offset means UTC). Default: now.")
@click.option(
    "--notes/--no-notes",
    default=None,
    help="Print notes on stderr (what the message set off, why no reply). Default: when stderr is a terminal.",
)
@click.argument("text")
@with_appcontext
@command_with_clear_errors
def reply(phone: str, at: str | None, notes: bool | None, text: str) -> None:
    normalised = normalise_phone(phone)
    if normalised is None:
        raise click.ClickException(f"--phone: {phone!r} {phone_problem(phone)} (try 07700110042)")
    number = normalised[0]
    received_at = parse_instant(at, "--at")
    message_sid = f"SMdemo{secrets.token_hex(16)}"
    with _quiet_logs(True):  # the replies are the output; the log lines of each message would bury them
        replies = handle_inbound_sms(message_sid, number, text, received_at)
    for line in replies:
        click.echo(line)
    if notes if notes is not None else sys.stderr.isatty():
        for note in demo_explore.reply_notes(message_sid, replies).lines:
            click.echo(f"({note})", err=True)


@demo.command(
    "clients",
    help="List demo clients to play with `demo reply`: each one's synthetic phone number and where their "
    "follow-up stands at --at (an open check-in and the question it waits for, or when the next is due). "
    "Clients with an open check-in come first. With --client, that client's check-ins one by one. "
    "Only on the demo's own database; every listing is audited.",
)
@click.option("--service", "service_code", default=None, help="Only this service (a demo service code, e.g. TYNE).")
@click.option("--open", "open_only", is_flag=True, help="Only clients with a check-in open at --at.")
@click.option("--client", "client_ref", default=None, help="One client's check-ins (e.g. TYNE-00042).")
@click.option("--at", "at", default=None, help="As at this instant (ISO 8601; no offset means UTC). Default: now.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 100_000), help="Show at most this many.")
@with_appcontext
@command_with_clear_errors
def clients(service_code: str | None, open_only: bool, client_ref: str | None, at: str | None, limit: int) -> None:
    now = parse_instant(at, "--at")
    if client_ref:
        line, check_ins = demo_explore.client_check_ins(client_ref, now=now, actor=cli_actor())
        click.echo(f"{line.client_ref} ({line.service}), {_phone_words(line)}: {line.stands}")
        for item in check_ins:
            sent = f", first sent {item.first_sent_at:%Y-%m-%d %H:%M} by {item.channel}" if item.first_sent_at else ""
            asking = f", asking {item.asking}" if item.asking else ""
            click.echo(f"  {item.weeks:>3} weeks  due {item.due_at:%Y-%m-%d %H:%M}  {item.status}{sent}{asking}")
        click.echo("Times are UTC.")
        return
    lines = demo_explore.list_clients(
        now=now,
        actor=cli_actor(),
        service_code=service_code.upper() if service_code else None,
        open_only=open_only,
        limit=limit,
    )
    if not lines:
        click.echo("demo clients: nobody matches" + (" (no check-in is open then)" if open_only else ""))
        return
    click.echo(f"Demo clients at {now:%Y-%m-%d %H:%M} UTC (synthetic numbers; nothing is ever sent to them):")
    click.echo(f"  {'client':<12} {'phone':<15} now")
    for line in lines:
        click.echo(f"  {line.client_ref:<12} {line.phone or '(email only)':<15} {line.stands}")
    click.echo(
        'Text as one of them: flask --app wsgi demo reply --phone <phone> "2"   '
        "(answer on the web: flask --app wsgi demo survey-link --client <client>)"
    )


@demo.command(
    "survey-link",
    help="Print a web survey link (/s/<token>) for a demo client's open check-in, made by the same code as a "
    "first send; the link sent before stops working. Links start with PUBLIC_BASE_URL: set it when the web "
    "app is not on http://127.0.0.1:5000.",
)
@click.option("--client", "client_ref", required=True, help="The demo client (e.g. TYNE-00042).")
@click.option("--at", "at", default=None, help="Find the check-in open at this instant (ISO 8601). Default: now.")
@with_appcontext
@command_with_clear_errors
def survey_link(client_ref: str, at: str | None) -> None:
    now = parse_instant(at, "--at")
    click.echo(demo_explore.new_survey_link(client_ref, now=now, actor=cli_actor()))


def _phone_words(line: demo_explore.ClientLine) -> str:
    return f"phone {line.phone}" if line.phone else "email only"


@demo.command(
    "simulate",
    help="Play the demo's follow-up in simulated time: real dispatch ticks (console transports) and synthetic "
    "replies by text and web survey, from the first due check-in (or where the last run stopped) until --until. "
    "Run it after `demo seed` so the dashboards, releases and reports have figures at once.",
)
@click.option("--start", default=None, help="Start here (ISO 8601) instead of at the first due check-in.")
@click.option("--until", default=None, help="Stop here (ISO 8601; no offset means UTC). Default: now.")
@click.option("--seed", "seed_value", default=2026, show_default=True, type=int, help="Same seed, same replies.")
@click.option("--force", is_flag=True, help="Run on a database that does not hold the demo's areas and services.")
@click.option("--if-demo", is_flag=True, help="Do nothing (successfully) when the database is not the demo's.")
@click.option("--show-messages", is_flag=True, help="Print every message the console transports would send.")
@click.option("--quiet", is_flag=True, help="No progress bar; print only the summary.")
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@with_appcontext
@command_with_clear_errors
def simulate(
    start: str | None,
    until: str | None,
    seed_value: int,
    force: bool,
    if_demo: bool,
    show_messages: bool,
    quiet: bool,
    output: str,
) -> None:
    if if_demo and not force and not demo_service.is_demo_database():
        click.echo("demo simulate: the database does not hold the demo data; nothing simulated")
        return
    now = parse_instant(None, "now")
    begin = parse_instant(start, "--start") if start else None
    end = parse_instant(until, "--until") if until else now
    if begin is not None and begin >= end:
        raise click.BadParameter("must be earlier than --until", param_hint="--start")
    with _progress(end, enabled=not quiet and not show_messages) as progress, _quiet_logs(not show_messages):
        report = simulation.simulate(
            until=end,
            actor=cli_actor(),
            now=now,
            start=begin,
            seed=seed_value,
            force=force,
            progress=progress,
            messages=sys.stdout if show_messages else None,
        )
    if output == "json":
        click.echo(json.dumps(report.as_dict(), sort_keys=True))
        return
    if report.nothing_to_do:
        where = report.start.isoformat() if report.start else "the end of the seeded data"
        click.echo(f"demo simulate: nothing to do; already simulated up to {where}")
        return
    assert report.start is not None
    click.echo(
        f"demo simulate: {report.start:%Y-%m-%d %H:%M} to {report.until:%Y-%m-%d %H:%M} UTC in "
        f"{report.seconds:.1f} s ({report.ticks} dispatch ticks)"
    )
    click.echo(
        f"  messages sent {report.messages_sent} (first sends {report.first_sends}, reminders {report.reminders}); "
        f"replies {report.texts_received} texts and {report.web_answers} web answers"
    )
    click.echo(
        f"  check-ins answered {report.check_ins_answered}, closed unanswered {report.closed_unanswered}, "
        f"skipped {report.skipped}; opt-outs {report.opt_outs}, safeguarding alerts {report.safeguarding_alerts}, "
        f"wrong numbers {report.wrong_numbers}"
    )
    if report.assessment_interviews:
        click.echo(
            f"  telephone assessment: one sample drawn, {report.assessment_interviews} interviews recorded by "
            f"the demo assessor and {report.assessment_to_call} calls left to make (docs/assessment.md)"
        )


@contextmanager
def _progress(until: datetime, *, enabled: bool) -> Iterator[simulation.ProgressCallback | None]:
    """A progress bar on stderr, one step per simulated day, shown only when stderr is a terminal."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    state: dict[str, Any] = {}
    bar: ProgressBar[int]
    with click.progressbar(
        length=1,
        label="simulating",
        file=sys.stderr,
        show_eta=True,
        item_show_func=lambda _: state.get("day"),
    ) as bar:

        def advance(instant: datetime) -> None:
            first = state.setdefault("first", instant)
            bar.length = max(1, (until - first).days)
            state["day"] = instant.astimezone(UTC).date().isoformat()
            done = (instant - first).days
            if done > bar.pos:
                bar.update(done - bar.pos)

        yield advance


@contextmanager
def _quiet_logs(enabled: bool) -> Iterator[None]:
    """Each tick and message logs a line at INFO: a simulated year would bury the summary."""
    logger = logging.getLogger("stillwell")
    level = logger.level
    if enabled:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)
