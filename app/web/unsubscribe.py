"""`/u/<token>`: stop (and resume) messages from the link in every email, in the client's language.

A GET only asks (mail scanners open links); the POST acts. Mail clients' one-click unsubscribe
(RFC 8058, `List-Unsubscribe-Post`) POSTs without a form token, so the signed link itself is the
proof and CSRF does not apply here. The page's language is the one `?lang=` asks for, else the one of the
latest episode of a client behind the address (SPEC 8.3); the forms keep it from page to page.
"""

from __future__ import annotations

from flask import Blueprint
from flask.typing import ResponseReturnValue

from app.models.types import utcnow
from app.security.access import public
from app.services.contact import links as service
from app.web.client_pages import page_language, render_client_page

bp = Blueprint("unsubscribe", __name__)


def _page(template: str, token: str, **context: object) -> str:
    return render_client_page(template, page_language(service.language_tag_for(token)), token=token, **context)


@bp.get("/u/<token>")
@public
def confirm(token: str) -> ResponseReturnValue:
    if service.contact_hash_for(token) is None:
        return _page("unsubscribe/invalid.html", token), 404
    return _page("unsubscribe/confirm.html", token)


@bp.post("/u/<token>")
@public
def stop(token: str) -> ResponseReturnValue:
    if not service.unsubscribe(token, utcnow()):
        return _page("unsubscribe/invalid.html", token), 404
    return _page("unsubscribe/stopped.html", token)


@bp.post("/u/<token>/resume")
@public
def start(token: str) -> ResponseReturnValue:
    if not service.resume(token, utcnow()):
        return _page("unsubscribe/invalid.html", token), 404
    return _page("unsubscribe/resumed.html", token)
