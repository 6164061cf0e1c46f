"""Message catalogues (SPEC 8.3): every language complete (SMS, pages and emails) with the same placeholders,
every text fits, Welsh signposting keeps its numbers, and a language tag picks its catalogue."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain import texts
from app.domain.catalogues import CATALOGUES, LANGUAGES, PAGE_CATALOGUES, catalogue, page_catalogue
from app.domain.discretion import forbidden_words_in
from app.domain.labels import CHANGE_LABELS, USUAL_SELF_LABELS
from app.domain.languages import catalogue_language
from app.domain.pages import (
    CHANGE_VALUES,
    USUAL_SELF_VALUES,
    MissingText,
    choices,
    long_date,
    other_languages,
    page_text,
    placeholders,
)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_catalogue_has_every_key_and_none_is_empty(language: str) -> None:
    english = set(CATALOGUES["en"])
    assert set(catalogue(language)) == english, f"{language}: keys differ from en"
    assert not [key for key, value in catalogue(language).items() if not value.strip()]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_text_fits_in_two_segments_at_its_longest(language: str) -> None:
    report = texts.text_report(language)
    assert len(report) == len(texts.text_report("en"))
    too_long = [(size.key, size.encoding, size.units) for size in report if not size.fits]
    assert not too_long


@pytest.mark.parametrize("language", LANGUAGES)
def test_texts_are_built_and_checked_in_each_language(language: str) -> None:
    built = texts.all_texts(texts.LONGEST_SHORT_NAME, texts.LONGEST_LINK, texts.LONGEST_CONTACT, language)
    assert all(not forbidden_words_in(text.replace(texts.LONGEST_SHORT_NAME, "")) for text in built.values())


def test_english_texts_stay_gsm7() -> None:
    assert {size.encoding for size in texts.text_report("en")} == {"GSM-7"}


def test_welsh_texts_are_welsh() -> None:
    assert texts.first_message("Riverside", language="cy").startswith("Helo gan Riverside.")
    assert texts.closed("September", language="cy").endswith("tua mis Medi.")
    assert texts.duration_clarification("3", language="cy") == "3 wythnos neu 3 mis? Atebwch W neu M"
    assert texts.resume_confirmation(language="cy").startswith("Croeso yn \u00f4l.")


@pytest.mark.parametrize("text", [texts.crisis_signposting("cy"), texts.help_reply("Riverside", None, "cy")])
def test_welsh_crisis_signposting_keeps_every_number_and_the_welsh_samaritans_line(text: str) -> None:
    for number in ("999", "GIG 111", "opsiwn 2", "Samariaid", "116 123", "0808 164 0123"):
        assert number in text


def test_a_welsh_text_too_long_is_refused_when_built(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(CATALOGUES["cy"], "sorry", "Mae'n ddrwg gennym \u0175 " * 10)
    with pytest.raises(ValueError, match="longer than 2 segments"):
        texts.reask("change", "cy")


def test_an_unknown_language_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="'fr'"):
        texts.opt_out_confirmation("fr")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_catalogue_has_every_key_and_none_is_empty(language: str) -> None:
    english = set(PAGE_CATALOGUES["en"])
    texts_ = page_catalogue(language)
    assert set(texts_) == english, f"{language}: missing {english - set(texts_)}, extra {set(texts_) - english}"
    assert not [key for key, value in texts_.items() if not value.strip()]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("catalogues", [CATALOGUES, PAGE_CATALOGUES], ids=["sms", "pages"])
def test_every_translation_has_the_same_placeholders_as_english(
    language: str, catalogues: dict[str, dict[str, str]]
) -> None:
    differ = {
        key: (sorted(placeholders(english)), sorted(placeholders(catalogues[language][key])))
        for key, english in catalogues["en"].items()
        if placeholders(english) != placeholders(catalogues[language].get(key, english))
    }
    assert not differ


@pytest.mark.parametrize("key", ["layout.footer", "email.crisis", "survey.comment_hint"])
def test_welsh_page_signposting_keeps_every_number_and_the_welsh_samaritans_line(key: str) -> None:
    for number in ("999", "GIG 111", "opsiwn 2", "Samariaid", "116 123", "0808 164 0123"):
        assert number in page_catalogue("cy")[key]


@pytest.mark.parametrize(
    ("tag", "language"),
    [
        *[("cy", "cy"), ("cy-GB", "cy"), ("CY-gb", "cy"), (" cy_GB ", "cy")],
        *[("en", "en"), ("en-GB", "en"), ("fr", "en"), ("", "en"), (None, "en"), ("cym", "en"), ("x-cy", "en")],
    ],
)
def test_the_catalogue_of_a_language_tag(tag: str | None, language: str) -> None:
    assert catalogue_language(tag) == language


def test_a_page_text_is_filled_and_a_gap_is_named() -> None:
    assert page_text("cy", "email.subject", name="Riverside") == "Cwestiwn byr gan Riverside"
    with pytest.raises(MissingText, match="needs name"):
        page_text("en", "email.subject")
    with pytest.raises(MissingText, match=r"'survey\.nothing'"):
        page_text("cy", "survey.nothing")
    with pytest.raises(ValueError, match="'fr'"):
        page_text("fr", "email.subject", name="Riverside")


def test_dates_and_choices_are_written_in_the_language() -> None:
    assert long_date(date(2026, 9, 15), "en") == "15 September 2026"
    assert long_date(date(2026, 9, 15), "cy") == "15 Medi 2026"
    assert choices("cy", "survey.usual_self", ("yes", "no")) == [("yes", "Ydw, yn llwyr"), ("no", "Nac ydw")]
    assert other_languages("en") == [("cy", "cy", "Cymraeg")] and other_languages("cy") == [("en", "en-GB", "English")]


def test_the_survey_offers_every_answer_the_domain_knows() -> None:
    assert set(CHANGE_VALUES) == set(CHANGE_LABELS) and set(USUAL_SELF_VALUES) == set(USUAL_SELF_LABELS)
