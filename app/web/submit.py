"""Service staff: submit and withdraw discharge lists, see submission metadata (never answers).

Uploads go through the same service function as `flask intake import` (all or nothing, every
problem listed as "row N, column NAME: message"), and withdrawals through the same one as
`flask intake withdraw`. Nothing here reads an answer, an outcome, a reply or a contact detail.
"""

from __future__ import annotations

import re
from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, StringField
from wtforms.validators import DataRequired, Length

from app.domain import discharge_columns
from app.domain.protocol import LONDON
from app.models import Role, Submission
from app.models.types import utcnow
from app.security.access import allow
from app.services import intake as intake_service
from app.services.access.users import actor_of
from app.services.errors import NotFound, ServiceError
from app.services.intake import submissions

bp = Blueprint("submit", __name__, url_prefix="/submit")


class UploadForm(FlaskForm):  # type: ignore[misc]
    discharge_list = FileField("Discharge list (CSV file)", validators=[FileRequired("Choose a CSV file to upload")])
    dry_run = BooleanField("Only check the file: do not import anything")


class WithdrawForm(FlaskForm):  # type: ignore[misc]
    client_ref = StringField(
        "Client reference", validators=[DataRequired("Enter the client reference"), Length(max=64)]
    )
    discharge_date = DateField(
        "Discharge date",
        validators=[DataRequired("Enter the discharge date as a date, for example 2026-06-01")],
    )


def _today() -> date:
    return utcnow().astimezone(LONDON).date()


def _home(upload: UploadForm | None = None, **context: object) -> str:
    service = submissions.service_of(current_user)
    return render_template(
        "submit/home.html",
        service=service,
        form=upload or UploadForm(),
        submissions=submissions.recent_submissions(service.id),
        quality=submissions.contact_quality(service.id),
        london=LONDON,
        reports_since=utcnow() - submissions.PROBLEM_REPORT_KEPT,
        **context,
    )


@bp.get("")
@allow(Role.SERVICE_SUBMITTER)
def home() -> ResponseReturnValue:
    """Upload form, the service's submissions and its contact-quality counts."""
    return _home()


@bp.post("/upload")
@allow(Role.SERVICE_SUBMITTER)
def upload() -> ResponseReturnValue:
    """Take (or only check) a discharge list for the submitter's own service."""
    form = UploadForm()
    if not form.validate_on_submit():
        return _home(form), 400
    service = submissions.service_of(current_user)
    storage = form.discharge_list.data
    filename = (storage.filename or "discharge-list.csv")[:255]
    dry_run = bool(form.dry_run.data)
    try:
        result = intake_service.submit_discharge_list(
            service.code,
            storage.stream.read(),  # at most 20 MB: app/security/limits.py refused a larger request with 413
            filename=filename,
            actor=actor_of(current_user),
            now=utcnow(),
            today=_today(),
            dry_run=dry_run,
        )
    except intake_service.IntakeRejected as rejected:
        return _home(
            form, report=rejected.report, refused_id=rejected.submission_id, filename=filename, dry_run=dry_run
        ), 400
    if result.dry_run:
        flash(f"{filename} is fine. If imported it would make these changes: {_changes(result)}. Nothing was imported.")
    else:
        flash(f"{filename} was imported: {_changes(result)}.")
    for warning in result.warnings:
        flash(f"Warning: {warning}.")
    return redirect(url_for("submit.home"))


@bp.get("/submissions/<int:submission_id>/problems.csv")
@allow(Role.SERVICE_SUBMITTER)
def problems(submission_id: int) -> ResponseReturnValue:
    """Every problem of one of the service's refused (or checked) lists, as CSV, for the person fixing it."""
    service = submissions.service_of(current_user)
    try:
        submission, text = submissions.problem_report(service.id, submission_id, now=utcnow())
    except NotFound as error:
        abort(404, description=str(error))
    return problems_download(submission, text)


def problems_download(submission: Submission, text: str) -> Response:
    """A refused list's problems as a CSV attachment named after the file, never cached."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", submission.filename.rsplit(".", 1)[0]).strip("-") or "discharge-list"
    return Response(
        text,
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{stem}-problems.csv"',
            "Cache-Control": "no-store",
        },
    )


def _changes(result: intake_service.ImportResult) -> str:
    return f"{result.created} new, {result.updated} updated, {result.unchanged} unchanged"


@bp.route("/withdraw", methods=["GET", "POST"])
@allow(Role.SERVICE_SUBMITTER)
def withdraw() -> ResponseReturnValue:
    """Withdraw one episode of the submitter's service: all contact for it stops at once."""
    service = submissions.service_of(current_user)
    form = WithdrawForm()
    error = None
    if form.validate_on_submit():
        try:
            count = intake_service.withdraw_episode(
                service.code,
                form.client_ref.data.strip(),
                form.discharge_date.data,
                actor=actor_of(current_user),
                now=utcnow(),
            )
        except ServiceError as refused:
            error = str(refused)
        else:
            flash(f"Withdrawn: contact stopped; {count} planned check-in(s) will not be sent.")
            return redirect(url_for("submit.home"))
    status = 400 if form.is_submitted() else 200
    return render_template("submit/withdraw.html", service=service, form=form, error=error), status


@bp.get("/guide")
@allow(Role.SERVICE_SUBMITTER)
def guide() -> ResponseReturnValue:
    """The intake guide: every column of a discharge list, its rules and an example (from the column table)."""
    return render_template(
        "submit/guide.html",
        columns=discharge_columns.COLUMN_TABLE,
        file_rules=discharge_columns.FILE_RULES,
        left_empty=discharge_columns.TEMPLATE_LEFT_EMPTY,
    )


@bp.get("/template.csv")
@allow(Role.SERVICE_SUBMITTER)
def template_csv() -> ResponseReturnValue:
    """A template discharge list: the header and one synthetic example row that passes the checks."""
    response = Response(discharge_columns.template_csv(), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="stillwell-discharge-list-template.csv"'
    return response
