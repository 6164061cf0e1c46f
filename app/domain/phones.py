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


#: How UK mobile numbers are mostly written in a discharge list: 07xxx xxxxxx or +44 7xxx xxxxxx, with spaces
#: or hyphens anywhere. Such a number needs no parsing: its national number is the digits after 0 or +44.
_WRITTEN_UK_MOBILE: Final = re.compile(r"(?:\+44|0)(7[0-9]{9})")
_SEPARATORS: Final = str.maketrans("", "", " -")


def _written_uk_mobile(value: str) -> tuple[str, bool] | bool | None:
    """The answer for a number written as a UK 07 number, without phonenumbers' parser (a third of the time of a
    200,000-row list went there), classified against GB's metadata as below; False when not written so."""
    match = _WRITTEN_UK_MOBILE.fullmatch(value.translate(_SEPARATORS))
    if match is None:
        return False
    national = match.group(1)
    # is_valid_number_for_region(number, "GB") is exactly "GB's type of it is not UNKNOWN": one classification
    # gives both whether it is valid and whether it is a mobile.
    number_type = phonenumberutil._number_type_helper(national, _GB_METADATA)
    if number_type == phonenumbers.PhoneNumberType.UNKNOWN:  # not GB's: Isle of Man, Jersey... or not allocated
        number = phonenumbers.PhoneNumber(country_code=44, national_number=int(national))
        return ("+44" + national, False) if phonenumbers.is_valid_number(number) else None
    return "+44" + national, number_type == phonenumbers.PhoneNumberType.MOBILE


def normalise_phone(value: str) -> tuple[str, bool] | None:
    """(E.164, is a UK mobile) for a UK or international number; None when it is not a valid number."""
    written = _written_uk_mobile(value)
    if written is not False:
        return written  # type: ignore[return-value]
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


#: The numbers Ofcom reserves for TV and radio drama, as national significant numbers (no leading 0):
#: each prefix is followed by three digits (01632 960000 to 960999, 07700 900000 to 900999, ...).
#: phonenumbers counts some of them (07700 900xxx, 01632 960xxx, 0115 496 0xxx) as not valid, and so intake
#: refuses them; the others sit in allocated blocks and are accepted (a landline is never texted).
OFCOM_DRAMA_PREFIXES: Final = (
    "1134960",
    "1144960",
    "1154960",
    "1164960",
    "1174960",
    "1184960",
    "1214960",
    "1314960",
    "1414960",
    "1514960",
    "1614960",
    "1914980",
    "1632960",
    "2079460",
    "2896496",
    "2920180",
    "3069990",
    "7700900",
    "8081570",
    "9098790",
)
#: How a phone number may be written, as the refusals say it.
PHONE_FORMS: Final = "a UK number such as 07xxx xxxxxx, or E.164 such as +447xxxxxxxxx"
#: The refusal of a number in one of Ofcom's drama ranges.
DRAMA_RANGE: Final = "is in the range Ofcom reserves for TV and radio drama, so it cannot reach anyone"
NOT_ALLOCATED: Final = "is not an allocated UK number"


def is_drama_number(value: str) -> bool:
    """Whether `value` is a UK number in a range Ofcom reserves for TV and radio drama (so it reaches nobody)."""
    try:
        return _in_drama_range(phonenumbers.parse(value, "GB"))
    except phonenumbers.NumberParseException:
        return False


def _in_drama_range(number: phonenumbers.PhoneNumber) -> bool:
    significant = phonenumbers.national_significant_number(number)
    return number.country_code == 44 and len(significant) == 10 and significant.startswith(OFCOM_DRAMA_PREFIXES)


def phone_problem(value: str) -> str:
    """Why `normalise_phone` refuses `value`, for the person who wrote it (the number itself is not repeated).

    Only for a value `normalise_phone` refused: a number in a drama range, one that is not allocated, one
    with too few or too many digits, or text that is not a phone number at all."""
    try:
        number = phonenumbers.parse(value, "GB")
    except phonenumbers.NumberParseException:
        return f"is not a valid phone number ({PHONE_FORMS})"
    if _in_drama_range(number):
        return DRAMA_RANGE
    length = phonenumbers.is_possible_number_with_reason(number)
    if number.country_code == 44:
        if phonenumbers.national_significant_number(number).startswith("7"):  # mobiles: 07 and 9 more digits
            length = phonenumbers.is_possible_number_for_type_with_reason(number, phonenumbers.PhoneNumberType.MOBILE)
        if length == phonenumbers.ValidationResult.IS_POSSIBLE:
            return f"{NOT_ALLOCATED} (check it for a mistyped digit)"
        if length == phonenumbers.ValidationResult.TOO_LONG:
            return f"is not a valid phone number: too many digits for a UK number ({PHONE_FORMS})"
        return f"is not a valid phone number: too few digits for a UK number ({PHONE_FORMS})"
    if length == phonenumbers.ValidationResult.IS_POSSIBLE:
        return f"is not an allocated number for country code +{number.country_code}"
    return f"is not a valid phone number for country code +{number.country_code} ({PHONE_FORMS})"


def dialling_form(e164: str) -> str:
    """How a person dials a stored number from the UK: a +44 number in national form ("07700 900123"), any
    other in international form ("+353 86 123 4567"); text that is not a number comes back as it is."""
    try:
        number = phonenumbers.parse(e164, "GB")
    except phonenumbers.NumberParseException:
        return e164
    if number.country_code == 44:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def sender_number(number: str) -> str:
    """What an inbound sender's keyed hash is made from: E.164, or the text as given (stripped) when not a number."""
    if _UK_MOBILE_E164.fullmatch(number):
        return number  # already its own normal form: the common case, without phonenumbers' parsing
    normalised = normalise_phone(number.strip())
    return normalised[0] if normalised else number.strip()
