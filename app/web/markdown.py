"""Markdown for pages (docs/methodology.md on /published/methodology and /evaluate/methodology).

Rendered with markdown-it-py's CommonMark parser, tables enabled and raw HTML in the source disabled
(escaped, never passed through), so a document edited by anyone cannot put markup or script on a page.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Final

from markdown_it import MarkdownIt
from markupsafe import Markup

METHODOLOGY_FILE: Final = Path(__file__).resolve().parents[2] / "docs" / "methodology.md"
_PARSER: Final = MarkdownIt("commonmark", {"html": False}).enable("table")


def render_markdown(text: str) -> Markup:
    """Markdown as safe HTML: raw HTML in the text is escaped."""
    return Markup(_PARSER.render(text))  # noqa: S704 - html is disabled: markdown-it escapes all source text


@lru_cache(maxsize=1)
def methodology_html() -> Markup | None:
    """docs/methodology.md as HTML, or None when the document is not installed with this copy."""
    try:
        text = METHODOLOGY_FILE.read_text(encoding="utf-8")
    except OSError:
        return None
    return render_markdown(text)
