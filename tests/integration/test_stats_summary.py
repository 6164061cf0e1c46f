"""`flask stats summary` reads the database into the pure methodology, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, CheckIn, CheckInStatus, Client, Episode
from app.services.statistics import summaries as statistics
from tests.factories import csv_bytes, make_service, row
from tests.integration.test_intake import run_import
from tests.unit.test_statistics import assert_shape


def check_in(ref: str, weeks: int) -> CheckIn:
    return db.session.scalars(
        select(CheckIn).join(Episode).join(Client).where(Client.client_ref == ref, CheckIn.offset_weeks == weeks)
    ).one()


def answer(
    ref: str, weeks: int, at: datetime, change: str | None, usual_self: str | None = None, start: date | None = None
) -> None:
    item = check_in(ref, weeks)
    item.status = CheckInStatus.CLOSED.value
    item.first_sent_at = at - timedelta(hours=2)
    item.closed_at = at + timedelta(days=14)
    if change:
        item.change, item.change_at = change, at
    if usual_self:
        item.usual_self, item.usual_self_at = usual_self, at
    if start:
        item.duration_start, item.duration_at = start, at


def seed_cohort() -> None:
    make_service()
    run_import(
        csv_bytes(
            [
                row(client_ref="R1", discharge_date="2026-03-01", problem_descriptor="F32.1"),
                row(client_ref="R2", discharge_date="2026-03-01", problem_descriptor="F41.1"),
                row(client_ref="R3", discharge_date="2026-03-01", problem_descriptor="none"),
                row(client_ref="R4", discharge_date="2026-03-01", consent_to_follow_up="no"),
            ]
        ),
        now=datetime(2026, 11, 20, tzinfo=UTC),
    )
    # R1 (depression): at 26 weeks well since 5 months before -> recovered (4 months needed).
    answer("R1", 26, datetime(2026, 8, 30, 12, tzinfo=UTC), "much_better", "yes", date(2026, 3, 30))
    # R2 (anxiety): same, not well.
    answer("R2", 26, datetime(2026, 8, 30, 12, tzinfo=UTC), "same", "no")
    # R3: sent and never answered: a non-response once closed.
    answer("R3", 26, datetime(2026, 8, 30, 12, tzinfo=UTC), None)
    db.session.commit()


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
