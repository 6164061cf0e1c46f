"""The two steps after the password (/account/totp/enrol, /login/totp): who is sent where before either shows."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.models import Role
from app.security import sessions
from tests.factories import make_service
from tests.web.sign_in import PASSWORD, form_post, light_password_hashing, make_user, sign_in

pytestmark = pytest.mark.usefixtures("light_password_hashing")
__all__ = ["light_password_hashing"]

ENROL, CODE = "/account/totp/enrol", "/login/totp"


def after_password(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    assert form_post(client, "/login", {"email": email, "password": PASSWORD}).status_code == 302
    return client


@pytest.mark.parametrize("path", [ENROL, CODE])
def test_without_the_password_step_both_go_back_to_sign_in(app: Flask, path: str) -> None:
    client = app.test_client()
    response = client.get(path)
    assert (response.status_code, response.headers["Location"]) == (302, "/login")
    assert "Please sign in again." in client.get("/login").get_data(as_text=True)
    assert client.post(path, data={"code": "123456"}).headers["Location"] == "/login"


@pytest.mark.parametrize("path", [ENROL, CODE])
def test_an_expired_password_step_goes_back_to_sign_in(app: Flask, path: str) -> None:
    make_user(Role.EVALUATOR)
    client = after_password(app, "evaluator@example.org")
    with client.session_transaction() as session:
        pending = session[sessions.PENDING_KEY]
        session[sessions.PENDING_KEY] = {**pending, "at": pending["at"] - sessions.PENDING_SECONDS - 1}
    assert client.get(path).headers["Location"] == "/login"
    with client.session_transaction() as session:
        assert sessions.PENDING_KEY not in session


def test_each_user_is_sent_to_their_own_step(app: Flask) -> None:
    new = make_user(Role.EVALUATOR)
    client = after_password(app, new.email)
    assert client.get(CODE).headers["Location"] == ENROL  # no app set up yet
    assert client.get(ENROL).status_code == 200

    enrolled = make_user(Role.ADMIN)
    sign_in(app.test_client(), enrolled)
    client = after_password(app, enrolled.email)
    assert client.get(ENROL).headers["Location"] == CODE  # set up already: no new secret
    assert client.get(CODE).status_code == 200


@pytest.mark.parametrize("path", [ENROL, CODE])
def test_signed_in_users_go_home(app: Flask, path: str) -> None:
    make_service()
    client = app.test_client()
    sign_in(client, make_user(Role.EVALUATOR))
    assert client.get(path).headers["Location"] == "/evaluate"
