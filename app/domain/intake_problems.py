"""What a refused discharge list is told: the first problems, the count per column, the whole list as CSV.

A refused list can hold 200,000 bad rows (SPEC section 8.6): everything here is one pass over the problems.
The places (`row 3 email`) never repeat what a cell held, since a rejected cell may hold anything, even a
phone number; the CSV for the person who sent the file does give each problem's message, as the page does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from app.domain.csv_cells import write_csv
from app.domain.discharge_list import COLUMNS, Problem

#: Problems listed on the page and in the API's answer; the rest are in the CSV download.
PROBLEMS_SHOWN = 1000
#: Places kept in the submission history's one-line summary.
PLACES_SHOWN = 20
#: How a problem about the whole file (not one row) is counted.
FILE = "file"
UNKNOWN_COLUMN = "an unknown column"
CSV_HEADER = ("row", "column", "problem")


@dataclass(frozen=True)
class ProblemReport:
    """A refused list's problems as people are told them."""

    total: int
    shown: tuple[Problem, ...]
    #: (column, problems in it), most problems first, then in the order of the columns.
    by_column: tuple[tuple[str, int], ...]

    @property
    def more(self) -> int:
        """Problems not listed (they are in the CSV download)."""
        return self.total - len(self.shown)


def column_of(problem: Problem) -> str:
    """The column a problem is counted under: one of the list's columns, `file`, or an unknown column."""
    if problem.row is None:
        return FILE
    return problem.column if problem.column in COLUMNS else UNKNOWN_COLUMN


def report(problems: Sequence[Problem], shown: int = PROBLEMS_SHOWN) -> ProblemReport:
    """The first `shown` problems and the count per column, in one pass."""
    counts = Counter(column_of(problem) for problem in problems)
    order = {name: index for index, name in enumerate((FILE, *COLUMNS, UNKNOWN_COLUMN))}
    by_column = tuple(sorted(counts.items(), key=lambda item: (-item[1], order[item[0]])))
    return ProblemReport(total=len(problems), shown=tuple(problems[:shown]), by_column=by_column)


def places(problems: Sequence[Problem], most: int = PLACES_SHOWN) -> str:
    """Where the problems are, never what the cells held: "row 3 email; row 7 discharge_date; file", the first
    `most` distinct places, then how many more. Linear: a dict keeps the places seen, in order."""
    seen: dict[str, None] = {}
    for problem in problems:
        column = column_of(problem)
        seen.setdefault(FILE if column == FILE else f"row {problem.row} {column}")
    listed = list(seen)
    shown = "; ".join(listed[:most])
    return shown + (f"; and {len(listed) - most} more" if len(listed) > most else "")


def problems_csv(problems: Sequence[Problem]) -> str:
    """Every problem, one a row: row (blank for the whole file), column, problem; every cell guarded."""
    rows: list[tuple[object, ...]] = [CSV_HEADER]
    rows.extend(
        (problem.row if problem.row is not None else "", column_of(problem), problem.message) for problem in problems
    )
    return write_csv(rows)
