"""The assessors' pages (/assess, SPEC 8.4): the call list, taking a call, the audited reveal, recording."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import AssessmentCall, AuditEvent, Client, Episode, Role
from app.services.assessment import draw_sample
from tests.factories.assessment import AS_OF, assessment_cohort
from tests.web.sign_in import light_password_hashing, make_user, sign_in

pytestmark = pytest.mark.usefixtures("light_password_hashing")
__all__ = ["light_password_hashing"]

DRAWN = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def sampled(app: Flask) -> list[int]:
    """The assessment cohort and a sample of its four callable clients; the call ids, in id order."""
    assessment_cohort()
    draw_sample(AS_OF, 4, seed=3, service_code=None, actor="test", now=DRAWN)
    return list(db.session.scalars(select(AssessmentCall.id).order_by(AssessmentCall.id)))


@pytest.fixture
def assessor(app: Flask) -> FlaskClient:
    client = app.test_client()
    sign_in(client, make_user(Role.ASSESSOR))
    return client


def call_of(call_id: int) -> AssessmentCall:
    db.session.expire_all()
    call = db.session.get(AssessmentCall, call_id)
    assert call is not None
    return call


def ref_of(call_id: int) -> str:
    return db.session.scalar(
        select(Client.client_ref)
        .join(Episode, Episode.client_id == Client.id)
        .join(AssessmentCall, AssessmentCall.episode_id == Episode.id)
        .where(AssessmentCall.id == call_id)
    )


def interview(**overrides: str) -> dict[str, str]:
    return {
        "interview_date": date.today().isoformat(),
        "global_change": "much_better",
        "still_meets_criteria": "no",
        "criteria_since": "3 months",
        "usual_self": "yes",
        **overrides,
    }


def test_an_assessor_lands_on_the_call_list(app: Flask, sampled: list[int]) -> None:
    client = app.test_client()
    response = sign_in(client, make_user(Role.ASSESSOR))
    assert response.headers["Location"] == "/assess"
    page = client.get("/assess").get_data(as_text=True)
    assert all(ref_of(call_id) in page for call_id in sampled)
    assert "generalised anxiety" in page and "7 Sep 2026" in page
    assert "Nobody yet" in page and "Start the next call" in page


def test_the_empty_list_says_so(app: Flask, assessor: FlaskClient) -> None:
    assert "No calls on your list" in assessor.get("/assess").get_data(as_text=True)


def test_the_reveal_shows_the_number_once_takes_the_call_and_is_audited(
    assessor: FlaskClient, sampled: list[int]
) -> None:
    first = sampled[0]
    page = assessor.get(f"/assess/calls/{first}").get_data(as_text=True)
    assert "Show the phone number" in page and "+447400" not in page and "07400" not in page
    response = assessor.post(f"/assess/calls/{first}/reveal")
    assert response.headers["Cache-Control"] == "no-store"  # the number stays out of every cache
    revealed = response.get_data(as_text=True)
    phone = db.session.scalar(
        select(Client.phone_enc).join(Episode).join(AssessmentCall).where(AssessmentCall.id == first)
    )
    assert phone and "+447400" in revealed and "recorded in the audit log" in revealed
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "assessment.phone_reveal")).one()
    assert event.subject == f"assessment_call:{first}" and "7400" not in (event.detail or "")
    assert call_of(first).assessor_id is not None
    assert "+447400" not in assessor.get(f"/assess/calls/{first}").get_data(as_text=True)  # once, on that page


def test_the_number_is_shown_as_dialled_in_the_uk_with_a_tel_link_of_e164(
    assessor: FlaskClient, sampled: list[int]
) -> None:
    from app.security.fields import field_security

    def client_of(call_id: int) -> Client:
        return db.session.scalars(
            select(Client).join(Episode).join(AssessmentCall).where(AssessmentCall.id == call_id)
        ).one()

    e164 = field_security().decrypt(client_of(sampled[0]).phone_enc)
    assert e164.startswith("+447400") and len(e164) == 13
    national = f"0{e164[3:7]} {e164[7:]}"  # +447400100000 -> 07400 100000
    page = assessor.post(f"/assess/calls/{sampled[0]}/reveal").get_data(as_text=True)
    assert f'<a href="tel:{e164}">{national}</a>' in page and f">{e164}<" not in page
    irish = client_of(sampled[1])
    irish.phone_enc = field_security().encrypt("+353861234567")  # not a UK number: international form
    db.session.commit()
    page = assessor.post(f"/assess/calls/{sampled[1]}/reveal").get_data(as_text=True)
    assert '<a href="tel:+353861234567">+353 86 123 4567</a>' in page


def test_after_a_form_error_a_number_shown_already_stays_without_a_second_audit_entry(
    app: Flask, assessor: FlaskClient, sampled: list[int]
) -> None:
    first, second = sampled[0], sampled[1]

    def reveals(call_id: int) -> int:
        return len(
            db.session.scalars(
                select(AuditEvent).where(
                    AuditEvent.action == "assessment.phone_reveal", AuditEvent.subject == f"assessment_call:{call_id}"
                )
            ).all()
        )

    shown = assessor.post(f"/assess/calls/{first}/reveal").get_data(as_text=True)
    assert "tel:+447400" in shown and reveals(first) == 1
    refused = assessor.post(f"/assess/calls/{first}/interview", data=interview(global_change=""))
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "Choose how the client is now" in page
    assert "tel:+447400" in page and "Show the phone number" not in page  # still shown, no button to show it again
    assert reveals(first) == 1 and call_of(first).status == "to_call"
    # A call whose number was never shown keeps the button after an error (and nothing is written).
    page = assessor.post(f"/assess/calls/{second}/interview", data=interview(global_change="")).get_data(as_text=True)
    assert "Show the phone number" in page and "tel:" not in page and reveals(second) == 0
    # Another assessor's reveal of a call is theirs: it does not show this assessor the number.
    assessor.post(f"/assess/calls/{second}/take")
    colleague = make_user(Role.ASSESSOR, "second.assessor@example.org")
    from app.services import audit

    audit.record(f"user:{colleague.id}", "assessment.phone_reveal", DRAWN, subject=f"assessment_call:{second}")
    db.session.commit()
    page = assessor.post(f"/assess/calls/{second}/interview", data=interview(global_change="")).get_data(as_text=True)
    assert "Show the phone number" in page and "tel:" not in page


def test_a_bad_try_again_date_keeps_the_number_shown_and_records_nothing(
    assessor: FlaskClient, sampled: list[int]
) -> None:
    first = sampled[0]
    assessor.post(f"/assess/calls/{first}/reveal")
    refused = assessor.post(f"/assess/calls/{first}/not-reached", data={"next_try": "next tuesday"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "The date to try again was not a date" in page
    assert "tel:+447400" in page and "Show the phone number" not in page
    reveals = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "assessment.phone_reveal", AuditEvent.subject == f"assessment_call:{first}"
        )
    ).all()
    assert len(reveals) == 1
    assert (call_of(first).attempts, call_of(first).status) == (0, "to_call")
    # A call never revealed: the error, and still the button.
    page = assessor.post(f"/assess/calls/{sampled[1]}/not-reached", data={"next_try": "2027-02-30"}).get_data(
        as_text=True
    )
    assert "The date to try again was not a date" in page and "Show the phone number" in page


def test_the_criteria_question_reads_right_for_no_problem_and_an_unlisted_code(
    assessor: FlaskClient, sampled: list[int]
) -> None:
    episodes = db.session.scalars(
        select(Episode).join(AssessmentCall).where(AssessmentCall.id.in_(sampled[:2])).order_by(AssessmentCall.id)
    ).all()
    episodes[0].problem_descriptor, episodes[1].problem_descriptor = "none", "F441"
    db.session.commit()
    none = assessor.get(f"/assess/calls/{sampled[0]}").get_data(as_text=True)
    assert "<dd>no presenting problem recorded</dd>" in none
    assert "No presenting problem was recorded at discharge: ask about the problem the client was treated for" in none
    assert "For no presenting problem" not in none and "a problem not listed" not in none
    unlisted = assessor.get(f"/assess/calls/{sampled[1]}").get_data(as_text=True)
    assert "F44.1 (not in Stillwell&#39;s list of plain words)" in unlisted
    assert "For the problem coded F44.1 at discharge, by the standardised interview." in unlisted
    listing = assessor.get("/assess").get_data(as_text=True)
    assert "no presenting problem recorded" in listing and "F44.1 (not in Stillwell" in listing


def test_after_erasure_the_reveal_says_the_number_is_no_longer_held(assessor: FlaskClient, sampled: list[int]) -> None:
    client = db.session.scalars(
        select(Client).join(Episode).join(AssessmentCall).where(AssessmentCall.id == sampled[0])
    ).one()
    client.phone_enc, client.phone_hash, client.contact_erased_at = None, None, datetime.now(UTC)
    db.session.commit()
    page = assessor.post(f"/assess/calls/{sampled[0]}/reveal").get_data(as_text=True)
    assert "no longer held" in page


def test_a_saved_interview_goes_to_the_next_client_and_cannot_be_changed(
    assessor: FlaskClient, sampled: list[int]
) -> None:
    first = sampled[0]
    response = assessor.post(f"/assess/calls/{first}/interview", data=interview())
    assert response.status_code == 302 and response.headers["Location"] == f"/assess/calls/{sampled[1]}"
    saved = call_of(first)
    assert (saved.status, saved.global_change, saved.still_meets_criteria, saved.usual_self) == (
        "reached",
        "much_better",
        "no",
        "yes",
    )
    today = date.today()
    assert saved.interview_date == today and saved.criteria_since is not None
    assert saved.criteria_since < today and saved.criteria_since_text == "3 months"
    again = assessor.post(f"/assess/calls/{first}/interview", data=interview(global_change="much_worse"))
    assert again.status_code == 302 and call_of(first).global_change == "much_better"
    assert "cannot be changed" in assessor.get(f"/assess/calls/{first}").get_data(as_text=True)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"interview_date": (date.today() + timedelta(days=1)).isoformat()}, "is in the future"),
        ({"interview_date": "2026-09-01"}, "is before the discharge date"),
        ({"interview_date": ""}, "Give the date of the interview"),
        ({"global_change": ""}, "Choose how the client is now"),
        ({"global_change": "fine"}, "Not a valid choice"),
        ({"still_meets_criteria": ""}, "Choose yes, partly or no"),
        ({"criteria_since": ""}, "say since when"),
        ({"criteria_since": "3"}, "needs a unit"),
        ({"criteria_since": "a while"}, "is neither a date"),
        ({"usual_self": ""}, "Choose yes, mostly or no"),
    ],
)
def test_a_bad_interview_is_refused_with_a_clear_message_and_nothing_saved(
    assessor: FlaskClient, sampled: list[int], overrides: dict[str, str], message: str
) -> None:
    response = assessor.post(f"/assess/calls/{sampled[0]}/interview", data=interview(**overrides))
    assert response.status_code == 400
    assert message.lower() in response.get_data(as_text=True).lower()
    assert call_of(sampled[0]).status == "to_call"


def test_yes_needs_no_since_and_a_date_is_read_as_a_date(assessor: FlaskClient, sampled: list[int]) -> None:
    assert (
        assessor.post(
            f"/assess/calls/{sampled[0]}/interview", data=interview(still_meets_criteria="yes", criteria_since="")
        ).status_code
        == 302
    )
    assert call_of(sampled[0]).criteria_since is None
    assert (
        assessor.post(
            f"/assess/calls/{sampled[1]}/interview",
            data=interview(still_meets_criteria="partly", criteria_since="1/10/2026"),
        ).status_code
        == 302
    )
    assert call_of(sampled[1]).criteria_since == date(2026, 10, 1)


def test_three_attempts_without_reaching_the_client_close_the_call(assessor: FlaskClient, sampled: list[int]) -> None:
    first = sampled[0]
    assessor.post(f"/assess/calls/{first}/not-reached")
    call = call_of(first)
    assert call.attempts == 1 and call.status == "to_call" and call.next_try_at is not None
    assert call.next_try_at - call.last_attempt_at == timedelta(days=1)  # type: ignore[operator]
    chosen = date.today() + timedelta(days=5)
    assessor.post(f"/assess/calls/{first}/not-reached", data={"next_try": chosen.isoformat()})
    assert call_of(first).next_try_at.astimezone(UTC).date() in (chosen, chosen - timedelta(days=1))  # type: ignore[union-attr]
    assessor.post(f"/assess/calls/{first}/not-reached")
    call = call_of(first)
    assert (call.attempts, call.status, call.next_try_at) == (3, "not_reached", None)
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("assessment.%"))).all()
    assert actions.count("assessment.not_reached") == 3


def test_a_declined_call_is_recorded(assessor: FlaskClient, sampled: list[int]) -> None:
    assessor.post(f"/assess/calls/{sampled[0]}/declined")
    assert call_of(sampled[0]).status == "declined"


def test_another_assessor_s_call_is_not_on_the_list_nor_reachable(
    app: Flask, assessor: FlaskClient, sampled: list[int]
) -> None:
    assessor.post(f"/assess/calls/{sampled[0]}/take")
    other = app.test_client()
    sign_in(other, make_user(Role.ASSESSOR, "second.assessor@example.org"))
    assert ref_of(sampled[0]) not in other.get("/assess").get_data(as_text=True)
    assert other.get(f"/assess/calls/{sampled[0]}").status_code == 404
    assert other.post(f"/assess/calls/{sampled[0]}/reveal").status_code == 404
    assert other.post(f"/assess/calls/{sampled[0]}/interview", data=interview()).status_code == 404
    assert ref_of(sampled[1]) in other.get("/assess").get_data(as_text=True)


def test_the_list_pages(monkeypatch: pytest.MonkeyPatch, assessor: FlaskClient, sampled: list[int]) -> None:
    from app.services import assessment

    assert "Next page" not in assessor.get("/assess").get_data(as_text=True)  # 4 calls, 20 a page
    monkeypatch.setattr(assessment, "PER_PAGE", 3)
    monkeypatch.setattr("app.services.assessment.calls.PER_PAGE", 3)
    first = assessor.get("/assess").get_data(as_text=True)
    second = assessor.get("/assess?page=2").get_data(as_text=True)
    assert "Next page" in first and "page 1 of 2 (4 in all)" in first
    assert "Previous page" in second and "page 2 of 2" in second
    refs = [ref_of(call_id) for call_id in sampled]
    assert sum(ref in first for ref in refs) == 3 and sum(ref in second for ref in refs) == 1


def test_the_audit_never_holds_the_number(assessor: FlaskClient, sampled: list[int]) -> None:
    assessor.post(f"/assess/calls/{sampled[0]}/reveal")
    details = " ".join(json.dumps(d) for d in db.session.scalars(select(AuditEvent.detail)))
    assert "7400" not in details


def test_admins_create_assessors_on_the_admin_page_and_they_enrol_an_authenticator(app: Flask) -> None:
    from tests.factories import make_service
    from tests.web.sign_in import PASSWORD, form_post

    make_service()
    admin = app.test_client()
    sign_in(admin, make_user(Role.ADMIN))
    assert '<option value="assessor">Assessor</option>' in admin.get("/admin/users/new").get_data(as_text=True)
    data = {"email": "new.assessor@example.org", "role": "assessor", "service": "", "area": ""}
    created = admin.post("/admin/users/new", data={**data, "password": PASSWORD, "password_again": PASSWORD})
    assert created.status_code == 302
    person = app.test_client()
    step = form_post(person, "/login", {"email": "new.assessor@example.org", "password": PASSWORD})
    assert step.headers["Location"].startswith("/account/totp/enrol")  # the second step, like evaluators
    assert person.get("/assess").status_code == 302  # not signed in before the code


def test_flask_users_create_makes_an_assessor(app: Flask) -> None:
    from tests.web.sign_in import PASSWORD

    result = app.test_cli_runner().invoke(
        args=["users", "create", "--email", "cli.assessor@example.org", "--role", "assessor", "--password-stdin"],
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 0 and "created assessor user" in result.output
