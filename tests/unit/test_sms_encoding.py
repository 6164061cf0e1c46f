"""SMS encoding and segments (SPEC 8.3): GSM-7 160/153 with double-width extension characters, UCS-2 70/67
in UTF-16 code units."""

from __future__ import annotations

import pytest

from app.domain.sms_encoding import GSM7_EXTENDED, SmsSize, encoding_of, measure


@pytest.mark.parametrize(
    ("length", "segments"), [(0, 1), (1, 1), (160, 1), (161, 2), (153 * 2, 2), (153 * 2 + 1, 3), (153 * 3, 3)]
)
def test_gsm7_boundaries(length: int, segments: int) -> None:
    assert measure("a" * length) == SmsSize("GSM-7", length, segments)


@pytest.mark.parametrize("char", list(GSM7_EXTENDED))
def test_extension_characters_count_double_and_are_never_split(char: str) -> None:
    assert measure("a" * 158 + char) == SmsSize("GSM-7", 160, 1)
    assert measure("a" * 159 + char) == SmsSize("GSM-7", 161, 2)
    # 152 + 2 would straddle the first concatenated segment: the pair moves to the second one.
    assert measure("a" * 152 + char + "a" * 152).segments == 3
    assert measure("a" * 151 + char + "a" * 153) == SmsSize("GSM-7", 306, 2)


def test_the_gsm7_basic_set_keeps_gsm7() -> None:
    assert measure("£é@ÄñΩ¿\n").encoding == "GSM-7"


@pytest.mark.parametrize(("length", "segments"), [(70, 1), (71, 2), (67 * 2, 2), (67 * 2 + 1, 3)])
def test_ucs2_boundaries(length: int, segments: int) -> None:
    text = "ŵ" + "a" * (length - 1)
    assert measure(text) == SmsSize("UCS-2", length, segments)


@pytest.mark.parametrize("letter", ["ŵ", "ŷ", "â", "ô", "ï", "Ŵ"])
def test_welsh_letters_outside_gsm7_force_ucs2(letter: str) -> None:
    assert encoding_of(f"Croeso {letter}") == "UCS-2"
    assert measure("a" * 100).segments == 1
    assert measure("a" * 99 + letter).segments == 2  # the same length, now 70/67


def test_emoji_are_surrogate_pairs_of_two_units_never_split() -> None:
    assert measure("\U0001f600") == SmsSize("UCS-2", 2, 1)
    assert measure("\U0001f600" * 35) == SmsSize("UCS-2", 70, 1)
    assert measure("a" + "\U0001f600" * 35) == SmsSize("UCS-2", 71, 2)
    assert measure("a" * 66 + "\U0001f600" + "a" * 66).segments == 3  # 134 units, but the pair cannot straddle
    assert measure("a" * 65 + "\U0001f600" + "a" * 67) == SmsSize("UCS-2", 134, 2)


def test_a_bmp_character_outside_gsm7_is_one_unit() -> None:
    assert measure("\u2019" * 70) == SmsSize("UCS-2", 70, 1)  # curly apostrophe
    assert measure("€" * 70).encoding == "GSM-7"  # the euro sign is in the extension table
