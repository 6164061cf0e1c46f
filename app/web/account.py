"""A signed-in user's own account: what it is, and changing its password.

Changing the password ends every other session of the user (a copied cookie, another browser) but keeps
this one signed in. A wrong current password counts towards the lockout exactly as a failed sign-in does.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from app.domain.protocol import LONDON
from app.models import Role, User
from app.models.types import utcnow
from app.models.user import ROLE_LABELS
from app.security import sessions
from app.security.access import SECOND_FACTOR_SESSION_KEY, allow
from app.security.passwords import MIN_LENGTH, WeakPassword, check_strength
from app.services.access import users as user_service

bp = Blueprint("account", __name__, url_prefix="/account")


EVERYONE = tuple(Role)
LOCKED = (
    "Too many wrong passwords: your account is locked for a while and you have been signed out. "
    "Wait 15 minutes, then sign in again."
)


class PasswordForm(FlaskForm):  # type: ignore[misc]
    current = PasswordField(
        "Current password", validators=[DataRequired("Enter your current password"), Length(max=1024)]
    )
    new = PasswordField(
        "New password",
        validators=[DataRequired("Enter a new password"), Length(max=1024, message="The new password is too long")],
    )
    new_again = PasswordField(
        "New password again",
        validators=[
            DataRequired("Enter the new password again"),
            EqualTo("new", "The two new passwords are different: type the same new password twice"),
        ],
    )

    def validate_new(self, field: PasswordField) -> None:
        try:
            check_strength(field.data or "")
        except WeakPassword as error:
            raise ValidationError(f"The new password is too weak: {error}") from None


def _me() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


@bp.route("")
@allow(*EVERYONE)
def home() -> ResponseReturnValue:
    """Who you are signed in as: role, service or area, last sign-in, second factor."""
    user = _me()
    return render_template(
        "account/home.html",
        user=user,
        role_label=ROLE_LABELS.get(user.role, user.role),
        organisation=user_service.organisation_of(user),
        needs_second_factor=user_service.needs_second_factor(user),
        london=LONDON,
    )


@bp.route("/password", methods=["GET", "POST"])
@allow(*EVERYONE)
def change_password() -> ResponseReturnValue:
    """Current password, then the new one twice; this session stays signed in, every other one ends."""
    form = PasswordForm()
    if form.validate_on_submit():
        user = _me()
        now = utcnow()
        lockout = user_service.Lockout(
            attempts=current_app.config["LOGIN_LOCKOUT_ATTEMPTS"], minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"]
        )
        result = user_service.change_password(user, form.current.data, form.new.data, now, lockout)
        if result.locked:
            sessions.end_session()
            flash(LOCKED)
            return redirect(url_for("auth.login"))
        if result.changed:
            second_factor = bool(session.get(SECOND_FACTOR_SESSION_KEY)) and user_service.needs_second_factor(user)
            sessions.start_session(user, now, second_factor=second_factor)
            flash("Your password has been changed. Any other browser signed in as you has been signed out.")
            return redirect(url_for("account.home"))
        field = form.current if result.field == "current" else form.new
        field.errors = [*field.errors, result.message]
    return render_template("account/password.html", form=form, min_length=MIN_LENGTH)
