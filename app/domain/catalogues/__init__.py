"""Message catalogues (SPEC 8.3), one per language: every SMS template by key (`en`, `cy`), and the wording of
every page and email a client sees by key (`pages_en`, `pages_cy`).

The Welsh (`cy`) catalogue is a first draft: it needs review by a qualified translator before use with
real clients (see docs/languages.md and the hazard log). Pure: standard library only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from app.domain.catalogues import cy, en, pages_cy, pages_en

__all__ = ["CATALOGUES", "DEFAULT_LANGUAGE", "LANGUAGES", "PAGE_CATALOGUES", "catalogue", "page_catalogue"]

DEFAULT_LANGUAGE: Final = "en"
CATALOGUES: Final[dict[str, Mapping[str, str]]] = {"en": en.TEXTS, "cy": cy.TEXTS}
PAGE_CATALOGUES: Final[dict[str, Mapping[str, str]]] = {"en": pages_en.PAGES, "cy": pages_cy.PAGES}
LANGUAGES: Final = tuple(CATALOGUES)


def catalogue(language: str) -> Mapping[str, str]:
    """The templates of one language; an unknown language is refused by name."""
    try:
        return CATALOGUES[language]
    except KeyError:
        raise ValueError(f"no message catalogue for language {language!r} (have: {', '.join(LANGUAGES)})") from None


def page_catalogue(language: str) -> Mapping[str, str]:
    """The page and email wording of one language; an unknown language is refused by name."""
    try:
        return PAGE_CATALOGUES[language]
    except KeyError:
        raise ValueError(f"no page catalogue for language {language!r} (have: {', '.join(LANGUAGES)})") from None
