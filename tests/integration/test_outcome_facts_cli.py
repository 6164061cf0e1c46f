"""`flask stats facts` and the scheduler's outcome-facts job (SPEC 8.5)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from app.extensions import db
from app.services.conversation.inbound import handle_inbound_sms
from app.services.statistics import facts
from app.services.statistics import summaries as statistics
from scheduler.jobs import JOBS, outcome_facts
from tests.factories.cohorts import seed_cohort


def test_status_rebuild_fold_from_the_command_line(app, runner) -> None:
    seed_cohort()
    result = runner.invoke(args=["stats", "facts", "status"])
    assert result.exit_code == 0 and "not built" in result.output
    result = runner.invoke(args=["stats", "facts", "fold"])
    assert result.exit_code != 0 and "not built yet" in result.output
    result = runner.invoke(args=["stats", "facts", "rebuild", "--as-of", "2026-11-20"])
    assert result.exit_code == 0, result.output
    episodes = statistics.summary(date(2026, 11, 20))["attrition"]["referred"]
    assert "as of 2026-11-20: " in result.output
    values = json.loads(runner.invoke(args=["stats", "facts", "status", "--format", "json"]).output)
    assert values["as_of"] == "2026-11-20" and values["facts"] >= episodes and values["stale"] == 0
    result = runner.invoke(args=["stats", "facts", "rebuild", "--as-of", "2999-01-01"])
    assert result.exit_code != 0 and "after today" in result.output
    result = runner.invoke(args=["stats", "facts", "fold"])
    assert result.exit_code == 0 and "episodes folded in" in result.output
    assert facts.status().stale == 0 and facts.status().expired == 0
    for command in (["stats", "facts", "--help"], ["stats", "facts", "rebuild", "--help"]):
        assert "outcome fact" in runner.invoke(args=command).output


def test_the_scheduler_builds_the_facts_then_folds_what_changes(app) -> None:
    jobs = {job.id: job for job in JOBS}
    assert jobs["outcome-facts"].trigger_args == {"seconds": 10} and jobs["outcome-facts"].run_at_start
    seed_cohort()
    now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    outcome_facts(app, now)
    assert facts.state() is not None and facts.state().as_of == date(2026, 11, 20)
    handle_inbound_sms("SMfactsjob00000000000000000000001", "+447700900123", "hello", now)
    db.session.commit()
    outcome_facts(app, now + timedelta(days=1))  # the next day: moved on, and folded
    assert facts.state().as_of == date(2026, 11, 21)
    assert facts.status().stale == 0 and facts.status().expired == 0
    live = facts.live_summary_and_curve(date(2026, 11, 21))
    assert live is not None and live[0] == statistics.summary(date(2026, 11, 21))
