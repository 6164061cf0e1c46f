"""Independent evaluators: the dashboard, pseudonymised responses, the safeguarding queue.

Evaluators see every aggregate unsuppressed, answers only under a pseudonym, and a client's contact
details only through a safeguarding alert, one audited request at a time (SPEC section 1). Charts are
served as separate SVG images (drawn on the server; the page's tables hold the same numbers).
"""

from __future__ import annotations

import re
from typing import Any, Final

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app.domain import months
from app.domain.outcomes import PROBLEM_GROUPS
from app.domain.protocol import LONDON
from app.models import Role
from app.models.types import utcnow
from app.security.access import allow
from app.services.errors import NotFound, ServiceError
from app.services.safeguarding import review
from app.services.statistics import comparisons, texts_sent_in_month
from app.services.statistics import dashboard as dashboards
from app.web.markdown import methodology_html

bp = Blueprint("evaluate", __name__, url_prefix="/evaluate")


CHART_NAME: Final = re.compile(r"[a-z-]{1,40}")


def _actor() -> str:
    return f"user:{current_user.id}"


def _page_number() -> int:
    text = request.args.get("page", "1")
    return int(text) if text.isdigit() and 0 < len(text) < 7 else 1


def _args(values: dict[str, str]) -> dict[str, Any]:
    return dict(values)


def _common() -> dict[str, Any]:
    return {"london": LONDON, "open_alerts": review.open_alert_count()}


@bp.get("")
@allow(Role.EVALUATOR)
def dashboard() -> ResponseReturnValue:
    """The dashboard: filters, headline rates, breakdowns, follow-up, change and wellness, charts with tables."""
    now = utcnow()
    filters, problems = dashboards.parse_filters(request.args, now)
    board = dashboards.dashboard(filters, now)
    return render_template(
        "evaluate/dashboard.html",
        board=board,
        s=board.summary,
        filters=filters,
        problems=problems,
        services=dashboards.service_codes(),
        areas=dashboards.area_codes(),
        dates=dashboards.typed_dates(request.args, filters),
        conflict=dashboards.scope_conflict(filters),
        csv_url=url_for("evaluate.figures_csv", **_args(filters.query())),
        problem_groups=PROBLEM_GROUPS,
        breakdowns=dashboards.BREAKDOWNS,
        reported_rates=dashboards.SERVICE_REPORTED_RATES,
        chart_url=lambda name: url_for("evaluate.chart", name=name, **_args(filters.query())),
        **_common(),
    )


@bp.get("/charts/<name>.svg")
@allow(Role.EVALUATOR)
def chart(name: str) -> ResponseReturnValue:
    """One chart of the dashboard as an SVG image, for the same filters as the page."""
    if not CHART_NAME.fullmatch(name) or name not in dashboards.CHARTS:
        abort(404)
    now = utcnow()
    filters, _ = dashboards.parse_filters(request.args, now)
    svg = dashboards.chart(dashboards.dashboard(filters, now), name)
    return current_app.response_class(svg, mimetype="image/svg+xml")


@bp.get("/figures.csv")
@allow(Role.EVALUATOR)
def figures_csv() -> ResponseReturnValue:
    """The figures of the dashboard, one a row, for the same filters, as a CSV download."""
    now = utcnow()
    filters, _ = dashboards.parse_filters(request.args, now)
    text = dashboards.figures_csv(dashboards.dashboard(filters, now))
    name = f"stillwell-figures-{filters.as_of.isoformat()}.csv"
    return current_app.response_class(
        text, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@bp.get("/compare")
@allow(Role.EVALUATOR)
def compare() -> ResponseReturnValue:
    """Comparing services: each one's durable recovery against funnel limits, raw and adjusted for case mix."""
    now = utcnow()
    filters, problems = dashboards.parse_filters(request.args, now)
    problems = [p for p in problems if p.startswith(("As of", "Area"))]
    result = comparisons.cached_comparison(filters.as_of, filters.area_code)
    query = {"as_of": filters.as_of.isoformat()} | ({"area": filters.area_code} if filters.area_code else {})
    return render_template(
        "evaluate/compare.html",
        c=result,
        filters=filters,
        problems=problems,
        areas=dashboards.area_codes(),
        dates=dashboards.typed_dates(request.args, filters),
        chart_url=lambda name: url_for("evaluate.compare_chart", name=name, **query),
        **_common(),
    )


@bp.get("/compare/charts/<name>.svg")
@allow(Role.EVALUATOR)
def compare_chart(name: str) -> ResponseReturnValue:
    """A funnel plot of the compare page as an SVG image, for the same as-of date and area."""
    if name not in comparisons.CHARTS:
        abort(404)
    filters, _ = dashboards.parse_filters(request.args, utcnow())
    svg = comparisons.comparison_chart(comparisons.cached_comparison(filters.as_of, filters.area_code), name)
    return current_app.response_class(svg, mimetype="image/svg+xml")


@bp.get("/methodology")
@allow(Role.EVALUATOR)
def methodology() -> ResponseReturnValue:
    """docs/methodology.md as a page, rendered like /published/methodology."""
    return render_template("evaluate/methodology.html", body=methodology_html(), **_common())


@bp.get("/texts")
@allow(Role.EVALUATOR)
def texts_sent() -> ResponseReturnValue:
    """Operations: the SMS sent in a month per language, with the segments they took (SPEC 8.3)."""
    this_month = utcnow().astimezone(LONDON).date().replace(day=1)
    month_text = (request.args.get("month") or "").strip()
    problem = None
    try:
        first = months.parse_month(month_text) if month_text else this_month
    except ValueError as error:
        first, problem = this_month, str(error)
    services, areas = dashboards.service_codes(), dashboards.area_codes()
    service = request.args.get("service") or None
    area = request.args.get("area") or None
    service = service if service in services else None
    area = area if area in areas else None
    rows = texts_sent_in_month(first, service_code=service, area_code=area)
    return render_template(
        "evaluate/texts.html",
        rows=rows,
        total_messages=sum(item.messages for item in rows),
        total_segments=sum(item.segments for item in rows),
        month=months.month_label(first),
        month_name=f"{first:%B %Y}",
        problem=problem,
        services=services,
        areas=areas,
        service=service,
        area=area,
        **_common(),
    ), 400 if problem else 200


@bp.get("/responses")
@allow(Role.EVALUATOR)
def responses() -> ResponseReturnValue:
    """Answered check-ins under pseudonyms, 50 a page, optionally for one service (audited)."""
    services = dashboards.service_codes()
    service = request.args.get("service") or None
    if service not in (None, *services):
        service = None
    page = review.responses(_page_number(), service_code=service, actor=_actor(), now=utcnow())
    return render_template(
        "evaluate/responses.html",
        page=page,
        services=services,
        service=service,
        **_common(),
    )


@bp.get("/alerts")
@allow(Role.EVALUATOR)
def alerts() -> ResponseReturnValue:
    """The safeguarding queue: open alerts first."""
    return render_template("evaluate/alerts.html", page=review.alert_queue(_page_number()), **_common())


@bp.get("/alerts/<int:alert_id>")
@allow(Role.EVALUATOR)
def alert(alert_id: int) -> ResponseReturnValue:
    """One alert: the message, when, which service; close it or show the contact details (audited)."""
    try:
        found = review.alert(alert_id, actor=_actor(), now=utcnow())
    except NotFound:
        abort(404)
    return render_template("evaluate/alert.html", alert=found, contact=None, **_common())


@bp.post("/alerts/<int:alert_id>/contact")
@allow(Role.EVALUATOR)
def alert_contact(alert_id: int) -> ResponseReturnValue:
    """The alert page with the client's contact details decrypted, for this response only (audited)."""
    now = utcnow()
    try:
        contact = review.reveal_contact(alert_id, actor=_actor(), now=now)
        found = review.alert(alert_id, actor=_actor(), now=now)
    except NotFound:
        abort(404)
    return render_template("evaluate/alert.html", alert=found, contact=contact, **_common())


@bp.post("/alerts/<int:alert_id>/close")
@allow(Role.EVALUATOR)
def close_alert(alert_id: int) -> ResponseReturnValue:
    """Close an alert with a note of what was done."""
    try:
        review.close_alert(alert_id, request.form.get("note", ""), actor=_actor(), now=utcnow())
    except NotFound:
        abort(404)
    except ServiceError as error:
        found = review.alert(alert_id, actor=_actor(), now=utcnow())
        return render_template(
            "evaluate/alert.html",
            alert=found,
            contact=None,
            note_error=str(error),
            note=request.form.get("note", ""),
            **_common(),
        ), 400
    flash(f"Alert {alert_id} closed.")
    return redirect(url_for("evaluate.alerts"))


@bp.get("/review")
@allow(Role.EVALUATOR)
def review_items() -> ResponseReturnValue:
    """Review items (wrong number, bereavement): open ones first."""
    return render_template("evaluate/review.html", page=review.review_queue(_page_number()), **_common())


@bp.post("/review/<int:item_id>/close")
@allow(Role.EVALUATOR)
def close_review_item(item_id: int) -> ResponseReturnValue:
    """Close a review item, with an optional note."""
    try:
        review.close_review_item(item_id, request.form.get("note", ""), actor=_actor(), now=utcnow())
    except NotFound:
        abort(404)
    except ServiceError as error:
        flash(str(error))
        return redirect(url_for("evaluate.review_items"))
    flash(f"Review item {item_id} closed.")
    return redirect(url_for("evaluate.review_items"))
