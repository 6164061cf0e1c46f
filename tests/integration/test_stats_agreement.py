"""`stats agreement` from the database (SPEC 8.4): the pairs as of a date and in a scope, the calls behind
them, the ITT figure it corrects, the command and its audit, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from app.cli import stats as stats_cli
from app.domain import agreement as domain
from app.domain.statistics import wilson_rate
from app.extensions import db
from app.models import AuditEvent
from app.services import statistics
from app.services.errors import NotFound
from app.services.statistics import AsOfAfterToday
from tests.factories.agreement import CALLS, TABLE, episode_of, seed_agreement
from tests.factories.cohorts import AS_OF, TYNE_EPISODES, TYNE_RECOVERED

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def test_the_pairs_of_every_service_as_of_a_date(app):
    seed_agreement()
    result = statistics.agreement(AS_OF)
    assert result["as_of"] == "2026-10-31"
    assert result["pairs"] == 11
    assert result["table"] == TABLE
    assert result["calls"] == CALLS
    # a = 8, b = 1, c = 1, d = 1: agreement 9/11, Se = 8/9, Sp = 1/2
    assert result["percent_agreement"] == wilson_rate(9, 11)
    assert result["sensitivity"] == wilson_rate(8, 9)
    assert result["specificity"] == wilson_rate(1, 2)
    # the ITT figure is `stats summary`'s: 10 durably recovered of 15 eligible (TYNE 12, MERSEY 3)
    summary = statistics.summary(AS_OF)
    assert result["itt_durable_recovery"] == summary["durable_recovery"]["itt"] == wilson_rate(TYNE_RECOVERED, 15)
    # (10/15 + 1/2 - 1) / (8/9 + 1/2 - 1) = (1/6) / (7/18) = 3/7
    assert result["corrected_itt_durable_recovery"]["estimate"] == pytest.approx(3 / 7)
    assert result == {
        "as_of": "2026-10-31",
        **domain.agreement([(True, True)] * 8 + [(True, False), (False, True), (False, False)], 10, 15),
        "calls": CALLS,
    }


def test_the_episodes_read_a_few_ids_at_a_time_give_the_same_figures(app, monkeypatch):
    """Sampled and interviewed episodes are read by id in chunks (no `IN (...)` outgrows the database's
    bound parameters): chunks of 2 give exactly the figures of one chunk."""
    import importlib

    agreement_module = importlib.import_module("app.services.statistics.agreement")
    seed_agreement()
    whole = statistics.agreement(AS_OF)
    chunks: list[int] = []
    real = agreement_module._in_chunks

    def counted(ids):
        for chunk in real(ids):
            chunks.append(len(chunk))
            yield chunk

    monkeypatch.setattr(agreement_module, "EPISODE_CHUNK", 2)
    monkeypatch.setattr(agreement_module, "_in_chunks", counted)
    assert statistics.agreement(AS_OF) == whole
    assert whole["pairs"] == 11 and max(chunks) == 2 and len(chunks) >= 6 + 7  # 13 sampled, 11 interviewed


def test_a_later_interview_counts_once_its_day_has_come(app):
    seed_agreement()
    later = statistics.agreement(date(2026, 11, 10))
    assert later["pairs"] == 12  # T10, interviewed on 2026-11-05
    assert later["calls"]["reached"] == 12 and later["calls"]["to_call"] == 1
    # a sample drawn after the as-of date does not count at all
    assert statistics.agreement(date(2026, 10, 30))["calls"]["sampled"] == 0


def test_scopes(app):
    seed_agreement()
    tyne = statistics.agreement(AS_OF, service_code="TYNE")
    assert tyne["table"] == {"both_recovered": 8, "text_only": 1, "assessor_only": 0, "neither": 0}
    assert tyne["itt_durable_recovery"] == wilson_rate(TYNE_RECOVERED, TYNE_EPISODES)
    # Se = 8/8, Sp = 0/1: Se + Sp - 1 = 0, no corrected figure
    assert tyne["specificity"]["rate"] == 0 and tyne["corrected_itt_durable_recovery"]["estimate"] is None
    north_west = statistics.agreement(AS_OF, area_code="NW")
    assert north_west["pairs"] == 2 and north_west["calls"]["to_call"] == 1
    with pytest.raises(NotFound):
        statistics.agreement(AS_OF, area_code="NOPE")


def test_withdrawn_answers_leave_the_pairs(app):
    seed_agreement()
    episode_of("M1").answers_withdrawn_at = NOW
    db.session.commit()
    result = statistics.agreement(AS_OF)
    assert result["pairs"] == 10 and result["table"]["neither"] == 0
    assert result["calls"]["answers_withdrawn"] == 1 and result["calls"]["reached"] == 11


def test_no_sample_gives_nulls_not_a_crash(app):
    result = statistics.agreement(AS_OF)
    assert result["pairs"] == 0
    assert result["kappa"] == {"estimate": None, "ci95": None}
    assert result["calls"]["sampled"] == 0


def test_published_and_audited_and_refusing_the_future(app):
    seed_agreement()
    published = statistics.agreement(AS_OF, published=True, actor="test", now=NOW)
    assert published["pairs"] == 10  # 11 rounded to 5
    assert published["table"]["text_only"] == "*"
    assert published["percent_agreement"]["rate"] == 82  # 9/11 from the unrounded counts
    assert published["sensitivity"]["rate"] == 89  # 8/9
    assert published["specificity"]["rate"] == "*"
    assert isinstance(published["kappa"]["estimate"], float)
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "stats.agreement")).all()
    assert len(events) == 1 and events[0].subject == "all"
    with pytest.raises(AsOfAfterToday):
        statistics.agreement(date(2026, 11, 21), now=NOW)


def test_the_command(app, runner):
    seed_agreement()
    raw = runner.invoke(args=["stats", "agreement", "--as-of", "2026-10-31", "--format", "json", "--seed", "5"])
    assert raw.exit_code == 0, raw.output
    result = json.loads(raw.output)
    assert result["table"] == TABLE and result["corrected_itt_durable_recovery"]["seed"] == 5
    again = runner.invoke(args=["stats", "agreement", "--as-of", "2026-10-31", "--format", "json", "--seed", "5"])
    assert json.loads(again.output) == result
    table = runner.invoke(args=["stats", "agreement", "--as-of", "2026-10-31", "--resamples", "300"])
    assert table.exit_code == 0, table.output
    assert "Cohen's kappa" in table.output and "Rogan-Gladen" in table.output and "300 resamples" in table.output
    assert "reached 11, declined 1, not reached 1, still to call 2" in table.output
    published = runner.invoke(args=["stats", "agreement", "--as-of", "2026-10-31", "--published", "--service", "TYNE"])
    assert published.exit_code == 0, published.output
    assert "published" in published.output.splitlines()[0] and "TYNE" in published.output.splitlines()[0]
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "stats.agreement")).all()
    assert len(events) == 4 and all(event.actor.startswith("cli:") for event in events)


def test_the_command_refuses_bad_input_clearly(app, runner):
    seed_agreement()
    unknown = runner.invoke(args=["stats", "agreement", "--service", "NOPE"])
    assert unknown.exit_code != 0 and "NOPE" in unknown.output and "Traceback" not in unknown.output
    future = runner.invoke(args=["stats", "agreement", "--as-of", "2099-01-01"])
    assert future.exit_code != 0 and "after today" in future.output
    bad = runner.invoke(args=["stats", "agreement", "--as-of", "31/10/2026"])
    assert bad.exit_code == 2 and "is not a date" in bad.output
    none = runner.invoke(args=["stats", "agreement", "--resamples", "0"])
    assert none.exit_code == 2
    both = runner.invoke(args=["stats", "agreement", "--service", "TYNE", "--area", "NE"])
    assert both.exit_code == 2 and "not both" in both.output
    helped = runner.invoke(args=["stats", "agreement", "--help"])
    assert "Rogan-Gladen" in helped.output and "--seed" in helped.output


def test_the_commands_defaults_are_the_domains():
    assert (stats_cli.AGREEMENT_SEED, stats_cli.AGREEMENT_RESAMPLES) == (domain.DEFAULT_SEED, domain.DEFAULT_RESAMPLES)


def test_a_release_carries_and_shows_the_published_agreement(app):
    from app.services.publication import releases

    seed_agreement()
    release = releases.create_release(AS_OF, "all", None, "test", NOW)
    document = releases.document(release)
    assert document["agreement"]["table"] == {
        "assessor_only": "*",
        "both_recovered": 10,
        "neither": "*",
        "text_only": "*",
    }
    assert document["agreement"]["percent_agreement"]["rate"] == 82
    assert document["agreement"]["itt_durable_recovery"] == document["figures"]["durable_recovery"]["itt"]
    rows = releases.tidy_rows(document)
    assert ("agreement", "kappa.estimate", document["agreement"]["kappa"]["estimate"]) in rows
    page = app.test_client().get(f"/published/{release.id}").get_data(as_text=True)
    assert "How the texts agree with an independent assessor" in page
    assert "<caption>Agreement with the independent assessor</caption>" in page
    service_release = releases.create_release(AS_OF, "service", "TYNE", "test", NOW)
    assert releases.document(service_release)["agreement"]["pairs"] == 10  # 9 rounded to 5


def test_the_dashboards_filters_narrow_the_pairs_and_the_itt_alike(app):
    seed_agreement()
    depression = statistics.agreement(AS_OF, problem_group="depression")
    assert depression["pairs"] == 9  # TYNE's F32.1 people; MERSEY's are F41.1 (anxiety)
    assert depression["itt_durable_recovery"] == wilson_rate(TYNE_RECOVERED, TYNE_EPISODES)
    assert statistics.agreement(AS_OF, problem_group="anxiety")["table"]["assessor_only"] == 1
    before = statistics.agreement(AS_OF, discharged_to=date(2026, 2, 28))
    assert before["pairs"] == 0 and before["calls"]["sampled"] == 0
    assert statistics.agreement(AS_OF, discharged_from=date(2026, 3, 1))["pairs"] == 11
