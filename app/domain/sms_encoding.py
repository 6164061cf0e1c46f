"""How an SMS is encoded and how many segments it costs (SPEC section 8.3): the one implementation.

A text made only of the GSM 03.38 basic character set and its extension table is sent as GSM-7: 160
septets in one segment, 153 in each segment of a concatenated message, and an extension character
(`^{}\\[~]|€` and form feed: escape + character) counts two septets and is never split across segments.
Any other character (Welsh ŵ, ŷ, â, curly quotes, emoji...) makes the whole text UCS-2: 70 UTF-16 code
units in one segment, 67 in each concatenated segment; a character outside the Basic Multilingual Plane
(most emoji) is a surrogate pair of two units, and a pair is never split across segments.
Pure: standard library only.
"""

from __future__ import annotations

from typing import Final, Literal, NamedTuple, TypeAlias

Encoding: TypeAlias = Literal["GSM-7", "UCS-2"]

# The GSM 03.38 basic character set, plus the extension table (which costs two septets each).
GSM7_BASIC: Final = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED: Final = "^{}\\[~]|€\f"
_GSM7: Final = frozenset(GSM7_BASIC) | frozenset(GSM7_EXTENDED)

#: (characters in a single segment, characters in each segment of a concatenated message), by encoding.
SEGMENT_SIZES: Final[dict[Encoding, tuple[int, int]]] = {"GSM-7": (160, 153), "UCS-2": (70, 67)}


class SmsSize(NamedTuple):
    """What a text costs: its encoding, its length in that encoding's units, and its segments."""

    encoding: Encoding
    units: int  # GSM-7 septets, or UTF-16 code units for UCS-2
    segments: int


def is_gsm7(text: str) -> bool:
    """Whether every character of the text is in the GSM-7 basic set or its extension table."""
    return _GSM7.issuperset(text)


def encoding_of(text: str) -> Encoding:
    return "GSM-7" if is_gsm7(text) else "UCS-2"


def _unit_sizes(text: str, encoding: Encoding) -> list[int]:
    """Each character's size in units: 2 for an extension character (GSM-7) or a surrogate pair (UCS-2)."""
    if encoding == "GSM-7":
        return [2 if char in GSM7_EXTENDED else 1 for char in text]
    return [2 if ord(char) > 0xFFFF else 1 for char in text]


def _segments(sizes: list[int], single: int, each: int) -> int:
    if sum(sizes) <= single:
        return 1
    # A two-unit character is never split, so a concatenated segment may end one unit short.
    segments, used = 1, 0
    for size in sizes:
        if used + size > each:
            segments, used = segments + 1, 0
        used += size
    return segments


def measure(text: str) -> SmsSize:
    """The encoding, length in units and number of segments of one SMS text (an empty text is one segment)."""
    encoding = encoding_of(text)
    sizes = _unit_sizes(text, encoding)
    single, each = SEGMENT_SIZES[encoding]
    return SmsSize(encoding, sum(sizes), _segments(sizes, single, each))


def gsm7_septets(text: str) -> int:
    """Length in GSM-7 septets: extension characters count twice."""
    return sum(_unit_sizes(text, "GSM-7"))


def gsm7_segments(text: str) -> int:
    """Segments of a text counted as GSM-7 (160 in one, 153 each when concatenated), whatever it holds."""
    return _segments(_unit_sizes(text, "GSM-7"), *SEGMENT_SIZES["GSM-7"])
