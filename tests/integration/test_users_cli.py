"""`flask users unlock | reset-totp | deactivate`: what each prints, its help, and its audit entry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Role, User
from tests.web.sign_in import light_password_hashing, make_user, sign_in

pytestmark = pytest.mark.usefixtures("light_password_hashing")
__all__ = ["light_password_hashing"]


def audited(action: str) -> list[str]:
    query = select(AuditEvent.subject).where(AuditEvent.action == action).order_by(AuditEvent.id)
    return list(db.session.scalars(query))


@pytest.mark.parametrize(
    ("command", "help_text"),
    [
        ("unlock", "Lift a sign-in lockout before it runs out."),
        (
            "reset-totp",
            "Forget a user's authenticator app (a lost phone); they set it up again at sign-in; their API tokens end.",
        ),
        ("deactivate", "Stop a user signing in; their sessions and API tokens end at once."),
    ],
)
def test_help(app: Flask, command: str, help_text: str) -> None:
    result = app.test_cli_runner().invoke(args=["users", command, "--help"])
    assert result.exit_code == 0
    expected = (
        f"Usage: app users {command} [OPTIONS]\n\n  {help_text}\n\n"
        "Options:\n  --email TEXT  Sign-in email address of the user.  [required]\n"
        "  --help        Show this message and exit.\n"
    )
    assert result.output.split() == expected.split()  # click wraps long lines to the terminal's width
    listing = app.test_cli_runner().invoke(args=["users", "--help"]).output
    assert f"  {command} " in listing


def test_each_command_prints_what_it_did_and_is_audited(app: Flask) -> None:
    runner = app.test_cli_runner()
    admin = make_user(Role.ADMIN)
    sign_in(app.test_client(), admin)  # enrols a second factor
    admin.locked_until = datetime.now(UTC) + timedelta(minutes=10)
    db.session.commit()
    subject = f"user:{admin.id}"

    result = runner.invoke(args=["users", "unlock", "--email", "admin@example.org"])
    assert (result.exit_code, result.output) == (0, f"unlocked user {admin.id}\n")
    assert audited("user.unlock") == [subject]

    result = runner.invoke(args=["users", "reset-totp", "--email", "admin@example.org"])
    assert (result.exit_code, result.output) == (
        0,
        f"second factor reset for user {admin.id}; their sessions and API tokens have ended\n",
    )
    assert audited("user.totp_reset") == [subject]

    result = runner.invoke(args=["users", "deactivate", "--email", "admin@example.org"])
    assert (result.exit_code, result.output) == (
        0,
        f"deactivated user {admin.id}; their sessions and API tokens have ended\n",
    )
    assert audited("user.deactivate") == [subject]
    db.session.expire_all()
    user = db.session.get(User, admin.id)
    assert user is not None and user.active is False


@pytest.mark.parametrize("command", ["unlock", "reset-totp", "deactivate"])
def test_an_unknown_email_is_one_clear_line(app: Flask, command: str) -> None:
    result = app.test_cli_runner().invoke(args=["users", command, "--email", "nobody@example.org"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and "no user with that email" in result.output
    assert "Traceback" not in result.output and len(result.output.splitlines()) == 1
