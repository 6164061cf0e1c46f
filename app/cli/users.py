"""`flask users ...`."""

from __future__ import annotations

import sys
from collections.abc import Callable

import click
from flask.cli import with_appcontext

from app.cli.common import cli_actor, command_with_clear_errors, parse_instant
from app.models import Role
from app.services.access import users as user_service


@click.group(help="People who sign in.")
def users() -> None:
    pass


@users.command("create", help="Create a user. The password is asked for, or read from standard input.")
@click.option("--email", required=True, help="Sign-in email address.")
@click.option("--role", required=True, type=click.Choice([role.value for role in Role]), help="What the user may do.")
@click.option("--service", "service_code", help="Service code (service_submitter only).")
@click.option("--area", "area_code", help="Area code (commissioner only).")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@with_appcontext
@command_with_clear_errors
def create_user(email: str, role: str, service_code: str | None, area_code: str | None, password_stdin: bool) -> None:
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        if not sys.stdin.isatty():
            raise click.ClickException("no terminal to ask for a password: use --password-stdin")
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    user = user_service.create_user(
        email,
        role,
        password,
        service_code=service_code,
        area_code=area_code,
        actor=cli_actor(),
        now=parse_instant(None, "now"),
    )
    click.echo(f"created {user.role} user {user.id}")


def _user_command(name: str, help_text: str, action: Callable[..., None], done: str) -> None:
    """Add `flask users NAME --email ...`: find the user, act on them (the service audits it), say what was done.

    `done` is the message printed, with `{id}` for the user's id.
    """

    @users.command(name, help=help_text)
    @click.option("--email", required=True, help="Sign-in email address of the user.")
    @with_appcontext
    @command_with_clear_errors
    def command(email: str) -> None:
        user = user_service.find_user(email)
        action(user, actor=cli_actor(), now=parse_instant(None, "now"))
        click.echo(done.format(id=user.id))


_user_command("unlock", "Lift a sign-in lockout before it runs out.", user_service.unlock_user, "unlocked user {id}")
_user_command(
    "reset-totp",
    "Forget a user's authenticator app (a lost phone); they set it up again at sign-in; their API tokens end.",
    user_service.reset_second_factor,
    "second factor reset for user {id}; their sessions and API tokens have ended",
)
_user_command(
    "deactivate",
    "Stop a user signing in; their sessions and API tokens end at once.",
    user_service.deactivate_user,
    "deactivated user {id}; their sessions and API tokens have ended",
)
