"""Commissioners: their own area's monthly reports, to read and download."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app.models import Role
from app.models.types import utcnow
from app.security.access import allow
from app.services.publication import releases, reports

bp = Blueprint("reports", __name__, url_prefix="/reports")

_FILES = {"pdf": "application/pdf", "csv": "text/csv; charset=utf-8"}


@bp.get("/")
@allow(Role.COMMISSIONER)
def index() -> ResponseReturnValue:
    """The signed-in commissioner's area: its reports, newest first, and the releases covering it."""
    area, archive = reports.archive_for(current_user.area_id)
    area_releases = releases.releases_for_area(area.id) if area is not None else []
    return render_template("reports/index.html", area=area, archive=archive, releases=area_releases)


@bp.get("/<int:report_id>.<any(pdf, csv):kind>")
@allow(Role.COMMISSIONER)
def download(report_id: int, kind: str) -> ResponseReturnValue:
    """One report's PDF or CSV; another area's report is "not found", so its existence is not revealed."""
    found = reports.report_for_download(
        report_id, current_user.area_id, kind, actor=f"user:{current_user.id}", now=utcnow()
    )
    if found is None:
        abort(404)
    filename, content = found
    response = Response(content, mimetype=_FILES[kind])
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
