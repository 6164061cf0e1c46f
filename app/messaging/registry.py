"""Choose a transport from the settings: `SMS_TRANSPORT=console|twilio`, `MAIL_TRANSPORT=console|smtp`.

Each factory takes the settings mapping (a Flask `app.config`, or a plain dict in tests).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from app.domain.discretion import forbidden_words_in
from app.messaging.base import EmailSender, SmsSender
from app.messaging.console import ConsoleEmailSender, ConsoleSmsSender

SmsFactory = Callable[[Mapping[str, Any]], SmsSender]
EmailFactory = Callable[[Mapping[str, Any]], EmailSender]


def _setting(config: Mapping[str, Any], name: str, default: str = "") -> str:
    value = config.get(name)
    return default if value is None else str(value).strip()


def _console_sms(config: Mapping[str, Any]) -> SmsSender:
    return ConsoleSmsSender()


def _twilio_sms(config: Mapping[str, Any]) -> SmsSender:
    from app.messaging.twilio_sms import DEFAULT_TIMEOUT_SECONDS, TWILIO_API_ORIGIN, TwilioSmsSender

    missing = [name for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN") if not _setting(config, name)]
    if missing:
        raise ValueError(f"SMS_TRANSPORT=twilio needs {' and '.join(missing)}")
    from_number = _setting(config, "TWILIO_FROM_NUMBER")
    service_sid = _setting(config, "TWILIO_MESSAGING_SERVICE_SID")
    if not from_number and not service_sid:
        raise ValueError("SMS_TRANSPORT=twilio needs TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID")
    api_base = _setting(config, "TWILIO_API_BASE", TWILIO_API_ORIGIN) or TWILIO_API_ORIGIN
    if not api_base.startswith(("https://", "http://")):
        raise ValueError(f"TWILIO_API_BASE must be an http(s) URL, not {api_base!r}")
    return TwilioSmsSender(
        _setting(config, "TWILIO_ACCOUNT_SID"),
        _setting(config, "TWILIO_AUTH_TOKEN"),
        # A Messaging Service picks the sender from its pool (and spreads load); it wins when both are set.
        from_number="" if service_sid else from_number,
        messaging_service_sid=service_sid,
        api_base=api_base,
        timeout=float(config.get("TWILIO_TIMEOUT_SECONDS") or DEFAULT_TIMEOUT_SECONDS),
    )


def _mail_from(config: Mapping[str, Any]) -> str:
    mail_from = _setting(config, "MAIL_FROM")
    if not mail_from:
        raise ValueError("MAIL_FROM must be set")
    found = forbidden_words_in(mail_from)
    if found:
        raise ValueError(f"MAIL_FROM must not reveal what the service is (it contains {', '.join(found)})")
    return mail_from


def _console_email(config: Mapping[str, Any]) -> EmailSender:
    return ConsoleEmailSender()


def _smtp_email(config: Mapping[str, Any]) -> EmailSender:
    from app.messaging.smtp_email import DEFAULT_TIMEOUT_SECONDS, SmtpEmailSender

    host = _setting(config, "SMTP_HOST")
    if not host:
        raise ValueError("MAIL_TRANSPORT=smtp needs SMTP_HOST")
    try:
        port = int(config.get("SMTP_PORT") or 25)
    except (TypeError, ValueError):
        raise ValueError(f"SMTP_PORT must be a whole number, not {config.get('SMTP_PORT')!r}") from None
    starttls = config.get("SMTP_STARTTLS", False)
    if isinstance(starttls, str):
        starttls = starttls.strip().lower() in {"1", "true", "yes", "on"}
    return SmtpEmailSender(
        host,
        port,
        mail_from=_mail_from(config),
        username=_setting(config, "SMTP_USERNAME"),
        password=str(config.get("SMTP_PASSWORD") or ""),
        starttls=bool(starttls),
        timeout=float(config.get("SMTP_TIMEOUT_SECONDS") or DEFAULT_TIMEOUT_SECONDS),
        local_hostname=_setting(config, "SMTP_LOCAL_HOSTNAME") or None,
    )


SMS_PROVIDERS: dict[str, SmsFactory] = {"console": _console_sms, "twilio": _twilio_sms}
EMAIL_PROVIDERS: dict[str, EmailFactory] = {"console": _console_email, "smtp": _smtp_email}


def sms_sender(config: Mapping[str, Any]) -> SmsSender:
    """The SmsSender named by `SMS_TRANSPORT` (default console); ValueError for unusable settings."""
    name = _setting(config, "SMS_TRANSPORT", "console") or "console"
    try:
        factory = SMS_PROVIDERS[name]
    except KeyError:
        raise ValueError(f"SMS_TRANSPORT must be one of {', '.join(SMS_PROVIDERS)}, not {name!r}") from None
    return factory(config)


def email_sender(config: Mapping[str, Any]) -> EmailSender:
    """The EmailSender named by `MAIL_TRANSPORT` (default console); ValueError for unusable settings."""
    name = _setting(config, "MAIL_TRANSPORT", "console") or "console"
    try:
        factory = EMAIL_PROVIDERS[name]
    except KeyError:
        raise ValueError(f"MAIL_TRANSPORT must be one of {', '.join(EMAIL_PROVIDERS)}, not {name!r}") from None
    return factory(config)
