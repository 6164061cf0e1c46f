"""Monthly reports for commissioners: per area and month, a PDF and a CSV of published figures.

Each (area, month) is built once, from figures as of the month's last day: all discharges so far,
the discharges of the 12 months ending that day, and the month's activity. Everything in a report
is disclosure-controlled (SPEC section 4) because it leaves the evaluation team. `--send` emails
both files to the area's commissioners; the scheduler builds and sends last month's reports on the
1st and catches up any month it missed.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from html import escape
from pathlib import Path
from typing import Any, Final, Literal, Protocol, runtime_checkable

from flask import current_app, render_template
from sqlalchemy import distinct, func, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError

from app.domain import months
from app.domain.csv_cells import write_csv
from app.domain.disclosure import SUPPRESSED, publish_count
from app.domain.discretion import forbidden_words_in
from app.domain.months import add_months, day_start, last_day, month_label, months_between
from app.domain.protocol import LONDON
from app.extensions import db
from app.messaging.base import SendOutcome
from app.messaging.registry import email_sender
from app.models import (
    Area,
    CheckIn,
    Client,
    ContactPoint,
    Episode,
    MonthlyReport,
    OptEvent,
    Role,
    Service,
    User,
)
from app.models.message import SafeguardingAlert
from app.services import audit, statistics
from app.services.errors import ServiceError
from app.services.organisation import get_area
from app.services.publication.figure_charts import comparison_charts, summary_charts
from app.services.publication.releases import episodes_arrived_since, software_version

log = logging.getLogger(__name__)

#: Months are calendar months in England, where commissioners work.

#: The layout of `MonthlyReport.figures`; bump when its keys change.
REPORT_FORMAT: Final = 3  # 2: `late_arrivals`; 3: `texts_sent`
ROLLING_MONTHS: Final = 12


class ReportError(ServiceError):
    """A report that cannot be built or sent as asked (bad month, month not over, no mail transport)."""


# --- months ---------------------------------------------------------------------------------


def parse_month(text: str) -> date:
    """'2026-10' -> 1 October 2026; ReportError for anything else."""
    try:
        return months.parse_month(text)
    except ValueError as error:
        raise ReportError(str(error)) from None


def london_midnight(day: date) -> datetime:
    """The UTC instant a day starts in England (DST-aware)."""
    return day_start(day, LONDON)


def check_reportable(first: date, now: datetime) -> None:
    """A month can be reported once it is over in England."""
    over_from = add_months(first, 1)
    if now.astimezone(LONDON).date() < over_from:
        raise ReportError(
            f"{month_label(first)} has not ended yet: its report can be built from {over_from.isoformat()}"
        )


# --- figures --------------------------------------------------------------------------------


def month_activity(area: Area, first: date) -> dict[str, int]:
    """Unpublished counts of what happened in the area during the month (England's calendar month).

    Opt-outs belong to contact points (SPEC section 2); one STOP opts out every channel of a client,
    so people are counted: distinct clients of the area's services with an opt-out in the month.
    """
    start, end = london_midnight(first), london_midnight(add_months(first, 1))
    in_area = Service.area_id == area.id

    def checkins_where(column: Any) -> int:
        query = (
            select(func.count())
            .select_from(CheckIn)
            .join(Episode, Episode.id == CheckIn.episode_id)
            .join(Service, Service.id == Episode.service_id)
            .where(in_area, column >= start, column < end)
        )
        return int(db.session.scalar(query) or 0)

    opted_out = db.session.scalar(
        select(func.count(distinct(Client.id)))
        .select_from(Client)
        .join(Service, Service.id == Client.service_id)
        .join(
            ContactPoint,
            or_(ContactPoint.contact_hash == Client.phone_hash, ContactPoint.contact_hash == Client.email_hash),
        )
        .join(OptEvent, OptEvent.contact_point_id == ContactPoint.id)
        .where(in_area, OptEvent.kind == "opt_out", OptEvent.at >= start, OptEvent.at < end)
    )
    alerts = db.session.scalar(
        select(func.count())
        .select_from(SafeguardingAlert)
        .join(Service, Service.id == SafeguardingAlert.service_id)
        .where(in_area, SafeguardingAlert.raised_at >= start, SafeguardingAlert.raised_at < end)
    )
    return {
        "check_ins_sent": checkins_where(CheckIn.first_sent_at),
        "check_ins_answered": checkins_where(CheckIn.change_at),
        "clients_opted_out": int(opted_out or 0),
        "safeguarding_alerts": int(alerts or 0),
    }


def report_figures(area: Area, first: date, now: datetime) -> dict[str, Any]:
    """Everything a report shows, published (disclosure-controlled), as of the month's last day."""
    as_of = last_day(first)
    rolling_from = add_months(first, 1 - ROLLING_MONTHS)
    overall = statistics.summary(as_of, area_code=area.code, published=True)
    rolling = statistics.summary(
        as_of, area_code=area.code, published=True, discharged_from=rolling_from, discharged_to=as_of
    )
    return {
        "report": "monthly",
        "format": REPORT_FORMAT,
        "area": {"code": area.code, "name": area.name},
        "month": month_label(first),
        "as_of": as_of.isoformat(),
        "methodology": overall["methodology"],
        "software_version": software_version(),
        "generated_at": now.astimezone(UTC).isoformat(timespec="seconds"),
        "all_discharges": overall,
        "last_12_months": {"discharged_from": rolling_from.isoformat(), "discharged_to": as_of.isoformat()} | rolling,
        "activity": {key: publish_count(n) for key, n in month_activity(area, first).items()},
        "late_arrivals": publish_count(late_arrivals(area, as_of, now)),
        "texts_sent": month_texts_sent(area, first),
        # the area's services against all services (SPEC 8.1): a commissioner sees where theirs stand
        "comparison": statistics.compare(as_of, published=True),
        "area_services": sorted(service.code for service in area.services),
    }


def month_texts_sent(area: Area, first: date) -> list[dict[str, Any]]:
    """The SMS sent to the area's clients in the month per language, messages and segments (SPEC 8.3), published
    (each count disclosure-controlled); an empty list when none were sent."""
    return [
        {
            "language": item.language,
            "name": item.name,
            "messages": publish_count(item.messages),
            "segments": publish_count(item.segments),
        }
        for item in statistics.texts_sent_in_month(first, area_code=area.code)
    ]


def late_arrivals(area: Area, as_of: date, now: datetime) -> int:
    """Episodes of the area discharged by `as_of` whose list arrived after that day ended (London), up to `now`.

    They are counted in the report; lists arriving after it is built move the live figures, never the report."""
    month_over = day_start(as_of + timedelta(days=1), LONDON)
    arrived_late = episodes_arrived_since(month_over, as_of, "area", area.code)
    return arrived_late - episodes_arrived_since(now, as_of, "area", area.code)


# --- the CSV --------------------------------------------------------------------------------

CSV_COLUMNS: Final = ("area", "month", "scope", "section", "group", "measure", "value", "unit", "ci95_low", "ci95_high")
Row = tuple[str, str, str, Any, str, Any, Any]  # section, group, measure, value, unit, ci low, ci high


def _is_rate(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"numerator", "denominator", "rate", "ci95"}


def _rate_rows(section: str, group: str, measure: str, rate: dict[str, Any]) -> Iterator[Row]:
    ci = rate["ci95"]
    low, high = (ci if isinstance(ci, list) else (ci, ci)) if ci is not None else (None, None)
    yield section, group, measure, rate["rate"], "percent", low, high
    yield section, group, f"{measure}_numerator", rate["numerator"], "count", None, None
    yield section, group, f"{measure}_denominator", rate["denominator"], "count", None, None


def _block_rows(section: str, group: str, block: dict[str, Any]) -> Iterator[Row]:
    yield section, group, "episodes", block["episodes"], "count", None, None
    yield section, group, "eligible", block["eligible"], "count", None, None
    for name, count in block["outcomes"].items():
        yield section, group, name, count, "count", None, None
    yield from _rate_rows(section, group, "durable_recovery_itt", block["durable_recovery"]["itt"])
    yield from _rate_rows(
        section, group, "durable_recovery_available_case", block["durable_recovery"]["available_case"]
    )
    yield from _rate_rows(section, group, "response", block["response"])


def summary_rows(summary: dict[str, Any]) -> Iterator[Row]:
    """A published summary as tidy rows: one measure per row."""
    for section in ("cohort", "outcomes", "change_distribution", "attrition"):
        for name, count in summary[section].items():
            yield section, "", name, count, "count", None, None
    for name, rate in summary["durable_recovery"].items():
        yield from _rate_rows("durable_recovery", "", name, rate)
    yield from _rate_rows("response", "", "response", summary["response"])
    for point in summary["follow_up_points"]:
        group = f"{point['weeks']} weeks"
        for name in ("closed", "answered", "recovered"):
            yield "follow_up_point", group, name, point[name], "count", None, None
        yield from _rate_rows("follow_up_point", group, "itt", point["itt"])
        yield from _rate_rows("follow_up_point", group, "available_case", point["available_case"])
    for section in ("by_problem_group", "by_disorder", "by_sessions", "by_service", "by_discharge_month"):
        for group, block in summary.get(section, {}).items():
            yield from _block_rows(section, group, block)
    wellness = summary["wellness"]
    yield "wellness", "", "n", wellness["n"], "count", None, None
    yield "wellness", "", "events", wellness["events"], "count", None, None
    yield "wellness", "", "median_weeks", wellness["median_weeks"], "weeks", None, None
    for weeks, point in wellness["still_well"].items():
        ci = point["ci95"]
        low, high = (ci if isinstance(ci, list) else (ci, ci)) if ci is not None else (None, None)
        yield "wellness", f"{weeks} weeks", "still_well", point["estimate"], "percent", low, high
    for name, value in summary["service_reported"].items():
        if _is_rate(value):
            yield from _rate_rows("service_reported", "", name, value)
        else:
            yield "service_reported", "", name, value, "count", None, None
    for descriptor, measures in summary["effect_sizes"].items():
        for measure, effect in measures.items():
            for name, value in effect.items():
                yield "effect_sizes", f"{descriptor} {measure}", name, value, "count" if name == "n" else "", None, None


def comparison_rows(service: dict[str, Any]) -> Iterator[Row]:
    """One service of a published comparison as tidy rows (section `service`, group its code)."""
    code = service["service"]
    yield from _rate_rows("service", code, "durable_recovery_itt", service["observed"])
    limits = service["limits"]
    for level in ("95", "99.8"):
        low, high = limits[level] if isinstance(limits, dict) else (limits, limits)
        yield "service", code, f"limits_{level}", None, "percent", low, high
    yield "service", code, "position", service["position"], "", None, None
    yield "service", code, "expected", service["expected"], "count", None, None
    yield "service", code, "observed_expected", service["observed_expected"], "ratio", None, None
    ci = service["adjusted_ci95"]
    low, high = (ci if isinstance(ci, list) else (ci, ci)) if ci is not None else (None, None)
    yield "service", code, "adjusted_rate", service["adjusted_rate"], "percent", low, high
    yield "service", code, "adjusted_position", service.get("adjusted_position"), "", None, None
    adjusted_limits = service.get("adjusted_limits")
    for level in ("95", "99.8"):
        low, high = adjusted_limits[level] if isinstance(adjusted_limits, dict) else (adjusted_limits, adjusted_limits)
        yield "service", code, f"adjusted_limits_{level}", None, "ratio", low, high
    yield from _rate_rows("service", code, "service_reported_recovery", service["service_reported_recovery"])
    yield "service", code, "gap", service.get("gap"), "percentage_points", None, None


def _cell(value: Any) -> object:
    """A figure as written: numbers stay numbers (a float to 4 significant digits), None is empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        rounded = float(f"{value:.4g}")
        return int(rounded) if rounded.is_integer() else rounded
    return value


def render_csv(figures: dict[str, Any]) -> str:
    """The report's figures as tidy CSV rows (area, month, scope, section, group, measure, value, ...).

    Every text cell is guarded against formula injection (`write_csv`); numbers stay numbers."""
    rows: list[tuple[object, ...]] = [CSV_COLUMNS]
    area, month = figures["area"]["code"], figures["month"]
    scopes = (("all_discharges", figures["all_discharges"]), ("last_12_months", figures["last_12_months"]))
    for scope, summary in scopes:
        for row in summary_rows(summary):
            rows.append((area, month, scope, *(_cell(value) for value in row)))
    for name, count in figures["activity"].items():
        rows.append((area, month, "month_activity", "activity", "", name, _cell(count), "count", "", ""))
    for sent in figures.get("texts_sent", ()):  # reports made before format 3 have none
        for measure in ("messages", "segments"):
            cell = _cell(sent[measure])
            rows.append((area, month, "month_activity", "texts_sent", sent["language"], measure, cell, "count", "", ""))
    comparison = figures.get("comparison")
    for service in comparison["services"] if comparison else ():  # every service, so yours can be set beside all
        for row in comparison_rows(service):
            rows.append((area, month, "comparison", *(_cell(value) for value in row)))
    return write_csv(rows)


# --- the PDF --------------------------------------------------------------------------------


def _svg_data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def report_charts(figures: dict[str, Any]) -> list[dict[str, str]]:
    """The report's charts (all discharges) as SVG data URIs with their titles, drawn by statistics.charts."""
    drawn = summary_charts(figures["all_discharges"])
    if figures.get("comparison"):  # reports made before comparisons have none
        drawn += comparison_charts(figures["comparison"], highlight=tuple(figures.get("area_services", ())))
    return [{"title": title, "src": _svg_data_uri(svg)} for title, svg in drawn]


def render_html(figures: dict[str, Any]) -> str:
    """The report's HTML, from templates/reports/monthly_pdf.html, as rendered to PDF."""
    return render_template(
        "reports/monthly_pdf.html",
        figures=figures,
        month_name=datetime.strptime(figures["month"], "%Y-%m").strftime("%B %Y"),
        as_of_text=_long_date(date.fromisoformat(figures["as_of"])),
        rolling_from_text=_long_date(date.fromisoformat(figures["last_12_months"]["discharged_from"])),
        generated_text=_long_date(datetime.fromisoformat(figures["generated_at"]).astimezone(LONDON).date()),
        charts=report_charts(figures),
        suppressed=SUPPRESSED,
    )


def render_pdf(figures: dict[str, Any]) -> bytes:
    """The report as a tagged PDF (WeasyPrint) from its HTML (`render_html`)."""
    import weasyprint  # slow to import; only report builds need it

    html = render_html(figures)
    return bytes(weasyprint.HTML(string=html, base_url=str(current_app.root_path)).write_pdf(pdf_tags=True))


def _long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


# --- building -------------------------------------------------------------------------------


def file_stem(area_code: str, month: str) -> str:
    """`<AREA>-<YYYY-MM>`, the name of a report's PDF and CSV files."""
    return f"{area_code}-{month}"


def get_report(area_code: str, month: str) -> MonthlyReport | None:
    """The stored report of an area for a month, if built."""
    area = get_area(area_code)
    return db.session.scalar(
        select(MonthlyReport).where(MonthlyReport.area_id == area.id, MonthlyReport.month == month)
    )


def build_monthly_report(
    area_code: str, month: str, now: datetime, replace: bool = False, *, actor: str = "scheduler"
) -> MonthlyReport | None:
    """Build and store an area's report for a month that is over; None when it exists and not `replace`."""
    first = parse_month(month)
    label = month_label(first)
    check_reportable(first, now)
    area = get_area(area_code)
    existing = db.session.scalar(
        select(MonthlyReport).where(MonthlyReport.area_id == area.id, MonthlyReport.month == label)
    )
    if existing is not None and not replace:
        return None
    figures = report_figures(area, first, now)
    content = {
        "built_at": now,
        "pdf": render_pdf(figures),
        "csv": render_csv(figures),
        "figures": json.dumps(figures, sort_keys=True, separators=(",", ":")),
    }
    report: MonthlyReport
    if existing is not None:
        for name, value in content.items():
            setattr(existing, name, value)
        existing.sent_at, existing.sent_to = None, None  # the new content has not been sent
        report = existing
    else:
        report = MonthlyReport(area_id=area.id, month=label, **content)
        db.session.add(report)
    audit.record(
        actor, "report.built", now, subject=f"report:{file_stem(area.code, label)}", replaced=existing is not None
    )
    try:
        db.session.commit()
    except IntegrityError:  # another process built it at the same moment: theirs stands
        db.session.rollback()
        return None
    return report


def write_files(report: MonthlyReport, area_code: str, directory: Path) -> list[Path]:
    """Write a report's `<AREA>-<YYYY-MM>.pdf` and `.csv` into a directory (created if missing)."""
    directory.mkdir(parents=True, exist_ok=True)
    stem = file_stem(area_code, report.month)
    pdf, csv_file = directory / f"{stem}.pdf", directory / f"{stem}.csv"
    pdf.write_bytes(report.pdf)
    csv_file.write_text(report.csv, encoding="utf-8")
    return [pdf, csv_file]


# --- the commissioners' archive ------------------------------------------------------------


@dataclass(frozen=True)
class ArchiveEntry:
    id: int
    month: str
    month_name: str
    built_at: datetime
    sent_at: datetime | None
    pdf_bytes: int
    stem: str

    @property
    def built_on(self) -> str:
        """The day it was built, in England: "1 October 2026"."""
        return _long_date(self.built_at.astimezone(LONDON).date())


def archive_for(area_id: int | None) -> tuple[Area | None, list[ArchiveEntry]]:
    """An area and its reports, newest month first (without loading the files)."""
    area = db.session.get(Area, area_id) if area_id is not None else None
    if area is None:
        return None, []
    rows = db.session.execute(
        select(
            MonthlyReport.id,
            MonthlyReport.month,
            MonthlyReport.built_at,
            MonthlyReport.sent_at,
            func.length(MonthlyReport.pdf),
        )
        .where(MonthlyReport.area_id == area.id)
        .order_by(MonthlyReport.month.desc())
    ).all()
    return area, [
        ArchiveEntry(
            report_id,
            month,
            f"{parse_month(month):%B %Y}",
            built_at,
            sent_at,
            int(size or 0),
            file_stem(area.code, month),
        )
        for report_id, month, built_at, sent_at, size in rows
    ]


def report_for_download(
    report_id: int, area_id: int | None, kind: str, *, actor: str, now: datetime
) -> tuple[str, bytes] | None:
    """(file name, content) of a report of the caller's own area, audited; None for anything else."""
    report = db.session.get(MonthlyReport, report_id)
    if report is None or area_id is None or report.area_id != area_id or kind not in ("pdf", "csv"):
        return None
    area = db.session.get(Area, report.area_id)
    assert area is not None
    filename = f"{file_stem(area.code, report.month)}.{kind}"
    audit.record(actor, "report.downloaded", now, subject=f"report:{file_stem(area.code, report.month)}", kind=kind)
    db.session.commit()
    return filename, report.pdf if kind == "pdf" else report.csv.encode("utf-8")


# --- sending --------------------------------------------------------------------------------


@runtime_checkable
class AttachmentSender(Protocol):
    """An email transport that can attach files (SMTP and console both can)."""

    def send_email_with_attachments(
        self,
        to: str,
        subject: str,
        text: str,
        html: str,
        headers: dict[str, str],
        attachments: Sequence[tuple[str, str, bytes]],
    ) -> SendOutcome: ...


SendStatus = Literal["sent", "already_sent", "no_recipients", "failed"]


@dataclass(frozen=True)
class SendResult:
    status: SendStatus
    sent_to: int = 0
    failed: int = 0


def commissioner_emails(area_id: int) -> list[str]:
    """Every active commissioner of the area."""
    return list(
        db.session.scalars(
            select(User.email)
            .where(User.role == Role.COMMISSIONER.value, User.area_id == area_id, User.active.is_(True))
            .order_by(User.id)
        )
    )


def report_email(area: Area, month: str) -> tuple[str, str, str]:
    """Subject, text and HTML of the email carrying a report: a link, never figures; a discreet subject."""
    subject = f"Stillwell monthly report {area.code} {month}"
    if forbidden_words_in(subject):
        subject = f"Stillwell monthly report {month}"
    link = f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/reports/"
    text = (
        f"The Stillwell monthly report for {area.code}, {month}, is attached as a PDF and a CSV file.\n\n"
        f"Every report for your area is also at {link} (sign-in required).\n\n"
        "The figures are published figures: small counts are suppressed and the others rounded.\n"
    )
    html = (
        f"<p>The Stillwell monthly report for {escape(area.code)}, {escape(month)}, is attached as a PDF and a CSV "
        f'file.</p><p>Every report for your area is also at <a href="{escape(link)}">{escape(link)}</a> '
        "(sign-in required).</p><p>The figures are published figures: small counts are suppressed and the others "
        "rounded.</p>"
    )
    return subject, text, html


def send_monthly_report(
    report: MonthlyReport, now: datetime, *, sender: AttachmentSender | None = None, actor: str = "scheduler"
) -> SendResult:
    """Email a report's PDF and CSV to every active commissioner of its area, once.

    The report is claimed by setting `sent_at` in one conditional UPDATE, so two processes never
    both send it; if no email could be delivered the claim is released for a later attempt.
    """
    area = db.session.get(Area, report.area_id)
    assert area is not None
    recipients = commissioner_emails(area.id)
    if not recipients:
        return SendResult("no_recipients")
    if sender is None:
        try:
            configured = email_sender(current_app.config)
        except ValueError as error:
            raise ReportError(f"cannot send the report: {error}") from None
        if not isinstance(configured, AttachmentSender):
            raise ReportError("the configured MAIL_TRANSPORT cannot send attachments")
        sender = configured
    claim: CursorResult[Any] = db.session.execute(  # type: ignore[assignment]
        update(MonthlyReport)
        .where(MonthlyReport.id == report.id, MonthlyReport.sent_at.is_(None))
        .values(sent_at=now)
        .execution_options(synchronize_session=False)
    )
    claimed = claim.rowcount
    db.session.commit()
    if not claimed:
        db.session.refresh(report)
        return SendResult("already_sent", report.sent_to or 0)
    stem = file_stem(area.code, report.month)
    attachments = [(f"{stem}.pdf", "application/pdf", report.pdf), (f"{stem}.csv", "text/csv", report.csv.encode())]
    subject, text, html = report_email(area, report.month)
    sent = failed = 0
    for to in recipients:
        outcome = sender.send_email_with_attachments(to, subject, text, html, {}, attachments)
        if outcome.status == "accepted":
            sent += 1
        else:
            failed += 1
            log.error("monthly report %s: an email was not accepted (%s: %s)", stem, outcome.status, outcome.detail)
    db.session.execute(
        update(MonthlyReport)
        .where(MonthlyReport.id == report.id)
        .values(sent_at=now if sent else None, sent_to=sent or None)
        .execution_options(synchronize_session=False)
    )
    audit.record(actor, "report.sent", now, subject=f"report:{stem}", sent_to=sent, failed=failed)
    db.session.commit()
    db.session.refresh(report)
    return SendResult("sent" if sent else "failed", sent, failed)


# --- the scheduler's catch-up ---------------------------------------------------------------


def first_report_month(area: Area) -> date:
    """The month of the area's first discharge, or of its creation when it has none."""
    earliest = db.session.scalar(
        select(func.min(Episode.discharge_date))
        .join(Service, Service.id == Episode.service_id)
        .where(Service.area_id == area.id)
    )
    if earliest is not None:
        return earliest.replace(day=1)
    return area.created_at.astimezone(LONDON).date().replace(day=1)


@dataclass(frozen=True)
class RunLine:
    """What became of one area's report for one month."""

    area: str
    month: str
    built: bool  # built now (False: it was built already, and left as it was)
    send: SendResult | None  # None: not asked to send
    rebuilt: bool = False  # built now over one built before (--replace)
    written: tuple[Path, ...] = ()  # the files written, when asked


def produce_report(
    area_code: str,
    month: str,
    now: datetime,
    *,
    actor: str,
    send: bool = False,
    replace: bool = False,
    out_dir: Path | None = None,
) -> RunLine:
    """Build one area's report for one month (unless built already and not `replace`), and send it and write
    its files when asked: the one way a report is made, by the scheduler and by `flask reports monthly`."""
    existed = get_report(area_code, month) is not None
    report = build_monthly_report(area_code, month, now, replace=replace, actor=actor)
    built = report is not None
    report = report or get_report(area_code, month)
    if report is None:  # pragma: no cover - built concurrently and then deleted
        raise ReportError(f"the report of {area_code} for {month} could not be built")
    result = send_monthly_report(report, now, actor=actor) if send else None
    written: tuple[Path, ...] = ()
    if out_dir is not None:
        written = tuple(write_files(report, area_code, out_dir))
        audit.record(actor, "report.written", now, subject=f"report:{file_stem(area_code, month)}")
        db.session.commit()
    return RunLine(area_code, month, built, result, rebuilt=built and existed, written=written)


def run_monthly_reports(now: datetime, *, send: bool = True, actor: str = "scheduler") -> list[RunLine]:
    """Build (and send) every missing report of every area, up to the last month that is over."""
    last_month = add_months(now.astimezone(LONDON).date().replace(day=1), -1)
    done: list[RunLine] = []
    for area in db.session.scalars(select(Area).order_by(Area.code)).all():
        built_months = set(db.session.scalars(select(MonthlyReport.month).where(MonthlyReport.area_id == area.id)))
        for first in months_between(first_report_month(area), last_month):
            label = month_label(first)
            if label in built_months:
                continue
            line = produce_report(area.code, label, now, actor=actor, send=send)
            if line.built:  # not built: another process built it meanwhile
                done.append(line)
    return done
