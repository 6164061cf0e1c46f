"""Every CSV the application writes goes through app/domain/csv_cells.py, which guards text cells against
formula injection (SPEC section 8.6): nothing else under app/ or scheduler/ makes a csv writer of its own."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GUARD = ROOT / "app" / "domain" / "csv_cells.py"
WRITERS = frozenset({"writer", "DictWriter"})
#: The release packages' verifier runs on the standard library alone (SPEC 8.2), so it guards its cells itself.
STANDALONE = ROOT / "app" / "domain" / "release_package" / "verify.py"


def writers_in(source: str, name: str) -> list[str]:
    """`name:line what` for each csv writer made (or imported to be made) in some Python source."""
    found = []
    for node in ast.walk(ast.parse(source, name)):
        if isinstance(node, ast.Attribute) and node.attr in WRITERS and getattr(node.value, "id", None) == "csv":
            found.append((node.lineno, f"{name}:{node.lineno} csv.{node.attr}"))
        elif isinstance(node, ast.ImportFrom) and node.module == "csv":
            taken = sorted(WRITERS & {alias.name for alias in node.names})
            found += [(node.lineno, f"{name}:{node.lineno} from csv import {taken_name}") for taken_name in taken]
    return [hit for _, hit in sorted(found)]


def test_only_csv_cells_makes_csv_writers() -> None:
    sources = [*(ROOT / "app").rglob("*.py"), *(ROOT / "scheduler").rglob("*.py")]
    assert GUARD in sources and STANDALONE in sources
    bypasses = [
        hit
        for path in sources
        if path not in (GUARD, STANDALONE)
        for hit in writers_in(path.read_text(), str(path.relative_to(ROOT)))
    ]
    assert not bypasses, "write CSV with app.domain.csv_cells.write_csv (it guards formulas), not: " + ", ".join(
        bypasses
    )


def test_the_check_sees_every_way_of_making_a_writer() -> None:
    source = "import csv\nfrom csv import DictWriter, reader\nw = csv.writer(f)\nd = csv.DictWriter(f, ['a'])\n"
    assert writers_in(source, "app/x.py") == [
        "app/x.py:2 from csv import DictWriter",
        "app/x.py:3 csv.writer",
        "app/x.py:4 csv.DictWriter",
    ]
    assert writers_in("import csv\nrows = csv.reader(f)\n", "app/x.py") == []


def test_the_standalone_verifier_guards_cells_as_the_application_does() -> None:
    from app.domain import csv_cells
    from app.domain.release_package import verify

    assert verify.FORMULA_STARTS == csv_cells.FORMULA_STARTS
    for text in ("=HYPERLINK(1)", "+1 call", "-x", "@SUM(A1)", "\tx", "plain", "-0.5", "+3"):
        expected = text if text in ("-0.5", "+3") else csv_cells.safe_cell(text)
        assert verify._safe(text) == expected
