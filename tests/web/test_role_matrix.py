"""Every route against every role, and anonymous: who is let in and who is refused (SPEC section 1).

Driven by `app.url_map`, so routes added later are covered without editing this file. Each view
declares its audience (`@public` or `@allow(...)`, read with `audience()`); this test requests every
rule as each role, signed in through the real sign-in pages (second factor included), and as an
anonymous visitor, and checks the answer against the declaration:

- anonymous: public routes are never refused; other pages send the visitor to sign in; the JSON
  API (bearer tokens, not sessions) answers 401;
- a signed-in role outside the audience gets 403 (on the API, with its own bearer token);
- a role in the audience is let through (a 404 for a made-up id, or a 400 for an empty form, is fine).

On top of the declarations, a fixed table of pairs that must never succeed, whatever anyone declares.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from app.extensions import db
from app.models import Role
from app.security.access import PUBLIC, audience, blinded_out
from tests.conftest import make_app, reset_schema
from tests.factories import make_service
from tests.web.sign_in import csrf_token, light_password_hashing, make_user, sign_in

pytestmark = pytest.mark.usefixtures("light_password_hashing")
__all__ = ["light_password_hashing"]

ROLES = tuple(role.value for role in Role)
ANONYMOUS = "anonymous"
API_PREFIX = "/api/v1/"
API_PUBLIC = {"/api/v1/openapi.json"}
TWILIO_TOKEN = "matrix-test-twilio-auth-token"
BASE_URL = "https://stillwell.example.org"
#: (role, path prefix): never a 200, whatever a view declares (independence and least privilege).
MUST_NEVER = [
    (Role.SERVICE_SUBMITTER.value, "/evaluate"),
    (Role.COMMISSIONER.value, "/evaluate"),
    (Role.ADMIN.value, "/evaluate"),
    (Role.SERVICE_SUBMITTER.value, "/reports"),
    (Role.SERVICE_SUBMITTER.value, "/api/v1/stats"),
    # Blinding (SPEC 8.4): an assessor sees no answers, outcomes, figures, conversations or releases.
    *(
        (Role.ASSESSOR.value, prefix)
        for prefix in ("/evaluate", "/reports", "/submit", "/admin", "/api/v1/stats", "/api/v1/releases", "/published")
    ),
    # ... and the assessor's pages are the assessors' alone.
    *((role.value, "/assess") for role in Role if role is not Role.ASSESSOR),
]


@dataclass
class Visitor:
    """A test client signed in as one role (or anonymous), with what it needs to post forms and call the API."""

    role: str
    client: FlaskClient
    user_id: int | None = None
    api_token: str | None = None

    def signed_in(self) -> bool:
        with self.client.session_transaction() as session:
            return "_user_id" in session

    def ensure_signed_in(self) -> None:
        """POSTs may sign the visitor out (/logout) or lock things: sign in again when that happened."""
        if self.user_id is not None and not self.signed_in():
            sign_in(self.client, self.user_id)

    def csrf(self) -> str:
        page = self.client.get("/login" if self.user_id is None else "/")
        token = csrf_token(page.data)
        assert token, f"no form token on the page for {self.role}"
        return token


@pytest.fixture
def matrix_app(db_url: str) -> Iterator[Flask]:
    """The real app with CSRF protection on and Twilio signatures checkable, on a fresh database."""
    app = make_app(db_url, WTF_CSRF_ENABLED=True, TWILIO_AUTH_TOKEN=TWILIO_TOKEN, PUBLIC_BASE_URL=BASE_URL)
    reset_schema(app)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def visitors(matrix_app: Flask) -> dict[str, Visitor]:
    """One signed-in visitor per role, and an anonymous one. User 1 is a spare account admin buttons may act on."""
    from app.services.access.api_tokens import create_token

    make_service()
    make_user(Role.EVALUATOR, "spare@example.org")  # id 1: what "/admin/users/1/deactivate" acts on
    result = {ANONYMOUS: Visitor(ANONYMOUS, matrix_app.test_client())}
    for role in ROLES:
        user = make_user(role)
        client = matrix_app.test_client()
        sign_in(client, user)
        token = create_token(user.email, "role matrix", actor="test", now=datetime.now(UTC)).secret
        result[role] = Visitor(role, client, user.id, token)
    return result


def checked_rules(app: Flask) -> list[Rule]:
    return sorted((rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"), key=lambda r: r.rule)


def example_value(rule: Rule, name: str) -> Any:
    """A plausible value for a URL parameter: 1 for ids (user 1 is the spare account), the first choice, or "x"."""
    converter = rule._converters[name]
    items = getattr(converter, "items", None)
    if items:
        return sorted(items)[0]
    if type(converter).__name__ in {"IntegerConverter", "NumberConverter"}:
        return 1
    return "x"


def example_path(app: Flask, rule: Rule) -> str:
    values = {name: example_value(rule, name) for name in rule.arguments}
    with app.test_request_context():
        adapter = app.url_map.bind("localhost")
        return adapter.build(rule.endpoint, values, force_external=False)


def method_of(rule: Rule) -> str:
    return "GET" if "GET" in (rule.methods or set()) else "POST"


def is_api(path: str) -> bool:
    return path.startswith(API_PREFIX) and path not in API_PUBLIC


def request(app: Flask, visitor: Visitor, rule: Rule, path: str, *, with_token: bool) -> TestResponse:
    headers: dict[str, str] = {}
    if with_token and visitor.api_token:
        headers["Authorization"] = f"Bearer {visitor.api_token}"
    if method_of(rule) == "GET":
        return visitor.client.get(path, headers=headers)
    data: dict[str, str] = {}
    if not is_api(path):
        data["csrf_token"] = visitor.csrf()
    if path.startswith("/webhooks/twilio/"):
        headers["X-Twilio-Signature"] = RequestValidator(TWILIO_TOKEN).compute_signature(BASE_URL + path, data)
    return visitor.client.post(path, data=data, headers=headers)


def login_redirect(response: TestResponse) -> bool:
    """Sent to sign in because the page needs it (not, say, the sign-out page's friendly redirect)."""
    if response.status_code not in (301, 302, 303, 307, 308):
        return False
    location = urlsplit(response.headers.get("Location", ""))
    return location.path == "/login" and "next=" in location.query


def verdict(
    declared: frozenset[str] | str, role: str, path: str, response: TestResponse, endpoint: str | None = None
) -> str | None:
    """What is wrong with the response, or None when it matches the declaration (and blinding)."""
    status = response.status_code
    if status >= 500:
        return f"server error {status}"
    if role != ANONYMOUS and blinded_out(endpoint, role):
        return None if status == 403 else f"blinding: expected 403 for an assessor, got {status}"
    if declared == PUBLIC:
        if status in (401, 403) or login_redirect(response):
            return f"public route refused ({status})"
        return None
    assert isinstance(declared, frozenset)
    if role == ANONYMOUS:
        if is_api(path):
            return None if status == 401 else f"expected 401 without a token, got {status}"
        return None if login_redirect(response) else f"expected a redirect to /login?next=..., got {status}"
    if role not in declared:
        return None if status == 403 else f"expected 403, got {status}"
    if status in (401, 403) or login_redirect(response):
        return f"in the audience {sorted(declared)} but refused ({status})"
    return None


def test_every_route_declares_who_may_reach_it(matrix_app: Flask) -> None:
    undeclared = sorted(
        f"{rule.rule} ({rule.endpoint})"
        for rule in checked_rules(matrix_app)
        if audience(matrix_app.view_functions[rule.endpoint]) is None
    )
    assert not undeclared, "these views declare no audience (@public or @allow(...)):\n" + "\n".join(undeclared)


def test_every_route_against_every_role(matrix_app: Flask, visitors: dict[str, Visitor]) -> None:
    problems: list[str] = []
    never: list[str] = []
    checked = 0
    for rule in checked_rules(matrix_app):
        declared = audience(matrix_app.view_functions[rule.endpoint])
        if declared is None:
            continue  # reported by test_every_route_declares_who_may_reach_it
        path = example_path(matrix_app, rule)
        for role in (ANONYMOUS, *ROLES):
            visitor = visitors[role]
            visitor.ensure_signed_in()
            # The API is reached with bearer tokens: the session cookie alone never opens it.
            modes = [False, True] if is_api(path) and role != ANONYMOUS else [False]
            for with_token in modes:
                response = request(matrix_app, visitor, rule, path, with_token=with_token)
                checked += 1
                expected_role = role if with_token or not is_api(path) else ANONYMOUS
                problem = verdict(declared, expected_role, path, response, rule.endpoint)
                how = " with its API token" if with_token else ""
                if problem:
                    problems.append(f"{method_of(rule)} {path} as {role}{how}: {problem}")
                for forbidden_role, prefix in MUST_NEVER:
                    if role == forbidden_role and path.startswith(prefix) and response.status_code == 200:
                        never.append(f"{method_of(rule)} {path} answered 200 to {role}{how}")
    assert checked > 5 * 20, f"only {checked} requests: is the url_map complete?"
    assert not never, "must-never pairs reached:\n" + "\n".join(never)
    assert not problems, f"{len(problems)} access problem(s):\n" + "\n".join(problems)


def test_the_matrix_would_notice_a_route_that_forgot_its_check(matrix_app: Flask) -> None:
    """The verdict refuses an open evaluator page, a public page behind sign-in, and a wrong-role 200."""

    class Fake:
        def __init__(self, status: int, location: str = "") -> None:
            self.status_code = status
            self.headers = {"Location": location} if location else {}

    evaluators = frozenset({Role.EVALUATOR.value})
    assert verdict(evaluators, ANONYMOUS, "/evaluate", Fake(200)) is not None  # type: ignore[arg-type]
    assert verdict(evaluators, "admin", "/evaluate", Fake(200)) is not None  # type: ignore[arg-type]
    assert verdict(PUBLIC, ANONYMOUS, "/", Fake(302, "/login?next=/")) is not None  # type: ignore[arg-type]
    assert verdict(evaluators, "evaluator", "/evaluate", Fake(302, "/login?next=/e")) is not None  # type: ignore[arg-type]
    assert verdict(evaluators, ANONYMOUS, "/api/v1/stats/summary", Fake(200)) is not None  # type: ignore[arg-type]
    assert verdict(evaluators, ANONYMOUS, "/evaluate", Fake(302, "/login?next=/evaluate")) is None  # type: ignore[arg-type]
    assert verdict(evaluators, "evaluator", "/evaluate/alerts/1", Fake(404)) is None  # type: ignore[arg-type]


def test_blinding_leaves_an_assessor_only_their_pages_sign_in_and_their_account(matrix_app: Flask) -> None:
    """The matrix expects 403 wherever blinding applies: here, which endpoints those are."""
    reachable = sorted(
        rule.endpoint for rule in checked_rules(matrix_app) if not blinded_out(rule.endpoint, Role.ASSESSOR.value)
    )
    assert {endpoint.partition(".")[0] for endpoint in reachable} == {"assess", "auth", "account", "public", "api"}
    api = [rule for rule in checked_rules(matrix_app) if rule.endpoint.startswith("api.")]
    guarded = [rule for rule in api if audience(matrix_app.view_functions[rule.endpoint]) != PUBLIC]
    assert guarded and all(
        Role.ASSESSOR.value not in audience(matrix_app.view_functions[rule.endpoint]) for rule in guarded
    )
    assert sorted(endpoint for endpoint in reachable if endpoint.startswith("public.")) == [
        "public.favicon",
        "public.healthz",
    ]
    assert not any(
        blinded_out(rule.endpoint, role) for rule in checked_rules(matrix_app) for role in ROLES if role != "assessor"
    )
