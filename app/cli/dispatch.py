"""`flask dispatch ...`: sending check-ins."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from app.cli.common import command_with_clear_errors, parse_instant
from app.services import dispatch as dispatch_service


@click.group(help="Sending check-ins and reminders.")
def dispatch() -> None:
    pass


@dispatch.command(
    "tick", help="Send what is due at that instant, send reminders, close expired check-ins; print a JSON summary."
)
@click.option(
    "--now", "now_text", help="Act as if it were this instant (ISO 8601; without an offset, UTC). Default: now."
)
@with_appcontext
@command_with_clear_errors
def tick(now_text: str | None) -> None:
    summary = dispatch_service.tick(parse_instant(now_text, "--now"))
    click.echo(json.dumps(summary))
