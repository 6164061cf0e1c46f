"""Message catalogues (SPEC 8.3): every SMS template by key, one catalogue per language.

The Welsh (`cy`) catalogue is a first draft: it needs review by a qualified translator before use with
real clients (see docs/languages.md and the hazard log). Pure: standard library only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from app.domain.catalogues import cy, en

__all__ = ["CATALOGUES", "DEFAULT_LANGUAGE", "LANGUAGES", "catalogue"]

DEFAULT_LANGUAGE: Final = "en"
CATALOGUES: Final[dict[str, Mapping[str, str]]] = {"en": en.TEXTS, "cy": cy.TEXTS}
LANGUAGES: Final = tuple(CATALOGUES)


def catalogue(language: str) -> Mapping[str, str]:
    """The templates of one language; an unknown language is refused by name."""
    try:
        return CATALOGUES[language]
    except KeyError:
        raise ValueError(f"no message catalogue for language {language!r} (have: {', '.join(LANGUAGES)})") from None
