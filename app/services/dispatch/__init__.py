"""Sending check-ins: the dispatch tick, the providers behind it, and their delivery-status callbacks.

A tick (ticking) closes what is over (closing), reconciles messages a crash left in `sending` (reconciling),
claims what is due (claiming), sends first messages with fallbacks (first_sends) and reminders (reminders),
writing each message row first (message_rows) and sending through the providers (sending).
"""

from app.services.dispatch.delivery_status import record_status
from app.services.dispatch.sending import decrypt, new_survey_token, survey_link
from app.services.dispatch.summary import Senders, TickSummary
from app.services.dispatch.ticking import tick

__all__ = ["Senders", "TickSummary", "decrypt", "new_survey_token", "record_status", "survey_link", "tick"]
