"""The JSON API under /api/v1/, with bearer tokens, described at /api/v1/openapi.json.

Every endpoint but the OpenAPI document needs `Authorization: Bearer <token>` (tokens come from
`flask tokens create` and are stored only as a SHA-256). Errors are JSON: `{"error": "..."}`, plus
`"parameter"` when a query parameter is at fault. Views are thin: parse, call one service, answer.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import wraps
from typing import Any, Final, TypeVar

from flask import Blueprint, Response, current_app, g, jsonify, request
from flask.typing import ResponseReturnValue
from flask_limiter.util import get_remote_address
from werkzeug.exceptions import HTTPException

from app.domain.protocol import LONDON
from app.extensions import limiter
from app.models import Release, Role, Service, User
from app.models.types import utcnow
from app.security import access
from app.security.access import ACCESS_ATTRIBUTE, public
from app.services import intake
from app.services.access import api_tokens
from app.services.errors import NotFound, ServiceError
from app.services.organisation import get_area, get_service
from app.services.publication import releases as release_service
from app.web import openapi
from app.web.published import release_document_response
from app.web.submit import problems_download

bp = Blueprint("api", __name__, url_prefix="/api/v1")

F = TypeVar("F", bound=Callable[..., Any])

CODE: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
ISO_DAY: Final = re.compile(r"^\d{4}-\d{2}-\d{2}$")
CSV_TYPES: Final = frozenset({"text/csv", "application/csv", "text/plain"})
DEFAULT_RATE_LIMIT: Final = "300/minute"
DEFAULT_ADDRESS_RATE_LIMIT: Final = "1200/minute"
ERROR_CODES: Final = (400, 401, 403, 404, 405, 413, 415, 422, 429, 500)


class ApiError(Exception):
    """A refusal answered as JSON: status, a message a person can act on, and the parameter at fault."""

    def __init__(self, status: int, message: str, parameter: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.parameter = parameter


def json_error(status: int, message: str, parameter: str | None = None) -> Response:
    """An error response: `{"error": message}` (and `parameter`), with the bearer challenge on 401."""
    body: dict[str, str] = {"error": message}
    if parameter:
        body["parameter"] = parameter
    response = jsonify(body)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="stillwell"'
    return response


@bp.errorhandler(ApiError)
def _api_error(error: ApiError) -> Response:
    return json_error(error.status, error.message, error.parameter)


def _http_error(error: HTTPException) -> Response:
    return json_error(error.code or 500, error.description or error.name)


def _server_error(error: Exception) -> Response:
    return json_error(500, "internal error; it has been logged")


# Registered per status code: the application's HTML error pages are registered per code too, and
# Flask prefers a handler for the exact code, looking in the blueprint before the application.
for _code in ERROR_CODES:
    bp.register_error_handler(_code, _server_error if _code == 500 else _http_error)


def _rate_key() -> str:
    """Rate limits count per token (its hash), or per address without one."""
    header = request.headers.get("Authorization", "")
    if header:
        return "token:" + hashlib.sha256(header.encode("utf-8", "replace")).hexdigest()[:32]
    return "addr:" + (get_remote_address() or "unknown")


def _setting(name: str, default: str) -> Callable[[], str]:
    return lambda: str(current_app.config.get(name) or default)


# Per token, and per address too, so guessing tokens (a new key each guess) is limited as well.
limiter.limit(_setting("API_RATE_LIMIT", DEFAULT_RATE_LIMIT), key_func=_rate_key)(bp)
limiter.limit(_setting("API_ADDRESS_RATE_LIMIT", DEFAULT_ADDRESS_RATE_LIMIT), key_func=get_remote_address)(bp)


def _bearer_token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


#: Every role but the assessor, who must not read figures before their interviews (blinding, SPEC 8.4).
UNBLINDED: Final = tuple(role for role in Role if role is not Role.ASSESSOR)


def api_allow(*roles: Role) -> Callable[[F], F]:
    """Let only requests with a valid bearer token of a user of these roles reach an API view."""
    allowed = frozenset(role.value for role in roles)

    def decorate(view: F) -> F:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            now = utcnow()
            try:
                user = api_tokens.authenticate(_bearer_token(), now=now)
            except api_tokens.TokenRefused as refused:
                return json_error(401, str(refused))
            if user.role not in allowed:
                return json_error(403, f"a {user.role} may not use this endpoint")
            g.api_user = user
            g.api_now = now
            return view(*args, **kwargs)

        setattr(guarded, ACCESS_ATTRIBUTE, allowed)
        return guarded  # type: ignore[return-value]

    return decorate


def _actor(user: User) -> str:
    return f"user:{user.id}"


def public_url(path: str) -> str:
    """An absolute link built from PUBLIC_BASE_URL, never from the request's Host header."""
    return str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/") + path


# --- parameters -------------------------------------------------------------------------------


def _code_param(name: str) -> str | None:
    value = request.args.get(name)
    if value is None:
        return None
    if not CODE.match(value):
        raise ApiError(400, f"{name} must be a code of 1-32 letters, digits, '-' or '_'", name)
    return value


def _as_of_param(now: datetime) -> date:
    """The `as_of` date asked for (default: today in London); never after today (SPEC section 8.6)."""
    from app.services import statistics  # only the statistics endpoint asks, and it loads them anyway

    value = request.args.get("as_of")
    if value is None:
        return statistics.today_in_service_zone(now)
    try:
        if not ISO_DAY.match(value):
            raise ValueError(value)
        return statistics.refuse_future_as_of(release_service.check_as_of(date.fromisoformat(value)), now)
    except ValueError:
        raise ApiError(400, "as_of must be a date such as 2027-01-31", "as_of") from None
    except ServiceError as error:
        raise ApiError(400, str(error), "as_of") from None


def _int_param(name: str, default: int, low: int, high: int) -> int:
    value = request.args.get(name)
    if value is None:
        return default
    if not re.fullmatch(r"[0-9]{1,9}", value) or not low <= int(value) <= high:
        raise ApiError(400, f"{name} must be a whole number from {low} to {high}", name)
    return int(value)


def _bool_param(name: str) -> bool:
    value = request.args.get(name)
    if value is None:
        return False
    lowered = value.strip().lower()
    if lowered in {"true", "1", "yes"}:
        return True
    if lowered in {"false", "0", "no"}:
        return False
    raise ApiError(400, f"{name} must be true or false", name)


def _found(lookup: Callable[[str], Any], code: str) -> Any:
    try:
        return lookup(code)
    except NotFound as error:
        raise ApiError(404, str(error).split(" (")[0]) from None


# --- statistics --------------------------------------------------------------------------------


@bp.get("/stats/summary")
@api_allow(Role.EVALUATOR, Role.COMMISSIONER)
def stats_summary() -> ResponseReturnValue:
    """Evaluators: unsuppressed, any scope. Commissioners: published, their own area only."""
    from app.services import statistics  # numpy and friends load only when figures are asked for

    user: User = g.api_user
    now: datetime = g.api_now
    as_of = _as_of_param(now)
    service_code, area_code = _code_param("service"), _code_param("area")
    published, area_code = _figures_scope(user, service_code, area_code)
    result = statistics.facts.summary(  # from the outcome facts when they can serve it
        as_of, service_code=service_code, area_code=area_code, published=published, actor=_actor(user), now=now
    )
    return jsonify(result)


@bp.get("/stats/compare")
@api_allow(Role.EVALUATOR, Role.COMMISSIONER)
def stats_compare() -> ResponseReturnValue:
    """Evaluators: unsuppressed. Commissioners: published; all services, or their own area's."""
    from app.services import statistics

    user: User = g.api_user
    now: datetime = g.api_now
    as_of = _as_of_param(now)
    area_code = _code_param("area")
    published = user.role == Role.COMMISSIONER
    if published and area_code is not None:
        area_code = _commissioner_area(user, area_code, None)
    elif area_code:
        _found(get_area, area_code)
    result = statistics.compare(as_of, area_code=area_code, published=published, actor=_actor(user), now=now)
    return jsonify(result)


@bp.get("/stats/agreement")
@api_allow(Role.EVALUATOR, Role.COMMISSIONER)
def stats_agreement() -> ResponseReturnValue:
    """The texts beside the blind telephone assessor (SPEC 8.4). Evaluators: unsuppressed, any scope.
    Commissioners: published, their own area only (as the summary)."""
    from app.services import statistics

    user: User = g.api_user
    now: datetime = g.api_now
    as_of = _as_of_param(now)
    service_code, area_code = _code_param("service"), _code_param("area")
    seed = _int_param("seed", 1, 0, 2**31 - 1)
    resamples = _int_param("resamples", 2000, 1, 10_000)
    published, area_code = _figures_scope(user, service_code, area_code)
    result = statistics.agreement(
        as_of,
        service_code=service_code,
        area_code=area_code,
        seed=seed,
        resamples=resamples,
        published=published,
        actor=_actor(user),
        now=now,
    )
    return jsonify(result)


def _figures_scope(user: User, service_code: str | None, area_code: str | None) -> tuple[bool, str | None]:
    """Whether the figures are published (a commissioner's, limited to their area) and the area to count;
    an evaluator's unknown area or service is a 404."""
    if user.role == Role.COMMISSIONER:
        return True, _commissioner_area(user, area_code, service_code)
    if area_code:
        _found(get_area, area_code)
    if service_code:
        _found(get_service, service_code)
    return False, area_code


def _commissioner_area(user: User, area_code: str | None, service_code: str | None) -> str:
    if service_code is not None:
        _found(get_service, service_code)  # an unknown code is "not found" for everyone
    try:
        return access.commissioner_area(user, area_code, service_code)
    except access.ScopeRefused as refused:
        raise ApiError(403, refused.message, refused.parameter) from None


def _submitter_service(user: User) -> Service:
    try:
        return access.submitter_service(user)
    except access.ScopeRefused as refused:
        raise ApiError(403, refused.message, refused.parameter) from None


# --- releases ----------------------------------------------------------------------------------


def release_summary(release: Release) -> dict[str, Any]:
    """A release in lists: what it covers, its hash and where to get it."""
    return {
        "id": release.id,
        "title": release.title,
        "as_of": release.as_of.isoformat(),
        "scope": {"kind": release.scope_kind, "code": release.scope_code},
        "methodology": release.methodology,
        "software_version": release.software_version,
        "sha256": release.sha256,
        "created_at": release.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "urls": {
            "page": public_url(f"/published/{release.id}"),
            "json": public_url(f"/published/{release.id}.json"),
            "csv": public_url(f"/published/{release.id}.csv"),
            "api": public_url(f"/api/v1/releases/{release.id}"),
        },
    }


@bp.get("/releases")
@api_allow(*UNBLINDED)
def list_releases() -> ResponseReturnValue:
    """Releases, newest first, a page at a time."""
    page = _int_param("page", 1, 1, 1_000_000)
    per_page = _int_param("per_page", 20, 1, 100)
    items, total = release_service.list_releases(page, per_page)
    return jsonify(releases=[release_summary(release) for release in items], page=page, per_page=per_page, total=total)


@bp.get("/releases/<int:release_id>")
@api_allow(*UNBLINDED)
def get_release(release_id: int) -> ResponseReturnValue:
    """The released document: exactly the bytes whose SHA-256 is the release's hash."""
    try:
        release = release_service.get_release(release_id)
    except NotFound as error:
        raise ApiError(404, str(error)) from None
    return release_document_response(release)


# --- submissions -------------------------------------------------------------------------------


@bp.post("/submissions")
@api_allow(Role.SERVICE_SUBMITTER)
def submit_discharge_list() -> ResponseReturnValue:
    """A discharge list for the token's own service, under the rules of `flask intake import`."""
    user: User = g.api_user
    now: datetime = g.api_now
    dry_run = _bool_param("dry_run")
    service = _submitter_service(user)
    data, filename = _submitted_file(now)
    try:
        result = intake.submit_discharge_list(
            service.code,
            data,
            filename=filename,
            actor=_actor(user),
            now=now,
            today=now.astimezone(LONDON).date(),
            dry_run=dry_run,
        )
    except intake.IntakeRejected as rejected:
        report = rejected.report
        return jsonify(
            errors=[{"row": p.row, "column": p.column, "message": p.message} for p in report.shown],
            problems=report.total,
            by_column=[{"column": column, "problems": count} for column, count in report.by_column],
            submission=rejected.submission_id,
            dry_run=dry_run,
        ), 422
    body = {
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "dry_run": dry_run,
        "warnings": list(result.warnings),
    }
    return jsonify(body), 200 if dry_run else 201


@bp.get("/submissions/<int:submission_id>/problems.csv")
@api_allow(Role.SERVICE_SUBMITTER)
def submission_problems(submission_id: int) -> ResponseReturnValue:
    """Every problem of one of the token's service's refused lists, as CSV."""
    service = _submitter_service(g.api_user)
    try:
        submission, text = intake.submissions.problem_report(service.id, submission_id, now=g.api_now)
    except NotFound as error:
        raise ApiError(404, str(error)) from None
    return problems_download(submission, text)


def _submitted_file(now: datetime) -> tuple[bytes, str]:
    """The CSV bytes and a file name, from a text/csv body or a multipart form's `file`.

    A body over 20 MB was refused (413) before the view (app/security/limits.py)."""
    mimetype = request.mimetype
    if mimetype in CSV_TYPES:
        data = request.get_data(cache=False)
        filename = f"api-{now:%Y%m%dT%H%M%SZ}.csv"
    elif mimetype == "multipart/form-data":
        try:
            upload = request.files.get("file")
        except ValueError:
            raise ApiError(400, "the multipart body could not be read") from None
        if upload is None:
            raise ApiError(400, "the multipart form needs the CSV file in a field named 'file'", "file")
        data = upload.read()
        filename = upload.filename or "api-upload.csv"
    else:
        raise ApiError(415, "send the CSV as Content-Type text/csv, or as multipart/form-data with a field 'file'")
    return data, filename


# --- the document describing all of this ---------------------------------------------------------


@bp.get("/openapi.json")
@public
def openapi_document() -> ResponseReturnValue:
    """The OpenAPI 3.1 description of this API."""
    return jsonify(openapi.document())
