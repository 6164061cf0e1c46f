"""Messaging: SMS and email transports behind two small Protocols, chosen by the settings.

    from app.messaging import sms_sender, email_sender
    outcome = sms_sender(app.config).send_sms("+447700900123", "Hello", status_callback=None)
    if outcome.status == "accepted": ...

Provider modules (twilio, smtplib) load only when their transport is chosen.
"""

from app.messaging.base import (
    EmailSender,
    ProviderLookupError,
    ProviderMessage,
    SendOutcome,
    SendStatus,
    SmsSender,
)
from app.messaging.masking import mask_email, mask_phone
from app.messaging.registry import EMAIL_PROVIDERS, SMS_PROVIDERS, email_sender, sms_sender

__all__ = [
    "EMAIL_PROVIDERS",
    "SMS_PROVIDERS",
    "EmailSender",
    "ProviderLookupError",
    "ProviderMessage",
    "SendOutcome",
    "SendStatus",
    "SmsSender",
    "email_sender",
    "mask_email",
    "mask_phone",
    "sms_sender",
]
