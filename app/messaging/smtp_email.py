"""Email over SMTP with the standard library: multipart text + HTML, optional STARTTLS and login.

The point of no return is the end of the message body: a failure before it means the message did
not go (transient, or permanent for a 5xx refusal of the recipient or the message); a failure
after it, while waiting for the server's final reply, means it may have gone (unknown).
"""

from __future__ import annotations

import contextlib
import email.policy
import logging
import smtplib
import socket
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from typing_extensions import Buffer

from app.messaging.base import SendOutcome

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 30.0
#: A file attached to an email: (file name, MIME type such as "application/pdf", content).
Attachment = tuple[str, str, bytes]
# Plain ASCII stays 7bit; anything else is quoted-printable or base64, so no relay needs 8BITMIME.
_POLICY = email.policy.SMTP.clone(cte_type="7bit")
# Set by build_message itself; callers may not override them through `headers`.
RESERVED_HEADERS = frozenset(
    {
        "from",
        "to",
        "cc",
        "bcc",
        "sender",
        "subject",
        "date",
        "message-id",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
    }
)


class _TrackingSMTP(smtplib.SMTP):
    """smtplib.SMTP that remembers whether the whole message body has been handed to the server."""

    def __init__(self, *, local_hostname: str, timeout: float) -> None:
        self.body_sent = False
        self._go_ahead = False
        super().__init__(local_hostname=local_hostname, timeout=timeout)

    def getreply(self) -> tuple[int, bytes]:
        code, message = super().getreply()
        if code == 354:  # "start mail input": the next thing we send is the body
            self._go_ahead = True
        return code, message

    def send(self, s: Buffer | str) -> None:
        super().send(s)
        if self._go_ahead:
            self.body_sent = True


def _refusal(code: int, stage: str) -> SendOutcome:
    detail = f"the mail server refused the {stage} (SMTP {code})"
    if 500 <= code < 600:
        return SendOutcome.permanent(detail, error_code=str(code))
    return SendOutcome.transient(detail, error_code=str(code))


class SmtpEmailSender:
    """EmailSender over one SMTP connection per email (simple, and safe from any thread)."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        mail_from: str,
        username: str = "",
        password: str = "",
        starttls: bool = False,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        local_hostname: str | None = None,
    ) -> None:
        envelope_from = parseaddr(mail_from)[1]
        if "@" not in envelope_from:
            raise ValueError(f"MAIL_FROM must be an email address, not {mail_from!r}")
        self.host = host
        self.port = port
        self.mail_from = mail_from
        self.envelope_from = envelope_from
        self.username = username
        self._password = password
        self.starttls = starttls
        self.timeout = timeout
        self.local_hostname = local_hostname or socket.getfqdn()

    def build_message(
        self,
        to: str,
        subject: str,
        text: str,
        html: str,
        headers: dict[str, str],
        attachments: Sequence[Attachment] = (),
    ) -> EmailMessage:
        """The multipart/alternative message send_email would send (multipart/mixed with attachments)."""
        clashing = sorted(name for name in headers if name.lower() in RESERVED_HEADERS)
        if clashing:
            raise ValueError(f"these headers are set by the sender and may not be passed: {', '.join(clashing)}")
        message = EmailMessage(policy=_POLICY)
        message["From"] = self.mail_from
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = make_msgid(domain=self.envelope_from.rpartition("@")[2])
        for name, value in headers.items():
            message[name] = value
        message.set_content(text)
        message.add_alternative(html, subtype="html")
        for filename, content_type, content in attachments:
            maintype, _, subtype = content_type.partition("/")
            message.add_attachment(content, maintype=maintype, subtype=subtype or "octet-stream", filename=filename)
        return message

    def send_email(self, to: str, subject: str, text: str, html: str, headers: dict[str, str]) -> SendOutcome:
        """Send one email; see the module docstring for how failures are classified."""
        return self._send(self.build_message(to, subject, text, html, headers), to)

    def send_email_with_attachments(
        self, to: str, subject: str, text: str, html: str, headers: dict[str, str], attachments: Sequence[Attachment]
    ) -> SendOutcome:
        """Send one email with files attached (monthly reports); failures as for send_email."""
        return self._send(self.build_message(to, subject, text, html, headers, attachments), to)

    def _send(self, message: EmailMessage, to: str) -> SendOutcome:
        smtp = _TrackingSMTP(local_hostname=self.local_hostname, timeout=self.timeout)
        outcome = SendOutcome.unknown("interrupted")
        try:
            outcome = self._deliver(smtp, message, to)
        finally:
            # QUIT only when the server has answered everything; after a lost reply it would just wait.
            if outcome.status == "accepted" or outcome.error_code is not None:
                with contextlib.suppress(smtplib.SMTPException, OSError):
                    smtp.quit()
            smtp.close()
        return outcome

    def _deliver(self, smtp: _TrackingSMTP, message: EmailMessage, to: str) -> SendOutcome:
        try:
            smtp.connect(self.host, self.port)
        except (OSError, smtplib.SMTPException) as exc:
            return SendOutcome.transient(f"could not connect to the mail server ({type(exc).__name__})")
        try:
            smtp.ehlo_or_helo_if_needed()
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if self.username:
                smtp.login(self.username, self._password)
            smtp.send_message(message, from_addr=self.envelope_from, to_addrs=[to])
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            return _refusal(codes[0] if codes else 550, "recipient")
        except smtplib.SMTPSenderRefused as exc:
            log.error("the mail server refused MAIL_FROM (SMTP %s)", exc.smtp_code)
            return SendOutcome.transient(
                f"the mail server refused the sender (SMTP {exc.smtp_code}): check MAIL_FROM", str(exc.smtp_code)
            )
        except smtplib.SMTPDataError as exc:
            return _refusal(exc.smtp_code, "message")
        except smtplib.SMTPAuthenticationError as exc:
            log.error("the mail server refused the login (SMTP %s)", exc.smtp_code)
            return SendOutcome.transient(
                f"login refused (SMTP {exc.smtp_code}): check SMTP_USERNAME and SMTP_PASSWORD", str(exc.smtp_code)
            )
        except smtplib.SMTPNotSupportedError as exc:
            log.error("the mail server lacks a required extension: %s", exc)
            return SendOutcome.transient(f"the mail server does not support what we asked ({exc})")
        except smtplib.SMTPResponseException as exc:
            if smtp.body_sent:
                return SendOutcome.unknown(f"failed after the message was sent (SMTP {exc.smtp_code})")
            return SendOutcome.transient(f"the mail server refused (SMTP {exc.smtp_code})", str(exc.smtp_code))
        except (OSError, smtplib.SMTPException) as exc:
            if smtp.body_sent:
                return SendOutcome.unknown(
                    f"connection lost waiting for the final reply ({type(exc).__name__}); the email may have gone"
                )
            return SendOutcome.transient(f"connection failed before the message was sent ({type(exc).__name__})")
        return SendOutcome.accepted(str(message["Message-ID"]), detail="accepted by the mail server")
