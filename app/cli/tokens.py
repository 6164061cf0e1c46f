"""`flask tokens ...`: API bearer tokens: create, list, revoke."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from app.cli.common import cli_actor, command_with_clear_errors, parse_instant
from app.services.access import api_tokens


@click.group(help="API bearer tokens: create, list, revoke.")
def tokens() -> None:
    pass


@tokens.command("create", help="Issue a token for a user. It is printed once and never stored: keep it safe.")
@click.option("--email", required=True, help="The user the token acts as.")
@click.option("--label", required=True, help="What the token is for (e.g. 'monthly dashboard').")
@click.option(
    "--days",
    type=int,
    default=api_tokens.DEFAULT_DAYS,
    show_default=True,
    help=f"How many days the token works (1-{api_tokens.MAX_DAYS}); then it expires.",
)
@with_appcontext
@command_with_clear_errors
def create(email: str, label: str, days: int) -> None:
    issued = api_tokens.create_token(email, label, actor=cli_actor(), now=parse_instant(None, "now"), days=days)
    click.echo(
        f"token {issued.token.id} created, expiring {issued.token.expires_at:%Y-%m-%d %H:%M} UTC;"
        " it is shown only this once:",
        err=True,
    )
    click.echo(issued.secret)


@tokens.command("list", help="Tokens with their owner, label, use and expiry; never the token text.")
@click.option("--email", help="Only this user's tokens.")
@with_appcontext
@command_with_clear_errors
def list_command(email: str | None) -> None:
    rows = api_tokens.list_tokens(email)
    if not rows:
        click.echo("no API tokens")
        return
    now = parse_instant(None, "now")
    click.echo("id\tuser\trole\tlabel\tcreated\texpires\tlast used\tstatus")
    for token, user in rows:
        status = api_tokens.status_of(token, now)
        last_used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
        # The user is named by id: emails are contact details and never printed in clear.
        click.echo(
            f"{token.id}\tuser:{user.id}\t{user.role}\t{token.label}\t{token.created_at:%Y-%m-%d %H:%M}\t"
            f"{token.expires_at:%Y-%m-%d %H:%M}\t{last_used}\t{status}"
        )


@tokens.command("revoke", help="Revoke a token at once (see its id in: flask tokens list).")
@click.argument("token_id", type=int)
@with_appcontext
@command_with_clear_errors
def revoke(token_id: int) -> None:
    token = api_tokens.revoke_token(token_id, actor=cli_actor(), now=parse_instant(None, "now"))
    click.echo(f"token {token.id} revoked")
