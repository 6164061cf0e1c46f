"""User accounts: creating them (admin operation), signing in with lockout, the TOTP second factor.

Every sign-in step is audited (`auth.login`, `auth.login_failed`, `auth.locked`, `auth.logout`,
`auth.totp_enrolled`, `auth.password_changed`). Failures of the password and of the second factor count
together towards the lockout, and a lockout ends every session of the user (`session_epoch`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import func, select

from app.domain.discharge_list import normalise_email
from app.extensions import db
from app.models import Area, Role, Service, User
from app.security import totp
from app.security.access import SECOND_FACTOR_ROLES
from app.security.passwords import WeakPassword, check_strength, hash_password, needs_rehash, verify_password
from app.services import audit
from app.services.access import api_tokens
from app.services.errors import AlreadyExists, NotFound, ServiceError
from app.services.organisation import get_area, get_service

ANONYMOUS = "anonymous"


@dataclass(frozen=True)
class Lockout:
    """How many failed attempts in a row lock an account, and for how long."""

    attempts: int = 5
    minutes: int = 15


def create_user(
    email: str,
    role: str,
    password: str,
    *,
    service_code: str | None,
    area_code: str | None,
    actor: str,
    now: datetime,
) -> User:
    """Create a user. Service submitters belong to one service, commissioners to one area."""
    try:
        role_value = Role(role)
    except ValueError:
        raise ServiceError(f"role {role!r} must be one of: {', '.join(r.value for r in Role)}") from None
    address = normalise_email(email)
    if address is None:
        raise ServiceError(f"{email!r} is not a valid email address")
    try:
        check_strength(password)
    except WeakPassword as error:
        raise ServiceError(str(error)) from None
    service_id = area_id = None
    if role_value is Role.SERVICE_SUBMITTER:
        if not service_code or area_code:
            raise ServiceError("a service_submitter needs --service CODE (and no --area)")
        service_id = get_service(service_code).id
    elif role_value is Role.COMMISSIONER:
        if not area_code or service_code:
            raise ServiceError("a commissioner needs --area CODE (and no --service)")
        area_id = get_area(area_code).id
    elif service_code or area_code:
        raise ServiceError(f"an {role_value.value} sees every service: give neither --service nor --area")
    if db.session.scalar(select(func.count()).select_from(User).where(User.email == address)):
        raise AlreadyExists("a user with that email already exists")
    user = User(
        email=address,
        password_hash=hash_password(password),
        role=role_value.value,
        service_id=service_id,
        area_id=area_id,
        created_at=now,
    )
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "user.create", now, subject=f"user:{user.id}", role=role_value.value)
    db.session.commit()
    return user


def actor_of(user: User) -> str:
    """How the audit log names a signed-in user."""
    return f"user:{user.id}"


def needs_second_factor(user: User) -> bool:
    """Admins, evaluators and assessors must pass a TOTP second factor (SPEC section 1; the assessor reveals
    phone numbers)."""
    return user.role in SECOND_FACTOR_ROLES


def is_locked(user: User, now: datetime) -> bool:
    """Whether the account is locked after too many failed attempts."""
    return user.locked_until is not None and user.locked_until > now


@cache
def _decoy_hash() -> str:
    return hash_password("a decoy password that matches nothing")


def check_password(email: str, password: str, now: datetime, lockout: Lockout = Lockout()) -> User | None:
    """The password step: the user when the password is right and the account is open, else None.

    The caller shows one message for every failure, so nobody learns whether an email has an account.
    """
    address = normalise_email((email or "").strip())
    user = db.session.scalar(select(User).where(User.email == address)) if address else None
    if user is None or not user.active:
        verify_password(_decoy_hash(), password)  # the same work as for a real account: no timing oracle
        audit.record(
            actor_of(user) if user else ANONYMOUS, "auth.login_failed", now, step="password", reason="unknown_account"
        )
        db.session.commit()
        return None
    if is_locked(user, now):
        verify_password(_decoy_hash(), password)
        audit.record(actor_of(user), "auth.login_failed", now, subject=actor_of(user), step="password", reason="locked")
        db.session.commit()
        return None
    if not verify_password(user.password_hash, password):
        register_failure(user, "password", now, lockout)
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        db.session.commit()
    return user


def register_failure(user: User, step: str, now: datetime, lockout: Lockout = Lockout()) -> None:
    """Count a failed password or code; at the limit the account locks and all its sessions end."""
    user.failed_logins = (user.failed_logins or 0) + 1
    audit.record(actor_of(user), "auth.login_failed", now, subject=actor_of(user), step=step, reason="wrong")
    if user.failed_logins >= lockout.attempts:
        user.locked_until = now + timedelta(minutes=lockout.minutes)
        user.failed_logins = 0
        user.session_epoch = (user.session_epoch or 0) + 1
        audit.record(actor_of(user), "auth.locked", now, subject=actor_of(user), minutes=lockout.minutes)
    db.session.commit()


def check_second_factor(user: User, code: str, now: datetime, lockout: Lockout = Lockout()) -> bool:
    """The TOTP step for an enrolled user: True when the code is right and unused."""
    if not user.active or is_locked(user, now) or user.totp_secret_enc is None or user.totp_confirmed_at is None:
        audit.record(actor_of(user), "auth.login_failed", now, subject=actor_of(user), step="totp", reason="refused")
        db.session.commit()
        return False
    step = totp.matching_step(totp.decrypt_secret(user.totp_secret_enc), code, now, user.totp_last_step)
    if step is None:
        register_failure(user, "totp", now, lockout)
        return False
    user.totp_last_step = step
    db.session.commit()
    return True


def complete_sign_in(user: User, now: datetime, *, second_factor: bool) -> None:
    """Every step passed: reset the failure count and audit the sign-in."""
    user.failed_logins = 0
    user.last_login_at = now
    audit.record(actor_of(user), "auth.login", now, subject=actor_of(user), second_factor=second_factor)
    db.session.commit()


def sign_out(user: User, now: datetime) -> None:
    """Signing out ends every session of the user: a copied session cookie stops working too."""
    user.session_epoch = (user.session_epoch or 0) + 1
    audit.record(actor_of(user), "auth.logout", now, subject=actor_of(user))
    db.session.commit()


def enrolment_secret(user: User) -> str:
    """The secret being enrolled: kept (encrypted) until confirmed, so reloading the page shows the same code."""
    if user.totp_confirmed_at is not None:
        raise ServiceError("the second factor is already set up; an admin can reset it")
    if user.totp_secret_enc is None:
        user.totp_secret_enc = totp.encrypt_secret(totp.new_secret())
        db.session.commit()
    return totp.decrypt_secret(user.totp_secret_enc)


def confirm_enrolment(user: User, code: str, now: datetime, lockout: Lockout = Lockout()) -> bool:
    """Finish enrolment with a first code from the app; a wrong code counts towards the lockout."""
    if user.totp_confirmed_at is not None or user.totp_secret_enc is None or is_locked(user, now):
        return False
    step = totp.matching_step(totp.decrypt_secret(user.totp_secret_enc), code, now, user.totp_last_step)
    if step is None:
        register_failure(user, "totp_enrolment", now, lockout)
        return False
    user.totp_last_step = step
    user.totp_confirmed_at = now
    audit.record(actor_of(user), "auth.totp_enrolled", now, subject=actor_of(user))
    db.session.commit()
    return True


# Admin operations --------------------------------------------------------------------------------


def list_users() -> list[User]:
    """Every user, by role then email."""
    return list(db.session.scalars(select(User).order_by(User.role, User.email)))


def get_user(user_id: int) -> User:
    """The user with this id."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(f"there is no user {user_id}")
    return user


def find_user(email: str) -> User:
    """The user with this email address."""
    address = normalise_email((email or "").strip())
    user = db.session.scalar(select(User).where(User.email == address)) if address else None
    if user is None:
        raise NotFound("there is no user with that email address")
    return user


def deactivate_user(user: User, *, actor: str, now: datetime) -> None:
    """Stop a user signing in, and end their sessions and API tokens at once."""
    if actor == actor_of(user):
        raise ServiceError("you cannot deactivate your own account")
    if not user.active:
        raise ServiceError("that user is already deactivated")
    user.active = False
    user.session_epoch = (user.session_epoch or 0) + 1
    api_tokens.revoke_user_tokens(user, api_tokens.USER_DEACTIVATED, actor=actor, now=now)
    audit.record(actor, "user.deactivate", now, subject=actor_of(user))
    db.session.commit()


def reset_second_factor(user: User, *, actor: str, now: datetime) -> None:
    """Forget a user's TOTP secret (a lost phone): they enrol again at their next sign-in; sessions and API
    tokens end."""
    if not needs_second_factor(user):
        raise ServiceError(f"a {user.role} has no second factor to reset")
    user.totp_secret_enc = None
    user.totp_confirmed_at = None
    user.totp_last_step = None
    user.session_epoch = (user.session_epoch or 0) + 1
    api_tokens.revoke_user_tokens(user, api_tokens.TOTP_RESET, actor=actor, now=now)
    audit.record(actor, "user.totp_reset", now, subject=actor_of(user))
    db.session.commit()


def unlock_user(user: User, *, actor: str, now: datetime) -> None:
    """Lift a lockout before it runs out."""
    user.locked_until = None
    user.failed_logins = 0
    audit.record(actor, "user.unlock", now, subject=actor_of(user))
    db.session.commit()


# Self-service ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PasswordChange:
    """What became of a request to change one's own password: `changed`, or the field to correct and why."""

    changed: bool
    field: str | None = None  # "current" or "new" when refused
    message: str | None = None
    locked: bool = False  # the account is (now) locked: every session has ended


def change_password(user: User, current: str, new: str, now: datetime, lockout: Lockout = Lockout()) -> PasswordChange:
    """Change a signed-in user's own password; a wrong current one counts towards the lockout like a failed sign-in.

    On success every session (`session_epoch`) and API token of the user ends: the caller starts this session
    afresh.
    """
    if not user.active or is_locked(user, now):
        verify_password(_decoy_hash(), current)
        reason = "inactive" if not user.active else "locked"
        audit.record(
            actor_of(user), "auth.login_failed", now, subject=actor_of(user), step="password_change", reason=reason
        )
        db.session.commit()
        return PasswordChange(False, "current", "Your account is locked for a while. Try again later.", locked=True)
    if not verify_password(user.password_hash, current):
        register_failure(user, "password_change", now, lockout)
        if is_locked(user, now):
            return PasswordChange(False, "current", "Too many wrong passwords: your account is locked.", locked=True)
        return PasswordChange(False, "current", "Your current password is not right")
    try:
        check_strength(new)
    except WeakPassword as error:
        return PasswordChange(False, "new", f"The new password is too weak: {error}")
    if verify_password(user.password_hash, new):
        return PasswordChange(False, "new", "The new password must be different from your current one")
    user.password_hash = hash_password(new)
    user.failed_logins = 0
    user.session_epoch = (user.session_epoch or 0) + 1
    api_tokens.revoke_user_tokens(user, api_tokens.PASSWORD_CHANGED, actor=actor_of(user), now=now)
    audit.record(actor_of(user), "auth.password_changed", now, subject=actor_of(user))
    db.session.commit()
    return PasswordChange(True)


def organisation_of(user: User) -> tuple[str, str] | None:
    """("Service" or "Area", "Name (CODE)") for a user tied to one, else None (admins and evaluators see all)."""
    if user.service_id is not None:
        service = db.session.get(Service, user.service_id)
        return ("Service", f"{service.name} ({service.code})") if service else None
    if user.area_id is not None:
        area = db.session.get(Area, user.area_id)
        return ("Area", f"{area.name} ({area.code})") if area else None
    return None
