"""Pages a client sees (the web survey, the unsubscribe pages) in the client's language (SPEC 8.3).

The language is the one asked for by `?lang=` (the page's language links) when we have it, else the one the
episode's `language` tag picks (`app.domain.languages.client_page_language`: Welsh for a client who gave none
at a bilingual service). Templates extend `_client.html`
and take every word from `t(key, **values)`: the page catalogue's text, escaped, with values escaped unless
they are markup (a telephone link, a bold answer) built by the template itself.
"""

from __future__ import annotations

from typing import Any

from flask import render_template, request, url_for
from markupsafe import Markup, escape

from app.domain.catalogues import LANGUAGES
from app.domain.languages import client_page_language
from app.domain.pages import other_languages, page_template


def page_language(tag: str | None, bilingual: bool = False) -> str:
    """The language to show: `?lang=` when it names a catalogue, else the client's (`client_page_language`:
    Welsh first at a bilingual service for a client who gave no language)."""
    asked = request.args.get("lang", "")
    return asked if asked in LANGUAGES else client_page_language(tag, bilingual)


class PageTexts:
    """`t` in a client page's template: `t("survey.title")`, `t("survey.intro", name=...)`."""

    def __init__(self, language: str) -> None:
        self.language = language

    def __call__(self, key: str, **values: Any) -> Markup:
        # escape() already made the catalogue text safe; format() escapes every value that is not markup.
        return escape(page_template(self.language, key, values)).format(**values)


#: The blueprints whose pages clients see: their errors are client pages too (`render_client_error`).
CLIENT_BLUEPRINTS = frozenset({"survey", "unsubscribe"})


def render_client_error(code: int) -> str:
    """An error on a client page, in the language `?lang=` names (the survey's form keeps it), else English."""
    kind = str(code) if code in (413, 429) else "500" if code >= 500 else "other"
    return render_client_page("errors/client_error.html", page_language(None), kind=kind)


def render_client_page(template: str, language: str, **context: Any) -> str:
    """Render a client page in `language`, with links to the same page in every other language (GET only).

    `language_links` are (tag for `lang`, the language's own name, the address of this page in it)."""
    links = []
    if request.method == "GET" and request.endpoint:
        arguments = dict(request.view_args or {})
        links = [
            (tag, name, url_for(request.endpoint, **arguments, lang=code))
            for code, tag, name in other_languages(language)
        ]
    return render_template(template, lang=language, t=PageTexts(language), language_links=links, **context)
