"""Security headers on every response: a strict content security policy and its companions.

The policy allows no inline script and no inline style (no `<style>` blocks, no `style=`
attributes): every page's CSS is in app/static/css/site.css. Referrers are never sent, because
survey and unsubscribe links carry their token in the address. Pages for signed-in users, and the
sign-in pages themselves, are never stored by browsers or proxies.
"""

from __future__ import annotations

from typing import Final

from flask import Flask, Response, current_app, request, session

from app.security.access import PUBLIC, audience

CONTENT_SECURITY_POLICY: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
#: Respondents' survey pages need no script at all, so they get an even stricter policy.
SURVEY_POLICY: Final = (
    "default-src 'none'; style-src 'self'; img-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
#: Blueprints whose pages get a stricter policy than the site's (never a looser one).
BLUEPRINT_POLICIES: Final = {"survey": SURVEY_POLICY}
PERMISSIONS_POLICY: Final = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()"
)
STATIC_HEADERS: Final = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": PERMISSIONS_POLICY,
    "Cross-Origin-Opener-Policy": "same-origin",
}


def _private_page() -> bool:
    """A page that must not be cached: anything for a signed-in visitor, and anything not public."""
    if "_user_id" in session or request.blueprint == "auth":
        return True
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None or request.endpoint == "static":
        return False
    return audience(view) != PUBLIC


def add_security_headers(response: Response) -> Response:
    """After every request: the same strict headers for every page (replacing any a blueprint set)."""
    for name, value in STATIC_HEADERS.items():
        response.headers[name] = value
    if request.blueprint in BLUEPRINT_POLICIES:
        response.headers["Content-Security-Policy"] = BLUEPRINT_POLICIES[request.blueprint]
    hsts_seconds = int(current_app.config.get("HSTS_SECONDS") or 0)
    if hsts_seconds:
        response.headers["Strict-Transport-Security"] = f"max-age={hsts_seconds}; includeSubDomains"
    if _private_page():
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    return response


def init_security_headers(app: Flask) -> None:
    """Register the headers for every response of the app."""
    app.after_request(add_security_headers)
