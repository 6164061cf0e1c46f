"""Signing test clients in through the real pages: /login, then /account/totp/enrol or /login/totp.

`make_user` creates a user of a role (with a service or an area where the role needs one);
`sign_in(client, user)` signs a Flask test client in as it, computing TOTP codes with pyotp from the
secret the app stored, exactly as a phone would. Works with CSRF protection on or off.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import Any

import pyotp
import pytest
from argon2 import PasswordHasher
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import Area, Role, Service, User
from app.security import totp
from app.services.access import users as user_service

PASSWORD = "correct horse battery staple"
#: argon2 at its lightest, for tests only: hashes carry their parameters, so verifying stays correct.
LIGHT_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture
def light_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap argon2 for the many accounts tests create (import this fixture into a test module and use it)."""
    monkeypatch.setattr("app.security.passwords._hasher", LIGHT_HASHER)


def csrf_token(html: str | bytes) -> str | None:
    """The CSRF token of the first form on a page, if it has one."""
    text = html.decode() if isinstance(html, bytes) else html
    match = _CSRF.search(text)
    return match.group(1) if match else None


def form_post(client: FlaskClient, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    """GET the page for its CSRF token (when it has one), then POST the form to it."""
    page = client.get(path)
    token = csrf_token(page.data)
    payload = dict(data or {})
    if token:
        payload.setdefault("csrf_token", token)
    return client.post(path, data=payload, **kwargs)


def make_user(
    role: Role | str,
    email: str | None = None,
    *,
    service: Service | None = None,
    area: Area | None = None,
    password: str = PASSWORD,
) -> User:
    """A user of the role; submitters get `service` (or the first service), commissioners `area` (or the first)."""
    role = Role(role)
    service_code = area_code = None
    if role is Role.SERVICE_SUBMITTER:
        service = service or db.session.scalars(select(Service).order_by(Service.id)).first()
        assert service is not None, "create a service before a service_submitter"
        service_code = service.code
    elif role is Role.COMMISSIONER:
        area = area or db.session.scalars(select(Area).order_by(Area.id)).first()
        assert area is not None, "create an area before a commissioner"
        area_code = area.code
    return user_service.create_user(
        email or f"{role.value}@example.org",
        role.value,
        password,
        service_code=service_code,
        area_code=area_code,
        actor="test",
        now=datetime.now(UTC),
    )


def current_code(user_id: int, *, wait: bool = True) -> str:
    """A TOTP code the app will accept now for the user: never one of a step already used.

    When every step around now was used, `wait` waits for the next one (up to 30 s); without it the
    used step is forgotten in the database instead, which only a test helper may do.
    """
    while True:
        db.session.expire_all()
        user = db.session.get(User, user_id)
        assert user is not None and user.totp_secret_enc is not None
        secret = totp.decrypt_secret(user.totp_secret_enc)
        otp = pyotp.TOTP(secret)
        now = datetime.now(UTC)
        current = otp.timecode(now)
        # The current step first, then the next: the app accepts a step either side of its own, so a code
        # of the previous step is refused when a 30-second boundary passes before the form is posted.
        for step in (current, current + 1):
            if user.totp_last_step is None or step > user.totp_last_step:
                return str(otp.generate_otp(step))
        if not wait:
            # Signing the same user in again and again: behave as if the phone's next code had come.
            user.totp_last_step = current - 1
            db.session.commit()
            continue
        time.sleep(1)  # every step in the window was used: wait for the next one


def sign_in(client: FlaskClient, user: User | int, password: str = PASSWORD) -> Any:
    """Sign the client in as the user through the real forms; returns the final response (not followed)."""
    user_id = user if isinstance(user, int) else user.id
    db.session.expire_all()
    account = db.session.get(User, user_id)
    assert account is not None
    email = account.email
    response = form_post(client, "/login", {"email": email, "password": password})
    assert response.status_code == 302, f"sign-in of user {user_id} failed: {response.status_code}"
    location = response.headers["Location"]
    if location.startswith("/account/totp/enrol"):
        client.get("/account/totp/enrol")  # makes the secret
        response = form_post(client, "/account/totp/enrol", {"code": current_code(user_id, wait=False)})
    elif location.startswith("/login/totp"):
        response = form_post(client, "/login/totp", {"code": current_code(user_id, wait=False)})
    assert response.status_code == 302, f"second factor of user {user_id} failed: {response.status_code}"
    assert not response.headers["Location"].startswith("/login"), response.headers["Location"]
    return response
