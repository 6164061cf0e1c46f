"""GET /api/v1/stats/agreement (SPEC 8.4): unsuppressed for evaluators, published for a commissioner's own area,
refused to other roles, and described by the OpenAPI document."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Area, AuditEvent, Role, User
from app.services.access import api_tokens
from app.web.openapi import document
from tests.factories.agreement import CALLS, TABLE, seed_agreement
from tests.web.sign_in import make_user


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def seeded(app):
    seed_agreement()


def bearer(user: User) -> dict[str, str]:
    token = api_tokens.create_token(user.email, "test", actor="test", now=datetime.now(UTC)).secret
    return {"Authorization": f"Bearer {token}"}


def test_evaluators_get_unsuppressed_figures_for_any_scope(client, seeded):
    headers = bearer(make_user(Role.EVALUATOR))
    response = client.get("/api/v1/stats/agreement?as_of=2026-10-31&seed=3&resamples=200", headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["table"] == TABLE and body["calls"] == CALLS
    assert body["corrected_itt_durable_recovery"]["seed"] == 3
    assert body["corrected_itt_durable_recovery"]["resamples"] == 200
    assert 0 < body["percent_agreement"]["rate"] < 1  # a fraction, unrounded
    tyne = client.get("/api/v1/stats/agreement?as_of=2026-10-31&service=TYNE", headers=headers).get_json()
    assert tyne["pairs"] == 9
    assert client.get("/api/v1/stats/agreement?area=NOPE", headers=headers).status_code == 404
    audited = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "stats.agreement")
    assert db.session.scalar(audited) == 2


def test_commissioners_get_published_figures_for_their_own_area_only(client, seeded):
    north_west = db.session.scalars(select(Area).where(Area.code == "NW")).one()
    headers = bearer(make_user(Role.COMMISSIONER, area=north_west))
    response = client.get("/api/v1/stats/agreement?as_of=2026-10-31", headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["pairs"] == "*"  # M0 and M1
    assert body["kappa"] == {"estimate": "*", "ci95": "*"}
    assert body["corrected_itt_durable_recovery"]["estimate"] == "*"
    assert client.get("/api/v1/stats/agreement?area=NE", headers=headers).status_code == 403


@pytest.mark.parametrize("role", [Role.SERVICE_SUBMITTER, Role.ADMIN])
def test_other_roles_may_not_read_it(client, seeded, role):
    assert client.get("/api/v1/stats/agreement", headers=bearer(make_user(role))).status_code == 403


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("as_of=31/10/2026", "as_of"),
        ("seed=-1", "seed"),
        ("resamples=0", "resamples"),
        ("resamples=10001", "resamples"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(client, seeded, query, parameter):
    response = client.get(f"/api/v1/stats/agreement?{query}", headers=bearer(make_user(Role.EVALUATOR)))
    assert response.status_code == 400
    assert response.get_json()["parameter"] == parameter


def test_the_openapi_document_describes_it():
    spec = document()
    operation = spec["paths"]["/api/v1/stats/agreement"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"as_of", "service", "area", "seed", "resamples"}
    schema = spec["components"]["schemas"]["Agreement"]
    assert set(schema["required"]) == set(schema["properties"])
    assert set(schema["properties"]["calls"]["required"]) == set(CALLS)
    assert "agreement" in spec["components"]["schemas"]["Release"]["properties"]
