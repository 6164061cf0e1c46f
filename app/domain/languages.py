"""Which catalogue a client's texts come from (SPEC 8.3): the intake's BCP 47 tag, routed.

The tag's primary language subtag picks the catalogue, whatever its case, region or script ("cy", "cy-GB",
"CY", "cy-Latn-GB" are Welsh; "en", "en-GB" English). No tag means no preference is known: English, or Welsh
then English in one message for a service set bilingual (Welsh Language Standards No. 7, 2018), whose web
survey page is then Welsh first (`client_page_language`). A tag we
have no catalogue for ("pl", "ur") falls back to English, flagged so the intake can warn; a client who gave
one has a known preference, so a bilingual service sends them English, not both. Pure: standard library and
`app.domain` only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from app.domain.catalogues import DEFAULT_LANGUAGE, LANGUAGES

__all__ = [
    "BILINGUAL",
    "BILINGUAL_PARTS",
    "MESSAGE_LANGUAGES",
    "LanguageChoice",
    "catalogue_language",
    "client_page_language",
    "language_choice",
    "message_language",
    "unsupported_language_warnings",
]

#: The language of a bilingual text: Welsh first, then English, in one message.
BILINGUAL: Final = "cy+en"
BILINGUAL_PARTS: Final = ("cy", "en")
#: Every language a text can be sent in, as stored on the outbound message.
MESSAGE_LANGUAGES: Final = (*LANGUAGES, BILINGUAL)
#: Rows named in one warning before the rest are counted ("and 40 more").
_ROWS_NAMED: Final = 10


@dataclass(frozen=True)
class LanguageChoice:
    """The catalogue chosen for a tag; `given`: the tag said anything; `fallback`: it named one we lack."""

    language: str
    given: bool = False
    fallback: bool = False


def language_choice(tag: str | None) -> LanguageChoice:
    """The supported catalogue language for a BCP 47 tag; English, flagged as a fallback, when unsupported."""
    cleaned = (tag or "").strip()
    if not cleaned:
        return LanguageChoice(DEFAULT_LANGUAGE)
    primary = cleaned.replace("_", "-").split("-", 1)[0].lower()
    if primary in LANGUAGES:
        return LanguageChoice(primary, given=True)
    return LanguageChoice(DEFAULT_LANGUAGE, given=True, fallback=True)


def catalogue_language(tag: str | None) -> str:
    """The catalogue a BCP 47 tag picks ("cy", "cy-GB" -> "cy"; anything else "en"): emails and pages."""
    return language_choice(tag).language


def message_language(tag: str | None, bilingual: bool) -> str:
    """The language a client's texts are sent in: their catalogue, or BILINGUAL at a bilingual service when
    they gave no preference."""
    choice = language_choice(tag)
    if bilingual and not choice.given:
        return BILINGUAL
    return choice.language


def client_page_language(tag: str | None, bilingual: bool) -> str:
    """The catalogue of a client's web survey page: their own, or Welsh at a bilingual service when they gave no
    preference, since their texts put Welsh first (Welsh Language Standards No. 7); the page links to English."""
    if message_language(tag, bilingual) == BILINGUAL:
        return BILINGUAL_PARTS[0]
    return catalogue_language(tag)


def unsupported_language_warnings(languages: Iterable[tuple[int, str | None]]) -> list[str]:
    """One warning per unsupported tag (by lower case, in order of first appearance), naming its rows.

    `languages` are (row number, tag) pairs. "rows 3, 7 and 12: language 'pl' is not yet supported; those
    clients will get English texts"."""
    rows_by_tag: dict[str, list[int]] = {}
    shown: dict[str, str] = {}
    for row, tag in languages:
        if not language_choice(tag).fallback:
            continue
        key = (tag or "").strip().lower()
        shown.setdefault(key, (tag or "").strip())
        rows_by_tag.setdefault(key, []).append(row)
    return [_warning(rows, shown[key]) for key, rows in rows_by_tag.items()]


def _warning(rows: list[int], tag: str) -> str:
    if len(rows) == 1:
        return f"row {rows[0]}: language {tag!r} is not yet supported; that client will get English texts"
    named = [str(row) for row in rows[:_ROWS_NAMED]]
    rest = len(rows) - len(named)
    listed = f"{', '.join(named)} and {rest} more" if rest else f"{', '.join(named[:-1])} and {named[-1]}"
    return f"rows {listed}: language {tag!r} is not yet supported; those clients will get English texts"
