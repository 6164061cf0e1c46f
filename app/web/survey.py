"""The respondent's web survey: `/s/<token>` from an email or text. No sign-in; the link is the key."""

from __future__ import annotations

from flask import Blueprint, Response, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError

from app.domain.pages import long_date, page_text
from app.models.types import utcnow
from app.security.access import public
from app.services.conversation import survey as surveys
from app.services.conversation.survey import LinkState, Survey
from app.web.client_pages import page_language, render_client_page
from app.web.survey_forms import SurveyForm, survey_choices

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
        return _problem(lookup.state, page_language(lookup.language_tag, lookup.bilingual))
    survey = lookup.survey
    language = page_language(survey.language_tag, survey.bilingual)
    form = _form(survey, language)
    if request.method == "GET":
        return _page(form, survey, language)
    if form.validate_on_submit():
        try:
            duration_start = surveys.start_date(form.duration_choice(), survey)
        except surveys.DurationError as error:
            form.duration_kind.errors = [*form.duration_kind.errors, page_text(language, error.key)]
        else:
            answers = surveys.WebAnswers(
                change=form.change.data or None,
                duration_start=duration_start,
                usual_self=form.usual_self.data or None,
                comment=form.comment.data or "",
            )
            outcome = surveys.submit(token, answers, form.verbatim(), now)
            if outcome.state != LinkState.OPEN:
                return _problem(outcome.state, language)
            return render_client_page("survey/thanks.html", language, risk=outcome.risk, short_name=survey.short_name)
    risk = surveys.record_attempt(survey, form.verbatim(), form.comment.data or "", now)
    return _page(form, survey, language, risk=risk)


@bp.errorhandler(CSRFError)
def _expired_form(error: CSRFError) -> ResponseReturnValue:
    """The form's security token ran out (or was missing): keep what was typed and ask to send it again."""
    token = (request.view_args or {}).get("token", "")
    now = utcnow()
    lookup = surveys.find(token, now)
    if lookup.survey is None:
        return _problem(lookup.state, page_language(lookup.language_tag, lookup.bilingual))
    language = page_language(lookup.survey.language_tag, lookup.survey.bilingual)
    form = _form(lookup.survey, language)
    risk = surveys.record_attempt(lookup.survey, form.verbatim(), form.comment.data or "", now)
    notice = page_text(language, "survey.error.timed_out")
    return _page(form, lookup.survey, language, risk=risk, notice=notice), 400


def _form(survey: Survey, language: str) -> SurveyForm:
    form = SurveyForm()
    form.change_required = survey.change is None
    form.language = language
    return form


def _page(form: SurveyForm, survey: Survey, language: str, *, risk: bool = False, notice: str | None = None) -> str:
    choices = survey_choices(language)
    return render_client_page(
        "survey/form.html",
        language,
        form=form,
        survey=survey,
        risk=risk,
        notice=notice,
        errors=form.error_links(),
        choices=choices,
        change_label=dict(choices["change"]).get(survey.change or ""),
        usual_self_label=dict(choices["usual_self"]).get(survey.usual_self or ""),
        duration_since=long_date(survey.duration_start, language) if survey.duration_start else None,
    )


def _problem(state: LinkState, language: str) -> ResponseReturnValue:
    """A link that cannot be answered, in the episode's language (an unknown link: as `?lang=` asks, or English)."""
    return render_client_page("survey/link_problem.html", language, state=state.value), _PROBLEM_STATUS[state]
