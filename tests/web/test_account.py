"""A signed-in user's own account: the /account page, and changing one's password at /account/password."""

from __future__ import annotations

import html
import json

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Role, User
from app.security import sessions
from app.security.access import SECOND_FACTOR_SESSION_KEY
from tests.factories import make_service
from tests.web.sign_in import PASSWORD, form_post, light_password_hashing, make_user, sign_in

pytestmark = pytest.mark.usefixtures("light_password_hashing")
__all__ = ["light_password_hashing"]

NEW_PASSWORD = "a brand new passphrase for stillwell"
HOMES = {"admin": "/admin", "evaluator": "/evaluate", "commissioner": "/reports", "service_submitter": "/submit"}


@pytest.fixture
def people(app: Flask) -> dict[str, User]:
    make_service()
    return {role.value: make_user(role) for role in Role}


def reload(user: User) -> User:
    db.session.expire_all()
    fresh = db.session.get(User, user.id)
    assert fresh is not None
    return fresh


def events(user: User) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.actor == f"user:{user.id}").order_by(AuditEvent.id)
    return list(db.session.scalars(query))


def change(client: FlaskClient, current: str, new: str, again: str | None = None) -> object:
    data = {"current": current, "new": new, "new_again": new if again is None else again}
    return form_post(client, "/account/password", data)


def page(response: object) -> str:
    return html.unescape(response.data.decode())  # type: ignore[attr-defined]


def signed_in_at(client: FlaskClient, path: str) -> bool:
    return client.get(path).status_code == 200


@pytest.mark.parametrize(
    ("role", "label", "organisation", "second_factor"),
    [
        ("admin", "Admin", "All (your role is not tied to one)", "Set up on"),
        ("evaluator", "Evaluator", "All (your role is not tied to one)", "Set up on"),
        ("commissioner", "Commissioner", "Area NE (NE)", "Not needed for your role"),
        ("service_submitter", "Service submitter", "Service TYNE (TYNE)", "Not needed for your role"),
    ],
)
def test_the_account_page_shows_who_you_are(
    app: Flask, people: dict[str, User], role: str, label: str, organisation: str, second_factor: str
) -> None:
    client = app.test_client()
    sign_in(client, people[role])
    response = client.get("/account")
    assert response.status_code == 200
    text = page(response)
    assert "<h1>Your account</h1>" in text
    assert f"{role}@example.org" in text
    assert f"<dd>{label}</dd>" in text
    assert organisation in text
    assert second_factor in text
    assert "Last signed in (UK time)</dt>" in text and "Never" not in text
    assert 'href="/account/password"' in text
    assert 'href="/account">Your account</a>' in text  # in the signed-in navigation
    needs_app = role in ("admin", "evaluator")
    assert ("ask an admin to reset your second factor" in text) is needs_app


@pytest.mark.parametrize("path", ["/account", "/account/password"])
def test_anonymous_visitors_are_sent_to_sign_in(app: Flask, people: dict[str, User], path: str) -> None:
    client = app.test_client()
    response = client.get(path)
    assert response.status_code == 302 and response.headers["Location"] == f"/login?next={path}"
    refused = client.post(path, data={"current": PASSWORD, "new": NEW_PASSWORD, "new_again": NEW_PASSWORD})
    assert refused.status_code in (302, 405)
    assert reload(people["service_submitter"]).session_epoch == 0


@pytest.mark.parametrize("role", ["service_submitter", "admin"])
def test_changing_the_password_keeps_this_session_and_ends_the_others(
    app: Flask, people: dict[str, User], role: str
) -> None:
    user = people[role]
    home = HOMES[role]
    other = app.test_client()
    sign_in(other, user)
    client = app.test_client()
    sign_in(client, user)
    assert signed_in_at(other, home) and signed_in_at(client, home)
    with client.session_transaction() as before:
        old_session_id = before[sessions.SESSION_ID_KEY]
    epoch = reload(user).session_epoch

    response = change(client, PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/account"  # type: ignore[attr-defined]
    assert "Your password has been changed" in page(client.get("/account"))

    assert reload(user).session_epoch == epoch + 1
    assert signed_in_at(client, home)  # this session goes on, second factor included for an admin
    with client.session_transaction() as after:
        assert after[sessions.SESSION_ID_KEY] != old_session_id
        assert after[sessions.EPOCH_KEY] == epoch + 1
        assert bool(after.get(SECOND_FACTOR_SESSION_KEY)) is (role == "admin")
    assert not signed_in_at(other, home)  # the other browser is signed out
    assert other.get(home).headers["Location"].startswith("/login")

    changed = [event for event in events(user) if event.action == "auth.password_changed"]
    assert len(changed) == 1
    assert PASSWORD not in (changed[0].detail or "") and NEW_PASSWORD not in (changed[0].detail or "")

    # the old password no longer signs in; the new one does
    stranger = app.test_client()
    old = form_post(stranger, "/login", {"email": f"{role}@example.org", "password": PASSWORD})
    assert old.status_code == 200 and "not right" in page(old)
    sign_in(app.test_client(), user, password=NEW_PASSWORD)


def test_a_wrong_current_password_is_refused_and_counted(app: Flask, people: dict[str, User]) -> None:
    user = people["service_submitter"]
    client = app.test_client()
    sign_in(client, user)
    hash_before = reload(user).password_hash

    response = change(client, "not my password at all", NEW_PASSWORD)
    assert response.status_code == 200  # type: ignore[attr-defined]
    text = page(response)
    assert "<title>Error: Change your password" in text
    assert 'class="error-summary"' in text and '<a href="#current">Your current password is not right</a>' in text
    assert 'id="current-error-1"' in text and 'aria-invalid="true"' in text
    fresh = reload(user)
    assert fresh.password_hash == hash_before and fresh.failed_logins == 1
    failed = [json.loads(e.detail or "{}") for e in events(user) if e.action == "auth.login_failed"]
    assert failed[-1]["step"] == "password_change"
    assert signed_in_at(client, "/account")  # one mistake does not sign anyone out


def test_wrong_current_passwords_lock_the_account_like_failed_sign_ins(app: Flask, people: dict[str, User]) -> None:
    user = people["service_submitter"]
    other = app.test_client()
    sign_in(other, user)
    client = app.test_client()
    sign_in(client, user)
    attempts = app.config["LOGIN_LOCKOUT_ATTEMPTS"]
    for _ in range(attempts - 1):
        assert change(client, "still not my password", NEW_PASSWORD).status_code == 200  # type: ignore[attr-defined]
    last = change(client, "still not my password", NEW_PASSWORD)
    assert last.status_code == 302 and last.headers["Location"] == "/login"  # type: ignore[attr-defined]
    fresh = reload(user)
    assert fresh.locked_until is not None and fresh.password_hash != ""
    assert "auth.locked" in [event.action for event in events(user)]
    assert not signed_in_at(client, "/account") and not signed_in_at(other, "/account")
    refused = form_post(app.test_client(), "/login", {"email": "service_submitter@example.org", "password": PASSWORD})
    assert refused.status_code == 200  # locked for a while, even with the right password


def test_failed_sign_ins_and_password_changes_count_together(app: Flask, people: dict[str, User]) -> None:
    user = people["commissioner"]
    client = app.test_client()
    sign_in(client, user)
    attacker = app.test_client()
    for _ in range(app.config["LOGIN_LOCKOUT_ATTEMPTS"] - 1):
        form_post(attacker, "/login", {"email": "commissioner@example.org", "password": "guessing wrongly"})
    assert reload(user).failed_logins == app.config["LOGIN_LOCKOUT_ATTEMPTS"] - 1
    response = change(client, "guessing wrongly", NEW_PASSWORD)
    assert response.headers["Location"] == "/login"  # type: ignore[attr-defined]
    assert reload(user).locked_until is not None


@pytest.mark.parametrize(
    ("new", "again", "field", "message"),
    [
        (
            "too short",
            "too short",
            "new",
            "The new password is too weak: the password must have at least 12 characters",
        ),
        (" spaces around it ", " spaces around it ", "new", "must not start or end with spaces"),
        (NEW_PASSWORD, NEW_PASSWORD + "x", "new_again", "The two new passwords are different"),
        ("", "", "new", "Enter a new password"),
        (PASSWORD, PASSWORD, "new", "must be different from your current one"),
    ],
)
def test_weak_or_mismatched_new_passwords_are_refused_with_field_errors(
    app: Flask, people: dict[str, User], new: str, again: str, field: str, message: str
) -> None:
    user = people["service_submitter"]
    client = app.test_client()
    sign_in(client, user)
    before = reload(user)
    hash_before, epoch_before = before.password_hash, before.session_epoch

    response = change(client, PASSWORD, new, again)
    assert response.status_code == 200  # type: ignore[attr-defined]
    text = page(response)
    assert "There is a problem" in text and f'<a href="#{field}">' in text
    assert f'id="{field}-error-1"' in text and message in text
    fresh = reload(user)
    assert fresh.password_hash == hash_before and fresh.session_epoch == epoch_before
    assert fresh.failed_logins == 0  # the right current password: nothing counted
    assert "auth.password_changed" not in [event.action for event in events(user)]
    assert signed_in_at(client, "/account")


def test_an_empty_form_asks_for_every_field(app: Flask, people: dict[str, User]) -> None:
    client = app.test_client()
    sign_in(client, people["service_submitter"])
    text = page(client.post("/account/password", data={}))
    for anchor, message in [
        ("current", "Enter your current password"),
        ("new", "Enter a new password"),
        ("new_again", "Enter the new password again"),
    ]:
        assert f'<a href="#{anchor}">{message}</a>' in text
    assert reload(people["service_submitter"]).failed_logins == 0


def test_changing_the_password_needs_a_csrf_token(app: Flask, people: dict[str, User]) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    user = people["service_submitter"]
    client = app.test_client()
    sign_in(client, user)
    form = {"current": PASSWORD, "new": NEW_PASSWORD, "new_again": NEW_PASSWORD}
    refused = client.post("/account/password", data=form)
    assert refused.status_code == 400
    assert reload(user).session_epoch == 0 and signed_in_at(client, "/account")
    response = change(client, PASSWORD, NEW_PASSWORD)  # with the page's token
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert reload(user).session_epoch == 1 and signed_in_at(client, "/account")


def test_the_password_page_is_labelled_for_password_managers(app: Flask, people: dict[str, User]) -> None:
    client = app.test_client()
    sign_in(client, people["evaluator"])
    text = page(client.get("/account/password"))
    assert '<label for="current">Current password</label>' in text
    assert 'autocomplete="current-password"' in text and text.count('autocomplete="new-password"') == 2
    assert 'id="new-hint"' in text and "<script" not in text and "style=" not in text
