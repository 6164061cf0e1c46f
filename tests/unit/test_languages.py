"""Routing a client's BCP 47 tag to a catalogue (SPEC 8.3), bilingual services and the intake's warnings."""

from __future__ import annotations

import pytest

from app.domain.languages import (
    BILINGUAL,
    LanguageChoice,
    client_page_language,
    language_choice,
    message_language,
    unsupported_language_warnings,
)


@pytest.mark.parametrize("tag", ["cy", "cy-GB", "CY", "cy-Latn-GB", " cy ", "Cy-gb", "cy_GB"])
def test_welsh_tags_route_to_welsh(tag: str) -> None:
    assert language_choice(tag) == LanguageChoice("cy", given=True, fallback=False)


@pytest.mark.parametrize("tag", ["en", "en-GB", "EN-gb", "en-US"])
def test_english_tags_route_to_english_without_a_fallback(tag: str) -> None:
    assert language_choice(tag) == LanguageChoice("en", given=True, fallback=False)


@pytest.mark.parametrize("tag", [None, "", "   "])
def test_no_tag_is_english_with_no_warning_and_no_known_preference(tag: str | None) -> None:
    assert language_choice(tag) == LanguageChoice("en", given=False, fallback=False)


@pytest.mark.parametrize("tag", ["pl", "ur", "xx-yy", "cym", "enm", "c"])
def test_unsupported_tags_fall_back_to_english_flagged(tag: str) -> None:
    # "cym" (ISO 639-2 for Welsh) is not a BCP 47 form of Welsh: the tag must use the 2-letter subtag.
    assert language_choice(tag) == LanguageChoice("en", given=True, fallback=True)


@pytest.mark.parametrize(
    ("tag", "bilingual", "expected"),
    [
        (None, False, "en"),
        ("", False, "en"),
        (None, True, BILINGUAL),
        ("", True, BILINGUAL),
        ("cy", True, "cy"),
        ("cy-GB", False, "cy"),
        ("en-GB", True, "en"),
        ("pl", True, "en"),  # a known preference we cannot meet: English, not both
        ("pl", False, "en"),
    ],
)
def test_message_language(tag: str | None, bilingual: bool, expected: str) -> None:
    assert message_language(tag, bilingual) == expected


@pytest.mark.parametrize(
    ("tag", "bilingual", "expected"),
    [
        (None, True, "cy"),  # the texts put Welsh first: so does the page (Welsh Language Standards No. 7)
        ("  ", True, "cy"),
        (None, False, "en"),
        ("cy-GB", True, "cy"),
        ("cy", False, "cy"),
        ("en", True, "en"),  # a clear English speaker keeps English
        ("pl", True, "en"),  # a known preference that is not Welsh
    ],
)
def test_client_page_language_puts_welsh_first_where_the_texts_do(
    tag: str | None, bilingual: bool, expected: str
) -> None:
    assert client_page_language(tag, bilingual) == expected


def test_warnings_group_rows_by_tag_in_order_of_first_appearance() -> None:
    rows = [(2, "en"), (3, "pl"), (4, None), (5, "ur"), (7, "PL"), (9, "cy"), (12, "pl")]
    assert unsupported_language_warnings(rows) == [
        "rows 3, 7 and 12: language 'pl' is not yet supported; those clients will get English texts",
        "row 5: language 'ur' is not yet supported; that client will get English texts",
    ]


def test_no_warning_for_supported_or_missing_languages() -> None:
    assert unsupported_language_warnings([(2, "en"), (3, "cy-GB"), (4, None), (5, "")]) == []


def test_a_long_run_of_rows_names_the_first_ten_and_counts_the_rest() -> None:
    warning = unsupported_language_warnings([(row, "pl") for row in range(2, 52)])
    assert warning == [
        "rows 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 and 40 more: language 'pl' is not yet supported;"
        " those clients will get English texts"
    ]


def test_two_rows() -> None:
    assert unsupported_language_warnings([(3, "pl"), (8, "pl")])[0].startswith("rows 3 and 8: language 'pl'")
