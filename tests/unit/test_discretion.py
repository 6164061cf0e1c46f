"""Discretion (SPEC section 2): short names and texts reveal nothing, and SMS texts stay GSM-7 and short."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.discretion import (
    FORBIDDEN_WORDS,
    GSM7_BASIC,
    GSM7_EXTENDED,
    SHORT_NAME_MAX,
    DiscretionError,
    check_short_name,
    forbidden_words_in,
    gsm7_septets,
    is_gsm7,
    sms_segments,
)

# --- check_short_name ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "Talking Therapies NE",  # 20 characters
        "MENTAL health",
        "Tyne Therapy",
        "therapist finder",
        "Counselling North",
        "No Depression",
        "AnXiEtY Care",
        "Psychological Svc",
        "Psychology Team",
        "IAPT Tyne",
        "Talking  Therapies",  # extra space
        "Tyne Therapies",  # plural
        "Tyne Psychologists",
        "Counsellors R Us",
        "Counseling Co",  # US spelling
        "Physiotherapy Plus",  # inside a longer word
    ],
)
def test_short_name_with_a_forbidden_word_is_refused(name: str) -> None:
    with pytest.raises(DiscretionError, match="reveal"):
        check_short_name(name)


def test_tyne_talking_therapies_is_refused() -> None:
    with pytest.raises(DiscretionError):
        check_short_name("Tyne Talking Therapies")  # 22 characters as well as forbidden words
    assert forbidden_words_in("Tyne Talking Therapies") == ["therapy", "talking therapies"]


def test_forbidden_word_is_named_in_the_message() -> None:
    with pytest.raises(DiscretionError, match="mental"):
        check_short_name("Tyne MENTAL Health")


@pytest.mark.parametrize("word", FORBIDDEN_WORDS)
def test_every_forbidden_word_is_refused_in_any_case(word: str) -> None:
    for form in (word, word.upper(), word.title()):
        assert word in forbidden_words_in(f"x {form} y")
        if len(form) <= SHORT_NAME_MAX:
            with pytest.raises(DiscretionError):
                check_short_name(form)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Tyne Wellbeing", []),
        ("Tyne Therapies", ["therapy"]),
        ("Talking Therapies", ["therapy", "talking therapies"]),
        ("your therapist", ["therapy", "therapist"]),
        ("a psychologist", ["psychological", "psychology"]),
        ("feeling depressed", ["depression"]),
        ("anxious", ["anxiety"]),
        ("Tyne Therapi", ["therapy"]),
        ("eich therap\u00efau", ["therapy"]),
        ("Gwasanaeth Iselder", ["iselder"]),
        ("ei orbryder", ["gorbryder"]),
        ("seicolegydd", ["seicolegol"]),
        ("Iechyd Meddwl Tawe", ["iechyd meddwl"]),
        ("iechyd meddyliol", ["iechyd meddwl"]),
        ("gwnsela", ["cwnsela"]),
        ("cwnselydd", ["cwnsela"]),
        ("meddyliau hunanladdol", ["hunanladdiad"]),
        ("Lles Tawe", []),
        ("neu'n meddwl niweidio eich hun", []),  # "meddwl" (think) alone is an everyday word
    ],
)
def test_forbidden_words_in(text: str, found: list[str]) -> None:
    assert forbidden_words_in(text) == found


@pytest.mark.parametrize("name", ["A" * 21, "Tyne Wellbeing Centre North"])
def test_short_name_longer_than_20_is_refused(name: str) -> None:
    with pytest.raises(DiscretionError, match="longer than 20"):
        check_short_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "Tyne\u2019s Wellbeing",  # curly apostrophe
        "\u201cTyne\u201d",  # curly double quotes
        "Tyne \U0001f642",  # emoji
        "Tyne \u2013 Wear",  # en dash
        "Zo\u00eb Care",  # e with diaeresis: not in GSM-7
        "Tyne`s",  # backtick: ASCII but not GSM-7
    ],
)
def test_short_name_with_non_gsm7_characters_is_refused(name: str) -> None:
    with pytest.raises(DiscretionError, match="not every phone"):
        check_short_name(name)


@pytest.mark.parametrize("name", ["", " ", "\t\n"])
def test_empty_short_name_is_refused(name: str) -> None:
    with pytest.raises(DiscretionError, match="empty"):
        check_short_name(name)


@pytest.mark.parametrize(
    ("name", "stored"),
    [
        ("Tyne Wellbeing", "Tyne Wellbeing"),
        ("  Tyne   Wellbeing ", "Tyne Wellbeing"),
        ("A" * 20, "A" * 20),
        ("Wear Follow-up", "Wear Follow-up"),
        ("Caf\u00e9 Club & Co", "Caf\u00e9 Club & Co"),  # é is GSM-7
        ("Tyne's", "Tyne's"),  # straight apostrophe
        ("Tyne\u00a0Wellbeing", "Tyne Wellbeing"),  # a no-break space is just a space
    ],
)
def test_short_name_accepted(name: str, stored: str) -> None:
    assert check_short_name(name) == stored


# --- sms_segments -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("length", "segments"),
    [(0, 1), (1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)],
)
def test_sms_segments_by_length(length: int, segments: int) -> None:
    assert sms_segments("a" * length) == segments


@pytest.mark.parametrize("char", list(GSM7_EXTENDED))
def test_extension_characters_count_double(char: str) -> None:
    assert gsm7_septets(char) == 2
    assert gsm7_septets("a" + char) == 3
    assert sms_segments(char * 80) == 1  # 160 septets
    assert sms_segments(char * 81) == 2  # 162 septets
    assert sms_segments("a" * 159 + char) == 2  # 161 septets
    assert sms_segments("a" * 158 + char) == 1  # 160 septets
    assert sms_segments(char * 152) == 2  # 304 septets: 76 pairs in each segment
    assert sms_segments(char * 153) == 3  # 306 septets, but a pair cannot be split


def test_extension_character_is_never_split_across_segments() -> None:
    """Escape and character travel together: 152 + (2) cannot share a 153-septet segment."""
    assert gsm7_septets("a" * 152 + "\u20ac" + "a" * 152) == 306
    assert sms_segments("a" * 152 + "\u20ac" + "a" * 152) == 3
    assert sms_segments("a" * 151 + "\u20ac" + "a" * 153) == 2  # the pair ends segment 1 exactly
    assert sms_segments("a" * 152 + "\u20ac" + "a" * 150) == 2


def test_basic_non_ascii_characters_count_once() -> None:
    assert gsm7_septets("\u00a3\u00e9\u00e8\u00c9\u00c4\u00f1\u00bf\u00a1") == 8
    assert sms_segments("\u00a3" * 160) == 1


@given(st.text(alphabet=st.sampled_from(list(GSM7_BASIC + GSM7_EXTENDED)), max_size=700))
def test_segment_count_bounds(text: str) -> None:
    septets = gsm7_septets(text)
    assert septets == len(text) + sum(char in GSM7_EXTENDED for char in text)
    segments = sms_segments(text)
    if septets <= 160:
        assert segments == 1
    else:
        # 153 septets per segment, at most one lost per segment to an escape pair that did not fit
        assert -(-septets // 153) <= segments <= -(-septets // 152)
        if not any(char in GSM7_EXTENDED for char in text):
            assert segments == -(-septets // 153)
    assert sms_segments(text + "a") >= segments  # adding text never saves a segment


# --- is_gsm7 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Hello, how are you? Reply 1-5.",
        "\u00a3 @ $ _ ! # % & ( ) * + / : ; < = > ?",
        "\u20ac[]{}^~|\\",
        "line one\nline two\r\n",
        GSM7_BASIC,
        GSM7_EXTENDED,
    ],
)
def test_is_gsm7_true(text: str) -> None:
    assert is_gsm7(text)


@pytest.mark.parametrize(
    "text",
    [
        "It\u2019s fine",  # curly apostrophe
        "\u201cquoted\u201d",
        "\U0001f642",
        "tab\there",
        "back`tick",
        "\u00e7a",  # lower-case c cedilla: only the capital is in the table
        "\u2013",  # en dash
        "\u2026",  # ellipsis
        "\u00a0",  # no-break space
        "\u00ea",  # e circumflex
    ],
)
def test_is_gsm7_false(text: str) -> None:
    assert not is_gsm7(text)


def test_printable_ascii_is_gsm7_except_backtick() -> None:
    printable = string.digits + string.ascii_letters + string.punctuation + " \n\r"
    assert [char for char in printable if not is_gsm7(char)] == ["`"]


def test_gsm7_alphabet_sizes() -> None:
    assert len(GSM7_BASIC) == len(set(GSM7_BASIC)) == 128
    assert len(GSM7_EXTENDED) == len(set(GSM7_EXTENDED)) == 10
