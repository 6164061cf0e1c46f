"""Service staff pages: upload (or check) a discharge list, see their own submissions, withdraw an episode."""

from __future__ import annotations

import io
import json

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, CheckIn, CheckInStatus, Episode, Role, Service, Submission, User
from tests.factories import csv_bytes, make_service, row
from tests.web.sign_in import light_password_hashing, make_user, sign_in

pytestmark = pytest.mark.usefixtures("light_password_hashing")
__all__ = ["light_password_hashing"]

ROWS = [
    row(),  # UK mobile and email
    row(client_ref="C0002", phone="07400 654321", email=""),  # UK mobile only
    row(client_ref="C0003", phone="0191 498 0123", email="person3@example.org"),  # landline: email only
    row(client_ref="C0004", phone="", email="", consent_to_follow_up="no"),  # no consent: not counted
]


@pytest.fixture
def submitter(app: Flask) -> tuple[FlaskClient, User]:
    make_service()
    make_service("WEAR", short_name="Wear Wellbeing")
    user = make_user(Role.SERVICE_SUBMITTER)
    client = app.test_client()
    sign_in(client, user)
    return client, user


def upload(client: FlaskClient, data: bytes, name: str = "june.csv", dry_run: bool = False) -> object:
    form: dict[str, object] = {"discharge_list": (io.BytesIO(data), name)}
    if dry_run:
        form["dry_run"] = "y"
    return client.post("/submit/upload", data=form, content_type="multipart/form-data")


def count(model: type) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_clean_list_is_imported_and_listed(submitter: tuple[FlaskClient, User]) -> None:
    client, user = submitter
    response = upload(client, csv_bytes(ROWS))
    assert response.status_code == 302 and response.headers["Location"] == "/submit"
    page = client.get("/submit").data.decode()
    assert "june.csv was imported: 4 new, 0 updated, 0 unchanged" in page
    assert count(Episode) == 4 and count(Submission) == 1
    assert "<td>june.csv</td>" in page
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "intake.import")).one()
    assert event.actor == f"user:{user.id}" and json.loads(event.detail or "{}")["created"] == 4
    for secret in ("07400", "person1@example.org", "person3", "0191"):  # contact details never come back
        assert secret not in page


def test_contact_quality_is_counted_not_listed(submitter: tuple[FlaskClient, User]) -> None:
    client, _ = submitter
    upload(client, csv_bytes(ROWS))
    page = client.get("/submit").data.decode()

    def cell(label: str) -> str:
        marker = f'<th scope="row">{label}</th><td class="numeric">'
        start = page.index(marker) + len(marker)
        return page[start : page.index("<", start)]

    assert cell("UK mobile and email") == "1"
    assert cell("UK mobile only") == "1"
    assert cell("Email only (no UK mobile)") == "1"
    assert cell("No usable channel (no UK mobile, no email)") == "0"
    assert cell("All episodes with consent") == "3"
    assert "C0001" not in page and "C0003" not in page  # no list of people, not even by reference


def test_a_dry_run_writes_nothing(submitter: tuple[FlaskClient, User]) -> None:
    client, _ = submitter
    response = upload(client, csv_bytes(ROWS), dry_run=True)
    assert response.status_code == 302
    page = client.get("/submit").data.decode()
    assert "is fine" in page
    assert count(Episode) == 0  # nothing imported, but the check is in the history, labelled as one
    checked = db.session.scalars(select(Submission)).one()
    assert (checked.status, checked.created, checked.rows) == ("checked", 4, 4)
    assert "Checked only (nothing imported): fine; importing it would make 4 new" in page
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "intake.dry_run"))


def test_a_failed_dry_run_is_labelled_as_a_check_not_a_refused_import(submitter: tuple[FlaskClient, User]) -> None:
    client, _ = submitter
    response = upload(client, csv_bytes([row(discharge_date="2099-01-01")]), name="check.csv", dry_run=True)
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "check.csv has problems" in response.data.decode()  # type: ignore[attr-defined]
    stored = db.session.scalars(select(Submission)).one()
    assert (stored.status, stored.problems) == ("check_failed", 1)
    page = client.get("/submit").data.decode()
    assert "Checked only (nothing imported): 1 problem (row 2 discharge_date)" in page
    assert "Not imported" not in page
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "intake.dry_run")).one()
    assert json.loads(event.detail or "{}")["problems"] == 1


def test_every_problem_is_shown_and_nothing_is_written(submitter: tuple[FlaskClient, User]) -> None:
    client, _ = submitter
    bad = [row(discharge_date="2099-01-01"), row(client_ref="C0002", treatment_sessions="many", email="nope")]
    response = upload(client, csv_bytes(bad), name="bad.csv")
    html = response.data.decode()  # type: ignore[attr-defined]
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "bad.csv was not imported" in html
    assert "row 2, column discharge_date:" in html
    assert "row 3, column treatment_sessions:" in html and "row 3, column email:" in html
    assert count(Episode) == 0  # nothing imported
    rejected = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "intake.rejected")).one()
    assert json.loads(rejected.detail or "{}")["problems"] >= 3
    assert upload(client, b"", name="empty.csv").status_code == 400  # type: ignore[attr-defined]


def test_refused_lists_stay_in_the_history_with_where_the_problems_were(submitter: tuple[FlaskClient, User]) -> None:
    """SPEC section 1: staff see their submissions' time, file, counts and errors. A refused list is listed with
    how many problems and where (row and column), never what the cells held: a wrong cell may hold anything."""
    client, _ = submitter
    bad = [
        row(discharge_date="2099-01-01"),
        row(client_ref="C0002", treatment_sessions="07400 123456", email="someone.private@example.org x"),
    ]
    upload(client, csv_bytes(bad), name="october-bad.csv")
    upload(client, csv_bytes(ROWS), name="october.csv")
    stored = db.session.scalars(select(Submission).order_by(Submission.id)).all()
    assert [(item.filename, item.status) for item in stored] == [
        ("october-bad.csv", "rejected"),
        ("october.csv", "imported"),
    ]
    refused = stored[0]
    assert (refused.problems, refused.created, refused.updated, refused.unchanged) == (3, 0, 0, 0)
    assert refused.problem_places == "row 2 discharge_date; row 3 treatment_sessions; row 3 email"
    page = client.get("/submit").data.decode()
    assert "october-bad.csv" in page and "Not imported: 3 problems" in page
    assert "row 3 treatment_sessions" in page
    assert "07400" not in page and "someone.private" not in page and "2099" not in page
    assert count(Episode) == 4  # the good list, imported after


def test_unsupported_languages_are_imported_with_a_warning_on_the_page(submitter: tuple[FlaskClient, User]) -> None:
    client, _ = submitter
    rows = [row(client_ref=f"L{n:04d}", language=tag) for n, tag in enumerate(["en", "pl", "cy", "pl", "ur", "pl"])]
    response = upload(client, csv_bytes(rows), name="langs.csv")
    assert response.status_code == 302
    page = client.get("/submit").data.decode()
    assert "langs.csv was imported: 6 new, 0 updated, 0 unchanged" in page
    assert (
        "Warning: rows 3, 5 and 7: language &#39;pl&#39; is not yet supported; those clients will get English texts."
        in page
    )
    assert "Warning: row 6: language &#39;ur&#39; is not yet supported; that client will get English texts." in page


def test_missing_file_is_an_error_not_a_crash(submitter: tuple[FlaskClient, User]) -> None:
    client, _ = submitter
    response = client.post("/submit/upload", data={}, content_type="multipart/form-data")
    assert response.status_code == 400 and "Choose a CSV file" in response.data.decode()


def test_only_their_own_services_submissions_are_shown(app: Flask, submitter: tuple[FlaskClient, User]) -> None:
    client, _ = submitter
    other = app.test_client()
    sign_in(other, make_user(Role.SERVICE_SUBMITTER, "wear@example.org", service=_service("WEAR")))
    upload(other, csv_bytes([row(client_ref="W0001")]), name="wear-list.csv")
    assert "wear-list.csv" in other.get("/submit").data.decode()
    assert "wear-list.csv" not in client.get("/submit").data.decode()


def _service(code: str) -> object:
    from app.models import Service

    return db.session.scalars(select(Service).where(Service.code == code)).one()


def test_withdrawing_an_episode_stops_contact(submitter: tuple[FlaskClient, User]) -> None:
    client, user = submitter
    upload(client, csv_bytes(ROWS))
    form = client.get("/submit/withdraw")
    assert form.status_code == 200 and 'type="date"' in form.data.decode()
    missing = client.post("/submit/withdraw", data={"client_ref": "C9999", "discharge_date": "2026-06-01"})
    assert missing.status_code == 400 and "no episode" in missing.data.decode()
    done = client.post("/submit/withdraw", data={"client_ref": "C0001", "discharge_date": "2026-06-01"})
    assert done.status_code == 302
    assert "Withdrawn: contact stopped" in client.get("/submit").data.decode()
    statuses = set(
        db.session.scalars(select(CheckIn.status).join(Episode).where(Episode.contact_stopped_reason.is_not(None)))
    )
    assert statuses == {CheckInStatus.WITHDRAWN.value}
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "intake.withdraw")).one()
    assert event.actor == f"user:{user.id}"
    again = client.post("/submit/withdraw", data={"client_ref": "C0001", "discharge_date": "2026-06-01"})
    assert again.status_code == 400 and "already withdrawn" in again.data.decode()


def test_another_services_episode_cannot_be_withdrawn(app: Flask, submitter: tuple[FlaskClient, User]) -> None:
    client, _ = submitter
    other = app.test_client()
    sign_in(other, make_user(Role.SERVICE_SUBMITTER, "wear@example.org", service=_service("WEAR")))
    upload(other, csv_bytes([row(client_ref="W0001")]))
    refused = client.post("/submit/withdraw", data={"client_ref": "W0001", "discharge_date": "2026-06-01"})
    assert refused.status_code == 400
    assert (
        db.session.scalar(select(func.count()).select_from(Episode).where(Episode.contact_stopped_reason.is_not(None)))
        == 0
    )


def test_a_long_refusal_shows_the_first_thousand_counts_per_column_and_a_download(
    submitter: tuple[FlaskClient, User],
) -> None:
    """SPEC 8.6: the first 1,000 problems, the count per column, and the whole list downloadable as CSV."""
    client, _ = submitter
    bad = [row(client_ref=f"B{n:05d}", treatment_sessions="07400 123456") for n in range(1200)]
    bad += [row(client_ref=f"E{n:05d}", email="nobody@") for n in range(5)]
    response = upload(client, csv_bytes(bad), name="big-bad.csv")
    html = response.data.decode()  # type: ignore[attr-defined]
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "these 1,205 problems" in html
    assert html.count("<li>row ") == 1000
    assert "205 more are in the full list" in html
    assert '<td>treatment_sessions</td><td class="numeric">1,200</td>' in html
    assert '<td>email</td><td class="numeric">5</td>' in html
    refused = db.session.scalars(select(Submission)).one()
    link = f"/submit/submissions/{refused.id}/problems.csv"
    assert f'href="{link}"' in html
    download = client.get(link)
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert 'filename="big-bad-problems.csv"' in download.headers["Content-Disposition"]
    lines = download.data.decode().splitlines()
    assert lines[0] == "row,column,problem" and len(lines) == 1206
    assert lines[1].startswith("2,treatment_sessions,")
    assert f'href="{link}"' in client.get("/submit").data.decode()  # also from the history


def test_the_problem_list_is_encrypted_and_only_its_service_downloads_it(app: Flask, submitter) -> None:
    from tests.factories.privacy import database_dump

    client, _ = submitter
    upload(client, csv_bytes([row(treatment_sessions="07400 999888")]), name="secret.csv")
    refused_id = db.session.scalars(select(Submission.id)).one()
    assert "07400 999888" in client.get(f"/submit/submissions/{refused_id}/problems.csv").data.decode()
    other = make_user(
        Role.SERVICE_SUBMITTER,
        "wear@example.org",
        service=db.session.scalars(select(Service).where(Service.code == "WEAR")).one(),
    )
    other_client = app.test_client()
    sign_in(other_client, other)
    assert other_client.get(f"/submit/submissions/{refused_id}/problems.csv").status_code == 404
    assert "07400 999888" not in database_dump()  # stored encrypted, like contact details


def test_problem_lists_are_kept_thirty_days(submitter: tuple[FlaskClient, User]) -> None:
    from datetime import timedelta

    from app.models.types import utcnow
    from app.services.privacy import lifecycle

    client, _ = submitter
    upload(client, csv_bytes([row(discharge_date="2099-01-01")]), name="old.csv")
    refused = db.session.scalars(select(Submission)).one()
    refused.submitted_at = utcnow() - timedelta(days=31)
    db.session.commit()
    gone = client.get(f"/submit/submissions/{refused.id}/problems.csv")
    assert gone.status_code == 404 and "no longer kept" in gone.data.decode()
    assert "Every problem (CSV)" not in client.get("/submit").data.decode()
    lifecycle.erase_due(utcnow())  # the scheduler's erasure job forgets the list itself
    db.session.commit()
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).where(Submission.problem_report.is_not(None))) == 0
