"""Twilio webhooks: inbound SMS (answered with TwiML) and delivery-status callbacks.

Every request must carry a valid `X-Twilio-Signature`, computed over the URL Twilio was configured with,
which we take from `PUBLIC_BASE_URL` plus the path and query string: never from the Host or X-Forwarded-*
headers, which a caller chooses. An unsigned or mis-signed request gets 403 and nothing is written; so does
a signed one whose `MessageSid` is not a Twilio message SID, with 400. Bodies over 64 KB were refused (413)
before any of this (app/security/limits.py). The
routes stay thin and fast: one service call each, no email or provider call inside the request; the validator
is made once per auth token and the TwiML is written directly (the same bytes the twilio package writes).
"""

from __future__ import annotations

import functools
import logging
import re
from html import escape
from typing import Any, Final
from urllib.parse import urlparse

from flask import Blueprint, Response, abort, current_app, request
from twilio.request_validator import RequestValidator, add_port, compare, remove_port

from app.extensions import limiter
from app.models.types import utcnow
from app.security.access import public
from app.services.conversation import handle_inbound_sms
from app.services.dispatch import record_status

log = logging.getLogger("stillwell.webhooks")

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks/twilio")

#: A Twilio message SID: SM (an SMS) or MM (an MMS) and 32 lower-case hex digits (SPEC 8.6).
MESSAGE_SID: Final = re.compile(r"^(SM|MM)[0-9a-f]{32}$")


@limiter.request_filter
def _not_rate_limited() -> bool:
    """Twilio's webhooks are exempt from rate limits (below): spare them the limiter's per-request work too."""
    return request.blueprint == bp.name


def signed_url() -> str:
    """The URL Twilio signed: our public base URL, the path and the query string as received."""
    query = request.query_string.decode("latin-1")
    return str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/") + request.path + (f"?{query}" if query else "")


@functools.lru_cache(maxsize=8)
def _validator(token: str) -> RequestValidator:
    return RequestValidator(token)


@functools.lru_cache(maxsize=64)
def _url_forms(url: str) -> tuple[str, str]:
    parsed = urlparse(url)
    return remove_port(parsed), add_port(parsed)


def signature_is_valid(token: str, url: str, params: Any, signature: str) -> bool:
    """`RequestValidator(token).validate(url, params, signature)` for form posts: the URL without its port, else
    with it. It stops at the first match instead of always computing both."""
    validator = _validator(token)
    return any(compare(validator.compute_signature(form, params), signature) for form in _url_forms(url))


def twiml(replies: list[str]) -> str:
    """A TwiML <Response> with one <Message> per reply, exactly as twilio's MessagingResponse writes it."""
    if not replies:
        return '<?xml version="1.0" encoding="UTF-8"?><Response />'
    messages = "".join(
        f"<Message>{escape(reply, quote=False)}</Message>" if reply else "<Message />" for reply in replies
    )
    return f'<?xml version="1.0" encoding="UTF-8"?><Response>{messages}</Response>'


def _message_sid() -> str:
    """The request's `MessageSid`; 400 (before anything is written) unless it is one Twilio could have made."""
    sid = request.form.get("MessageSid", "")
    if not MESSAGE_SID.fullmatch(sid):
        log.warning("refused a webhook request to %s: MessageSid is missing or not a Twilio message SID", request.path)
        abort(400, "MessageSid must be SM or MM followed by 32 lower-case hexadecimal digits")
    return sid


def _require_signature() -> None:
    token = current_app.config.get("TWILIO_AUTH_TOKEN") or ""
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature or not signature_is_valid(token, signed_url(), request.form, signature):
        log.warning("refused a webhook request to %s without a valid Twilio signature", request.path)
        abort(403)


@bp.post("/sms")
@public
@limiter.exempt  # Twilio's few addresses carry every client's messages: a per-address limit would drop them
def inbound_sms() -> Response:
    """An inbound SMS: handle it and answer with one <Message> per reply (an empty <Response/> for none)."""
    _require_signature()
    sid, sender = _message_sid(), request.form.get("From", "")
    if not sender:
        abort(400)
    replies = handle_inbound_sms(sid, sender, request.form.get("Body", ""), utcnow())
    return Response(twiml(replies), mimetype="text/xml")


@bp.post("/status")
@public
@limiter.exempt
def delivery_status() -> Response:
    """A delivery-status callback: move the message's status forward (never back)."""
    _require_signature()
    sid = _message_sid()
    status = request.form.get("MessageStatus") or request.form.get("SmsStatus") or ""
    if not status:
        abort(400)
    record_status(sid, status, request.form.get("ErrorCode") or None, utcnow())
    return Response(status=204)
