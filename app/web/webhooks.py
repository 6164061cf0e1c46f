"""Twilio webhooks: inbound SMS (answered with TwiML) and delivery-status callbacks.

Every request must carry a valid `X-Twilio-Signature`, computed over the URL Twilio was configured with,
which we take from `PUBLIC_BASE_URL` plus the path and query string: never from the Host or X-Forwarded-*
headers, which a caller chooses. An unsigned or mis-signed request gets 403 and nothing is written. The
routes stay thin and fast: one service call each, no email or provider call inside the request.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, current_app, request
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from app.models.types import utcnow
from app.services.delivery_status import record_status
from app.services.inbound import handle_inbound_sms

log = logging.getLogger("stillwell.webhooks")

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks/twilio")


def signed_url() -> str:
    """The URL Twilio signed: our public base URL, the path and the query string as received."""
    query = request.query_string.decode("latin-1")
    return str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/") + request.path + (f"?{query}" if query else "")


def _require_signature() -> None:
    token = current_app.config.get("TWILIO_AUTH_TOKEN") or ""
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature or not RequestValidator(token).validate(signed_url(), request.form, signature):
        log.warning("refused a webhook request to %s without a valid Twilio signature", request.path)
        abort(403)


@bp.post("/sms")
def inbound_sms() -> Response:
    """An inbound SMS: handle it and answer with one <Message> per reply (an empty <Response/> for none)."""
    _require_signature()
    sid, sender = request.form.get("MessageSid", ""), request.form.get("From", "")
    if not sid or not sender:
        abort(400)
    replies = handle_inbound_sms(sid, sender, request.form.get("Body", ""), utcnow())
    twiml = MessagingResponse()
    for reply in replies:
        twiml.message(reply)
    return Response(str(twiml), mimetype="text/xml")


@bp.post("/status")
def delivery_status() -> Response:
    """A delivery-status callback: move the message's status forward (never back)."""
    _require_signature()
    sid = request.form.get("MessageSid", "")
    status = request.form.get("MessageStatus") or request.form.get("SmsStatus") or ""
    if not sid or not status:
        abort(400)
    record_status(sid, status, request.form.get("ErrorCode") or None, utcnow())
    return Response(status=204)
