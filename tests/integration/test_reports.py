"""Monthly reports for commissioners: figures, PDF (rendered and read back), CSV, rebuilds and sending."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.domain.discretion import forbidden_words_in
from app.extensions import db
from app.models import AuditEvent, CheckIn, CheckInStatus, Client, Episode, InboundMessage, MonthlyReport
from app.models.message import SafeguardingAlert
from app.services.access.users import create_user
from app.services.contact import opt_out
from app.services.publication import reports
from app.services.statistics import summaries as statistics
from tests.factories import csv_bytes, make_service, row, run_import

#: The month reported on, and an instant once it is over (07:00 on 1 October, London time).
MONTH = "2026-09"
AFTER = datetime(2026, 10, 1, 6, 0, tzinfo=UTC)
ANSWERED_AT = datetime(2026, 9, 10, 12, 0, tzinfo=UTC)
PASSWORD = "a long synthetic passphrase 42"

#: Checks that do not depend on the database run on SQLite only (building PDFs is slow).
SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"])
needs_poppler = pytest.mark.skipif(
    not (shutil.which("pdftoppm") and shutil.which("pdftotext")),
    reason="needs poppler-utils (apt-get install poppler-utils)",
)


def _close(item: CheckIn, change: str | None, usual_self: str | None = None, start: date | None = None) -> None:
    item.status = CheckInStatus.CLOSED.value
    item.first_sent_at = ANSWERED_AT - timedelta(hours=2)
    item.closed_at = ANSWERED_AT + timedelta(days=14)
    if change:
        item.change, item.change_at = change, ANSWERED_AT
    if usual_self:
        item.usual_self, item.usual_self_at = usual_self, ANSWERED_AT
    if start:
        item.duration_start, item.duration_at = start, ANSWERED_AT


def seed_area() -> None:
    """Area NE: 23 discharged in March 2026 (12 recovered, 3 unchanged, 8 silent) and 9 in June 2025.

    Area SW has one client of its own. In September 2026 two NE clients opted out and one message
    raised a safeguarding alert.
    """
    make_service()
    make_service(code="AVON", area="SW", short_name="Avon Wellbeing")
    recent = [
        row(client_ref=f"R{i:02d}", phone=f"07400 1234{i:02d}", email=f"r{i}@example.org", discharge_date="2026-03-01")
        for i in range(23)
    ]
    early = {"referral_date": "2025-01-05", "assessment_date": "2025-01-20", "first_treatment_date": "2025-02-10"}
    old = [
        row(client_ref=f"O{i:02d}", phone=f"07400 5550{i:02d}", email=f"o{i}@example.org", discharge_date="2025-06-01")
        | early
        for i in range(9)
    ]
    run_import(csv_bytes(recent + old))
    run_import(csv_bytes([row(client_ref="S01", phone="07400 999001")]), service="AVON")
    for item in db.session.scalars(select(CheckIn).join(Episode).join(Client).where(Client.client_ref.like("R%"))):
        ref = int(item.episode.client.client_ref[1:])
        if item.offset_weeks != 26:
            item.status = CheckInStatus.SKIPPED.value
        elif ref < 12:  # anxiety (F41.1): well since May, more than 8 weeks: durably recovered
            _close(item, "much_better", "yes", date(2026, 5, 1))
        elif ref < 15:
            _close(item, "same", "no")
        else:
            _close(item, None)
    for item in db.session.scalars(select(CheckIn).join(Episode).join(Client).where(Client.client_ref.like("O%"))):
        item.status = CheckInStatus.SKIPPED.value
    clients = {c.client_ref: c for c in db.session.scalars(select(Client))}
    opt_out(clients["R20"].phone_hash, "sms keyword", datetime(2026, 9, 15, 9, tzinfo=UTC))
    opt_out(clients["R21"].phone_hash, "sms keyword", datetime(2026, 9, 16, 9, tzinfo=UTC))
    opt_out(clients["R22"].phone_hash, "sms keyword", datetime(2026, 10, 2, 9, tzinfo=UTC))  # October
    inbound = InboundMessage(channel="sms", client_id=clients["R03"].id, body="(synthetic)", risk_flagged=True)
    db.session.add(inbound)
    db.session.flush()
    db.session.add(
        SafeguardingAlert(
            inbound_message_id=inbound.id,
            client_id=clients["R03"].id,
            service_id=clients["R03"].service_id,
            raised_at=datetime(2026, 9, 20, 23, 30, tzinfo=UTC),  # 21 September in London
        )
    )
    db.session.commit()


def add_commissioner(email: str, area: str, *, active: bool = True) -> None:
    user = create_user(email, "commissioner", PASSWORD, service_code=None, area_code=area, actor="test", now=AFTER)
    user.active = active
    db.session.commit()


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def audit_count(action: str) -> int:
    return int(db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)) or 0)


@needs_poppler
def test_report_figures_pdf_and_csv(app, tmp_path):
    seed_area()
    report = reports.build_monthly_report("NE", MONTH, AFTER)
    assert report is not None and report.month == MONTH and report.built_at == AFTER
    figures = json.loads(report.figures)

    # Figures as of the month's last day, published: 23 eligible, 12 durably recovered -> 52%.
    assert figures["as_of"] == "2026-09-30" and figures["area"]["code"] == "NE"
    overall, rolling = figures["all_discharges"], figures["last_12_months"]
    assert overall == statistics.summary(date(2026, 9, 30), area_code="NE", published=True)
    assert overall["cohort"]["episodes"] == 30  # 32 rounded to 5
    assert overall["durable_recovery"]["itt"]["rate"] == 52 and overall["durable_recovery"]["itt"]["denominator"] == 25
    assert overall["outcomes"]["unchanged"] == "*"  # 3 people: suppressed
    # The last 12 months leave out the 9 discharged in June 2025.
    assert (rolling["discharged_from"], rolling["discharged_to"]) == ("2025-10-01", "2026-09-30")
    assert rolling["cohort"]["episodes"] == 25  # 23 rounded
    assert set(rolling["by_discharge_month"]) == {"2026-03"}
    assert "2025-06" in overall["by_discharge_month"]
    # The month's activity, suppressed like every published count.
    assert figures["activity"] == {
        "check_ins_sent": 25,  # 23
        "check_ins_answered": 15,  # 15
        "clients_opted_out": "*",  # 2 in September (the October one is not counted)
        "safeguarding_alerts": "*",  # 1
    }
    assert figures["methodology"] == 1 and figures["software_version"]

    # The PDF: page 1 renders to an image, and its text carries the expected figures.
    path = tmp_path / "NE-2026-09.pdf"
    path.write_bytes(report.pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(path), str(tmp_path / "page")], check=True
    )
    page = next(tmp_path.glob("page*.png"))
    assert page.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and page.stat().st_size > 2_000
    text = pdf_text(report.pdf, tmp_path)
    low, high = overall["durable_recovery"]["itt"]["ci95"]
    assert "Stillwell monthly report" in text and "Area NE (NE): September 2026" in text
    assert "Figures as of 30 September 2026" in text
    assert f"52% (95% CI {low}–{high}%)" in text
    assert f"80% (95% CI {overall['durable_recovery']['available_case']['ci95'][0]}–" in text  # 12 of 15 answered
    assert re.search(r"Unchanged\s+\*\s+\*", text)  # 3 people: suppressed in both columns
    assert re.search(r"People who opted out of contact\s+\*", text)
    assert re.search(r"Check-ins answered\s+15", text)
    assert "shown as *" in text  # the suppression explanation
    assert "Check-ins answered" in text and "Methodology version 1" in text
    assert "Charts" in text  # the charts page
    assert "R01" not in text and "07400" not in text  # nothing about individuals

    # The CSV: tidy rows, published values.
    rows = list(csv.DictReader(io.StringIO(report.csv)))
    assert list(rows[0]) == list(reports.CSV_COLUMNS)
    by_key = {(r["scope"], r["section"], r["group"], r["measure"]): r for r in rows}
    itt = by_key[("all_discharges", "durable_recovery", "", "itt")]
    assert (itt["value"], itt["unit"], itt["ci95_low"], itt["ci95_high"]) == ("52", "percent", str(low), str(high))
    assert by_key[("all_discharges", "durable_recovery", "", "itt_denominator")]["value"] == "25"
    assert by_key[("all_discharges", "outcomes", "", "unchanged")]["value"] == "*"
    assert by_key[("last_12_months", "cohort", "", "episodes")]["value"] == "25"
    assert by_key[("all_discharges", "follow_up_point", "26 weeks", "itt")]["value"] == "52"
    assert by_key[("month_activity", "activity", "", "clients_opted_out")]["value"] == "*"
    assert by_key[("all_discharges", "by_problem_group", "anxiety", "episodes")]["value"] == "30"
    assert {r["area"] for r in rows} == {"NE"} and {r["month"] for r in rows} == {MONTH}
    assert audit_count("report.built") == 1


def test_a_report_is_built_once_unless_replaced(app):
    seed_area()
    first = reports.build_monthly_report("NE", MONTH, AFTER)
    assert first is not None
    pdf, built_at = first.pdf, first.built_at
    later = AFTER + timedelta(days=3)
    assert reports.build_monthly_report("NE", MONTH, later) is None
    db.session.expire_all()
    stored = db.session.scalars(select(MonthlyReport)).one()
    assert stored.built_at == built_at and stored.pdf == pdf
    stored.sent_at, stored.sent_to = AFTER, 2
    db.session.commit()

    rebuilt = reports.build_monthly_report("NE", MONTH, later, replace=True)
    assert rebuilt is not None and rebuilt.id == first.id
    assert rebuilt.built_at == later and rebuilt.sent_at is None and rebuilt.sent_to is None
    assert json.loads(rebuilt.figures)["generated_at"].startswith("2026-10-04")
    assert db.session.scalar(select(func.count()).select_from(MonthlyReport)) == 1
    assert audit_count("report.built") == 2


@SQLITE_ONLY
def test_months_must_be_well_formed_and_over(app):
    make_service()
    with pytest.raises(reports.ReportError, match="not a month"):
        reports.build_monthly_report("NE", "2026-13", AFTER)
    with pytest.raises(reports.ReportError, match="not a month"):
        reports.build_monthly_report("NE", "09/2026", AFTER)
    # October is not over at 06:00 UTC on 31 October, nor at 23:30 UTC (00:30 on 1 November is GMT: still 31st).
    with pytest.raises(reports.ReportError, match="has not ended yet"):
        reports.build_monthly_report("NE", "2026-10", datetime(2026, 10, 31, 23, 30, tzinfo=UTC))
    # September is over once it is 1 October in London: 23:30 UTC on 30 September (BST).
    assert reports.build_monthly_report("NE", MONTH, datetime(2026, 9, 30, 23, 30, tzinfo=UTC)) is not None
    with pytest.raises(reports.ServiceError, match="NOPE"):
        reports.build_monthly_report("NOPE", MONTH, AFTER)


def test_month_arithmetic():
    assert reports.add_months(date(2026, 1, 1), -1) == date(2025, 12, 1)
    assert reports.add_months(date(2026, 9, 1), -11) == date(2025, 10, 1)
    assert reports.last_day(date(2028, 2, 1)) == date(2028, 2, 29)
    assert [reports.month_label(m) for m in reports.months_between(date(2025, 11, 5), date(2026, 2, 1))] == [
        "2025-11",
        "2025-12",
        "2026-01",
        "2026-02",
    ]
    assert reports.london_midnight(date(2026, 7, 1)) == datetime(2026, 6, 30, 23, tzinfo=UTC)


@SQLITE_ONLY
def test_cli_builds_every_area_writes_files_and_reports_clear_errors(app, runner, tmp_path):
    seed_area()
    out = tmp_path / "out"
    result = runner.invoke(args=["reports", "monthly", "--month", MONTH, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "NE 2026-09: built" in result.output and "SW 2026-09: built" in result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "NE-2026-09.csv",
        "NE-2026-09.pdf",
        "SW-2026-09.csv",
        "SW-2026-09.pdf",
    ]
    assert (out / "NE-2026-09.pdf").read_bytes().startswith(b"%PDF-")
    assert (out / "NE-2026-09.csv").read_text().startswith("area,month,scope,section")

    again = runner.invoke(args=["reports", "monthly", "--month", MONTH, "--area", "NE"])
    assert again.exit_code == 0 and again.output.strip() == "NE 2026-09: already built, skipped"
    replaced = runner.invoke(args=["reports", "monthly", "--month", MONTH, "--area", "NE", "--replace"])
    assert replaced.exit_code == 0 and "NE 2026-09: rebuilt" in replaced.output
    assert audit_count("report.built") == 3 and audit_count("report.written") == 2

    bad = runner.invoke(args=["reports", "monthly", "--month", "Sept"])
    assert bad.exit_code == 2 and "not a month such as 2026-10" in bad.output
    future = runner.invoke(args=["reports", "monthly", "--month", "2999-01"])
    assert future.exit_code == 1 and "has not ended yet" in future.output and "Traceback" not in future.output
    unknown = runner.invoke(args=["reports", "monthly", "--month", MONTH, "--area", "NOPE"])
    assert unknown.exit_code == 1 and "area 'NOPE' does not exist" in unknown.output
    missing = runner.invoke(args=["reports", "monthly"])
    assert missing.exit_code == 2 and "--month" in missing.output


def test_send_emails_both_files_to_the_areas_commissioners_once(app, runner, smtp_sink):
    app.config.update(smtp_sink.config(), PUBLIC_BASE_URL="https://stillwell.example")
    seed_area()
    add_commissioner("ne.one@example.org", "NE")
    add_commissioner("ne.two@example.org", "NE")
    add_commissioner("ne.gone@example.org", "NE", active=False)
    add_commissioner("sw.one@example.org", "SW")

    result = runner.invoke(args=["reports", "monthly", "--month", MONTH, "--area", "NE", "--send"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "NE 2026-09: built; sent to 2"
    received = smtp_sink.messages
    assert sorted(m.rcpt_tos[0] for m in received) == ["ne.one@example.org", "ne.two@example.org"]
    report = db.session.scalars(select(MonthlyReport)).one()
    for message in received:
        subject = str(message.message["Subject"])
        assert subject == "Stillwell monthly report NE 2026-09" and not forbidden_words_in(subject)
        files = {part.get_filename(): part for part in message.message.iter_attachments()}
        assert set(files) == {"NE-2026-09.pdf", "NE-2026-09.csv"}
        assert files["NE-2026-09.pdf"].get_content_type() == "application/pdf"
        assert files["NE-2026-09.pdf"].get_content() == report.pdf
        assert files["NE-2026-09.csv"].get_content().replace("\r\n", "\n") == report.csv
        body = message.message.get_body(("plain",)).get_content()
        assert "https://stillwell.example/reports/" in body
        assert "52" not in body and "%" not in body  # no figures in the email itself
    assert report.sent_at is not None and report.sent_to == 2
    assert audit_count("report.sent") == 1

    again = runner.invoke(args=["reports", "monthly", "--month", MONTH, "--area", "NE", "--send"])
    assert again.exit_code == 0 and "already built, skipped; already sent, not sent again" in again.output
    assert len(smtp_sink.messages) == 2

    resent = runner.invoke(args=["reports", "monthly", "--month", MONTH, "--area", "NE", "--send", "--replace"])
    assert resent.exit_code == 0 and "rebuilt; sent to 2" in resent.output
    assert len(smtp_sink.messages) == 4


def test_a_report_whose_emails_all_failed_can_be_sent_later(app, smtp_sink):
    app.config.update(smtp_sink.config())
    seed_area()
    add_commissioner("ne.one@example.org", "NE")
    report = reports.build_monthly_report("NE", MONTH, AFTER)
    assert report is not None
    smtp_sink.reject_next(550, stage="rcpt")
    failed = reports.send_monthly_report(report, AFTER)
    assert failed.status == "failed" and report.sent_at is None
    sent = reports.send_monthly_report(report, AFTER + timedelta(hours=1))
    assert sent.status == "sent" and sent.sent_to == 1 and report.sent_at == AFTER + timedelta(hours=1)
    assert reports.send_monthly_report(report, AFTER + timedelta(hours=2)).status == "already_sent"
    assert len(smtp_sink.messages) == 1


@SQLITE_ONLY
def test_no_commissioner_means_nothing_is_sent(app):
    seed_area()
    report = reports.build_monthly_report("SW", MONTH, AFTER)
    assert report is not None
    assert reports.send_monthly_report(report, AFTER).status == "no_recipients"
    assert report.sent_at is None


@SQLITE_ONLY
def test_report_csv_guards_formulas_and_keeps_numbers(app):
    seed_area()
    summary = statistics.summary(date(2026, 9, 30), area_code="NE", published=True)
    formula = '=HYPERLINK("http://x.example","click")'
    summary["by_service"] = {formula: summary["by_service"]["TYNE"]}  # a group named like a formula
    summary["effect_sizes"] = {"F41.1": {"phq9": {"n": 12, "d": -0.43219}}}  # a negative number
    figures = {
        "area": {"code": "NE", "name": "North East"},
        "month": MONTH,
        "all_discharges": summary,
        "last_12_months": summary,
        "activity": {"check_ins_sent": 25, "@SUM(A1)": 5},
    }
    text = reports.render_csv(figures)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["group"] for r in rows if r["section"] == "by_service"} == {"'" + formula}
    assert [r["measure"] for r in rows if r["scope"] == "month_activity"] == ["check_ins_sent", "'@SUM(A1)"]
    effect = next(r for r in rows if r["section"] == "effect_sizes" and r["measure"] == "d")
    assert effect["value"] == "-0.4322"  # a number stays a number, negative or not: no quote
    assert ",d,-0.4322," in text


@SQLITE_ONLY
@needs_poppler
def test_report_says_it_is_frozen_and_counts_lists_that_arrived_after_the_month(app, tmp_path):
    seed_area()  # every list imported on 20 November 2026, after September was over
    on_time = reports.build_monthly_report("NE", MONTH, AFTER)  # built 1 October: before those lists arrived
    assert json.loads(on_time.figures)["late_arrivals"] == 0
    assert "No episode discharged by 30 September 2026 arrived after the month ended" in " ".join(
        pdf_text(on_time.pdf, tmp_path).split()
    )
    later = datetime(2026, 11, 21, 9, tzinfo=UTC)
    rebuilt = reports.build_monthly_report("NE", MONTH, later, replace=True)
    assert json.loads(rebuilt.figures)["late_arrivals"] == 30  # NE's 32 episodes, rounded to 5 (not AVON's, SW)
    text = " ".join(pdf_text(rebuilt.pdf, tmp_path).split())
    assert "This report is frozen." in text and "Live figures for a past date move" in text
    assert "30 episodes discharged by 30 September 2026 arrived after the month ended" in text
