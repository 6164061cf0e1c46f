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
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp, ValidationError

from app.domain import schedule
from app.domain.discharge_list import normalise_email
from app.domain.discretion import SHORT_NAME_MAX, DiscretionError, check_short_name
from app.domain.protocol import LONDON, LONDON_ZONE_NAME
from app.models import Role
from app.models.types import utcnow
from app.models.user import ROLE_LABELS
from app.security.access import allow
from app.security.passwords import WeakPassword, check_strength
from app.services import organisation
from app.services.access import users as user_service
from app.services.errors import AlreadyExists, ServiceError
from app.services.organisation import directory

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _choices(pairs: list[tuple[str, str]]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


#: Codes of areas and services, as the organisation package accepts them.
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$"
CODE_RULE = "1 to 32 letters, digits, hyphens (-) or underscores (_), starting with a letter or digit"


def _stripped(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _sentence(message: object) -> str:
    """A service's or a rule's message as a sentence on a page: capital first letter."""
    text = str(message)
    return text[:1].upper() + text[1:]


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

    def validate_email(self, field: EmailField) -> None:
        if normalise_email(field.data or "") is None:
            raise ValidationError("Enter an email address in the right form, such as name@example.org")

    def validate_role(self, field: SelectField) -> None:
        if field.data not in ROLE_LABELS:
            raise ValidationError("Choose a role")

    def validate_service(self, field: SelectField) -> None:
        role = self.role.data
        if role == Role.SERVICE_SUBMITTER.value and not field.data:
            raise ValidationError("Choose a service for a service submitter")
        if role != Role.SERVICE_SUBMITTER.value and field.data and role in ROLE_LABELS:
            raise ValidationError(
                f"Set Service to None for {_a(ROLE_LABELS[role])}: only service submitters belong to a service"
            )

    def validate_area(self, field: SelectField) -> None:
        role = self.role.data
        if role == Role.COMMISSIONER.value and not field.data:
            raise ValidationError("Choose an area for a commissioner")
        if role != Role.COMMISSIONER.value and field.data and role in ROLE_LABELS:
            raise ValidationError(f"Set Area to None for {_a(ROLE_LABELS[role])}: only commissioners belong to an area")

    def validate_password(self, field: PasswordField) -> None:
        try:
            check_strength(field.data or "")
        except WeakPassword as weak:
            raise ValidationError(_sentence(weak)) from None


def _a(label: str) -> str:
    """The role's label in lower case after its article: an admin, a commissioner."""
    word = label.lower()
    return f"an {word}" if word[:1] in "aeiou" else f"a {word}"


class AreaForm(FlaskForm):  # type: ignore[misc]
    """A new commissioning area (the same rules as `flask areas create`)."""

    code = StringField(
        "Code",
        filters=[_stripped],
        validators=[
            DataRequired("Enter a code for the area, such as NE-ICB"),
            Regexp(CODE_PATTERN, message=f"The code must be {CODE_RULE}"),
        ],
    )
    name = StringField(
        "Name",
        filters=[_stripped],
        validators=[DataRequired("Enter the area's name"), Length(max=200, message="Use at most 200 characters")],
    )


class ServiceForm(FlaskForm):  # type: ignore[misc]
    """A new therapy service and how its former clients are contacted (the same rules as `flask services create`)."""

    code = StringField(
        "Code",
        filters=[_stripped],
        validators=[
            DataRequired("Enter a code for the service, such as TYNE"),
            Regexp(CODE_PATTERN, message=f"The code must be {CODE_RULE}"),
        ],
    )
    name = StringField(
        "Full name (never shown to clients)",
        filters=[_stripped],
        validators=[DataRequired("Enter the service's name"), Length(max=200, message="Use at most 200 characters")],
    )
    area = SelectField("Area", choices=[], validate_choice=False)
    short_name = StringField(
        "Short name in messages (optional)", filters=[_stripped], validators=[Optional(), Length(max=200)]
    )
    plan = StringField(
        "Plan (weeks after discharge)",
        filters=[_stripped],
        default="4,8,18,26,52",
        validators=[DataRequired("Enter the plan")],
    )
    send_window = StringField(
        "Send window (local hours)",
        filters=[_stripped],
        default="10:00-19:00",
        validators=[DataRequired("Enter the send window")],
    )
    send_days = StringField(
        "Send days", filters=[_stripped], default="mon-sat", validators=[DataRequired("Enter the send days")]
    )
    timezone = StringField(
        "Time zone",
        filters=[_stripped],
        default=LONDON_ZONE_NAME,
        validators=[DataRequired("Enter the time zone"), Length(max=64)],
    )
    safeguarding_email = EmailField(
        "Safeguarding contact email (optional)", filters=[_stripped], validators=[Optional(), Length(max=254)]
    )
    sms_links = BooleanField("Put web-survey links in texts")
    bilingual = BooleanField("Bilingual: Welsh then English to clients whose language is not known")

    def validate_area(self, field: SelectField) -> None:
        if not field.data or field.data not in {choice.value for choice in field.choices}:
            raise ValidationError("Choose the area the service belongs to")

    def validate_short_name(self, field: StringField) -> None:
        _check(check_short_name, field.data or self.code.data or "", DiscretionError)

    def validate_plan(self, field: StringField) -> None:
        _check(schedule.parse_plan, field.data, schedule.ScheduleError)

    def validate_send_window(self, field: StringField) -> None:
        _check(schedule.parse_window, field.data, schedule.ScheduleError)

    def validate_send_days(self, field: StringField) -> None:
        _check(schedule.parse_days, field.data, schedule.ScheduleError)

    def validate_timezone(self, field: StringField) -> None:
        _check(schedule.parse_zone, field.data, schedule.ScheduleError)

    def validate_safeguarding_email(self, field: EmailField) -> None:
        if field.data and normalise_email(field.data) is None:
            raise ValidationError("Enter the safeguarding email address in the right form, such as name@example.org")


def _check(rule: Callable[[str], object], value: str, error: type[Exception]) -> None:
    """Apply one of the organisation package's rules to a field, its message the field's error."""
    try:
        rule(value)
    except error as refused:
        raise ValidationError(_sentence(refused)) from None


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
    """Create an account; the person changes nothing until they first sign in (and enrol, for 2FA roles).

    A refused form keeps everything typed but the two passwords, which are never sent back to the browser.
    """
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
        except AlreadyExists:
            form.email.errors.append("A user with that email address already exists")
        except ServiceError as refused:
            error = _sentence(refused)
        else:
            flash(f"Created {ROLE_LABELS[user.role].lower()} account {user.email}.")
            return redirect(url_for("admin.users"))
    status = 400 if form.is_submitted() else 200
    return render_template("admin/new_user.html", form=form, error=error), status


@bp.route("/areas/new", methods=["GET", "POST"])
@allow(Role.ADMIN)
def new_area() -> ResponseReturnValue:
    """Create a commissioning area (audited as `area.create`, as from `flask areas create`)."""
    form = AreaForm()
    error = None
    if form.validate_on_submit():
        try:
            area = organisation.create_area(
                form.code.data, form.name.data, actor=user_service.actor_of(current_user), now=utcnow()
            )
        except AlreadyExists:
            form.code.errors.append("An area with that code already exists")
        except ServiceError as refused:
            error = _sentence(refused)
        else:
            flash(f"Created area {area.code}: {area.name}.")
            return redirect(url_for("admin.home"))
    status = 400 if form.is_submitted() else 200
    return render_template("admin/new_area.html", form=form, error=error), status


@bp.route("/services/new", methods=["GET", "POST"])
@allow(Role.ADMIN)
def new_service() -> ResponseReturnValue:
    """Create a service in an area (audited as `service.create`, as from `flask services create`)."""
    form = ServiceForm()
    areas = directory.list_areas()
    form.area.choices = _choices([("", "Choose an area")] + [(a.code, f"{a.name} ({a.code})") for a in areas])
    error = None
    if form.validate_on_submit():
        settings = organisation.ServiceSettings(
            short_name=form.short_name.data or None,
            timezone=form.timezone.data,
            send_window=form.send_window.data,
            send_days=form.send_days.data,
            plan=form.plan.data,
            safeguarding_email=form.safeguarding_email.data or None,
            sms_links=bool(form.sms_links.data),
            bilingual=bool(form.bilingual.data),
        )
        try:
            service = organisation.create_service(
                form.code.data,
                form.name.data,
                form.area.data,
                settings,
                actor=user_service.actor_of(current_user),
                now=utcnow(),
            )
        except AlreadyExists:
            form.code.errors.append("A service with that code already exists")
        except ServiceError as refused:
            error = _sentence(refused)
        else:
            flash(f"Created service {service.code} in area {form.area.data}.")
            return redirect(url_for("admin.home"))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "admin/new_service.html", form=form, error=error, areas=areas, short_name_max=SHORT_NAME_MAX
    ), status


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
