"""`flask stats summary` reads the database into the pure methodology, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent
from app.services.statistics import summaries as statistics
from tests.factories import csv_bytes, make_service, row, run_import
from tests.factories.cohorts import seed_cohort
from tests.factories.statistics import assert_shape


def test_summary_classifies_episodes_from_the_database(app):
    seed_cohort()
    result = statistics.summary(date(2026, 9, 30))
    assert_shape(result)  # exactly the keys of SPEC section 5
    assert result["cohort"] == {"episodes": 4, "consented": 3, "eligible": 3, "pending": 0}
    assert result["outcomes"]["durably_recovered"] == 1
    assert result["outcomes"]["unchanged"] == 1
    assert result["outcomes"]["no_response"] == 1
    assert result["durable_recovery"]["itt"]["numerator"] == 1
    assert result["durable_recovery"]["itt"]["denominator"] == 3
    assert result["durable_recovery"]["available_case"]["denominator"] == 2
    assert result["change_distribution"]["much_better"] == 1 and result["change_distribution"]["same"] == 1
    assert set(result["by_service"]) == {"TYNE"} and set(result["by_area"]) == {"NE"}


def test_answers_after_the_as_of_date_do_not_count(app):
    seed_cohort()
    before = statistics.summary(date(2026, 8, 29))
    assert before["outcomes"]["durably_recovered"] == 0
    assert before["cohort"]["eligible"] + before["cohort"]["pending"] == 3
    early = statistics.summary(date(2026, 2, 28))
    assert early["cohort"]["episodes"] == 0


def test_scope_by_service_and_area(app):
    seed_cohort()
    make_service(code="AVON", area="SW")
    run_import(csv_bytes([row(client_ref="A1")]), service="AVON")
    assert statistics.summary(date(2026, 9, 30), service_code="AVON")["cohort"]["episodes"] == 1
    assert statistics.summary(date(2026, 9, 30), area_code="NE")["cohort"]["episodes"] == 4
    assert statistics.summary(date(2026, 9, 30))["cohort"]["episodes"] == 5


def test_stats_summary_command_json_table_published_and_audit(app, runner):
    seed_cohort()
    raw = runner.invoke(args=["stats", "summary", "--as-of", "2026-09-30", "--format", "json"])
    assert raw.exit_code == 0, raw.output
    figures = json.loads(raw.output)
    assert figures["as_of"] == "2026-09-30" and figures["outcomes"]["durably_recovered"] == 1
    published = json.loads(
        runner.invoke(args=["stats", "summary", "--as-of", "2026-09-30", "--format", "json", "--published"]).output
    )
    assert published["outcomes"]["durably_recovered"] == "*"  # a count of 1-7 is never published
    assert published["cohort"]["episodes"] == "*"
    table = runner.invoke(args=["stats", "summary", "--as-of", "2026-09-30"])
    assert table.exit_code == 0 and "intention to treat" in table.output
    audited = db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "stats.summary")
    )
    assert audited == 3
    bad = runner.invoke(args=["stats", "summary", "--as-of", "31/08/2026"])
    assert bad.exit_code == 2 and "not a date" in bad.output
    unknown = runner.invoke(args=["stats", "summary", "--area", "NOPE"])
    assert unknown.exit_code == 1 and "NOPE" in unknown.output


def test_stats_summary_command_refuses_an_as_of_after_today_in_london(app, runner, monkeypatch):
    from datetime import UTC, datetime

    seed_cohort()
    # 00:30 on 30 March 2026 in London, the first night of BST: still 29 March in UTC.
    monkeypatch.setattr("app.cli.common.utcnow", lambda: datetime(2026, 3, 29, 23, 30, tzinfo=UTC))
    refused = runner.invoke(args=["stats", "summary", "--as-of", "2026-03-31"])
    assert refused.exit_code == 1
    assert "as-of date 2026-03-31 is after today (2026-03-30, Europe/London)" in refused.output
    assert "Traceback" not in refused.output
    audited = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "stats.summary")
    assert db.session.scalar(audited) == 0  # nothing written
    assert runner.invoke(args=["stats", "summary", "--as-of", "2026-03-30"]).exit_code == 0
    assert db.session.scalar(audited) == 1


def test_by_disorder_from_the_database_adds_up_and_shows_in_every_format(app, runner):
    seed_cohort()  # R1 F32.1 recovered, R2 F41.1 unchanged, R3 none no response, R4 F41.1 without consent
    result = statistics.summary(date(2026, 9, 30))
    disorders = result["by_disorder"]
    assert {k: (v["episodes"], v["eligible"]) for k, v in disorders.items() if v["episodes"]} == {
        "depression": (1, 1),
        "generalised_anxiety": (2, 1),  # consented or not
        "other": (1, 1),
    }
    assert len(disorders) == 12 and disorders["ptsd"]["episodes"] == 0
    assert sum(block["episodes"] for block in disorders.values()) == result["cohort"]["episodes"]
    assert sum(block["eligible"] for block in disorders.values()) == result["cohort"]["eligible"]
    assert disorders["depression"]["durable_recovery"]["itt"]["numerator"] == 1
    published = json.loads(
        runner.invoke(args=["stats", "summary", "--as-of", "2026-09-30", "--format", "json", "--published"]).output
    )["by_disorder"]
    assert published["generalised_anxiety"]["episodes"] == "*"
    assert published["depression"]["durable_recovery"]["itt"]["rate"] == "*"
    assert published["panic"]["episodes"] == 0
    table = runner.invoke(args=["stats", "summary", "--as-of", "2026-09-30"]).output
    assert "By disorder first presented with" in table
    lines = {line.split("  ")[1].strip(): line for line in table.splitlines() if line.startswith("  ") and "(F" in line}
    assert "1/1" in lines["Depression (F32, F33)"] and "100.0%" in lines["Depression (F32, F33)"]
    assert lines["Generalised anxiety (F41.1)"].split()[3] == "2"  # episodes
    assert "0/0" in lines["PTSD (F43.1)"]
    shown = runner.invoke(args=["stats", "summary", "--as-of", "2026-09-30", "--published"]).output
    assert "* (suppressed)" in shown.split("By disorder first presented with")[1]
