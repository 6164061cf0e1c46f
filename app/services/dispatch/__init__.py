"""Sending check-ins: the dispatch tick, the providers behind it, and their delivery-status callbacks."""

from app.services.dispatch.delivery_status import record_status
from app.services.dispatch.sending import decrypt, new_survey_token, survey_link
from app.services.dispatch.ticking import REMINDER_AFTER, RESPONSE_WINDOW, Senders, tick

__all__ = [
    "REMINDER_AFTER",
    "RESPONSE_WINDOW",
    "Senders",
    "decrypt",
    "new_survey_token",
    "record_status",
    "survey_link",
    "tick",
]
