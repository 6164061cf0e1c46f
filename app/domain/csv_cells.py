"""Cells of every CSV the application writes, guarded against formula injection (SPEC section 8.6, OWASP).

A spreadsheet opening a CSV runs a text cell that begins with `=`, `+`, `-` or `@` (or a tab or carriage
return, which some strip before looking) as a formula: `=HYPERLINK(...)` in a release title would become a
link in every copy of a public release. Such text gets a leading `'`, which spreadsheets show as text.
Numbers stay numbers: an int or a float is written as it is, even when negative.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Final

FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """The value to write: text that a spreadsheet would run as a formula gets a leading `'`."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(row: Iterable[object]) -> list[object]:
    """Every cell of a row through `safe_cell`."""
    return [safe_cell(value) for value in row]


def write_csv(rows: Iterable[Iterable[object]], *, lineterminator: str = "\n") -> str:
    """Rows (the header first) as CSV text, every cell guarded."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=lineterminator)
    writer.writerows(safe_row(row) for row in rows)
    return out.getvalue()
