"""The JSON API: bearer tokens (hashed at rest), statistics by role, releases, discharge-list submission."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text

from app.extensions import db
from app.models import ApiToken, AuditEvent, Episode, Role, Service, Submission, User
from app.services.access import api_tokens
from app.services.publication import releases
from tests.factories import NOW, csv_bytes, row
from tests.factories.cohorts import AS_OF, seed_releasable
from tests.web.sign_in import make_user


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def seeded(app):
    seed_releasable()


def token_for(user: User, label: str = "test") -> str:
    return api_tokens.create_token(user.email, label, actor="test", now=datetime.now(UTC)).secret


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def service(code: str) -> Service:
    return db.session.scalars(select(Service).where(Service.code == code)).one()


def count(model: type) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


# --- tokens --------------------------------------------------------------------------------------


def test_openapi_document_is_public(client, app):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"].startswith("3.1")
    assert {"/api/v1/stats/summary", "/api/v1/releases", "/api/v1/releases/{release_id}", "/api/v1/submissions"} <= set(
        document["paths"]
    )
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert {"Rate", "Block", "Summary", "Error"} <= set(document["components"]["schemas"])


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "an API token is required"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "an API token is required"),
        ({"Authorization": "Bearer not-a-token"}, "not valid"),
    ],
)
def test_requests_without_a_valid_token_get_401(client, seeded, headers, message):
    response = client.get("/api/v1/releases", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert message in response.get_json()["error"]


def test_revoked_token_and_inactive_user_get_401(client, seeded, runner):
    evaluator = make_user(Role.EVALUATOR)
    token = token_for(evaluator)
    assert client.get("/api/v1/releases", headers=bearer(token)).status_code == 200
    token_id = db.session.scalars(select(ApiToken.id)).one()
    result = runner.invoke(args=["tokens", "revoke", str(token_id)])
    assert result.exit_code == 0, result.output
    response = client.get("/api/v1/releases", headers=bearer(token))
    assert response.status_code == 401 and "revoked" in response.get_json()["error"]
    other = token_for(evaluator, "second")
    db.session.get(User, evaluator.id).active = False
    db.session.commit()
    response = client.get("/api/v1/releases", headers=bearer(other))
    assert response.status_code == 401 and "deactivated" in response.get_json()["error"]


def test_token_is_printed_once_and_stored_only_as_a_hash(app, seeded, runner, client):
    evaluator = make_user(Role.EVALUATOR)
    result = runner.invoke(args=["tokens", "create", "--email", evaluator.email, "--label", "dashboard"])
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip().splitlines()[-1]
    assert len(secret) >= 40
    stored = db.session.scalars(select(ApiToken)).one()
    assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    # The token text is nowhere in the database: not in the token table, not in the audit log.
    for table in ("api_token", "audit_event"):
        for record in db.session.execute(text(f"SELECT * FROM {table}")):
            assert all(secret not in str(value) for value in record)
    assert stored.last_used_at is None
    assert client.get("/api/v1/releases", headers=bearer(secret)).status_code == 200
    db.session.expire_all()
    assert db.session.get(ApiToken, stored.id).last_used_at is not None
    listed = runner.invoke(args=["tokens", "list"])
    assert listed.exit_code == 0
    assert "dashboard" in listed.output and f"user:{evaluator.id}" in listed.output
    assert secret not in listed.output and evaluator.email not in listed.output


def test_token_commands_refuse_bad_input(app, runner):
    unknown = runner.invoke(args=["tokens", "create", "--email", "nobody@example.org", "--label", "x"])
    assert unknown.exit_code == 1 and "no user has that email" in unknown.output
    assert runner.invoke(args=["tokens", "revoke", "42"]).exit_code == 1
    assert count(ApiToken) == 0


# --- statistics ----------------------------------------------------------------------------------


def test_evaluators_get_unsuppressed_figures(client, seeded):
    evaluator = make_user(Role.EVALUATOR)
    response = client.get("/api/v1/stats/summary?as_of=2026-10-31", headers=bearer(token_for(evaluator)))
    assert response.status_code == 200
    summary = response.get_json()
    assert summary["as_of"] == "2026-10-31"
    assert summary["outcomes"]["unchanged"] == 3  # not suppressed
    assert summary["durable_recovery"]["itt"]["rate"] == pytest.approx(10 / 15)
    assert set(summary["by_area"]) == {"NE", "NW"}
    audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "stats.summary")).one()
    assert audit.actor == f"user:{evaluator.id}"


def test_the_summary_schema_has_every_disorder_and_old_releases_still_conform(client, seeded):
    import jsonschema_rs

    from app.web.openapi import SCHEMAS

    def valid(name: str, instance: object) -> bool:
        return jsonschema_rs.is_valid(
            {"$ref": f"#/components/schemas/{name}", "components": {"schemas": SCHEMAS}}, instance
        )

    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    assert "by_disorder" in schemas["Summary"]["required"]
    assert schemas["Summary"]["properties"]["by_disorder"]["required"][:3] == [
        "depression",
        "mixed_anxiety_depression",
        "generalised_anxiety",
    ]
    token = token_for(make_user(Role.EVALUATOR))
    summary = client.get("/api/v1/stats/summary?as_of=2026-10-31", headers=bearer(token)).get_json()
    assert summary["by_disorder"]["depression"]["episodes"] == 12  # TYNE's F32.1
    assert summary["by_disorder"]["generalised_anxiety"]["episodes"] == 3  # MERSEY's F41.1
    assert len(summary["by_disorder"]) == 12
    assert valid("Summary", summary)
    missing = {k: v for k, v in summary.items() if k != "by_disorder"}
    assert not valid("Summary", missing)
    assert not valid("Summary", summary | {"by_disorder": summary["by_disorder"] | {"sadness": {}}})
    release = releases.document(releases.create_release(AS_OF, "all", None, "test", NOW))
    assert release["figures"]["by_disorder"]["depression"]["episodes"] == 10  # published: rounded to 5
    assert valid("Release", release)
    assert valid("Release", release | {"figures": {k: v for k, v in release["figures"].items() if k != "by_disorder"}})


def test_evaluators_choose_any_scope(client, seeded):
    token = token_for(make_user(Role.EVALUATOR))
    summary = client.get("/api/v1/stats/summary?as_of=2026-10-31&service=MERSEY", headers=bearer(token)).get_json()
    assert summary["cohort"]["episodes"] == 3
    assert client.get("/api/v1/stats/summary?area=NOPE", headers=bearer(token)).status_code == 404


def test_commissioners_get_published_figures_for_their_own_area_only(client, seeded):
    from app.models import Area

    north_west = db.session.scalars(select(Area).where(Area.code == "NW")).one()
    token = token_for(make_user(Role.COMMISSIONER, area=north_west))
    response = client.get("/api/v1/stats/summary?as_of=2026-10-31", headers=bearer(token))
    assert response.status_code == 200
    summary = response.get_json()
    assert set(summary["by_area"]) == {"NW"}  # their area by default
    assert summary["cohort"]["episodes"] == "*"  # 3 people: suppressed
    assert summary["durable_recovery"]["itt"]["rate"] == "*"
    own = client.get("/api/v1/stats/summary?as_of=2026-10-31&area=NW&service=MERSEY", headers=bearer(token))
    assert own.status_code == 200
    other_area = client.get("/api/v1/stats/summary?area=NE", headers=bearer(token))
    assert other_area.status_code == 403 and "own area" in other_area.get_json()["error"]
    other_service = client.get("/api/v1/stats/summary?service=TYNE", headers=bearer(token))
    assert other_service.status_code == 403 and other_service.get_json()["parameter"] == "service"


@pytest.mark.parametrize("role", [Role.SERVICE_SUBMITTER, Role.ADMIN])
def test_other_roles_may_not_read_statistics(client, seeded, role):
    response = client.get("/api/v1/stats/summary", headers=bearer(token_for(make_user(role))))
    assert response.status_code == 403
    assert "may not use this endpoint" in response.get_json()["error"]


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("as_of=31/10/2026", "as_of"),
        ("as_of=2026-02-30", "as_of"),
        ("as_of=0001-01-01", "as_of"),
        ("service=no%20spaces", "service"),
        ("area=", "area"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(client, seeded, query, parameter):
    token = token_for(make_user(Role.EVALUATOR))
    response = client.get(f"/api/v1/stats/summary?{query}", headers=bearer(token))
    assert response.status_code == 400
    assert response.get_json()["parameter"] == parameter


# --- releases ------------------------------------------------------------------------------------


def test_an_assessor_s_token_reads_no_release(client, seeded):
    """Blinding (SPEC 8.4): no figures before the interviews."""
    release = releases.create_release(AS_OF, "all", None, "test", NOW)
    token = token_for(make_user(Role.ASSESSOR))
    assert client.get("/api/v1/releases", headers=bearer(token)).status_code == 403
    assert client.get(f"/api/v1/releases/{release.id}", headers=bearer(token)).status_code == 403


@pytest.mark.parametrize("role", [role for role in Role if role is not Role.ASSESSOR])
def test_every_role_but_the_assessor_reads_releases(client, seeded, role):
    release = releases.create_release(AS_OF, "all", None, "test", NOW)
    token = token_for(make_user(role))
    listing = client.get("/api/v1/releases", headers=bearer(token)).get_json()
    assert listing["total"] == 1
    item = listing["releases"][0]
    assert item["sha256"] == release.sha256 and item["scope"] == {"kind": "all", "code": None}
    assert item["urls"]["json"] == f"http://127.0.0.1:5000/published/{release.id}.json"
    one = client.get(f"/api/v1/releases/{release.id}", headers=bearer(token))
    assert one.status_code == 200
    assert hashlib.sha256(one.data).hexdigest() == release.sha256
    missing = client.get("/api/v1/releases/999", headers=bearer(token))
    assert missing.status_code == 404 and "no release" in missing.get_json()["error"]
    assert client.get("/api/v1/releases?per_page=500", headers=bearer(token)).status_code == 400


# --- submissions ---------------------------------------------------------------------------------


@pytest.fixture
def submitter_token(seeded) -> str:
    return token_for(make_user(Role.SERVICE_SUBMITTER, service=service("TYNE")))


def test_submission_imports_the_list_for_the_submitters_service(client, submitter_token):
    episodes, submissions = count(Episode), count(Submission)
    body = csv_bytes([row(client_ref="NEW1", discharge_date="2026-09-01"), row(client_ref="NEW2")])
    response = client.post(
        "/api/v1/submissions", data=body, headers={**bearer(submitter_token), "Content-Type": "text/csv"}
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json() == {"created": 2, "updated": 0, "unchanged": 0, "dry_run": False, "warnings": []}
    assert count(Episode) == episodes + 2 and count(Submission) == submissions + 1
    submission = db.session.scalars(select(Submission).order_by(Submission.id.desc())).first()
    assert submission.service_id == service("TYNE").id and submission.submitted_by.startswith("user:")


def test_a_submission_with_unsupported_languages_is_imported_with_warnings(client, submitter_token):
    import jsonschema_rs

    from app.web.openapi import SCHEMAS

    rows = [row(client_ref=f"LANG{n}", language=language) for n, language in enumerate(["pl", "cy", "pl", "", "ur"])]
    response = client.post(
        "/api/v1/submissions", data=csv_bytes(rows), headers={**bearer(submitter_token), "Content-Type": "text/csv"}
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["created"] == 5
    assert body["warnings"] == [
        "rows 2 and 4: language 'pl' is not yet supported; those clients will get English texts",
        "row 6: language 'ur' is not yet supported; that client will get English texts",
    ]
    schema = {"$ref": "#/components/schemas/SubmissionResult", "components": {"schemas": SCHEMAS}}
    assert jsonschema_rs.is_valid(schema, body)
    assert not jsonschema_rs.is_valid(schema, {k: v for k, v in body.items() if k != "warnings"})


def test_dry_run_writes_nothing(client, submitter_token):
    episodes, submissions = count(Episode), count(Submission)
    body = csv_bytes([row(client_ref="NEW1", discharge_date="2026-09-01")])
    response = client.post(
        "/api/v1/submissions?dry_run=true", data=body, headers={**bearer(submitter_token), "Content-Type": "text/csv"}
    )
    assert response.status_code == 200
    assert response.get_json() == {"created": 1, "updated": 0, "unchanged": 0, "dry_run": True, "warnings": []}
    assert count(Episode) == episodes  # nothing imported; the check is in the history, as on the web page
    assert count(Submission) == submissions + 1
    checked = db.session.scalars(select(Submission).order_by(Submission.id.desc())).first()
    assert (checked.status, checked.created) == ("checked", 1)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "intake.dry_run"))


def test_submission_problems_are_json_and_nothing_is_written(client, submitter_token):
    episodes, submissions = count(Episode), count(Submission)
    body = csv_bytes([row(client_ref="OK1"), row(client_ref="BAD", discharge_date="2099-01-01")])
    response = client.post(
        "/api/v1/submissions", data=body, headers={**bearer(submitter_token), "Content-Type": "text/csv"}
    )
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert errors and all(set(error) == {"row", "column", "message"} for error in errors)
    assert any(error["row"] == 3 and error["column"] == "discharge_date" for error in errors)
    assert count(Episode) == episodes  # nothing imported; the refusal is in the service's history
    assert count(Submission) == submissions + 1
    refused = db.session.scalars(select(Submission).order_by(Submission.id.desc())).first()
    assert (refused.status, refused.created, refused.problem_places) == ("rejected", 0, "row 3 discharge_date")
    empty = client.post(
        "/api/v1/submissions", data=b"", headers={**bearer(submitter_token), "Content-Type": "text/csv"}
    )
    assert empty.status_code == 422 and empty.get_json()["errors"][0]["row"] is None


def test_a_long_refusal_lists_the_first_thousand_and_the_whole_list_downloads(client, submitter_token):
    """SPEC 8.6: the answer lists the first 1,000 problems and the count per column; the whole list is a CSV."""
    bad = [row(client_ref=f"B{n:05d}", treatment_sessions="many") for n in range(1100)]
    bad += [row(client_ref=f"E{n:05d}", email="nobody@") for n in range(30)]
    response = client.post(
        "/api/v1/submissions", data=csv_bytes(bad), headers={**bearer(submitter_token), "Content-Type": "text/csv"}
    )
    assert response.status_code == 422
    body = response.get_json()
    assert body["problems"] == 1130 and len(body["errors"]) == 1000
    assert body["by_column"] == [  # most first
        {"column": "treatment_sessions", "problems": 1100},
        {"column": "email", "problems": 30},
    ]
    download = client.get(f"/api/v1/submissions/{body['submission']}/problems.csv", headers=bearer(submitter_token))
    assert download.status_code == 200 and download.mimetype == "text/csv"
    lines = download.data.decode().splitlines()
    assert lines[0] == "row,column,problem" and len(lines) == 1131
    assert lines[-1].startswith("1131,email,")
    assert client.get(f"/api/v1/submissions/{body['submission']}/problems.csv").status_code == 401
    assert client.get("/api/v1/submissions/999999/problems.csv", headers=bearer(submitter_token)).status_code == 404


def test_submission_as_a_multipart_upload(client, submitter_token):
    body = csv_bytes([row(client_ref="UP1")])
    response = client.post(
        "/api/v1/submissions",
        data={"file": (io.BytesIO(body), "october.csv")},
        headers=bearer(submitter_token),
        content_type="multipart/form-data",
    )
    assert response.status_code == 201
    assert db.session.scalars(select(Submission).order_by(Submission.id.desc())).first().filename == "october.csv"
    missing = client.post(
        "/api/v1/submissions", data={"other": "x"}, headers=bearer(submitter_token), content_type="multipart/form-data"
    )
    assert missing.status_code == 400 and missing.get_json()["parameter"] == "file"
    wrong = client.post(
        "/api/v1/submissions", data=b"{}", headers={**bearer(submitter_token), "Content-Type": "application/json"}
    )
    assert wrong.status_code == 415


def test_only_service_submitters_submit(client, seeded):
    token = token_for(make_user(Role.EVALUATOR))
    response = client.post(
        "/api/v1/submissions", data=csv_bytes([row()]), headers={**bearer(token), "Content-Type": "text/csv"}
    )
    assert response.status_code == 403


def test_rate_limit_answers_429_as_json(app, client, seeded):
    app.config["API_RATE_LIMIT"] = "2/minute"
    token = token_for(make_user(Role.EVALUATOR))
    statuses = [client.get("/api/v1/releases", headers=bearer(token)).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    limited = client.get("/api/v1/releases", headers=bearer(token))
    assert limited.is_json and "error" in limited.get_json()


def test_token_guessing_is_limited_per_address(app, client, seeded):
    app.config["API_ADDRESS_RATE_LIMIT"] = "3/minute"
    statuses = [client.get("/api/v1/releases", headers=bearer(f"guess-{i}")).status_code for i in range(4)]
    assert statuses == [401, 401, 401, 429]


def test_unknown_paths_and_methods_under_the_api_answer_in_json(client, app):
    missing = client.get("/api/v1/no-such-thing")
    assert missing.status_code == 404 and missing.is_json and missing.get_json()["error"]
    wrong_method = client.delete("/api/v1/openapi.json")
    assert wrong_method.status_code == 405 and wrong_method.is_json
    page = client.get("/no-such-page")
    assert page.status_code == 404 and not page.is_json


def test_stats_refuse_an_as_of_after_today_in_london(client, seeded, monkeypatch):
    token = token_for(make_user(Role.EVALUATOR))
    monkeypatch.setattr("app.web.api.utcnow", lambda: NOW)  # 20 November 2026, 12:00 in London
    response = client.get("/api/v1/stats/summary?as_of=2026-11-21", headers=bearer(token))
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "as-of date 2026-11-21 is after today (2026-11-20, Europe/London)"
    assert body["parameter"] == "as_of"
    audited = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "stats.summary")
    assert db.session.scalar(audited) == 0  # nothing written
    assert client.get("/api/v1/stats/summary?as_of=2026-11-20", headers=bearer(token)).status_code == 200
