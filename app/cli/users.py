"""`flask users ...`."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from app.cli.common import cli_actor, command_with_clear_errors, parse_instant
from app.models import Role
from app.services import users as user_service


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


@users.command("unlock", help="Lift a sign-in lockout before it runs out.")
@click.option("--email", required=True, help="Sign-in email address of the user.")
@with_appcontext
@command_with_clear_errors
def unlock(email: str) -> None:
    user = user_service.find_user(email)
    user_service.unlock_user(user, actor=cli_actor(), now=parse_instant(None, "now"))
    click.echo(f"unlocked user {user.id}")


@users.command("reset-totp", help="Forget a user's authenticator app (a lost phone); they set it up again at sign-in.")
@click.option("--email", required=True, help="Sign-in email address of the user.")
@with_appcontext
@command_with_clear_errors
def reset_totp(email: str) -> None:
    user = user_service.find_user(email)
    user_service.reset_second_factor(user, actor=cli_actor(), now=parse_instant(None, "now"))
    click.echo(f"second factor reset for user {user.id}; their sessions have ended")


@users.command("deactivate", help="Stop a user signing in; their sessions end at once.")
@click.option("--email", required=True, help="Sign-in email address of the user.")
@with_appcontext
@command_with_clear_errors
def deactivate(email: str) -> None:
    user = user_service.find_user(email)
    user_service.deactivate_user(user, actor=cli_actor(), now=parse_instant(None, "now"))
    click.echo(f"deactivated user {user.id}")
