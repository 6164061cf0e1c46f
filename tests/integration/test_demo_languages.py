"""The demo's bilingual Welsh service (SPEC 8.3): clients in Welsh, English and no language, sent texts in the right
language(s) by the real dispatch path, some replying in Welsh, and the texts-sent tables that show it."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

from sqlalchemy import select

from app.domain.disclosure import publish_count
from app.domain.languages import BILINGUAL, message_language
from app.domain.protocol import LONDON
from app.domain.sms_encoding import measure
from app.extensions import db
from app.models import Area, Client, Episode, InboundMessage, OutboundMessage, Role, Service
from app.services import statistics
from app.services.demo import people, simulation
from app.services.demo import seeding as demo
from app.services.publication import reports
from tests.web.sign_in import make_user, sign_in

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
WELSH_ANSWERS = {welsh.lower() for welsh in people.WELSH_WORDS.values()}


def test_the_demo_has_one_bilingual_welsh_service_with_clients_of_every_language(app):
    demo.seed(actor="test", now=NOW, today=NOW.date(), clients_per_service=30)
    bilingual = db.session.scalars(select(Service.code).where(Service.bilingual.is_(True))).all()
    assert bilingual == [demo.BILINGUAL_SERVICE]
    languages = Counter(
        db.session.scalars(select(Episode.language).join(Service).where(Service.code == demo.BILINGUAL_SERVICE)).all()
    )
    assert set(languages) == {"cy", "en", None} and languages["cy"] >= 5 and languages[None] >= 5
    others = set(db.session.scalars(select(Episode.language).join(Service).where(Service.bilingual.is_(False))))
    assert others == {"en"}


def test_the_simulated_welsh_service_sends_and_hears_welsh_and_the_tables_show_it(app):
    demo.seed(actor="test", now=NOW, today=NOW.date(), clients_per_service=30)
    simulation.simulate(until=NOW, actor="test", now=NOW)
    sent = db.session.execute(
        select(OutboundMessage, Episode.language)
        .join(Client, Client.id == OutboundMessage.client_id)
        .join(Service, Service.id == Client.service_id)
        .join(Episode, Episode.client_id == Client.id)
        .where(Service.code == demo.BILINGUAL_SERVICE, OutboundMessage.channel == "sms")
    ).all()
    assert sent
    by_language = Counter(message.language for message, _ in sent)
    assert set(by_language) == {"cy", "en", BILINGUAL}, by_language
    for message, tag in sent:
        # As the real sending path records them: the client's language(s), the text's own encoding and segments.
        assert message.language == message_language(tag, True)
        size = measure(message.body)
        assert (message.encoding, message.segments) == (size.encoding, size.segments)
        if message.language == BILINGUAL:
            assert "\n\n" in message.body  # the Welsh text, a blank line, the English text
    assert any(message.segments >= 3 for message, _ in sent if message.language == BILINGUAL)

    welsh_replies = db.session.scalars(
        select(InboundMessage.body)
        .join(Episode, Episode.client_id == InboundMessage.client_id)
        .where(Episode.language == "cy", InboundMessage.channel == "sms")
    ).all()
    assert sum(body.lower() in WELSH_ANSWERS for body in welsh_replies) >= 3, welsh_replies

    area = db.session.scalars(select(Area).where(Area.code == "SW-ICB")).one()
    start = datetime(2025, 1, 1, tzinfo=UTC)
    dashboard = {item.language: item for item in statistics.texts_sent(start, NOW, area_code=area.code)}
    assert {"cy", "en", BILINGUAL} <= set(dashboard)
    in_db = Counter()
    for message, _ in sent:
        if message.status not in ("failed", "canceled"):
            in_db[message.language] += message.segments
    for language in ("cy", BILINGUAL):
        assert dashboard[language].segments == in_db[language]

    # The monthly report's table, against the database: the area's SMS written in the month in England, per
    # language, the provider's refusals left out, each count published (1-7 "*", else rounded to 5).
    month = date(2026, 10, 1)
    area_sms = db.session.execute(
        select(OutboundMessage.language, OutboundMessage.segments, OutboundMessage.status, OutboundMessage.created_at)
        .join(Client, Client.id == OutboundMessage.client_id)
        .join(Service, Service.id == Client.service_id)
        .where(Service.area_id == area.id, OutboundMessage.channel == "sms")
    ).all()
    messages: Counter[str] = Counter()
    segments: Counter[str] = Counter()
    for language, size, status, created_at in area_sms:
        local = created_at.astimezone(LONDON).date()
        if (local.year, local.month) == (month.year, month.month) and status not in ("failed", "canceled"):
            messages[language] += 1
            segments[language] += size
    assert messages["cy"] and messages[BILINGUAL] and messages["en"]
    figures = reports.report_figures(area, month, NOW)
    assert figures["texts_sent"] == [
        {
            "language": language,
            "name": statistics.TextsSent(language, 0, 0).name,
            "messages": publish_count(messages[language]),
            "segments": publish_count(segments[language]),
        }
        for language in ("en", "cy", BILINGUAL)
    ]
    html = reports.render_html(figures)  # what the PDF is rendered from
    for name in ("English", "Welsh", "Welsh then English"):
        assert f'<th scope="row">{name}</th>' in html

    # The evaluators' operations view ("Texts sent") shows the same month unrounded.
    browser = app.test_client()
    sign_in(browser, make_user(Role.EVALUATOR, "texts.evaluator@example.org"))
    page = browser.get("/evaluate/texts?month=2026-10&area=SW-ICB").data.decode()
    for language, name in (("cy", "Welsh (cy)"), (BILINGUAL, "Welsh then English (cy+en)"), ("en", "English (en)")):
        cells = f'<td class="numeric">{messages[language]}</td><td class="numeric">{segments[language]}</td>'
        assert f'<th scope="row">{name}</th>{cells}' in page, name


def test_every_welsh_demo_answer_reads_as_its_english():
    day, referral, discharge = date(2026, 11, 20), date(2025, 1, 6), date(2026, 6, 1)
    kept = [english for english in people.WELSH_WORDS if people.in_welsh(english, day, referral, discharge) == english]
    assert kept == [], f"the reader does not take these Welsh words as their English: {kept}"
    combined = people.in_welsh("a little better, 3 weeks, mostly", day, referral, discharge)
    assert combined == "ychydig yn well, 3 weeks, gan amlaf"
    assert people.in_welsh("2", day, referral, discharge) == "2"
