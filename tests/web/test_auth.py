"""Signing in: passwords, the TOTP second factor and its enrolment, lockout, throttling, sessions, cookies."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Role, User
from app.security import sessions, totp
from app.services.access import users as user_service
from config import ProductionConfig
from tests.factories import make_service
from tests.web.sign_in import PASSWORD, current_code, form_post, light_password_hashing, make_user, sign_in

pytestmark = pytest.mark.usefixtures("light_password_hashing")
__all__ = ["light_password_hashing"]  # a fixture, used by every test here


@pytest.fixture
def people(app: Flask) -> dict[str, User]:
    make_service()
    return {
        "submitter": make_user(Role.SERVICE_SUBMITTER),
        "evaluator": make_user(Role.EVALUATOR),
        "admin": make_user(Role.ADMIN),
    }


def actions(user: User | None = None) -> list[str]:
    query = select(AuditEvent.action).order_by(AuditEvent.id)
    if user is not None:
        query = query.where(AuditEvent.actor == f"user:{user.id}")
    return list(db.session.scalars(query))


def reload(user: User) -> User:
    db.session.expire_all()
    fresh = db.session.get(User, user.id)
    assert fresh is not None
    return fresh


def login(client: FlaskClient, email: str, password: str, path: str = "/login") -> object:
    return form_post(client, path, {"email": email, "password": password})


def signed_in(client: FlaskClient, path: str = "/submit") -> bool:
    response = client.get(path)
    return response.status_code == 200


def test_submitter_signs_in_with_a_password_and_lands_on_their_home(app: Flask, people: dict[str, User]) -> None:
    client = app.test_client()
    response = login(client, "SERVICE_SUBMITTER@example.org ", PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/submit"
    assert signed_in(client)
    user = reload(people["submitter"])
    assert user.last_login_at is not None and user.failed_logins == 0
    assert actions(user)[-1] == "auth.login"


def test_failures_say_the_same_whether_or_not_the_email_exists(app: Flask, people: dict[str, User]) -> None:
    client = app.test_client()
    wrong_password = login(client, "service_submitter@example.org", "not the password at all")
    unknown = login(client, "nobody@example.org", "not the password at all")
    assert wrong_password.status_code == unknown.status_code == 200

    def error_text(response: object) -> str:
        html = response.data.decode()  # type: ignore[attr-defined]
        return re.search(r'<div class="error-summary".*?</div>', html, re.S).group(0)  # type: ignore[union-attr]

    assert error_text(wrong_password) == error_text(unknown)
    assert "not right" in error_text(unknown)
    assert not signed_in(client)
    assert actions().count("auth.login_failed") == 2
    details = [event.detail or "" for event in db.session.scalars(select(AuditEvent))]
    assert not any("nobody@example.org" in detail for detail in details)  # never an email in the audit detail


def test_evaluator_enrols_with_a_qr_code_then_needs_a_code_every_time(app: Flask, people: dict[str, User]) -> None:
    evaluator = people["evaluator"]
    client = app.test_client()
    response = login(client, "evaluator@example.org", PASSWORD)
    assert response.headers["Location"] == "/account/totp/enrol"
    assert client.get("/admin").headers["Location"].startswith("/login")  # the password alone signs nobody in

    page = client.get("/account/totp/enrol")
    html = page.data.decode()
    assert page.status_code == 200 and '<svg role="img"' in html and "<title>QR code" in html
    stored = reload(evaluator).totp_secret_enc
    assert stored is not None
    secret = totp.decrypt_secret(stored)
    assert secret not in stored  # encrypted at rest
    assert totp.display_secret(secret) in html  # and shown for typing in by hand
    assert client.get("/account/totp/enrol").data.decode().count(totp.display_secret(secret)) == 1  # same secret

    wrong = form_post(client, "/account/totp/enrol", {"code": "000000"})
    assert wrong.status_code == 200 and "not right" in wrong.data.decode()
    assert reload(evaluator).totp_confirmed_at is None

    done = form_post(client, "/account/totp/enrol", {"code": current_code(evaluator.id)})
    assert done.status_code == 302 and done.headers["Location"] == "/evaluate"
    assert reload(evaluator).totp_confirmed_at is not None
    assert "auth.totp_enrolled" in actions(evaluator) and actions(evaluator)[-1] == "auth.login"

    client.post("/logout")
    again = login(client, "evaluator@example.org", PASSWORD)
    assert again.headers["Location"] == "/login/totp"
    code = current_code(evaluator.id)
    assert form_post(client, "/login/totp", {"code": code}).headers["Location"] == "/evaluate"

    client.post("/logout")
    login(client, "evaluator@example.org", PASSWORD)
    replay = form_post(client, "/login/totp", {"code": code})
    assert replay.status_code == 200 and "used already" in replay.data.decode()  # a code works once


def test_code_check_accepts_one_step_of_drift_and_never_a_used_step() -> None:
    secret = pyotp.random_base32()
    now = datetime(2026, 11, 20, 12, 0, 10, tzinfo=UTC)
    otp = pyotp.TOTP(secret)
    step = otp.timecode(now)
    assert totp.matching_step(secret, otp.at(now), now, None) == step
    assert totp.matching_step(secret, otp.at(now - timedelta(seconds=30)), now, None) == step - 1
    assert totp.matching_step(secret, otp.at(now + timedelta(seconds=30)), now, None) == step + 1
    assert totp.matching_step(secret, otp.at(now - timedelta(seconds=60)), now, None) is None
    assert totp.matching_step(secret, otp.at(now), now, step) is None
    spaced = otp.at(now)[:3] + " " + otp.at(now)[3:]
    assert totp.matching_step(secret, spaced, now, step - 1) == step
    assert totp.matching_step(secret, "12345", now, None) is None


def test_five_failures_lock_the_account_for_fifteen_minutes(app: Flask, people: dict[str, User]) -> None:
    submitter = people["submitter"]
    client = app.test_client()
    for _ in range(5):
        login(client, "service_submitter@example.org", "wrong password here")
    user = reload(submitter)
    assert user.locked_until is not None
    assert timedelta(minutes=14) < user.locked_until - datetime.now(UTC) <= timedelta(minutes=15)
    assert "auth.locked" in actions(user)
    refused = login(client, "service_submitter@example.org", PASSWORD)  # even the right password
    assert refused.status_code == 200 and not signed_in(client)

    user.locked_until = datetime.now(UTC) - timedelta(seconds=1)  # the lock runs out
    db.session.commit()
    assert login(client, "service_submitter@example.org", PASSWORD).headers["Location"] == "/submit"


def test_wrong_codes_count_towards_the_lockout(app: Flask, people: dict[str, User]) -> None:
    admin = people["admin"]
    sign_in(app.test_client(), admin)  # enrolled
    client = app.test_client()
    login(client, "admin@example.org", "wrong password here")
    login(client, "admin@example.org", "wrong password here")
    login(client, "admin@example.org", PASSWORD)
    form_post(client, "/login/totp", {"code": "000000"})
    form_post(client, "/login/totp", {"code": "000001"})
    locked = form_post(client, "/login/totp", {"code": "000002"})
    assert locked.status_code == 302 and locked.headers["Location"] == "/login"
    assert reload(admin).locked_until is not None
    steps = [json.loads(e.detail or "{}").get("step") for e in db.session.scalars(select(AuditEvent))]
    assert steps.count("totp") == 3 and steps.count("password") == 2


def test_a_lockout_ends_existing_sessions(app: Flask, people: dict[str, User]) -> None:
    client = app.test_client()
    sign_in(client, people["submitter"])
    assert signed_in(client)
    attacker = app.test_client()
    for _ in range(5):
        login(attacker, "service_submitter@example.org", "wrong password here")
    assert not signed_in(client)


def test_sign_in_posts_are_throttled(app: Flask, people: dict[str, User]) -> None:
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    client = app.test_client()
    statuses = [
        client.post("/login", data={"email": "nobody@example.org", "password": "x" * 12}).status_code for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    # another account from the same address still gets its own allowance
    assert login(client, "service_submitter@example.org", PASSWORD).status_code == 302


def test_signing_in_starts_a_new_session(app: Flask, people: dict[str, User]) -> None:
    client = app.test_client()
    with client.session_transaction() as before:
        before["planted"] = "by someone else"
    sign_in(client, people["submitter"])
    with client.session_transaction() as after:
        assert "planted" not in after
        first_id = after[sessions.SESSION_ID_KEY]
        assert after[sessions.EPOCH_KEY] == reload(people["submitter"]).session_epoch
    client.post("/logout")
    sign_in(client, people["submitter"])
    with client.session_transaction() as again:
        assert again[sessions.SESSION_ID_KEY] != first_id


@pytest.mark.parametrize(
    ("key", "age"),
    [(sessions.SEEN_AT_KEY, timedelta(minutes=31)), (sessions.SIGNED_IN_AT_KEY, timedelta(hours=12, minutes=1))],
)
def test_idle_and_old_sessions_end(app: Flask, people: dict[str, User], key: str, age: timedelta) -> None:
    client = app.test_client()
    sign_in(client, people["submitter"])
    with client.session_transaction() as session:
        session[key] = int((datetime.now(UTC) - age).timestamp())
    response = client.get("/submit")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")


def test_a_recent_session_stays_signed_in(app: Flask, people: dict[str, User]) -> None:
    client = app.test_client()
    sign_in(client, people["submitter"])
    with client.session_transaction() as session:
        session[sessions.SEEN_AT_KEY] = int((datetime.now(UTC) - timedelta(minutes=29)).timestamp())
    assert signed_in(client)


def test_a_new_secret_key_keeps_sessions_only_through_its_fallbacks(app: Flask, people: dict[str, User]) -> None:
    """Sessions are signed with SECRET_KEY (the signer is made once per set of keys): after a rotation, a
    session signed with the old key stays valid while the old key is in SECRET_KEY_FALLBACKS, and not after."""
    client = app.test_client()
    sign_in(client, people["submitter"])
    old_key = app.secret_key
    app.secret_key = app.config["SECRET_KEY"] = "a-rotated-secret-key-for-this-test"
    app.config["SECRET_KEY_FALLBACKS"] = []
    assert not signed_in(client)  # a signature it cannot check: no session (the cookie is left as it was)
    app.config["SECRET_KEY_FALLBACKS"] = [old_key]
    assert signed_in(client)


def test_signing_out_ends_every_copy_of_the_session(app: Flask, people: dict[str, User]) -> None:
    client = app.test_client()
    sign_in(client, people["submitter"])
    stolen = client.get_cookie("session")
    assert stolen is not None
    response = client.post("/logout")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert "auth.logout" in actions(people["submitter"])
    replay = app.test_client()
    replay.set_cookie("session", stolen.value)
    assert not signed_in(replay)


def test_deactivated_users_are_signed_out_and_cannot_sign_in(app: Flask, people: dict[str, User]) -> None:
    client = app.test_client()
    sign_in(client, people["submitter"])
    user_service.deactivate_user(people["submitter"], actor="test", now=datetime.now(UTC))
    assert not signed_in(client)
    assert login(client, "service_submitter@example.org", PASSWORD).status_code == 200


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/submit/withdraw", "/submit/withdraw"),
        ("/submit?page=2", "/submit?page=2"),
        ("//evil.example.org/x", "/submit"),
        ("https://evil.example.org/", "/submit"),
        ("/\\evil.example.org", "/submit"),
        ("/login", "/submit"),
        ("javascript:alert(1)", "/submit"),
    ],
)
def test_next_only_leads_to_this_site(app: Flask, people: dict[str, User], target: str, expected: str) -> None:
    client = app.test_client()
    from urllib.parse import quote

    response = login(client, "service_submitter@example.org", PASSWORD, path=f"/login?next={quote(target)}")
    assert response.headers["Location"] == expected


def test_next_survives_the_second_factor(app: Flask, people: dict[str, User]) -> None:
    sign_in(app.test_client(), people["admin"])
    client = app.test_client()
    assert client.get("/admin/users").headers["Location"] == "/login?next=/admin/users"
    login(client, "admin@example.org", PASSWORD, path="/login?next=/admin/users")
    response = form_post(client, "/login/totp", {"code": current_code(people["admin"].id)})
    assert response.headers["Location"] == "/admin/users"


def test_forms_need_a_csrf_token(app: Flask, people: dict[str, User]) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    refused = client.post("/login", data={"email": "service_submitter@example.org", "password": PASSWORD})
    assert refused.status_code == 400
    assert login(client, "service_submitter@example.org", PASSWORD).status_code == 302  # with the page's token
    assert client.post("/logout").status_code == 400  # signing out is a form too
    assert signed_in(client)


def test_cookies_are_http_only_and_lax_and_secure_in_production(db_url: str, people: dict[str, User]) -> None:
    from tests.conftest import make_app

    assert ProductionConfig.SESSION_COOKIE_SECURE and ProductionConfig.REMEMBER_COOKIE_SECURE
    secure_app = make_app(db_url, SESSION_COOKIE_SECURE=True)
    with secure_app.app_context():
        client = secure_app.test_client()
        response = login(client, "service_submitter@example.org", PASSWORD)
        cookie = response.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
        assert "Expires" not in cookie  # ends with the browser; the server enforces the timeouts
        assert "remember_token" not in " ".join(response.headers.getlist("Set-Cookie"))
        db.session.remove()
        db.engine.dispose()


def test_cli_unlocks_resets_and_deactivates(app: Flask, people: dict[str, User]) -> None:
    runner = app.test_cli_runner()
    admin = people["admin"]
    sign_in(app.test_client(), admin)
    admin.locked_until = datetime.now(UTC) + timedelta(minutes=10)
    db.session.commit()
    result = runner.invoke(args=["users", "unlock", "--email", "admin@example.org"])
    assert result.exit_code == 0, result.output
    assert reload(admin).locked_until is None

    result = runner.invoke(args=["users", "reset-totp", "--email", "admin@example.org"])
    assert result.exit_code == 0, result.output
    assert reload(admin).totp_secret_enc is None and reload(admin).totp_confirmed_at is None
    assert login(app.test_client(), "admin@example.org", PASSWORD).headers["Location"] == "/account/totp/enrol"

    result = runner.invoke(args=["users", "reset-totp", "--email", "service_submitter@example.org"])
    assert result.exit_code != 0 and "no second factor" in result.output
    result = runner.invoke(args=["users", "deactivate", "--email", "nobody@example.org"])
    assert result.exit_code != 0 and "no user with that email" in result.output and "Traceback" not in result.output
    result = runner.invoke(args=["users", "deactivate", "--email", "service_submitter@example.org"])
    assert result.exit_code == 0 and reload(people["submitter"]).active is False
    assert {"user.unlock", "user.totp_reset", "user.deactivate"} <= set(actions())


def test_the_password_step_expires_after_five_minutes(app: Flask, people: dict[str, User]) -> None:
    sign_in(app.test_client(), people["admin"])
    client = app.test_client()
    login(client, "admin@example.org", PASSWORD)
    with client.session_transaction() as session:
        pending = session[sessions.PENDING_KEY]
        session[sessions.PENDING_KEY] = {**pending, "at": pending["at"] - sessions.PENDING_SECONDS - 1}
    response = form_post(client, "/login/totp", {"code": current_code(people["admin"].id)})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert client.get("/login/totp").headers["Location"] == "/login"


def test_an_admin_session_without_the_second_factor_is_ended(app: Flask, people: dict[str, User]) -> None:
    client = app.test_client()
    sign_in(client, people["admin"])
    assert client.get("/admin").status_code == 200
    with client.session_transaction() as session:
        del session["second_factor"]
    response = client.get("/admin")
    assert response.status_code == 302 and response.headers["Location"] == "/login?next=/admin"
    with client.session_transaction() as session:
        assert "_user_id" not in session


def test_signed_in_users_are_sent_home_from_the_sign_in_pages(app: Flask, people: dict[str, User]) -> None:
    client = app.test_client()
    sign_in(client, people["submitter"])
    for path in ("/login", "/login/totp", "/account/totp/enrol"):
        assert client.get(path).headers["Location"] == "/submit", path
