"""Admin pages: areas, services and users; creating and deactivating users, resetting a second factor, unlocking."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.extensions import db
from app.models import Area, AuditEvent, Role, Service, User
from tests.factories import make_service
from tests.web.sign_in import PASSWORD, csrf_token, light_password_hashing, make_user, sign_in

pytestmark = pytest.mark.usefixtures("light_password_hashing")
__all__ = ["light_password_hashing"]


@pytest.fixture
def admin(app: Flask) -> tuple[FlaskClient, User]:
    make_service(plan="4,8,26", send_window="09:30-18:00")
    user = make_user(Role.ADMIN)
    client = app.test_client()
    sign_in(client, user)
    return client, user


def reload(user_id: int) -> User:
    db.session.expire_all()
    user = db.session.get(User, user_id)
    assert user is not None
    return user


def audited(action: str) -> AuditEvent:
    return db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id.desc())
    ).first()


def test_areas_and_services_with_their_follow_up_settings(admin: tuple[FlaskClient, User]) -> None:
    client, _ = admin
    page = client.get("/admin").data.decode()
    assert "<td>NE</td>" in page and "<td>TYNE</td>" in page
    assert (
        "Tyne Wellbeing" in page
        and "4, 8, 26" in page
        and "09:30-18:00, mon,tue,wed,thu,fri,sat (Europe/London)" in page
    )


def test_creating_users_of_each_role(admin: tuple[FlaskClient, User]) -> None:
    client, user = admin
    form = client.get("/admin/users/new").data.decode()
    assert 'value="TYNE"' in form and 'value="NE"' in form
    created = client.post(
        "/admin/users/new",
        data={
            "email": "staff@example.org",
            "role": "service_submitter",
            "service": "TYNE",
            "area": "",
            "password": PASSWORD,
            "password_again": PASSWORD,
        },
    )
    assert created.status_code == 302 and created.headers["Location"] == "/admin/users"
    staff = db.session.scalars(select(User).where(User.email == "staff@example.org")).one()
    assert staff.role == "service_submitter" and staff.service_id is not None
    assert audited("user.create").actor == f"user:{user.id}"
    assert "staff@example.org" in client.get("/admin/users").data.decode()
    assert sign_in(app_client(client), staff).headers["Location"] == "/submit"


def app_client(client: FlaskClient) -> FlaskClient:
    return client.application.test_client()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"role": "service_submitter", "service": ""}, "Choose a service for a service submitter"),
        ({"role": "commissioner", "area": ""}, "Choose an area for a commissioner"),
        ({"role": "commissioner", "area": "NE", "service": "TYNE"}, "Set Service to None for a commissioner"),
        ({"role": "evaluator", "area": "NE"}, "Set Area to None for an evaluator"),
        ({"password": "short", "password_again": "short"}, "The password must have at least 12 characters"),
        ({"password_again": "something else entirely"}, "The two passwords differ"),
        ({"role": ""}, "Choose a role"),
        ({"email": "not an address"}, "Enter an email address in the right form"),
        ({"email": "admin@example.org"}, "A user with that email address already exists"),
    ],
)
def test_bad_user_forms_say_what_to_fix(admin: tuple[FlaskClient, User], fields: dict[str, str], message: str) -> None:
    client, _ = admin
    data = {
        "email": "new@example.org",
        "role": "evaluator",
        "service": "",
        "area": "",
        "password": PASSWORD,
        "password_again": PASSWORD,
        **fields,
    }
    response = client.post("/admin/users/new", data=data)
    page = response.data.decode()
    assert response.status_code == 400 and message in page
    assert "--area" not in page and "--service" not in page  # web wording, never a command's options
    assert db.session.scalar(select(User).where(User.email == "new@example.org")) is None


def test_a_refused_user_form_keeps_what_was_typed_but_the_passwords(admin: tuple[FlaskClient, User]) -> None:
    client, _ = admin
    data = {
        "email": "commissioner.new@example.org",
        "role": "commissioner",
        "service": "TYNE",
        "area": "NE",
        "password": PASSWORD,
        "password_again": PASSWORD,
    }
    page = client.post("/admin/users/new", data=data).data.decode()
    assert "Set Service to None for a commissioner" in page
    assert 'value="commissioner.new@example.org"' in page
    assert '<option selected value="commissioner">' in page
    assert '<option selected value="TYNE">' in page and '<option selected value="NE">' in page
    assert PASSWORD not in page and "type them again" in page


def test_deactivating_a_user_signs_them_out(app: Flask, admin: tuple[FlaskClient, User]) -> None:
    client, me = admin
    staff = make_user(Role.SERVICE_SUBMITTER)
    staff_client = app.test_client()
    sign_in(staff_client, staff)
    assert client.post(f"/admin/users/{staff.id}/deactivate").status_code == 302
    assert reload(staff.id).active is False
    assert staff_client.get("/submit").status_code == 302
    assert audited("user.deactivate").subject == f"user:{staff.id}"
    client.post(f"/admin/users/{me.id}/deactivate")
    assert reload(me.id).active is True  # never yourself
    assert "cannot deactivate your own account" in client.get("/admin/users").data.decode()
    assert client.post("/admin/users/9999/deactivate").status_code == 302  # unknown: a message, not a crash


def test_resetting_a_second_factor_makes_the_user_enrol_again(app: Flask, admin: tuple[FlaskClient, User]) -> None:
    client, _ = admin
    evaluator = make_user(Role.EVALUATOR)
    sign_in(app.test_client(), evaluator)
    assert reload(evaluator.id).totp_confirmed_at is not None
    client.post(f"/admin/users/{evaluator.id}/reset-totp")
    fresh = reload(evaluator.id)
    assert fresh.totp_secret_enc is None and fresh.totp_confirmed_at is None
    assert audited("user.totp_reset").subject == f"user:{evaluator.id}"
    login = app.test_client().post("/login", data={"email": "evaluator@example.org", "password": PASSWORD})
    assert login.headers["Location"] == "/account/totp/enrol"


def test_unlocking_a_locked_user(app: Flask, admin: tuple[FlaskClient, User]) -> None:
    client, _ = admin
    staff = make_user(Role.SERVICE_SUBMITTER)
    staff.locked_until = datetime.now(UTC) + timedelta(minutes=10)
    db.session.commit()
    assert "Locked until" in client.get("/admin/users").data.decode()
    client.post(f"/admin/users/{staff.id}/unlock")
    assert reload(staff.id).locked_until is None
    assert audited("user.unlock").subject == f"user:{staff.id}"
    assert sign_in(app.test_client(), staff).headers["Location"] == "/submit"


def test_admin_actions_need_the_form_token(app: Flask, admin: tuple[FlaskClient, User]) -> None:
    client, _ = admin
    staff = make_user(Role.SERVICE_SUBMITTER)
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post(f"/admin/users/{staff.id}/deactivate").status_code == 400
    assert reload(staff.id).active is True


def test_admins_create_areas_in_the_web_app_audited(admin: tuple[FlaskClient, User]) -> None:
    client, me = admin
    assert 'href="/admin/areas/new"' in client.get("/admin").data.decode()
    created = client.post("/admin/areas/new", data={"code": " SW-ICB ", "name": "South West ICB"})
    assert created.status_code == 302 and created.headers["Location"] == "/admin"
    area = db.session.scalars(select(Area).where(Area.code == "SW-ICB")).one()
    assert area.name == "South West ICB"
    event = audited("area.create")
    assert event.actor == f"user:{me.id}" and event.subject == "area:SW-ICB"
    page = client.get("/admin").data.decode()
    assert "Created area SW-ICB: South West ICB." in page and "<td>SW-ICB</td>" in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"code": "NE"}, "An area with that code already exists"),
        ({"code": "bad code!"}, "The code must be 1 to 32 letters, digits"),
        ({"code": ""}, "Enter a code for the area"),
        ({"name": "  "}, "Enter the area&#39;s name"),
    ],
)
def test_bad_area_forms_say_what_to_fix_and_keep_what_was_typed(
    admin: tuple[FlaskClient, User], fields: dict[str, str], message: str
) -> None:
    client, _ = admin
    data = {"code": "SW-ICB", "name": "South West ICB", **fields}
    response = client.post("/admin/areas/new", data=data)
    page = response.data.decode()
    assert response.status_code == 400 and message in page and "flask areas" not in page
    assert f'value="{data["name"].strip()}"' in page or not data["name"].strip()
    assert db.session.scalar(select(func.count()).select_from(Area)) == 1


SERVICE_FORM = {
    "code": "WEAR",
    "name": "Wearside Talking Therapies",
    "area": "NE",
    "short_name": "Wear Wellbeing",
    "plan": "4,8,26",
    "send_window": "09:00-17:00",
    "send_days": "mon-fri",
    "timezone": "Europe/London",
    "safeguarding_email": "Safe@Example.org",
    "sms_links": "y",
    "bilingual": "y",
}


def test_admins_create_services_in_the_web_app_audited(admin: tuple[FlaskClient, User]) -> None:
    client, me = admin
    form = client.get("/admin/services/new").data.decode()
    assert 'value="4,8,18,26,52"' in form and 'value="10:00-19:00"' in form and 'value="Europe/London"' in form
    created = client.post("/admin/services/new", data=SERVICE_FORM)
    assert created.status_code == 302 and created.headers["Location"] == "/admin"
    service = db.session.scalars(select(Service).where(Service.code == "WEAR")).one()
    assert (service.area.code, service.short_name, service.plan) == ("NE", "Wear Wellbeing", "4,8,26")
    assert (service.send_window, service.send_days, service.safeguarding_email) == (
        "09:00-17:00",
        "mon,tue,wed,thu,fri",
        "safe@example.org",
    )
    assert service.sms_links is True and service.bilingual is True
    event = audited("service.create")
    assert event.actor == f"user:{me.id}" and event.subject == "service:WEAR"
    page = client.get("/admin").data.decode()
    assert "Created service WEAR in area NE." in page
    assert "Bilingual: Welsh then English where not known" in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"code": "TYNE"}, "A service with that code already exists"),
        ({"area": ""}, "Choose the area the service belongs to"),
        ({"area": "NOWHERE"}, "Choose the area the service belongs to"),
        ({"plan": "8,4"}, "Plan: weeks must be unique and increasing"),
        ({"send_window": "late"}, "must look like 10:00-19:00"),
        ({"send_days": "someday"}, "is not a day: use mon, tue"),
        ({"timezone": "Mars/Olympus"}, "is not a time zone name such as Europe/London"),
        ({"short_name": "Tyne Depression Clinic"}, "longer than 20 characters"),
        ({"safeguarding_email": "nobody"}, "Enter the safeguarding email address in the right form"),
    ],
)
def test_bad_service_forms_say_what_to_fix_and_keep_what_was_typed(
    admin: tuple[FlaskClient, User], fields: dict[str, str], message: str
) -> None:
    client, _ = admin
    data = {**SERVICE_FORM, **fields}
    response = client.post("/admin/services/new", data=data)
    page = response.data.decode()
    assert response.status_code == 400 and message in page and "flask " not in page
    for name in ("code", "name", "plan", "send_window", "send_days", "timezone", "short_name"):
        assert f'value="{data[name]}"' in page, name
    assert "checked" in page  # the box ticked stays ticked
    assert db.session.scalar(select(Service).where(Service.code == "WEAR")) is None


def test_creating_a_service_with_no_area_yet_points_to_creating_one(app: Flask) -> None:
    client = app.test_client()
    sign_in(client, make_user(Role.ADMIN))
    page = client.get("/admin/services/new").data.decode()
    assert "Create an area</a> first" in page and 'name="code"' not in page


@pytest.mark.parametrize("role", [Role.EVALUATOR, Role.COMMISSIONER, Role.SERVICE_SUBMITTER])
def test_only_admins_create_areas_and_services(app: Flask, admin: tuple[FlaskClient, User], role: Role) -> None:
    client = app.test_client()
    sign_in(client, make_user(role))
    assert client.get("/admin/areas/new").status_code == 403
    assert client.post("/admin/areas/new", data={"code": "SW", "name": "South West"}).status_code == 403
    assert client.post("/admin/services/new", data=SERVICE_FORM).status_code == 403
    assert db.session.scalar(select(Area).where(Area.code == "SW")) is None
    assert db.session.scalar(select(Service).where(Service.code == "WEAR")) is None
    assert app.test_client().get("/admin/areas/new").status_code == 302  # anonymous: to sign in


def test_area_and_service_forms_need_the_form_token(app: Flask, admin: tuple[FlaskClient, User]) -> None:
    client, _ = admin
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post("/admin/areas/new", data={"code": "SW", "name": "South West"}).status_code == 400
    assert client.post("/admin/services/new", data=SERVICE_FORM).status_code == 400
    assert db.session.scalar(select(Area).where(Area.code == "SW")) is None
    assert db.session.scalar(select(Service).where(Service.code == "WEAR")) is None
    token = csrf_token(client.get("/admin/areas/new").data)
    assert (
        client.post("/admin/areas/new", data={"code": "SW", "name": "South West", "csrf_token": token}).status_code
        == 302
    )
