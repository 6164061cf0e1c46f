"""Which catalogue a client's language tag picks (SPEC 8.3): `cy`, `cy-GB` -> Welsh; anything else English.

Pure: standard library and `app.domain` only.
"""

from __future__ import annotations

from app.domain.catalogues import DEFAULT_LANGUAGE, LANGUAGES


def catalogue_language(tag: str | None) -> str:
    """The catalogue for a BCP 47 tag: its primary subtag when we have that catalogue, else English."""
    primary = (tag or "").strip().replace("_", "-").split("-", 1)[0].lower()
    return primary if primary in LANGUAGES else DEFAULT_LANGUAGE
