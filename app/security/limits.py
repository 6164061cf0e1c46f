"""Request-body limits (SPEC 8.6): every body is capped before anything parses it.

Twilio's webhooks and every form (the web survey included) take at most 64 KB; the two ways in for a
discharge list, the upload page and the API, take at most 20 MB. A larger body gets 413 before a view, a
CSRF check or a webhook signature check reads a byte of it: a `Content-Length` over the cap is refused on
the header alone, and a body without one (chunked) is read at most to the cap, then refused. Werkzeug
enforces the same cap on the request stream (`request.max_content_length`), so nothing read later can go
past it either.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from flask import Flask, request
from werkzeug.exceptions import RequestEntityTooLarge

KB: Final = 1024
MB: Final = 1024 * KB
#: Twilio's inbound-SMS and status callbacks: a few hundred bytes each; a long SMS is 1,600 characters.
WEBHOOK_BODY_BYTES: Final = 64 * KB
#: Any form (sign-in, admin, withdraw) and the respondents' web survey.
FORM_BODY_BYTES: Final = 64 * KB
#: A discharge list, on the web and the API alike (the command line, `flask intake import`, takes any size).
DISCHARGE_LIST_BYTES: Final = 20 * MB

#: Views taking a discharge list, by endpoint; tests/integration/test_request_limits.py checks they exist.
ENDPOINT_LIMITS: Final[Mapping[str, tuple[int, str]]] = {
    "submit.upload": (DISCHARGE_LIST_BYTES, "a discharge list"),
    "api.submit_discharge_list": (DISCHARGE_LIST_BYTES, "a discharge list"),
}
#: Whole blueprints with their own limit.
BLUEPRINT_LIMITS: Final[Mapping[str, tuple[int, str]]] = {"webhooks": (WEBHOOK_BODY_BYTES, "a Twilio webhook")}
#: Everything else: forms, the survey, and any path that matches no view.
DEFAULT_LIMIT: Final = (FORM_BODY_BYTES, "a form")


class BodyTooLarge(RequestEntityTooLarge):
    """413 with a message naming the limit that was passed."""


def body_limit(endpoint: str | None, blueprint: str | None) -> tuple[int, str]:
    """The most bytes a request to this endpoint may carry, and what such a request is (for the message)."""
    if endpoint in ENDPOINT_LIMITS:
        return ENDPOINT_LIMITS[endpoint]
    if blueprint in BLUEPRINT_LIMITS:
        return BLUEPRINT_LIMITS[blueprint]
    return DEFAULT_LIMIT


def _size(limit: int) -> str:
    return f"{limit // MB} MB" if limit % MB == 0 else f"{limit // KB} KB"


def too_large(limit: int, what: str) -> BodyTooLarge:
    """The refusal of a body over `limit`, in words a sender can act on."""
    advice = "; split the list into smaller files" if limit == DISCHARGE_LIST_BYTES else ""
    return BodyTooLarge(f"the request body is larger than {_size(limit)}, the most {what} may be{advice}")


def refuse_oversized_body() -> None:
    """Before any other request hook: cap the body, and refuse it (413) if it is over the cap."""
    limit, what = body_limit(request.endpoint, request.blueprint)
    length = request.content_length
    if length is not None:
        request.max_content_length = limit
        if length > limit:
            raise too_large(limit, what)
        return
    if "wsgi.input_terminated" not in request.environ:
        return  # no length, and a server that does not end the stream: werkzeug reads none of it
    # A streamed (chunked) body: read it now, at most one byte past the cap, so that a body of exactly
    # `limit` bytes passes and a longer one is refused. Werkzeug's own cap would instead cut the body
    # short without a word when read whole (`get_data`). Everything later reads the cached bytes.
    request.max_content_length = limit + 1
    if len(request.get_data(cache=True)) > limit:
        raise too_large(limit, what)


def init_request_limits(app: Flask) -> None:
    """Run the cap first of all the application's request hooks (before CSRF, sessions, the rate limiter)."""
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_oversized_body)
