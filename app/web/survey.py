"""The respondent's web survey: `/s/<token>` from an email or text. No sign-in; the link is the key."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError

from app.models.types import utcnow
from app.security.access import public
from app.services.conversation import survey as surveys
from app.services.conversation.survey import LinkState, Survey
from app.web.survey_forms import CHANGE_CHOICES, CHOICES, USUAL_SELF_CHOICES, SurveyForm

bp = Blueprint("survey", __name__)

_PROBLEM_STATUS = {LinkState.UNKNOWN: 404, LinkState.EXPIRED: 410, LinkState.USED: 410}


@bp.after_request
def _private(response: Response) -> Response:
    """The token is in the address: never cache it, never send it on as a referrer, never index it.

    Its content security policy (no script at all) is app.security.headers.SURVEY_POLICY."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@bp.route("/s/<token>", methods=["GET", "POST"])
@public
def answer(token: str) -> ResponseReturnValue:
    """Show the questions (never spends the link); take a valid submission once."""
    now = utcnow()
    lookup = surveys.find(token, now)
    if lookup.survey is None:
        return _problem(lookup.state)
    survey = lookup.survey
    form = _form(survey)
    if request.method == "GET":
        return _page(form, survey)
    if form.validate_on_submit():
        try:
            duration_start = surveys.start_date(form.duration_choice(), survey)
        except surveys.DurationError as error:
            form.duration_kind.errors = [*form.duration_kind.errors, str(error)]
        else:
            answers = surveys.WebAnswers(
                change=form.change.data or None,
                duration_start=duration_start,
                usual_self=form.usual_self.data or None,
                comment=form.comment.data or "",
            )
            outcome = surveys.submit(token, answers, form.verbatim(), now)
            if outcome.state != LinkState.OPEN:
                return _problem(outcome.state)
            return render_template("survey/thanks.html", risk=outcome.risk, short_name=survey.short_name)
    risk = surveys.record_attempt(survey, form.verbatim(), form.comment.data or "", now)
    return _page(form, survey, risk=risk)


@bp.errorhandler(CSRFError)
def _expired_form(error: CSRFError) -> ResponseReturnValue:
    """The form's security token ran out (or was missing): keep what was typed and ask to send it again."""
    token = (request.view_args or {}).get("token", "")
    now = utcnow()
    lookup = surveys.find(token, now)
    if lookup.survey is None:
        return _problem(lookup.state)
    form = _form(lookup.survey)
    risk = surveys.record_attempt(lookup.survey, form.verbatim(), form.comment.data or "", now)
    notice = "Sorry, this page timed out for your security. Please check your answers and press Send again."
    return _page(form, lookup.survey, risk=risk, notice=notice), 400


def _form(survey: Survey) -> SurveyForm:
    form = SurveyForm()
    form.change_required = survey.change is None
    return form


def _page(form: SurveyForm, survey: Survey, *, risk: bool = False, notice: str | None = None) -> str:
    return render_template(
        "survey/form.html",
        form=form,
        survey=survey,
        risk=risk,
        notice=notice,
        errors=form.error_links(),
        choices=CHOICES,
        change_label=dict(CHANGE_CHOICES).get(survey.change or ""),
        usual_self_label=dict(USUAL_SELF_CHOICES).get(survey.usual_self or ""),
    )


def _problem(state: LinkState) -> ResponseReturnValue:
    return render_template("survey/link_problem.html", state=state.value), _PROBLEM_STATUS[state]
