"""No client-facing words in the templates of client pages (SPEC 8.3): every text node and labelling attribute
of the survey and unsubscribe templates (and their frame, `_client.html`) comes from the page catalogue."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
CLIENT_TEMPLATES = sorted(
    [
        TEMPLATES / "_client.html",
        TEMPLATES / "errors" / "client_error.html",
        *(TEMPLATES / "survey").glob("*.html"),
        *(TEMPLATES / "unsubscribe").glob("*.html"),
    ]
)
_JINJA = re.compile(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", re.S)
_LABELLING = re.compile(r'\b(?:aria-label|title|alt|placeholder)="([^"]*)"')
# An attribute a macro writes outside a tag (`{% if ids %} aria-describedby="..."{% endif %}`).
_ATTRIBUTE = re.compile(r'[\w-]+="[^"]*"')


def words_outside_the_catalogue(source: str) -> list[str]:
    """The words a reader would meet that no `t(...)` call gave: in text nodes and labelling attributes."""
    plain = _JINJA.sub("", source)
    attributes = _LABELLING.findall(plain)
    text = _ATTRIBUTE.sub(" ", re.sub(r"<[^>]*>", " ", plain))
    return re.findall(r"[^\W\d_]{2,}", " ".join([text, *attributes]))


@pytest.mark.parametrize("template", CLIENT_TEMPLATES, ids=lambda path: str(path.relative_to(TEMPLATES)))
def test_client_templates_hold_no_words_of_their_own(template: Path) -> None:
    assert not words_outside_the_catalogue(template.read_text())


def test_every_client_page_extends_the_client_frame() -> None:
    pages = [path for path in CLIENT_TEMPLATES if not path.name.startswith("_")]
    assert len(pages) == 8
    assert all('{% extends "_client.html" %}' in path.read_text() for path in pages)


def test_the_check_finds_words_left_in_a_template() -> None:
    assert words_outside_the_catalogue('<p>{{ t("a") }} Thank you</p><a aria-label="Menu">{{ x }}</a>') == [
        "Thank",
        "you",
        "Menu",
    ]
    assert words_outside_the_catalogue('<p class="hint" id="x">{{ t("a") }}</p>{# a comment #}') == []
