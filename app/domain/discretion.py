"""Discretion: what a text, subject line or sender name may say, so a glance at a phone reveals nothing.

No message may name therapy or mental health, in English or in Welsh, and only GSM-7 characters are used in
SMS so an old phone shows the text as written and it costs what we think it costs.
"""

from __future__ import annotations

import re

from app.domain.sms_encoding import GSM7_BASIC, GSM7_EXTENDED, gsm7_septets, is_gsm7, measure

__all__ = [
    "FORBIDDEN_WORDS",
    "GSM7_BASIC",
    "GSM7_EXTENDED",
    "SHORT_NAME_MAX",
    "DiscretionError",
    "check_short_name",
    "forbidden_words_in",
    "gsm7_septets",
    "is_gsm7",
    "sms_segments",
]

FORBIDDEN_WORDS: tuple[str, ...] = (
    "therapy",
    "therapist",
    "mental",
    "counselling",
    "depression",
    "anxiety",
    "psychological",
    "psychology",
    "iapt",
    "talking therapies",
    # Welsh (SPEC 8.3); "therapi", "therapïau" and "therapydd" are caught by therapy's stem.
    "iselder",
    "gorbryder",
    "seicolegol",
    "iechyd meddwl",
    "cwnsela",
    "hunanladdiad",
)
# What each forbidden word is matched by, so its other forms are caught too ("Therapies", "therapeutic",
# "psychologists", "counsellor", "counseling", "depressed", "anxious").
_FORBIDDEN_STEMS: dict[str, str] = {
    "therapy": "therap",
    "therapist": "therapist",
    "mental": "mental",
    "counselling": "counsel",
    "depression": "depress",
    "anxiety": "anxi",
    "psychological": "psycholog",
    "psychology": "psycholog",
    "iapt": "iapt",
    "talking therapies": "talking therap",
    # Welsh, mutated forms too: "ei orbryder", "seicoleg", "seicolegydd", "iechyd meddyliol", "gwnsela",
    # "cwnselydd", "hunanladdol".
    "iselder": "iselder",
    "gorbryder": "orbryder",
    "seicolegol": "seicoleg",
    "iechyd meddwl": "iechyd medd",
    "cwnsela": "wnsel",
    "hunanladdiad": "hunanladd",
}
SHORT_NAME_MAX = 20


class DiscretionError(ValueError):
    """A name or text that would reveal too much, or would not display on every phone."""


def forbidden_words_in(text: str) -> list[str]:
    """The forbidden words a text contains, in any form (as whole words or inside longer ones, case-insensitive).

    Each word is matched by its stem, so "Tyne Therapies" reports therapy.
    """
    lowered = re.sub(r"\s+", " ", text.lower())
    return [word for word in FORBIDDEN_WORDS if _FORBIDDEN_STEMS[word] in lowered]


def sms_segments(text: str) -> int:
    """Number of SMS segments of a text, GSM-7 or UCS-2 (see `app.domain.sms_encoding.measure`)."""
    return measure(text).segments


def check_short_name(name: str) -> str:
    """A service's discreet short name: GSM-7, at most 20 characters, no clinical words."""
    name = re.sub(r"\s+", " ", name.strip())
    if not name:
        raise DiscretionError("the short name must not be empty")
    if len(name) > SHORT_NAME_MAX:
        raise DiscretionError(f"the short name {name!r} is longer than {SHORT_NAME_MAX} characters")
    if not is_gsm7(name):
        raise DiscretionError(
            f"the short name {name!r} has characters that not every phone can show (use plain letters)"
        )
    found = forbidden_words_in(name)
    if found:
        raise DiscretionError(
            f"the short name {name!r} contains {', '.join(found)}: texts must not reveal what the service is"
        )
    return name
