"""`stats compare`: every service in scope beside the pooled target, with funnel limits and case-mix
adjustment (SPEC section 8.1, methodology version 2).

The figures come from one pass of the statistics readers, which tally each episode's case-mix cell
(`case_mix_tally`); the pure functions of `app.domain.comparison` do the rest: the regression, the
limits, the positions and the published form.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Final

from app.domain.comparison.cells import CELL_COUNTS, CaseMixKey, CaseMixTally
from app.domain.comparison.compare import ServiceFigures, comparison, published_comparison
from app.extensions import db
from app.services import audit
from app.services.organisation import directory, get_area
from app.services.statistics.as_of import refuse_future_as_of
from app.services.statistics.dashboard import data_version
from app.services.statistics.summaries import case_mix_tally

if TYPE_CHECKING:
    from app.domain.comparison.case_mix import CaseMixFit

_ELIGIBLE, _RECOVERED, _CASENESS, _REPORTED = (CELL_COUNTS.index(name) for name in CELL_COUNTS)


def compare(
    as_of: date,
    *,
    area_code: str | None = None,
    published: bool = False,
    actor: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The SPEC 8.1 comparison of every service in scope (all services, or an area's) as of a date.

    Every service registered in scope is listed, those with no episodes as too few to judge.
    `published`: disclosure-controlled. `actor` and `now`, both given: the request is audited;
    `now` given: an as-of after today is refused.
    """
    if now is not None:
        refuse_future_as_of(as_of, now)
    if area_code is not None:
        get_area(area_code)  # NotFound for an unknown area
    codes = [s.code for s in directory.list_services() if area_code is None or s.area.code == area_code]
    cells = case_mix_tally(as_of, area_code=area_code)
    result = comparison_from_cells(as_of, cells, codes)
    if actor is not None and now is not None:
        audit.record(
            actor, "stats.compare", now, subject=area_code or "all", as_of=as_of.isoformat(), published=published
        )
        db.session.commit()
    return published_comparison(result) if published else result


def comparison_from_cells(
    as_of: date, cells: CaseMixTally, codes: list[str] | None = None, *, fit: CaseMixFit | None = None
) -> dict[str, Any]:
    """The unpublished comparison from a case-mix tally; `codes`: services to list even without episodes;
    `fit`: the case-mix regression of these cells, when made already."""
    from app.domain.comparison.case_mix import fit_case_mix  # statsmodels loads only when a comparison is made

    # Cells in one order whatever order the reader's workers finished in: floating-point sums depend on it,
    # and the same data must give the same figures to the last digit (a release's hash covers them).
    cells = dict(sorted(cells.items(), key=_cell_order))
    if fit is None:
        fit = fit_case_mix(cells)
    totals: dict[str, list[int]] = {code: [0] * len(CELL_COUNTS) for code in codes or ()}
    for key, counts in cells.items():
        into = totals.setdefault(key.service, [0] * len(CELL_COUNTS))
        for i, n in enumerate(counts):
            into[i] += n
    figures = [
        ServiceFigures(
            service=code,
            eligible=counts[_ELIGIBLE],
            durably_recovered=counts[_RECOVERED],
            expected=fit.expected.get(code) if counts[_ELIGIBLE] else None,
            at_caseness=counts[_CASENESS],
            reported_recovered=counts[_REPORTED],
        )
        for code, counts in sorted(totals.items())
    ]
    return comparison(as_of, figures, case_mix=fit.as_dict())


def _cell_order(item: tuple[CaseMixKey, list[int]]) -> tuple[Any, ...]:
    """A total order of case-mix cells (None, not given, first)."""
    return tuple((False, "") if value is None else (True, value) for value in item[0])


# --- the evaluators' page: one comparison per (as-of, area, data version), shared by the page and its charts ---

#: How long a computed comparison is reused while nothing changes (seconds), and how many are kept.
MAX_AGE_SECONDS: Final = 600
MAX_ENTRIES: Final = 16
#: The charts of the compare page, by name.
CHARTS: Final = ("funnel", "adjusted")

_cache: OrderedDict[tuple[Any, ...], tuple[float, dict[str, Any]]] = OrderedDict()
_cache_lock = threading.Lock()
_computing = threading.Lock()


def cached_comparison(as_of: date, area_code: str | None) -> dict[str, Any]:
    """`compare` (unpublished, not audited: the evaluators' page) from the cache while the data stand."""
    key = (as_of, area_code, data_version())
    with _computing:  # a page and its two chart images arrive together: one computes, the others wait
        with _cache_lock:
            found = _cache.get(key)
            if found is not None and time.monotonic() - found[0] <= MAX_AGE_SECONDS:
                _cache.move_to_end(key)
                return found[1]
        result = compare(as_of, area_code=area_code)
        with _cache_lock:
            _cache[key] = (time.monotonic(), result)
            while len(_cache) > MAX_ENTRIES:
                _cache.popitem(last=False)
        return result


def clear_cache() -> None:
    """Forget every cached comparison (tests)."""
    with _cache_lock:
        _cache.clear()


def comparison_chart(
    result: dict[str, Any], name: str, *, published: bool = False, highlight: Iterable[str] = ()
) -> str:
    """A funnel plot of a comparison (unpublished or published) as SVG: `funnel` (observed rates) or
    `adjusted` (O/E ratios). Services with too few eligible episodes, or suppressed figures, are not drawn.
    `published`: the figures are disclosure-controlled (whole percentages, "*").
    `highlight`: service codes marked as the reader's own (a commissioner's area)."""
    from app.services.statistics import charts

    marked = set(highlight)
    points: list[tuple[str, float, float]] = []
    for row in result["services"]:
        judged = row["adjusted_position"] if name == "adjusted" else row["position"]
        if judged in ("too_few", "*"):
            continue
        if name == "adjusted":
            x, y = row["expected"], row["observed_expected"]
        else:
            x, y = row["observed"]["denominator"], row["observed"]["rate"]
            y = y / 100 if published else y
        if x in (None, "*") or y in (None, "*"):
            continue
        label = f"{row['service']} (yours)" if row["service"] in marked else row["service"]
        points.append((label, float(x), float(y)))
    target = result["target"]["rate"]
    if name == "adjusted":
        return charts.funnel_plot(
            "Case-mix adjusted: observed / expected recoveries",
            points,
            result["adjusted_funnel"],
            1.0,
            x_label="Expected recoveries",
            y_label="Observed / expected",
            percent=False,
            description=_described(points, "O/E ratio", ratio=True),
        )
    target_share = None if target in (None, "*") else (target / 100 if published else target)
    curves = result["funnel"]
    if published:  # published limits are whole percentages
        curves = {level: [[n, lo / 100, hi / 100] for n, lo, hi in rows] for level, rows in curves.items()}
    return charts.funnel_plot(
        "Durable recovery (ITT) against eligible episodes",
        points,
        curves,
        target_share if target_share is not None else 0.0,
        description=_described(points, "durable recovery"),
    )


def _described(points: list[tuple[str, float, float]], measure: str, *, ratio: bool = False) -> str:
    if not points:
        return "No service has enough eligible episodes to be judged."
    shown = ", ".join(f"{label} {y:.2f}" if ratio else f"{label} {y * 100:.0f}%" for label, _, y in points[:40])
    more = f" and {len(points) - 40} more" if len(points) > 40 else ""
    return f"Each service's {measure} against the funnel limits: {shown}{more}. The table beside has every figure."
