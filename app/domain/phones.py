"""Phone numbers, normalised once for everyone: intake stores what inbound SMS senders are matched by.

A client is found by the keyed hash of their number, so the discharge list's "07400 123456" and Twilio's
"+447400123456" must come out the same: both go through `normalise_phone` (E.164), and an inbound sender
through `sender_number`, which uses it.
"""

from __future__ import annotations

import re
from typing import Final

import phonenumbers
from phonenumbers import phonenumberutil

#: A UK mobile number in E.164, as Twilio sends it: `normalise_phone` gives it back unchanged, so the
#: webhook's common case skips phonenumbers' parsing (tests/unit/test_phones.py checks they agree).
_UK_MOBILE_E164: Final = re.compile(r"\+447[0-9]{9}")


def _gb_metadata() -> phonenumbers.PhoneMetadata:
    metadata = phonenumbers.PhoneMetadata.metadata_for_region("GB")
    assert metadata is not None  # phonenumbers always ships GB
    return metadata


_GB_METADATA = _gb_metadata()


def normalise_phone(value: str) -> tuple[str, bool] | None:
    """(E.164, is a UK mobile) for a UK or international number; None when it is not a valid number."""
    try:
        number = phonenumbers.parse(value, "GB")
    except phonenumbers.NumberParseException:
        return None
    if phonenumbers.is_valid_number_for_region(number, "GB"):
        # Fast path for the common case (10x faster than number_type, which first tries every
        # region sharing +44): classify against GB's own metadata, exactly as number_type would
        # once it had found the region. tests/unit/test_phone_fast_path.py checks they agree.
        number_type = phonenumberutil._number_type_helper(
            phonenumbers.national_significant_number(number), _GB_METADATA
        )
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        return e164, number_type == phonenumbers.PhoneNumberType.MOBILE
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), False


def sender_number(number: str) -> str:
    """What an inbound sender's keyed hash is made from: E.164, or the text as given (stripped) when not a number."""
    if _UK_MOBILE_E164.fullmatch(number):
        return number  # already its own normal form: the common case, without phonenumbers' parsing
    normalised = normalise_phone(number.strip())
    return normalised[0] if normalised else number.strip()
