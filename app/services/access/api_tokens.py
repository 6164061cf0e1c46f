"""Bearer tokens for the JSON API: shown once when created, kept only as a SHA-256, revocable.

A token expires (DEFAULT_DAYS after it is issued unless `days` says otherwise) and dies with its user's
credentials: `revoke_user_tokens` is called by every path that deactivates a user, resets their
authenticator or changes their password (app.services.access.users).

A token is 256 random bits (`secrets.token_urlsafe(32)`), so a plain SHA-256 is enough to keep it
safe at rest (no salt or slow hash is needed for a value nobody could guess), and it lets a
request find its token with one indexed look-up.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import or_, select, update

from app.domain.discharge_list import normalise_email
from app.extensions import db
from app.models import ApiToken, User
from app.services import audit
from app.services.errors import NotFound, ServiceError

#: last_used_at is written at most this often per token, so reading the API costs no write per request.
LAST_USED_RESOLUTION: Final = timedelta(minutes=1)
LABEL_MAX: Final = 100
#: how long a token lives unless `flask tokens create --days N` says otherwise (SPEC section 8.6)
DEFAULT_DAYS: Final = 90
MAX_DAYS: Final = 366

#: why a token was revoked, as stored in `ApiToken.revoked_reason`, and how a refusal says it
REVOKED_BY_HAND: Final = "revoked"
USER_DEACTIVATED: Final = "user_deactivated"
TOTP_RESET: Final = "totp_reset"
PASSWORD_CHANGED: Final = "password_changed"  # noqa: S105  (a reason, not a password)
REVOKED_BECAUSE: Final = {
    REVOKED_BY_HAND: "",
    USER_DEACTIVATED: " because its user was deactivated",
    TOTP_RESET: " because its user's authenticator was reset",
    PASSWORD_CHANGED: " because its user's password was changed",
}


class TokenRefused(ServiceError):
    """A bearer token that does not let anyone in: missing, unknown, revoked, expired, or its user inactive."""


@dataclass(frozen=True)
class IssuedToken:
    """A new token: `secret` is the only copy of the token text; it is never stored or shown again."""

    token: ApiToken
    secret: str


def token_hash(secret: str) -> str:
    """The SHA-256 (hex) a token is stored and looked up by."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _user_by_email(email: str) -> User:
    address = normalise_email(email) or email.strip().lower()
    user: User | None = db.session.scalar(select(User).where(User.email == address))
    if user is None:
        raise NotFound("no user has that email address (create one with: flask users create)")
    return user


def create_token(email: str, label: str, *, actor: str, now: datetime, days: int = DEFAULT_DAYS) -> IssuedToken:
    """Issue a token for a user, valid for `days` days; the caller shows `secret` once."""
    if not 1 <= days <= MAX_DAYS:
        raise ServiceError(f"a token lives from 1 to {MAX_DAYS} days (--days), not {days}")
    label = label.strip()
    if not label:
        raise ServiceError("a token needs a label saying what it is for (--label)")
    if len(label) > LABEL_MAX:
        raise ServiceError(f"a token label has at most {LABEL_MAX} characters")
    user = _user_by_email(email)
    if not user.active:
        raise ServiceError("that user is deactivated; tokens are only issued to active users")
    secret = secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        token_hash=token_hash(secret),
        label=label,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    db.session.add(token)
    db.session.flush()
    audit.record(actor, "api_token.create", now, subject=f"api_token:{token.id}", user=f"user:{user.id}", days=days)
    db.session.commit()
    return IssuedToken(token=token, secret=secret)


def list_tokens(email: str | None = None) -> list[tuple[ApiToken, User]]:
    """Tokens (never their text), oldest first, optionally of one user."""
    query = select(ApiToken, User).join(User, User.id == ApiToken.user_id).order_by(ApiToken.id)
    if email is not None:
        query = query.where(User.id == _user_by_email(email).id)
    return [(token, user) for token, user in db.session.execute(query)]


def status_of(token: ApiToken, now: datetime) -> str:
    """ "active", "expired" or "revoked", with when (and why it was revoked), for listings."""
    if token.revoked_at is not None:
        return f"revoked {token.revoked_at:%Y-%m-%d %H:%M}{REVOKED_BECAUSE.get(token.revoked_reason or '', '')}"
    if token.expires_at <= now:
        return f"expired {token.expires_at:%Y-%m-%d %H:%M}"
    return "active"


def revoke_token(token_id: int, *, actor: str, now: datetime) -> ApiToken:
    """Revoke a token at once; revoking twice is an error so a typo in the id is noticed."""
    token = db.session.get(ApiToken, token_id) if 1 <= token_id <= 2**31 - 1 else None
    if token is None:
        raise NotFound(f"no API token has id {token_id} (see: flask tokens list)")
    if token.revoked_at is not None:
        raise ServiceError(f"API token {token_id} was already revoked at {token.revoked_at:%Y-%m-%d %H:%M} UTC")
    token.revoked_at = now
    token.revoked_reason = REVOKED_BY_HAND
    audit.record(actor, "api_token.revoke", now, subject=f"api_token:{token.id}")
    db.session.commit()
    return token


def revoke_user_tokens(user: User, reason: str, *, actor: str, now: datetime) -> int:
    """Revoke every live token of a user whose credentials changed (`reason`: USER_DEACTIVATED, TOTP_RESET
    or PASSWORD_CHANGED); the caller commits with its own change. Returns how many were revoked."""
    if reason not in REVOKED_BECAUSE or reason == REVOKED_BY_HAND:
        raise ValueError(f"unknown reason for revoking a user's tokens: {reason!r}")
    live = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)).order_by(ApiToken.id)
    ).all()
    for token in live:
        token.revoked_at = now
        token.revoked_reason = reason
        audit.record(actor, "api_token.revoke", now, subject=f"api_token:{token.id}", reason=reason)
    return len(live)


def authenticate(secret: str | None, *, now: datetime) -> User:
    """The active user a bearer token belongs to; TokenRefused says why not."""
    if not secret:
        raise TokenRefused("an API token is required: send the header 'Authorization: Bearer <token>'")
    row = db.session.execute(
        select(
            ApiToken.id, ApiToken.revoked_at, ApiToken.revoked_reason, ApiToken.expires_at, ApiToken.last_used_at, User
        )
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == token_hash(secret))
    ).first()
    if row is None:
        raise TokenRefused("the API token is not valid")
    token_id, revoked_at, revoked_reason, expires_at, last_used_at, user = row
    if revoked_at is not None:
        because = REVOKED_BECAUSE.get(revoked_reason or "", "")
        raise TokenRefused(f"the API token has been revoked (at {revoked_at:%Y-%m-%d %H:%M} UTC{because})")
    if expires_at <= now:
        raise TokenRefused(
            f"the API token expired at {expires_at:%Y-%m-%d %H:%M} UTC;"
            " ask an admin for a new one (flask tokens create)"
        )
    if not user.active:
        raise TokenRefused("the account this API token belongs to is deactivated")
    if last_used_at is None or last_used_at < now - LAST_USED_RESOLUTION:
        _touch(token_id, now)
    return user


def _touch(token_id: int, now: datetime) -> None:
    """Record use (at most once per LAST_USED_RESOLUTION: the caller read `last_used_at`), committed at once.

    No UPDATE runs when the use was recorded a moment ago: on SQLite even an UPDATE that changes no row
    takes the database's write lock, which the request then held while it computed its figures (half a
    second of `stats/summary`), keeping every webhook waiting. The condition is repeated in the UPDATE, so
    two requests at once record the use once."""
    db.session.execute(
        update(ApiToken)
        .where(
            ApiToken.id == token_id,
            or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < now - LAST_USED_RESOLUTION),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()  # even when another request recorded it first: no write transaction stays open
