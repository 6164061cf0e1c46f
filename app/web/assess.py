"""The assessors' pages (/assess, SPEC 8.4): the call list, one call, the audited phone-number reveal, and
recording the call. Assessors only: blinding keeps them away from every other page (app.security.access),
and nothing here shows the texts, the outcome category or a conversation.
"""

from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from app.domain.labels import CHANGE_LABELS
from app.domain.phones import dialling_form
from app.domain.protocol import LONDON
from app.models import Role
from app.models.types import utcnow
from app.security.access import allow
from app.services import assessment
from app.services.errors import NotFound

bp = Blueprint("assess", __name__, url_prefix="/assess")

CRITERIA_LABELS = {
    "yes": "Yes, it still meets the criteria",
    "partly": "Partly: some symptoms, below the criteria",
    "no": "No, it no longer meets the criteria",
}
USUAL_SELF_LABELS = {"yes": "Yes", "mostly": "Mostly", "no": "No"}
STATUS_LABELS = {"to_call": "To call", "reached": "Interviewed", "declined": "Declined", "not_reached": "Not reached"}


def _options(labels: dict[str, str]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in labels.items()]


class InterviewForm(FlaskForm):  # type: ignore[misc]
    interview_date = DateField("Date of the interview", validators=[InputRequired("Give the date of the interview")])
    global_change = RadioField(
        "Compared with before treatment, how is the client now?",
        choices=_options(CHANGE_LABELS),
        validators=[InputRequired("Choose how the client is now")],
    )
    still_meets_criteria = RadioField(
        "Does the presenting problem still meet diagnostic criteria?",
        choices=_options(CRITERIA_LABELS),
        validators=[InputRequired("Choose yes, partly or no")],
    )
    criteria_since = StringField(
        "Since when has it not (or only partly) met the criteria?",
        validators=[Optional(), Length(max=100, message="Keep it under 100 characters")],
    )
    usual_self = RadioField(
        "Is the client back to their usual self?",
        choices=_options(USUAL_SELF_LABELS),
        validators=[InputRequired("Choose yes, mostly or no")],
    )


class NotReachedForm(FlaskForm):  # type: ignore[misc]
    next_try = DateField("Try again on (leave empty for tomorrow at this time)", validators=[Optional()])


class ConfirmForm(FlaskForm):  # type: ignore[misc]
    """A button with nothing but its CSRF token."""


def _me() -> int:
    return int(current_user.id)


def _call_or_404(call_id: int) -> assessment.CallRow:
    try:
        return assessment.get_call(call_id, _me())
    except NotFound:
        abort(404, description="There is no such call on your list.")


@bp.get("")
@allow(Role.ASSESSOR)
def calls() -> ResponseReturnValue:
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    rows, total = assessment.call_list(_me(), page)
    pages = max(1, -(-total // assessment.PER_PAGE))
    following = assessment.next_call(_me(), utcnow())
    return render_template(
        "assess/calls.html",
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        following=following,
        statuses=STATUS_LABELS,
        london=LONDON,
    )


def _render_call(
    row: assessment.CallRow,
    form: InterviewForm | None = None,
    phone: str | None = None,
    revealed: bool = False,
    not_reached: NotReachedForm | None = None,
) -> ResponseReturnValue:
    today = utcnow().astimezone(LONDON).date()
    if form is None:
        form = InterviewForm(formdata=None, interview_date=today)
    if not_reached is None:
        not_reached = NotReachedForm(formdata=None)
    return render_template(
        "assess/call.html",
        call=row,
        form=form,
        not_reached=not_reached,
        confirm=ConfirmForm(formdata=None),
        phone=phone,
        phone_dialled=dialling_form(phone) if phone else None,
        revealed=revealed,
        statuses=STATUS_LABELS,
        london=LONDON,
        today=today,
    ), (400 if form.errors or not_reached.errors else 200)


@bp.get("/calls/<int:call_id>")
@allow(Role.ASSESSOR)
def call(call_id: int) -> ResponseReturnValue:
    return _render_call(_call_or_404(call_id))


@bp.post("/calls/<int:call_id>/take")
@allow(Role.ASSESSOR)
def take(call_id: int) -> ResponseReturnValue:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        assessment.take_call(call_id, _me(), utcnow())
    except NotFound:
        abort(404, description="There is no such call on your list.")
    flash("The call is yours now.")
    return redirect(url_for("assess.call", call_id=call_id))


@bp.post("/calls/<int:call_id>/reveal")
@allow(Role.ASSESSOR)
def reveal(call_id: int) -> ResponseReturnValue:
    """The phone number, shown on this page only (never in a URL, a log or the audit event)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    _call_or_404(call_id)
    try:
        phone = assessment.reveal_phone(call_id, _me(), utcnow())
    except NotFound:
        abort(404, description="There is no such call on your list.")
    response = _render_call(_call_or_404(call_id), phone=phone, revealed=True)
    return response


@bp.post("/calls/<int:call_id>/not-reached")
@allow(Role.ASSESSOR)
def not_reached(call_id: int) -> ResponseReturnValue:
    row = _call_or_404(call_id)
    form = NotReachedForm()
    if not form.validate_on_submit():
        if not form.next_try.errors:  # the CSRF token, not the date
            abort(400)
        form.next_try.errors = ["The date to try again was not a date: give one such as 2027-01-31."]
        revealed, phone = assessment.phone_revealed_before(row.id, _me())  # kept on the page, not revealed again
        return _render_call(row, phone=phone, revealed=revealed, not_reached=form)
    now = utcnow()
    next_try: datetime | None = None
    if form.next_try.data:
        same_time = now.astimezone(LONDON).time().replace(second=0, microsecond=0)
        next_try = datetime.combine(form.next_try.data, same_time, LONDON)
    try:
        status = assessment.record_not_reached(row.id, _me(), now, next_try)
    except assessment.CallRefused as refused:
        flash(f"Not recorded: {refused}.")
        return redirect(url_for("assess.call", call_id=call_id))
    if status == "not_reached":
        flash(f"{row.client_ref}: not reached after the last attempt; the call is closed.")
    else:
        flash(f"{row.client_ref}: not reached; the call stays on your list for the next try.")
    return _to_next(row.id)


@bp.post("/calls/<int:call_id>/declined")
@allow(Role.ASSESSOR)
def declined(call_id: int) -> ResponseReturnValue:
    row = _call_or_404(call_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        assessment.record_declined(row.id, _me(), utcnow())
    except assessment.CallRefused as refused:
        flash(f"Not recorded: {refused}.")
        return redirect(url_for("assess.call", call_id=call_id))
    flash(f"{row.client_ref}: declined the interview.")
    return _to_next(row.id)


@bp.post("/calls/<int:call_id>/interview")
@allow(Role.ASSESSOR)
def interview(call_id: int) -> ResponseReturnValue:
    row = _call_or_404(call_id)
    form = InterviewForm()
    now = utcnow()
    today = now.astimezone(LONDON).date()
    if row.status != "to_call":
        flash("Not recorded: this call has been recorded already and cannot be changed.")
        return redirect(url_for("assess.call", call_id=call_id))
    if form.validate_on_submit():
        answers = _interview_of(form)
        for name, message in assessment.interview_problems(answers, today, row).items():
            getattr(form, name).errors.append(message[:1].upper() + message[1:])
        if not form.errors:
            try:
                assessment.record_interview(row.id, _me(), now, today, answers)
            except assessment.CallRefused as refused:
                flash(f"Not recorded: {refused}.")
                return redirect(url_for("assess.call", call_id=call_id))
            flash(f"{row.client_ref}: interview saved.")
            return _to_next(row.id)
    # The number stays on the page if this assessor showed it already (the audit log says so): no second reveal.
    revealed, phone = assessment.phone_revealed_before(row.id, _me())
    return _render_call(row, form, phone=phone, revealed=revealed)


def _interview_of(form: InterviewForm) -> assessment.Interview:
    day: date = form.interview_date.data
    return assessment.Interview(
        interview_date=day,
        global_change=form.global_change.data,
        still_meets_criteria=form.still_meets_criteria.data,
        criteria_since_text=(form.criteria_since.data or "").strip() or None,
        usual_self=form.usual_self.data,
    )


def _to_next(done: int) -> ResponseReturnValue:
    following = assessment.next_call(_me(), utcnow(), after=done)
    if following is None:
        flash("No more calls to make now.")
        return redirect(url_for("assess.calls"))
    return redirect(url_for("assess.call", call_id=following))
