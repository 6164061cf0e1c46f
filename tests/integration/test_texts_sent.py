"""Messages and segments sent per language (SPEC 8.3): the evaluators' operations view (/evaluate/texts) and
the commissioners' monthly report (PDF and CSV), each with an empty state."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Client, OutboundMessage, Role
from app.services.publication import reports
from app.services.statistics import TextsSent, texts_sent, texts_sent_in_month
from tests.factories import csv_bytes, make_service, row, run_import
from tests.web.sign_in import make_user, sign_in

SEPTEMBER = date(2026, 9, 1)
IN_SEPTEMBER = datetime(2026, 9, 10, 9, 0, tzinfo=UTC)
AFTER = datetime(2026, 10, 1, 6, 0, tzinfo=UTC)
needs_poppler = pytest.mark.skipif(
    not (shutil.which("pdftoppm") and shutil.which("pdftotext")),
    reason="needs poppler-utils (apt-get install poppler-utils)",
)


def clients() -> dict[str, Client]:
    make_service()  # TYNE in NE
    make_service(code="AVON", area="SW", short_name="Avon Wellbeing")
    run_import(csv_bytes([row(client_ref="N1"), row(client_ref="N2", phone="07400 222333")]))
    run_import(csv_bytes([row(client_ref="S1", phone="07400 999001")]), service="AVON")
    return {client.client_ref: client for client in db.session.scalars(select(Client))}


def sent(
    client: Client,
    language: str | None,
    segments: int | None,
    *,
    times: int = 1,
    channel: str = "sms",
    status: str = "delivered",
    at: datetime = IN_SEPTEMBER,
) -> None:
    for _ in range(times):
        db.session.add(
            OutboundMessage(
                client_id=client.id,
                channel=channel,
                purpose="first",
                body="(synthetic)",
                status=status,
                created_at=at,
                updated_at=at,
                encoding=None if segments is None else "GSM-7",
                segments=segments,
                language=language,
            )
        )
    db.session.commit()


def seed_september() -> dict[str, Client]:
    """NE: 10 Welsh texts of 2 segments, 9 bilingual of 4, 12 English of 1, 2 from before costs were kept;
    one refused Welsh text, an email and an October text that do not count. SW: 3 English."""
    people = clients()
    north, other, south = people["N1"], people["N2"], people["S1"]
    sent(north, "cy", 2, times=10)
    sent(other, "cy+en", 4, times=9)
    sent(other, "en", 1, times=12)
    sent(north, None, None, times=2)
    sent(north, "cy", 2, status="failed")
    sent(north, None, None, channel="email")
    sent(north, "cy", 2, at=datetime(2026, 9, 30, 23, 30, tzinfo=UTC))  # 1 October in London
    sent(south, "en", 1, times=3)
    return people


def test_texts_sent_counts_messages_and_segments_per_language_in_scope(app):
    seed_september()
    assert texts_sent_in_month(SEPTEMBER, area_code="NE") == [
        TextsSent("en", 12, 12),
        TextsSent("cy", 10, 20),
        TextsSent("cy+en", 9, 36),
        TextsSent("unknown", 2, 0),
    ]
    assert texts_sent_in_month(SEPTEMBER, service_code="AVON") == [TextsSent("en", 3, 3)]
    everywhere = {item.language: item for item in texts_sent_in_month(SEPTEMBER)}
    assert everywhere["en"] == TextsSent("en", 15, 15)
    october = texts_sent_in_month(date(2026, 10, 1), area_code="NE")
    assert october == [TextsSent("cy", 1, 2)]  # the one sent at 00:30 on 1 October, London time
    assert texts_sent(IN_SEPTEMBER, IN_SEPTEMBER) == []
    assert texts_sent_in_month(date(2026, 8, 1)) == []


def test_the_operations_view_shows_texts_per_language_and_an_empty_month(app):
    seed_september()
    client = app.test_client()
    sign_in(client, make_user(Role.EVALUATOR))
    page = client.get("/evaluate/texts?month=2026-09&area=NE").data.decode()
    assert "Texts sent: September 2026" in page
    assert '<th scope="row">Welsh (cy)</th><td class="numeric">10</td><td class="numeric">20</td>' in page
    assert (
        '<th scope="row">Welsh then English (cy+en)</th><td class="numeric">9</td><td class="numeric">36</td>' in page
    )
    assert '<th scope="row">English (en)</th><td class="numeric">12</td><td class="numeric">12</td>' in page
    assert '<th scope="row">All languages</th><td class="numeric">33</td><td class="numeric">68</td>' in page
    empty = client.get("/evaluate/texts?month=2026-08").data.decode()
    assert "No texts were sent in August 2026." in empty
    bad = client.get("/evaluate/texts?month=Sept")
    assert bad.status_code == 400 and "showing" in bad.data.decode()
    assert "Texts sent" in client.get("/evaluate").data.decode()  # in the evaluators' navigation


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


@needs_poppler
def test_the_monthly_report_shows_texts_per_language_published(app, tmp_path):
    seed_september()
    report = reports.build_monthly_report("NE", "2026-09", AFTER)
    assert report is not None
    figures = json.loads(report.figures)
    assert figures["format"] == 3
    assert figures["texts_sent"] == [
        {"language": "en", "name": "English", "messages": 10, "segments": 10},  # 12, rounded to 5
        {"language": "cy", "name": "Welsh", "messages": 10, "segments": 20},
        {"language": "cy+en", "name": "Welsh then English", "messages": 10, "segments": 35},  # 9 and 36
        {"language": "unknown", "name": "Not recorded", "messages": "*", "segments": 0},  # 2: suppressed
    ]
    text = pdf_text(report.pdf, tmp_path)
    assert "Text messages sent to NE's clients during September 2026" in text
    assert "Welsh then English" in text and "Not recorded" in text
    rows = list(csv.DictReader(io.StringIO(report.csv)))
    by_key = {(r["section"], r["group"], r["measure"]): r["value"] for r in rows if r["scope"] == "month_activity"}
    assert by_key[("texts_sent", "cy", "segments")] == "20"
    assert by_key[("texts_sent", "cy+en", "messages")] == "10"
    assert by_key[("texts_sent", "unknown", "messages")] == "*"


@needs_poppler
def test_a_month_without_texts_says_so_in_the_report(app, tmp_path):
    clients()
    report = reports.build_monthly_report("SW", "2026-09", AFTER)
    assert report is not None and json.loads(report.figures)["texts_sent"] == []
    assert "No text messages were sent to SW's clients during September 2026." in pdf_text(report.pdf, tmp_path)
