"""The wording of the pages and emails a client sees (SPEC 8.3), filled from the page catalogues.

Pages and emails never hold client-facing words of their own: they name a key of
`app.domain.catalogues.page_catalogue(language)` and this module fills its `{placeholders}`. A missing key
or a placeholder left unfilled is an error naming the key, so a gap in a catalogue fails loudly in the tests
rather than showing a blank on a client's screen. Pure: standard library and `app.domain` only.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from string import Formatter
from typing import Final

from app.domain.catalogues import LANGUAGES, catalogue, page_catalogue

#: The answer values shown as choices, in the order the survey offers them (`survey.change.<value>`...).
CHANGE_VALUES: Final = ("much_better", "a_little_better", "same", "a_little_worse", "much_worse")
USUAL_SELF_VALUES: Final = ("yes", "mostly", "no")
DURATION_KINDS: Final = ("length", "finished", "always", "unsure")
DURATION_UNITS: Final = ("days", "weeks", "months", "years")


class MissingText(KeyError):
    """A page or email asked for a key its language's catalogue does not have, or left a placeholder unfilled."""


def page_template(language: str, key: str, names: Iterable[str] = ()) -> str:
    """The unfilled template of a key, once it is known that `names` fill every placeholder it has."""
    texts = page_catalogue(language)
    if key not in texts:
        raise MissingText(f"the {language!r} page catalogue has no text {key!r}")
    template = texts[key]
    missing = placeholders(template) - set(names)
    if missing:
        raise MissingText(f"text {key!r} needs {', '.join(sorted(missing))}")
    return template


def page_text(language: str, key: str, **values: object) -> str:
    """One text of the language's page catalogue with its placeholders filled."""
    return page_template(language, key, values).format(**values)


def placeholders(template: str) -> set[str]:
    """The names of the `{placeholders}` in a template."""
    return {name for _, name, _, _ in Formatter().parse(template) if name}


def choices(language: str, prefix: str, values: tuple[str, ...]) -> list[tuple[str, str]]:
    """(value, label) pairs for a question's options: each label is `<prefix>.<value>` of the catalogue."""
    return [(value, page_text(language, f"{prefix}.{value}")) for value in values]


def long_date(day: date, language: str) -> str:
    """A date as people write it in the language, e.g. "15 September 2026", "15 Medi 2026"."""
    months = catalogue(language)["months"].split()
    return f"{day.day} {months[day.month - 1]} {day.year}"


def other_languages(language: str) -> list[tuple[str, str, str]]:
    """(code, tag for `lang`, own name) of every other language a page can be read in, for the language links."""
    return [
        (code, page_catalogue(code)["language.html_lang"], page_catalogue(code)["language.name"])
        for code in LANGUAGES
        if code != language
    ]
