"""Finding English left on a page or in an email meant for a Welsh reader (SPEC 8.3).

Every fixed piece of the English page catalogue (the text between its placeholders) that does not also occur
in the Welsh catalogue (names such as Stillwell, numbers such as 116 123, the reply word STOP) must be absent
from anything rendered in Welsh. The `language.*` keys are left out: a Welsh page links to "English" by name.
"""

from __future__ import annotations

import html
import re

from app.domain.catalogues import page_catalogue

_PLACEHOLDER = re.compile(r"\{[^}]*\}")
_ATTRIBUTE = re.compile(r'\b(?:aria-label|title|alt|placeholder)="([^"]*)"')


def _found(piece: str, text: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(piece)}(?!\w)", text) is not None


def english_pieces(*prefixes: str) -> list[str]:
    """The fixed English pieces of the keys starting with any of `prefixes` (all keys when none is given)."""
    welsh = "\n".join(page_catalogue("cy").values())
    pieces = set()
    for key, template in page_catalogue("en").items():
        if key.startswith("language.") or (prefixes and not key.startswith(prefixes)):
            continue
        for piece in _PLACEHOLDER.split(template):
            piece = piece.strip(" :.,;()-")
            if re.search(r"[A-Za-z]{2}", piece) and not _found(piece, welsh):
                pieces.add(piece)
    return sorted(pieces)


def english_left_in(text: str, *prefixes: str) -> list[str]:
    """The English pieces found in `text` (a page's visible text, an email's subject and body)."""
    return [piece for piece in english_pieces(*prefixes) if _found(piece, text)]


def visible_text(page: str) -> str:
    """What a reader meets in an HTML page: its text and its labelling attributes, entities decoded."""
    labels = " ".join(_ATTRIBUTE.findall(page))
    without_code = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    inline = re.sub(r"</?(?:a|strong|em|span|b|i)\b[^>]*>", "", without_code)
    without_tags = re.sub(r"<[^>]+>", " ", inline)
    return re.sub(r"\s+", " ", html.unescape(f"{without_tags} {labels}"))
