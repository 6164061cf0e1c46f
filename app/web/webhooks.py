"""Twilio webhooks: inbound SMS (answered with TwiML) and delivery-status callbacks.

Every request must carry a valid `X-Twilio-Signature`, computed over the URL Twilio was configured with,
which we take from `PUBLIC_BASE_URL` plus the path and query string: never from the Host or X-Forwarded-*
headers, which a caller chooses. An unsigned or mis-signed request gets 403 and nothing is written. The
routes stay thin and fast: one service call each, no email or provider call inside the request; the validator
is made once per auth token and the TwiML is written directly (the same bytes the twilio package writes).
"""

from __future__ import annotations

import functools
import logging
from html import escape
from typing import Any
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
    sid, sender = request.form.get("MessageSid", ""), request.form.get("From", "")
    if not sid or not sender:
        abort(400)
    replies = handle_inbound_sms(sid, sender, request.form.get("Body", ""), utcnow())
    return Response(twiml(replies), mimetype="text/xml")


@bp.post("/status")
@public
@limiter.exempt
def delivery_status() -> Response:
    """A delivery-status callback: move the message's status forward (never back)."""
    _require_signature()
    sid = request.form.get("MessageSid", "")
    status = request.form.get("MessageStatus") or request.form.get("SmsStatus") or ""
    if not sid or not status:
        abort(400)
    record_status(sid, status, request.form.get("ErrorCode") or None, utcnow())
    return Response(status=204)
