"""`/u/<token>`: stop (and resume) messages from the link in every email.

A GET only asks (mail scanners open links); the POST acts. Mail clients' one-click unsubscribe
(RFC 8058, `List-Unsubscribe-Post`) POSTs without a form token, so the signed link itself is the
proof and CSRF does not apply here.
"""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from app.models.types import utcnow
from app.security.access import public
from app.services.contact import links as service

bp = Blueprint("unsubscribe", __name__)


@bp.get("/u/<token>")
@public
def confirm(token: str) -> ResponseReturnValue:
    if service.contact_hash_for(token) is None:
        return render_template("unsubscribe/invalid.html"), 404
    return render_template("unsubscribe/confirm.html", token=token)


@bp.post("/u/<token>")
@public
def stop(token: str) -> ResponseReturnValue:
    if not service.unsubscribe(token, utcnow()):
        return render_template("unsubscribe/invalid.html"), 404
    return render_template("unsubscribe/stopped.html", token=token)


@bp.post("/u/<token>/resume")
@public
def start(token: str) -> ResponseReturnValue:
    if not service.resume(token, utcnow()):
        return render_template("unsubscribe/invalid.html"), 404
    return render_template("unsubscribe/resumed.html")
