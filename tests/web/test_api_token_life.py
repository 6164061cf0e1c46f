"""API tokens expire (90 days unless `--days`) and die when their user is deactivated, has the authenticator
reset or changes password, by every path that does those things: the CLI, the admin pages, the account page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import ApiToken, AuditEvent, Role, User
from app.services.access import api_tokens
from tests.factories import make_service
from tests.web.sign_in import PASSWORD, form_post, light_password_hashing, make_user, sign_in

pytestmark = pytest.mark.usefixtures("light_password_hashing")
__all__ = ["light_password_hashing"]

NEW_PASSWORD = "a brand new passphrase for stillwell"


def issue(user: User, label: str = "dashboard", *, now: datetime | None = None, days: int = 90) -> str:
    return api_tokens.create_token(user.email, label, actor="test", now=now or datetime.now(UTC), days=days).secret


def api_get(app: Flask, secret: str) -> tuple[int, str]:
    response = app.test_client().get("/api/v1/releases", headers={"Authorization": f"Bearer {secret}"})
    return response.status_code, (response.get_json() or {}).get("error", "")


def stored(label: str) -> ApiToken:
    db.session.expire_all()
    return db.session.scalars(select(ApiToken).where(ApiToken.label == label)).one()


# --- expiry --------------------------------------------------------------------------------------


def test_tokens_live_90_days_by_default_and_days_sets_it(app: Flask) -> None:
    evaluator = make_user(Role.EVALUATOR)
    runner = app.test_cli_runner()
    default = runner.invoke(args=["tokens", "create", "--email", evaluator.email, "--label", "default"])
    assert default.exit_code == 0, default.output
    token = stored("default")
    assert token.expires_at - token.created_at == timedelta(days=90)
    assert f"expiring {token.expires_at:%Y-%m-%d %H:%M} UTC" in default.stderr
    week = runner.invoke(args=["tokens", "create", "--email", evaluator.email, "--label", "week", "--days", "7"])
    assert week.exit_code == 0, week.output
    token = stored("week")
    assert token.expires_at - token.created_at == timedelta(days=7)
    assert "--days INTEGER" in runner.invoke(args=["tokens", "create", "--help"]).output


@pytest.mark.parametrize("days", ["0", "-3", "367"])
def test_a_lifetime_out_of_range_is_refused_clearly(app: Flask, days: str) -> None:
    evaluator = make_user(Role.EVALUATOR)
    result = app.test_cli_runner().invoke(
        args=["tokens", "create", "--email", evaluator.email, "--label", "x", "--days", days]
    )
    assert result.exit_code == 1
    assert f"a token lives from 1 to 366 days (--days), not {days}" in result.output
    assert db.session.scalars(select(ApiToken)).first() is None


def test_an_expired_token_gets_401_saying_when_it_expired(app: Flask) -> None:
    evaluator = make_user(Role.EVALUATOR)
    issued_at = datetime.now(UTC) - timedelta(days=31)
    expired = issue(evaluator, "old", now=issued_at, days=30)
    live = issue(evaluator, "new", now=issued_at, days=32)
    status, error = api_get(app, expired)
    assert status == 401
    expiry = issued_at + timedelta(days=30)
    assert error == (
        f"the API token expired at {expiry:%Y-%m-%d %H:%M} UTC; ask an admin for a new one (flask tokens create)"
    )
    assert api_get(app, live)[0] == 200
    assert stored("old").last_used_at is None  # an expired token is not "used"


def test_the_listing_shows_each_tokens_expiry_and_status(app: Flask) -> None:
    evaluator = make_user(Role.EVALUATOR)
    now = datetime.now(UTC)
    issue(evaluator, "live", now=now, days=10)
    issue(evaluator, "lapsed", now=now - timedelta(days=5), days=1)
    issue(evaluator, "dropped", now=now, days=10)
    api_tokens.revoke_token(stored("dropped").id, actor="test", now=now)
    listed = app.test_cli_runner().invoke(args=["tokens", "list"])
    assert listed.exit_code == 0, listed.output
    header, *lines = listed.output.splitlines()
    assert header.split("\t") == ["id", "user", "role", "label", "created", "expires", "last used", "status"]
    rows = {line.split("\t")[3]: line.split("\t") for line in lines}
    assert rows["live"][5] == f"{now + timedelta(days=10):%Y-%m-%d %H:%M}" and rows["live"][7] == "active"
    lapsed_at = now - timedelta(days=4)
    assert rows["lapsed"][5] == f"{lapsed_at:%Y-%m-%d %H:%M}"
    assert rows["lapsed"][7] == f"expired {lapsed_at:%Y-%m-%d %H:%M}"
    assert rows["dropped"][7] == f"revoked {now:%Y-%m-%d %H:%M}"


# --- dying with the user's credentials -----------------------------------------------------------


def cli_action(command: str) -> Callable[[Flask, User], None]:
    def act(app: Flask, user: User) -> None:
        result = app.test_cli_runner().invoke(args=["users", command, "--email", user.email])
        assert result.exit_code == 0, result.output

    return act


def admin_page_action(action: str) -> Callable[[Flask, User], None]:
    def act(app: Flask, user: User) -> None:
        admin = make_user(Role.ADMIN)
        client = app.test_client()
        sign_in(client, admin)
        response = form_post(client, f"/admin/users/{user.id}/{action}")
        assert response.status_code == 302
        assert "Nothing changed" not in client.get("/admin/users").data.decode()

    return act


def own_password_change(app: Flask, user: User) -> None:
    client = app.test_client()
    sign_in(client, user)
    data = {"current": PASSWORD, "new": NEW_PASSWORD, "new_again": NEW_PASSWORD}
    response = form_post(client, "/account/password", data)
    assert response.status_code == 302 and response.headers["Location"].endswith("/account")


@pytest.mark.parametrize(
    ("act", "reason", "because"),
    [
        (cli_action("deactivate"), "user_deactivated", "because its user was deactivated"),
        (cli_action("reset-totp"), "totp_reset", "because its user's authenticator was reset"),
        (admin_page_action("deactivate"), "user_deactivated", "because its user was deactivated"),
        (admin_page_action("reset-totp"), "totp_reset", "because its user's authenticator was reset"),
        (own_password_change, "password_changed", "because its user's password was changed"),
    ],
    ids=["cli-deactivate", "cli-reset-totp", "admin-deactivate", "admin-reset-totp", "account-password"],
)
def test_every_path_that_changes_a_users_credentials_revokes_their_tokens(
    app: Flask, act: Callable[[Flask, User], None], reason: str, because: str
) -> None:
    make_service()
    evaluator = make_user(Role.EVALUATOR)
    other = make_user(Role.EVALUATOR, "other@example.org")
    first, second = issue(evaluator, "first"), issue(evaluator, "second")
    bystander = issue(other, "bystander")
    assert api_get(app, first)[0] == api_get(app, second)[0] == 200

    act(app, evaluator)

    for label, secret in (("first", first), ("second", second)):
        status, error = api_get(app, secret)
        assert status == 401 and error.startswith("the API token has been revoked (at ") and because in error
        token = stored(label)
        assert token.revoked_at is not None and token.revoked_reason == reason
    assert api_get(app, bystander)[0] == 200
    assert stored("bystander").revoked_at is None
    revocations = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "api_token.revoke")).all()
    assert sorted(event.subject for event in revocations) == sorted(
        f"api_token:{stored(label).id}" for label in ("first", "second")
    )
    assert all(f'"reason": "{reason}"' in (event.detail or "") for event in revocations)
    listed = app.test_cli_runner().invoke(args=["tokens", "list", "--email", evaluator.email]).output
    assert listed.count(because) == 2


def test_a_refused_change_revokes_nothing(app: Flask) -> None:
    evaluator = make_user(Role.EVALUATOR)
    secret = issue(evaluator)
    client = app.test_client()
    sign_in(client, evaluator)
    data = {"current": "not my password at all", "new": NEW_PASSWORD, "new_again": NEW_PASSWORD}
    assert form_post(client, "/account/password", data).status_code == 200
    assert api_get(app, secret)[0] == 200
    assert stored("dashboard").revoked_at is None


# --- recording use -------------------------------------------------------------------------------


def test_a_token_used_a_moment_ago_costs_no_write_and_leaves_no_write_transaction_open(app: Flask) -> None:
    """The second request within LAST_USED_RESOLUTION runs no UPDATE: on SQLite an UPDATE that changes no
    row still takes the write lock, and the request held it while computing its figures (webhooks waited)."""
    from sqlalchemy import event

    evaluator = make_user(Role.EVALUATOR)
    secret = issue(evaluator)
    now = datetime.now(UTC)
    api_tokens.authenticate(secret, now=now)
    first = stored("dashboard").last_used_at
    assert first is not None and abs(first - now) < timedelta(seconds=1)
    writes: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE")):
            writes.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        api_tokens.authenticate(secret, now=now + timedelta(seconds=30))
        assert writes == []
        if db.engine.dialect.name == "sqlite":  # and another writer is not kept waiting meanwhile
            import sqlite3

            other = sqlite3.connect(db.engine.url.database, timeout=0.2)
            try:
                other.execute("INSERT INTO audit_event (at, actor, action) VALUES ('2026-11-20 12:00:00', 'p', 'p')")
                other.commit()
            finally:
                other.close()
        api_tokens.authenticate(secret, now=now + api_tokens.LAST_USED_RESOLUTION + timedelta(seconds=1))
        assert len(writes) == 1 and writes[0].lstrip().upper().startswith("UPDATE")
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert stored("dashboard").last_used_at > first
