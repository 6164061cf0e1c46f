"""The TOTP second factor (RFC 6238): secrets, codes accepted once, and the enrolment QR code.

Secrets are Fernet-encrypted at rest with the same keys as contact details. A code is accepted for
the current 30-second step and one step either side (clock drift), and never twice: the caller
stores the step it matched (`User.totp_last_step`) and later codes must be from a later step, so a
code seen over someone's shoulder cannot be replayed.
"""

from __future__ import annotations

import hmac
import re
from datetime import datetime
from typing import Final

import pyotp
import segno
from markupsafe import Markup

from app.security.fields import field_security

ISSUER: Final = "Stillwell"
#: Steps either side of now that are still accepted (clock drift between phone and server).
DRIFT_STEPS: Final = 1
_CODE = re.compile(r"^\d{6}$")


def new_secret() -> str:
    """A fresh random base32 secret (160 bits)."""
    return pyotp.random_base32(length=32)


def encrypt_secret(secret: str) -> str:
    """The secret as stored (Fernet under FIELD_ENCRYPTION_KEYS)."""
    return field_security().encrypt(secret)


def decrypt_secret(token: str) -> str:
    """The secret from its stored form."""
    return field_security().decrypt(token)


def normalise_code(code: str) -> str:
    """A code as typed: spaces and hyphens (as apps display "123 456") are ignored."""
    return re.sub(r"[\s-]", "", code or "")


def matching_step(secret: str, code: str, now: datetime, last_step: int | None) -> int | None:
    """The time step the code belongs to (now, or one step either side), or None.

    A step at or before `last_step` never matches: each code works once.
    """
    code = normalise_code(code)
    if not _CODE.match(code):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def provisioning_uri(secret: str, account: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=ISSUER)


def qr_code_svg(uri: str) -> Markup:
    """The URI as an inline SVG QR code made on the server (no script, no external image, no inline style)."""
    svg = segno.make(uri, error="m").svg_inline(
        scale=4, omitsize=True, svgclass="qr-code", title="QR code for your authenticator app"
    )
    return Markup(svg.replace("<svg ", '<svg role="img" focusable="false" ', 1))  # noqa: S704 - made by segno from our own URI


def display_secret(secret: str) -> str:
    """The secret in groups of four, easier to type into an app by hand."""
    return " ".join(secret[index : index + 4] for index in range(0, len(secret), 4))
