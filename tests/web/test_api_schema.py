"""Schemathesis against the WSGI app: every operation of /api/v1/openapi.json, no server errors.

The schema is the same data the app serves (app/web/openapi.py); requests go to the app in
process with a real bearer token (an evaluator's, or a service submitter's for submissions).
Examples are derandomized and capped so the run is repeatable and takes well under a minute.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from app.models import Role, Service
from app.services.access import api_tokens
from app.services.publication import releases
from app.web.openapi import document
from tests.factories import NOW
from tests.factories.cohorts import AS_OF, seed_releasable
from tests.web.sign_in import make_user

schema = schemathesis.openapi.from_dict(document())

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


@pytest.fixture
def tokens(app) -> dict[str, str]:
    """Seeded data, one release, and a token for an evaluator and for a TYNE service submitter."""
    from app.extensions import db

    seed_releasable()
    releases.create_release(AS_OF, "all", None, "test", NOW)
    tyne = db.session.query(Service).filter_by(code="TYNE").one()
    users = {"evaluator": make_user(Role.EVALUATOR), "submitter": make_user(Role.SERVICE_SUBMITTER, service=tyne)}
    now = datetime.now(UTC)
    issued = {
        name: api_tokens.create_token(user.email, "schemathesis", actor="test", now=now) for name, user in users.items()
    }
    return {name: token.secret for name, token in issued.items()}


@pytest.mark.parametrize("backend", ["sqlite"])  # the contract does not depend on the database
@schema.parametrize()
@settings(
    max_examples=15,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_has_no_server_errors(case, app, tokens):
    app.config["API_RATE_LIMIT"] = app.config["API_ADDRESS_RATE_LIMIT"] = "100000/minute"
    who = "submitter" if case.path == "/api/v1/submissions" else "evaluator"
    response = case.call(app=app, headers={"Authorization": f"Bearer {tokens[who]}"})
    case.validate_response(response, checks=CHECKS)
