"""Signing in and out, the TOTP second factor and its enrolment.

Admins, evaluators and assessors are not signed in by their password alone: it only opens the second step
(enrolment with a QR code the first time, a code from their app after that) for a few minutes.
Every failure shows the same message, so the page never tells whether an email has an account.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_limiter.util import get_remote_address
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from app.extensions import limiter
from app.models import User
from app.models.types import utcnow
from app.security import sessions, totp
from app.security.access import public
from app.services.access import users as user_service

bp = Blueprint("auth", __name__)
F = TypeVar("F", bound=Callable[..., Any])
#: A view of a step after the password: called with the pending user and the time now.
SecondStep = Callable[[User, datetime], ResponseReturnValue]

FAILED = (
    "Those details were not right, or the account is locked for a while after too many attempts. "
    "Check them and try again, or wait 15 minutes."
)
WRONG_CODE = "That code was not right, or it has been used already. Wait for the next code in your app and try again."
NEXT_KEY = "next"


class LoginForm(FlaskForm):  # type: ignore[misc]
    email = EmailField("Email address", validators=[DataRequired("Enter your email address"), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired("Enter your password"), Length(max=1024)])


class CodeForm(FlaskForm):  # type: ignore[misc]
    code = StringField("Code", validators=[DataRequired("Enter the 6-digit code from your app"), Length(max=20)])


def _login_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


def _address_and_account() -> str:
    """Throttle per address and account, so one office behind a shared address does not lock out another."""
    account = (request.form.get("email") or "").strip().lower()[:254]
    pending = session.get(sessions.PENDING_KEY)
    if isinstance(pending, dict):
        account = f"pending:{pending.get('user')}"
    return f"{get_remote_address()}|{account}"


def _throttled(view: F) -> F:
    """POSTs limited per address and account (LOGIN_RATE_LIMIT), and per address at five times that."""
    per_account = limiter.limit(_login_limit, methods=["POST"], key_func=_address_and_account)
    per_address = limiter.limit(lambda: _scaled(_login_limit(), 5), methods=["POST"], key_func=get_remote_address)
    return cast(F, per_address(per_account(view)))


def _scaled(limit: str, factor: int) -> str:
    amount, _, rest = limit.partition(" ")
    return f"{int(amount) * factor} {rest}" if amount.isdigit() else limit


def safe_next(target: str | None) -> str | None:
    """A path on this site to return to after signing in, or None: never another site, never the sign-in pages."""
    if not target or len(target) > 2000 or any(ord(char) < 32 or char == "\\" for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if parts.path.startswith(("/login", "/logout", "/account/totp")):
        return None
    return target


def _lockout() -> user_service.Lockout:
    config = current_app.config
    return user_service.Lockout(attempts=config["LOGIN_LOCKOUT_ATTEMPTS"], minutes=config["LOGIN_LOCKOUT_MINUTES"])


def _finish(user: User, now: datetime, *, second_factor: bool, next_path: str | None) -> ResponseReturnValue:
    user_service.complete_sign_in(user, now, second_factor=second_factor)
    sessions.start_session(user, now, second_factor=second_factor)
    return redirect(safe_next(next_path) or sessions.home_for(user))


@bp.route("/login", methods=["GET", "POST"])
@public
@_throttled
def login() -> ResponseReturnValue:
    """Email and password; admins, evaluators and assessors then go on to the second factor."""
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get(NEXT_KEY)) or sessions.home_for(current_user))
    form = LoginForm()
    failed = False
    if form.validate_on_submit():
        now = utcnow()
        user = user_service.check_password(form.email.data, form.password.data, now, _lockout())
        next_path = safe_next(request.args.get(NEXT_KEY))
        if user is None:
            failed = True
        elif user_service.needs_second_factor(user):
            sessions.start_pending(user, now)
            session[sessions.PENDING_KEY] = {**session[sessions.PENDING_KEY], NEXT_KEY: next_path}
            if user.totp_confirmed_at is None:
                return redirect(url_for("auth.enrol_totp"))
            return redirect(url_for("auth.second_factor"))
        else:
            return _finish(user, now, second_factor=False, next_path=next_path)
    return render_template("auth/login.html", form=form, failed=failed, message=FAILED)


def _pending_next() -> str | None:
    pending = session.get(sessions.PENDING_KEY)
    return pending.get(NEXT_KEY) if isinstance(pending, dict) else None


def _start_again(message: str = "Please sign in again.") -> ResponseReturnValue:
    """Back to the password: the second step timed out, was never begun, or the account locked."""
    session.pop(sessions.PENDING_KEY, None)
    flash(message)
    return redirect(url_for("auth.login"))


def _second_step(*, enrolled: bool) -> Callable[[SecondStep], Callable[[], ResponseReturnValue]]:
    """A step after the password, for a user who has (`enrolled`) or has not yet set up their authenticator app.

    Signed-in users go home; without a password step still pending, back to the password; a user at the
    other step is sent to it. Otherwise the view is called with the pending user and the time now.
    """

    def decorate(view: SecondStep) -> Callable[[], ResponseReturnValue]:
        @wraps(view)
        def step() -> ResponseReturnValue:
            if current_user.is_authenticated:
                return redirect(sessions.home_for(current_user))
            now = utcnow()
            user = sessions.pending_user(now)
            if user is None:
                return _start_again()
            if (user.totp_confirmed_at is not None) != enrolled:
                return redirect(url_for("auth.enrol_totp" if enrolled else "auth.second_factor"))
            return view(user, now)

        return step

    return decorate


@bp.route("/login/totp", methods=["GET", "POST"])
@public
@_throttled
@_second_step(enrolled=True)
def second_factor(user: User, now: datetime) -> ResponseReturnValue:
    """The 6-digit code from the authenticator app, after the password."""
    form = CodeForm()
    failed = False
    if form.validate_on_submit():
        if user_service.check_second_factor(user, form.code.data, now, _lockout()):
            return _finish(user, now, second_factor=True, next_path=_pending_next())
        if user_service.is_locked(user, now):
            return _start_again(FAILED)
        failed = True
    return render_template("auth/second_factor.html", form=form, failed=failed, message=WRONG_CODE)


@bp.route("/account/totp/enrol", methods=["GET", "POST"])
@public
@_throttled
@_second_step(enrolled=False)
def enrol_totp(user: User, now: datetime) -> ResponseReturnValue:
    """First sign-in of an admin or evaluator: scan the QR code, then confirm with a first code."""
    secret = user_service.enrolment_secret(user)
    form = CodeForm()
    failed = False
    if form.validate_on_submit():
        if user_service.confirm_enrolment(user, form.code.data, now, _lockout()):
            signed_in = _finish(user, now, second_factor=True, next_path=_pending_next())
            flash("Your authenticator app is set up. You will need a code from it each time you sign in.")
            return signed_in
        if user_service.is_locked(user, now):
            return _start_again(FAILED)
        failed = True
    uri = totp.provisioning_uri(secret, user.email)
    return render_template(
        "auth/enrol.html",
        form=form,
        failed=failed,
        qr_code=totp.qr_code_svg(uri),
        secret=totp.display_secret(secret),
        message=WRONG_CODE,
    )


@bp.post("/logout")
@public
def logout() -> ResponseReturnValue:
    """Sign out, ending every session of the user (a copied cookie stops working too)."""
    if current_user.is_authenticated:
        user_service.sign_out(current_user._get_current_object(), utcnow())
    sessions.end_session()
    flash("You have signed out.")
    return redirect(url_for("auth.login"))
