"""Sessions: who is signed in, for how long, and how a session ends.

Sessions live in Flask's signed cookie. Signing in clears the old session and writes a new one
with a fresh random id, the user's `session_epoch` and the sign-in time. A request is signed out
when the session has been idle longer than `SESSION_IDLE_MINUTES`, is older than
`SESSION_MAX_HOURS`, or carries an older epoch than the user's (bumped by sign-out, lockout,
deactivation and a second-factor reset: the way to end every copy of a cookie we cannot recall).
There is no "remember me".
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any, Final

from flask import Flask, current_app, g, session
from flask.sessions import SecureCookieSessionInterface
from flask_login import login_user, logout_user

from app.extensions import db, login_manager
from app.models import Role, User
from app.models.types import utcnow
from app.security.access import SECOND_FACTOR_SESSION_KEY, may_visit

SESSION_ID_KEY: Final = "sid"
EPOCH_KEY: Final = "epoch"
SIGNED_IN_AT_KEY: Final = "signed_in_at"
SEEN_AT_KEY: Final = "seen_at"
#: Password passed, second factor (or enrolment) still to come: {"user": id, "epoch": n, "at": ts}.
PENDING_KEY: Final = "pending_second_factor"
#: How long a password stays good for finishing the second factor.
PENDING_SECONDS: Final = 300
#: `seen_at` is rewritten at most this often, so every request does not re-issue the cookie.
SEEN_RESOLUTION_SECONDS: Final = 30

#: Where each role lands after signing in.
ROLE_HOMES: Final = {
    Role.ADMIN.value: "/admin",
    Role.EVALUATOR.value: "/evaluate",
    Role.COMMISSIONER.value: "/reports",
    Role.SERVICE_SUBMITTER.value: "/submit",
    Role.ASSESSOR.value: "/assess",
}


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The signed-in user, unless deactivated or their sessions were ended since this one began."""
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active:
        return None
    if session.get(EPOCH_KEY) != user.session_epoch:
        return None
    return user


def home_for(user: Any) -> str:
    """The page a user of this role starts from."""
    return ROLE_HOMES.get(getattr(user, "role", ""), "/")


def _timestamp(now: datetime) -> int:
    return int(now.timestamp())


def start_session(user: User, now: datetime, *, second_factor: bool) -> None:
    """A brand-new session for the user: nothing from before signing in survives."""
    session.clear()
    session[SESSION_ID_KEY] = secrets.token_urlsafe(16)
    session[EPOCH_KEY] = user.session_epoch
    session[SIGNED_IN_AT_KEY] = session[SEEN_AT_KEY] = _timestamp(now)
    if second_factor:
        session[SECOND_FACTOR_SESSION_KEY] = True
    login_user(user, remember=False)


def start_pending(user: User, now: datetime) -> None:
    """The password is right; the second factor is still to come. The visitor is not signed in yet."""
    session.clear()
    session[PENDING_KEY] = {"user": user.id, "epoch": user.session_epoch, "at": _timestamp(now)}


def pending_user(now: datetime) -> User | None:
    """The user who passed the password step in the last few minutes and has not finished signing in."""
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict):
        return None
    if _timestamp(now) - int(pending.get("at", 0)) > PENDING_SECONDS:
        session.pop(PENDING_KEY, None)
        return None
    user = db.session.get(User, int(pending.get("user", 0)))
    if user is None or not user.active or user.session_epoch != pending.get("epoch"):
        session.pop(PENDING_KEY, None)
        return None
    return user


def end_session() -> None:
    """Sign out this browser and forget everything in its session."""
    logout_user()
    session.clear()


def _expired(now: datetime) -> bool:
    config = current_app.config
    signed_in_at = session.get(SIGNED_IN_AT_KEY)
    seen_at = session.get(SEEN_AT_KEY)
    if not isinstance(signed_in_at, int) or not isinstance(seen_at, int):
        return True
    stamp = _timestamp(now)
    too_old = stamp - signed_in_at > timedelta(hours=config["SESSION_MAX_HOURS"]).total_seconds()
    idle = stamp - seen_at > timedelta(minutes=config["SESSION_IDLE_MINUTES"]).total_seconds()
    return too_old or idle


def check_session_age() -> None:
    """Before each request: end a signed-in session that has been idle or open too long; else note activity."""
    # The user and the form token come from this request's own cookie: never ones cached on an app
    # context that outlives requests (as in tests, or code pushing one context for several requests).
    g.pop("_login_user", None)
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    if "_user_id" not in session:
        return
    now = utcnow()
    if _expired(now):
        end_session()
        return
    if _timestamp(now) - int(session[SEEN_AT_KEY]) >= SEEN_RESOLUTION_SECONDS:
        session[SEEN_AT_KEY] = _timestamp(now)


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the cookie's signer built once per set of keys rather than on every
    request (itsdangerous checks its serializer by serialising `{}` each time one is made): most requests
    (webhooks, survey pages, health checks) carry no session at all, and the signer holds no request state."""

    def __init__(self) -> None:
        self._serializers: dict[tuple[Any, ...], Any] = {}

    def get_signing_serializer(self, app: Flask) -> Any:
        """The signer for the app's current secret key and fallbacks, made once for each set of keys."""
        if not app.secret_key:
            return None
        keys = (*(app.config.get("SECRET_KEY_FALLBACKS") or ()), app.secret_key)
        serializer = self._serializers.get(keys)
        if serializer is None:
            serializer = self._serializers[keys] = super().get_signing_serializer(app)
        return serializer


def init_sessions(app: Flask) -> None:
    """Session checks on every request, and `role_home` and `may_visit` for templates."""
    app.session_interface = CookieSessions()
    login_manager.session_protection = "basic"
    app.before_request(check_session_age)
    app.jinja_env.globals["role_home"] = home_for
    app.jinja_env.globals["may_visit"] = may_visit
