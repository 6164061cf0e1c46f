"""`flask demo ...`: a synthetic cohort to explore Stillwell with."""

from __future__ import annotations

import secrets

import click
from flask.cli import with_appcontext

from app.cli.common import cli_actor, command_with_clear_errors, parse_instant, today_in_london
from app.services import demo as demo_service
from app.services.inbound import handle_inbound_sms, normalise_phone


@click.group(help="Synthetic demo data (never real people).")
def demo() -> None:
    pass


@demo.command("seed", help="Seed 2 areas, 3 services, a few hundred synthetic clients and one user per role.")
@click.option("--if-empty", is_flag=True, help="Do nothing (successfully) when the database already has data.")
@click.option("--clients-per-service", default=120, show_default=True, type=click.IntRange(1, 100_000))
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
    click.echo(f"demo: seeded {len(demo_service.AREAS)} areas, {len(demo_service.SERVICES)} services, "
               f"{clients_per_service * len(demo_service.SERVICES)} synthetic discharged clients")
    click.echo("demo accounts (passwords are shown only this once):")
    for account in accounts:
        click.echo(f"  {account.role:<18} {account.email:<28} {account.password}")


@demo.command("reply", help="Handle one inbound SMS as if TEXT came from --phone at --at, and print each reply.")
@click.option("--phone", required=True, help="The sender's number (E.164, or UK national format).")
@click.option("--at", "at", default=None, help="When it arrived (ISO 8601; no offset means UTC). Default: now.")
@click.argument("text")
@with_appcontext
@command_with_clear_errors
def reply(phone: str, at: str | None, text: str) -> None:
    number = normalise_phone(phone)
    if number is None:
        raise click.ClickException(f"--phone: {phone!r} is not a valid phone number (try +447400123456)")
    received_at = parse_instant(at, "--at")
    for line in handle_inbound_sms(f"SMdemo{secrets.token_hex(16)}", number, text, received_at):
        click.echo(line)
