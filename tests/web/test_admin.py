"""Admin pages: areas, services and users; creating and deactivating users, resetting a second factor, unlocking."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Role, User
from tests.factories import make_service
from tests.web.sign_in import PASSWORD, light_password_hashing, make_user, sign_in

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
        ({"role": "service_submitter", "service": ""}, "needs --service"),
        ({"role": "commissioner", "service": "TYNE"}, "needs --area"),
        ({"password": "short", "password_again": "short"}, "at least 12 characters"),
        ({"password_again": "something else entirely"}, "The two passwords differ"),
        ({"role": ""}, "Choose a role"),
        ({"email": "admin@example.org"}, "already exists"),
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
    assert response.status_code == 400 and message in response.data.decode()
    assert db.session.scalar(select(User).where(User.email == "new@example.org")) is None


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
