"""The evaluators' dashboard: filters, the summary behind it, cached until the data changes, and its charts.

The summary comes from the outcome facts the database keeps (`facts.live_summary_and_curve`, SPEC 8.5:
totals per cell plus the few episodes changed since the last fold, well under a second for a million
episodes), or, when they cannot serve the view (not built yet, an as-of date before theirs, a large
import not yet folded), from the full computation, which reads every episode in scope. Either way it
is cached per (filters, data version), so that a page and its chart images compute it once. The data
version is one small query of maxima (the facts' version, ids of messages, opt events, episodes, check-ins and
submissions; the latest episode change): a dispatch tick writes outbound messages, a reply writes
an inbound message and answers, an import or withdrawal changes episodes, so each moves it and
the next page view recomputes. A few changes write no such row (a check-in skipped or withdrawn by
a tick that sent nothing), so an entry also expires after `MAX_AGE_SECONDS`. The cache is per
process and bounded; charts are rendered once per cached summary.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import func, select

from app.domain.agreement import kappa_words
from app.domain.csv_cells import write_csv
from app.domain.labels import CHANGE_LABELS, DISORDER_LABELS, FUNNEL_LABELS
from app.domain.outcomes import CHANGES, PROBLEM_GROUPS
from app.domain.survival import MIN_AT_RISK, Curve
from app.extensions import db
from app.models import (
    Area,
    AssessmentCall,
    CheckIn,
    Episode,
    InboundMessage,
    OptEvent,
    OutboundMessage,
    OutcomeState,
    Service,
    Submission,
)
from app.services.statistics import facts
from app.services.statistics import summaries as statistics
from app.services.statistics.agreement import agreement as agreement_figures
from app.services.statistics.agreement import sample_size_guidance
from app.services.statistics.as_of import AsOfAfterToday, refuse_future_as_of, today_in_service_zone

MAX_AGE_SECONDS: Final = 120
MAX_ENTRIES: Final = 64
#: Discharge periods further back than this are refused as a typing mistake.
EARLIEST: Final = date(2000, 1, 1)

#: The breakdowns shown, in order: summary key, heading.
BREAKDOWNS: Final = (
    ("by_problem_group", "Problem group"),
    ("by_disorder", "Disorder first presented with"),
    ("by_sessions", "Treatment sessions"),
    ("by_service", "Service"),
    ("by_area", "Area"),
    ("by_discharge_month", "Discharge month"),
)
#: How a breakdown's entries are named for people, where the summary's keys are not names (else the key).
ROW_LABELS: Final[dict[str, dict[str, str]]] = {"by_disorder": DISORDER_LABELS}
#: Shorter headings for chart titles, where the heading and the entries' labels would not fit beside each other.
CHART_HEADINGS: Final = {"by_disorder": "Disorder"}


@dataclass(frozen=True)
class Filters:
    """What the dashboard is narrowed to; the cache key with the data version."""

    as_of: date
    service_code: str | None = None
    area_code: str | None = None
    problem_group: str | None = None
    discharged_from: date | None = None
    discharged_to: date | None = None

    def query(self) -> dict[str, str]:
        """The filters as query-string arguments (for chart links), leaving out those not set."""
        values = {
            "as_of": self.as_of,
            "service": self.service_code,
            "area": self.area_code,
            "problem_group": self.problem_group,
            "discharged_from": self.discharged_from,
            "discharged_to": self.discharged_to,
        }
        return {key: str(value) for key, value in values.items() if value is not None}

    def described(self) -> str:
        """The filters in words, for headings and chart descriptions."""
        parts = [f"as of {self.as_of.isoformat()}"]
        if self.service_code:
            parts.append(f"service {self.service_code}")
        if self.area_code:
            parts.append(f"area {self.area_code}")
        if self.problem_group:
            parts.append(f"problem group {self.problem_group}")
        if self.discharged_from or self.discharged_to:
            low = self.discharged_from.isoformat() if self.discharged_from else "the start"
            high = self.discharged_to.isoformat() if self.discharged_to else "the as-of date"
            parts.append(f"discharged from {low} to {high}")
        return ", ".join(parts)


def parse_filters(args: Mapping[str, str], now: datetime) -> tuple[Filters, list[str]]:
    """Filters from a query string; each problem is reported and its filter left out (an as-of date after
    today in Europe/London included: the figures are then as of today)."""
    problems: list[str] = []
    today = today_in_service_zone(now)

    def day(name: str, label: str) -> date | None:
        text = (args.get(name) or "").strip()
        if not text:
            return None
        try:
            value = date.fromisoformat(text)
        except ValueError:
            problems.append(f"{label}: enter a date like 2027-01-31")
            return None
        if value < EARLIEST:
            problems.append(f"{label}: {value.isoformat()} is too far back")
            return None
        return value

    as_of = day("as_of", "As of") or today
    try:
        refuse_future_as_of(as_of, now)
    except AsOfAfterToday as error:
        problems.append(f"As of: {error}")
        as_of = today
    discharged_from = day("discharged_from", "Discharged from")
    discharged_to = day("discharged_to", "Discharged to")
    if discharged_from and discharged_to and discharged_from > discharged_to:
        problems.append("Discharged from: the period starts after it ends")
        discharged_from = discharged_to = None
    service = (args.get("service") or "").strip() or None
    if service and service not in service_codes():
        problems.append(f"Service: there is no service {service}")
        service = None
    area = (args.get("area") or "").strip() or None
    if area and area not in area_codes():
        problems.append(f"Area: there is no area {area}")
        area = None
    group = (args.get("problem_group") or "").strip() or None
    if group and group not in PROBLEM_GROUPS:
        problems.append(f"Problem group: choose one of {', '.join(PROBLEM_GROUPS)}")
        group = None
    return Filters(as_of, service, area, group, discharged_from, discharged_to), problems


#: The date fields of the filter form, by query-string name.
DATE_FIELDS: Final = ("as_of", "discharged_from", "discharged_to")


def typed_dates(args: Mapping[str, str], filters: Filters) -> dict[str, str]:
    """What each date field of the form shows: the date typed, even when it was refused (a period that
    ends before it starts keeps both ends, to be corrected), else the date in force ("" for none)."""
    shown: dict[str, str] = {}
    for name in DATE_FIELDS:
        text = (args.get(name) or "").strip()
        try:
            shown[name] = date.fromisoformat(text).isoformat()
        except ValueError:  # not a date: a date field cannot show it, so it shows what is in force
            value = getattr(filters, name)
            shown[name] = value.isoformat() if value is not None else ""
    return shown


def scope_conflict(filters: Filters) -> str | None:
    """Why no episode can match, when the service chosen is not in the area chosen; else None."""
    if not filters.service_code or not filters.area_code:
        return None
    area = db.session.scalar(
        select(Area.code).join(Service, Service.area_id == Area.id).where(Service.code == filters.service_code)
    )
    if area is None or area == filters.area_code:
        return None
    return f"service {filters.service_code} is not in area {filters.area_code} (it is in area {area})"


def service_codes() -> list[str]:
    """Every service code, for the filter form."""
    return list(db.session.scalars(select(Service.code).order_by(Service.code)))


def area_codes() -> list[str]:
    """Every area code, for the filter form."""
    return list(db.session.scalars(select(Area.code).order_by(Area.code)))


def data_version() -> tuple[Any, ...]:
    """Maxima that move whenever figures may change: one small query (index look-ups but one)."""
    columns = (
        OutcomeState.version,  # a fold or a new day
        InboundMessage.id,
        OutboundMessage.id,
        OptEvent.id,
        Episode.id,
        CheckIn.id,
        Submission.id,
        Episode.updated_at,
        AssessmentCall.id,  # a sample drawn
        AssessmentCall.recorded_at,  # an interview recorded (or a refusal)
        AssessmentCall.last_attempt_at,  # a call tried
    )
    row = db.session.execute(select(*(select(func.max(column)).scalar_subquery() for column in columns))).one()
    return tuple(row)


@dataclass
class Dashboard:
    """One computed summary (SPEC shape, unsuppressed) with its wellness curve and rendered charts."""

    filters: Filters
    summary: dict[str, Any]
    curve: Curve
    computed_at: datetime
    charts: dict[str, str] = field(default_factory=dict)
    #: the texts beside the independent assessor for the same filters (SPEC 8.4), unsuppressed
    agreement: dict[str, Any] = field(default_factory=dict)

    @property
    def agreement_guidance(self) -> dict[str, Any]:
        """How many pairs a useful interval of the corrected figure needs (the worked example, and this scope's)."""
        return sample_size_guidance(self.agreement)

    @property
    def kappa_in_words(self) -> str | None:
        """Landis & Koch's words for the agreement's kappa (None when it has none)."""
        estimate = self.agreement["kappa"]["estimate"] if self.agreement else None
        return None if estimate is None else kappa_words(estimate)

    @property
    def empty(self) -> bool:
        """No episode in scope."""
        return int(self.summary["cohort"]["episodes"]) == 0

    @property
    def min_at_risk(self) -> int:
        """The wellness curve is drawn only while this many or more are at risk."""
        return MIN_AT_RISK

    @property
    def curve_drawn_until_weeks(self) -> float | None:
        """How far the wellness curve is drawn: while MIN_AT_RISK or more are at risk (None: not at all)."""
        until = self.curve.drawable_until(MIN_AT_RISK)
        return None if until is None else until / 7

    def risk_row(self) -> list[tuple[int, int]]:
        """(weeks, people at risk) at the chart's tick times, from 0 to the end of follow-up."""
        if not self.curve:
            return []
        return [(weeks, self.curve.at_risk(weeks * 7)) for weeks in risk_ticks(self.curve[-1].days)]


#: Steps between the weeks of the numbers-at-risk row, the first giving at most RISK_TICKS + 1 ticks.
TICK_STEPS: Final = (1, 2, 4, 8, 13, 26, 52, 104, 208)
RISK_TICKS: Final = 8


def risk_ticks(last_day: int) -> list[int]:
    """The weeks to show the numbers at risk at (and the chart's ticks): 0, then every few weeks to the end."""
    weeks = last_day / 7
    step = next((s for s in TICK_STEPS if weeks / s <= RISK_TICKS), TICK_STEPS[-1])
    return list(range(0, int(weeks) + 1, step))


class _Cache:
    """Dashboards by (filters, data version), least recently used first out, each for MAX_AGE_SECONDS."""

    def __init__(self) -> None:
        self.entries: OrderedDict[tuple[Filters, tuple[Any, ...]], tuple[float, Dashboard]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple[Filters, tuple[Any, ...]]) -> Dashboard | None:
        with self.lock:
            found = self.entries.get(key)
            if found is None or time.monotonic() - found[0] > MAX_AGE_SECONDS:
                return None
            self.entries.move_to_end(key)
            return found[1]

    def put(self, key: tuple[Filters, tuple[Any, ...]], dashboard: Dashboard) -> None:
        with self.lock:
            self.entries[key] = (time.monotonic(), dashboard)
            self.entries.move_to_end(key)
            while len(self.entries) > MAX_ENTRIES:
                self.entries.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


_cache = _Cache()
_computing = threading.Lock()


def clear_cache() -> None:
    """Forget every cached dashboard (tests; after a change the data version cannot see)."""
    _cache.clear()


def dashboard(filters: Filters, now: datetime) -> Dashboard:
    """The dashboard for these filters: from the cache while the data version stands, else computed, from
    the outcome facts the database keeps when they can serve it (SPEC 8.5), else in full."""
    key = (filters, data_version())
    found = _cache.get(key)
    if found is not None:
        return found
    scope = {
        "service_code": filters.service_code,
        "area_code": filters.area_code,
        "problem_group": filters.problem_group,
        "discharged_from": filters.discharged_from,
        "discharged_to": filters.discharged_to,
    }
    live = facts.live_summary_and_curve(filters.as_of, **scope)
    if live is not None:
        result = Dashboard(filters, live[0], live[1], now, agreement=_agreement(filters, live[0], scope))
        _cache.put(key, result)
        return result
    # A page and its chart images arrive together after a change: one of them computes, the others wait for it.
    with _computing:
        found = _cache.get(key)
        if found is not None:
            return found
        summary, curve = statistics.summary_and_curve(filters.as_of, **scope)
        result = Dashboard(filters, summary, curve, now, agreement=_agreement(filters, summary, scope))
        _cache.put(key, result)
        return result


def _agreement(filters: Filters, summary: dict[str, Any], scope: dict[str, Any]) -> dict[str, Any]:
    """The agreement figures for the dashboard's filters, correcting the ITT figure the page shows."""
    return agreement_figures(filters.as_of, itt=summary["durable_recovery"]["itt"], **scope)


# Charts: each name draws from the summary what the table beside it shows (matplotlib is imported
# on first use: it takes seconds, which every process creating the app would otherwise pay).


def _headline(d: Dashboard) -> str:
    from app.services.statistics import charts

    s = d.summary
    rows = [
        ("Durable recovery, intention to treat", s["durable_recovery"]["itt"]),
        ("Durable recovery, available case", s["durable_recovery"]["available_case"]),
        ("Response", s["response"]),
        ("Recovery as services report it", s["service_reported"]["recovery"]),
    ]
    return charts.rate_bars("Durable recovery beside the services' own figure", rows)


def _service_reported(d: Dashboard) -> str:
    from app.services.statistics import charts

    reported = d.summary["service_reported"]
    rows = [(label, reported[key]) for key, label in SERVICE_REPORTED_RATES]
    return charts.rate_bars("As the services report it (simplified PHQ-9/GAD-7)", rows)


SERVICE_REPORTED_RATES: Final = (
    ("recovery", "Recovery"),
    ("reliable_improvement", "Reliable improvement"),
    ("reliable_recovery", "Reliable recovery"),
    ("reliable_deterioration", "Reliable deterioration"),
)


def _funnel(d: Dashboard) -> str:
    from app.services.statistics import charts

    attrition = d.summary["attrition"]
    return charts.funnel("Attrition funnel", [(label, attrition[key]) for key, label in FUNNEL_LABELS.items()])


def _follow_up(d: Dashboard) -> str:
    from app.services.statistics import charts

    rows: list[tuple[str, dict[str, Any]]] = []
    for point in d.summary["follow_up_points"]:
        rows.append((f"{point['weeks']} weeks, ITT", point["itt"]))
        rows.append((f"{point['weeks']} weeks, available case", point["available_case"]))
    return charts.rate_bars("Recovered at each follow-up point", rows)


def _change(d: Dashboard) -> str:
    from app.services.statistics import charts

    counts = d.summary["change_distribution"]
    return charts.distribution(
        "Change since first going (latest answer)", [(CHANGE_LABELS[key], counts[key]) for key in CHANGES]
    )


def _wellness(d: Dashboard) -> str:
    from app.services.statistics import charts

    wellness = d.summary["wellness"]
    drawn = d.curve.drawn(MIN_AT_RISK)
    points = [(p.weeks, p.survival) for p in drawn]
    band = [(p.weeks, *(p.ci95 or (p.survival, p.survival))) for p in drawn]
    marks = [(float(key), value["estimate"]) for key, value in wellness["still_well"].items()]
    return charts.survival_curve(
        "How long wellness lasts (Kaplan-Meier)",
        points,
        band=band,
        marks=marks,
        at_risk=d.risk_row(),
        followed_weeks=d.curve[-1].weeks if d.curve else None,
        minimum=MIN_AT_RISK,
    )


def _breakdown(key: str, heading: str) -> Callable[[Dashboard], str]:
    def draw(d: Dashboard) -> str:
        from app.services.statistics import charts

        labels = ROW_LABELS.get(key, {})
        blocks = d.summary[key].items()
        rows = [(labels.get(name, str(name)), block["durable_recovery"]["itt"]) for name, block in blocks]
        title = f"Durable recovery (ITT) by {CHART_HEADINGS.get(key, heading).lower()}"
        return charts.rate_bars(title, rows)

    return draw


CHARTS: Final[dict[str, Callable[[Dashboard], str]]] = {
    "headline": _headline,
    "service-reported": _service_reported,
    "funnel": _funnel,
    "follow-up": _follow_up,
    "change": _change,
    "wellness": _wellness,
    **{key.replace("_", "-"): _breakdown(key, heading) for key, heading in BREAKDOWNS},
}


def chart(d: Dashboard, name: str) -> str:
    """The SVG of one chart of a dashboard, rendered once per cached dashboard. KeyError for unknown names."""
    draw = CHARTS[name]
    svg = d.charts.get(name)
    if svg is None:
        svg = d.charts[name] = draw(d)
    return svg


# The CSV export: the figures on the page, one a row, for the same filters.

CSV_COLUMNS: Final = (
    "as_of",
    "service",
    "area",
    "problem_group",
    "discharged_from",
    "discharged_to",
    "section",
    "group",
    "measure",
    "value",
    "unit",
    "ci95_low",
    "ci95_high",
)
#: (section, group, measure, value, unit, ci95 low, ci95 high)
FigureRow = tuple[str, str, str, Any, str, Any, Any]


def _rate(section: str, group: str, measure: str, rate: dict[str, Any]) -> Iterator[FigureRow]:
    low, high = rate["ci95"] if rate["ci95"] is not None else (None, None)
    yield section, group, measure, rate["rate"], "proportion", low, high
    yield section, group, f"{measure}_numerator", rate["numerator"], "count", None, None
    yield section, group, f"{measure}_denominator", rate["denominator"], "count", None, None


def _counts(section: str, group: str, counts: Mapping[str, Any]) -> Iterator[FigureRow]:
    for name, count in counts.items():
        yield section, group, name, count, "count", None, None


def figure_rows(d: Dashboard) -> Iterator[FigureRow]:
    """Every figure the dashboard shows, unrounded: rates as proportions (0-1) with their counts."""
    s = d.summary
    yield from _counts("cohort", "", s["cohort"])
    yield from _counts("outcomes", "", s["outcomes"])
    yield from _rate("durable_recovery", "", "itt", s["durable_recovery"]["itt"])
    yield from _rate("durable_recovery", "", "available_case", s["durable_recovery"]["available_case"])
    yield from _rate("response", "", "response", s["response"])
    reported = s["service_reported"]
    counted = ("finished", "at_caseness", "missing_scores")
    yield from _counts("service_reported", "", {key: reported[key] for key in counted})
    for key, _ in SERVICE_REPORTED_RATES:
        yield from _rate("service_reported", "", key, reported[key])
    yield from _counts("attrition", "", s["attrition"])
    for point in s["follow_up_points"]:
        group = f"{point['weeks']} weeks"
        yield from _counts("follow_up_point", group, {key: point[key] for key in ("closed", "answered", "recovered")})
        yield from _rate("follow_up_point", group, "itt", point["itt"])
        yield from _rate("follow_up_point", group, "available_case", point["available_case"])
    for key, _ in BREAKDOWNS:
        for group, block in s[key].items():
            yield from _counts(key, str(group), {"episodes": block["episodes"], "eligible": block["eligible"]})
            yield from _counts(key, str(group), block["outcomes"])
            yield from _rate(key, str(group), "durable_recovery_itt", block["durable_recovery"]["itt"])
            yield from _rate(
                key, str(group), "durable_recovery_available_case", block["durable_recovery"]["available_case"]
            )
            yield from _rate(key, str(group), "response", block["response"])
    yield from _counts("change_distribution", "", s["change_distribution"])
    wellness = s["wellness"]
    yield from _counts("wellness", "", {"n": wellness["n"], "events": wellness["events"]})
    yield "wellness", "", "median_weeks", wellness["median_weeks"], "weeks", None, None
    for weeks, point in wellness["still_well"].items():
        low, high = point["ci95"] if point["ci95"] is not None else (None, None)
        yield "wellness", f"{weeks} weeks", "still_well", point["estimate"], "proportion", low, high
    yield "wellness", "", "curve_drawn_until_weeks", d.curve_drawn_until_weeks, "weeks", None, None
    for weeks, n in d.risk_row():
        yield "wellness", f"{weeks} weeks", "at_risk", n, "count", None, None
    if d.agreement:
        yield from _agreement_rows(d.agreement)


def _agreement_rows(a: dict[str, Any]) -> Iterator[FigureRow]:
    yield "agreement", "", "pairs", a["pairs"], "count", None, None
    yield from _counts("agreement", "table", a["table"])
    yield from _counts("agreement", "calls", a["calls"])
    for key in ("percent_agreement", "sensitivity", "specificity"):
        yield from _rate("agreement", "", key, a[key])
    low, high = a["kappa"]["ci95"] or (None, None)
    yield "agreement", "", "kappa", a["kappa"]["estimate"], "kappa", low, high
    corrected = a["corrected_itt_durable_recovery"]
    low, high = corrected["ci95"] or (None, None)
    yield "agreement", "", "corrected_itt_durable_recovery", corrected["estimate"], "proportion", low, high


def figures_csv(d: Dashboard) -> str:
    """The dashboard's figures as CSV (CSV_COLUMNS), every row carrying the filters; every cell guarded
    against formula injection (app.domain.csv_cells)."""
    f = d.filters
    scope = [
        f.as_of.isoformat(),
        f.service_code or "",
        f.area_code or "",
        f.problem_group or "",
        f.discharged_from.isoformat() if f.discharged_from else "",
        f.discharged_to.isoformat() if f.discharged_to else "",
    ]
    rows = ([*scope, *(("" if value is None else value) for value in row)] for row in figure_rows(d))
    return write_csv([CSV_COLUMNS, *rows])
