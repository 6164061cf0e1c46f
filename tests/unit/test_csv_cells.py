"""Formula injection: text cells a spreadsheet would run get a leading quote; numbers stay numbers."""

import csv
import io

import pytest

from app.domain.csv_cells import safe_cell, write_csv


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://x.example","click")', '\'=HYPERLINK("http://x.example","click")'),
        ("+44 7700", "'+44 7700"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Tyneside", "Tyneside"),
        ("a=b", "a=b"),
        ("", ""),
        (-5, -5),
        (-0.25, -0.25),
        (12, 12),
        (None, None),
    ],
)
def test_safe_cell(value: object, written: object) -> None:
    assert safe_cell(value) == written


def test_write_csv_guards_every_cell_and_reads_back() -> None:
    text = write_csv([("title", "value"), ("=1+1", -3), ("plain", 0.5)])
    assert list(csv.reader(io.StringIO(text))) == [["title", "value"], ["'=1+1", "-3"], ["plain", "0.5"]]
