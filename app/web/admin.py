"""Platform operators: areas, services, users and plans (never answers or outcomes).

Least privilege: nothing here reads a check-in, a reply, an outcome or a contact detail. Admins
create and deactivate accounts, reset a lost second factor and lift lockouts; every change is audited
by the service functions.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from app.domain.protocol import LONDON
from app.models import Role
from app.models.types import utcnow
from app.models.user import ROLE_LABELS
from app.security.access import allow
from app.services.access import users as user_service
from app.services.errors import ServiceError
from app.services.organisation import directory

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _choices(pairs: list[tuple[str, str]]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


class UserForm(FlaskForm):  # type: ignore[misc]
    email = EmailField("Email address", validators=[DataRequired("Enter an email address"), Length(max=254)])
    role = SelectField("Role", choices=_choices([("", "Choose a role"), *ROLE_LABELS.items()]))
    service = SelectField("Service (service submitters only)", choices=[])
    area = SelectField("Area (commissioners only)", choices=[])
    password = PasswordField("First password", validators=[DataRequired("Enter a first password"), Length(max=1024)])
    password_again = PasswordField(
        "First password again",
        validators=[DataRequired("Enter the password again"), EqualTo("password", "The two passwords differ")],
    )

    def validate_role(self, field: SelectField) -> None:
        if field.data not in ROLE_LABELS:
            raise ValidationError("Choose a role")


class ActionForm(FlaskForm):  # type: ignore[misc]
    """A button acting on one user: only the CSRF token."""


@bp.get("")
@allow(Role.ADMIN)
def home() -> ResponseReturnValue:
    """Areas and services, with how each service's follow-up is set up."""
    return render_template("admin/home.html", areas=directory.list_areas(), services=directory.list_services())


@bp.get("/users")
@allow(Role.ADMIN)
def users() -> ResponseReturnValue:
    """Every account, with its second factor and lockout state, and the actions on it."""
    return render_template(
        "admin/users.html",
        users=user_service.list_users(),
        services={service.id: service for service in directory.list_services()},
        areas={area.id: area for area in directory.list_areas()},
        roles=ROLE_LABELS,
        action=ActionForm(),
        now=utcnow(),
        london=LONDON,
        me=current_user.id,
    )


@bp.route("/users/new", methods=["GET", "POST"])
@allow(Role.ADMIN)
def new_user() -> ResponseReturnValue:
    """Create an account; the person changes nothing until they first sign in (and enrol, for 2FA roles)."""
    form = UserForm()
    form.service.choices = _choices(
        [("", "None")] + [(s.code, f"{s.name} ({s.code})") for s in directory.list_services()]
    )
    form.area.choices = _choices([("", "None")] + [(a.code, f"{a.name} ({a.code})") for a in directory.list_areas()])
    error = None
    if form.validate_on_submit():
        try:
            user = user_service.create_user(
                form.email.data,
                form.role.data,
                form.password.data,
                service_code=form.service.data or None,
                area_code=form.area.data or None,
                actor=user_service.actor_of(current_user),
                now=utcnow(),
            )
        except ServiceError as refused:
            error = str(refused)
        else:
            flash(f"Created {ROLE_LABELS[user.role].lower()} account {user.email}.")
            return redirect(url_for("admin.users"))
    status = 400 if form.is_submitted() else 200
    return render_template("admin/new_user.html", form=form, error=error), status


def _act(user_id: int, action: Callable[..., None], done: str) -> ResponseReturnValue:
    form = ActionForm()
    if not form.validate_on_submit():
        flash("That button had expired. Please try again.")
        return redirect(url_for("admin.users"))
    try:
        user = user_service.get_user(user_id)
        action(user, actor=user_service.actor_of(current_user), now=utcnow())
    except ServiceError as refused:
        flash(f"Nothing changed: {refused}.")
    else:
        flash(f"{done}: {user.email}.")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/deactivate")
@allow(Role.ADMIN)
def deactivate(user_id: int) -> ResponseReturnValue:
    """Stop the account signing in; its sessions end at once."""
    return _act(user_id, user_service.deactivate_user, "Deactivated")


@bp.post("/users/<int:user_id>/reset-totp")
@allow(Role.ADMIN)
def reset_totp(user_id: int) -> ResponseReturnValue:
    """Forget the account's authenticator (a lost phone): it enrols again at its next sign-in."""
    return _act(user_id, user_service.reset_second_factor, "Second factor reset")


@bp.post("/users/<int:user_id>/unlock")
@allow(Role.ADMIN)
def unlock(user_id: int) -> ResponseReturnValue:
    """Lift a lockout before it runs out."""
    return _act(user_id, user_service.unlock_user, "Unlocked")
