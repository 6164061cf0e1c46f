"""What the SMS sent cost, per language (SPEC 8.3): messages and segments, for the operations view and the
monthly report.

Counted from the outbound message rows, which keep each SMS's encoding, segments and language when written
(app/services/dispatch/message_rows.py): every SMS in the period except those the provider refused (failed,
canceled), which cost nothing. Emails are not texts and are left out. Rows written before the costs were kept
have no language: they are counted under `unknown`. The conversation's immediate replies go back in the
webhook's answer (TwiML), not as outbound rows, and are not in these figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from sqlalchemy import func, select

from app.domain.languages import MESSAGE_LANGUAGES
from app.domain.messages import Channel, MessageStatus
from app.domain.months import add_months, day_start
from app.domain.protocol import LONDON
from app.extensions import db
from app.models import Area, Client, OutboundMessage, Service

#: Languages in the order they are shown; rows without one come last.
UNKNOWN: Final = "unknown"
LANGUAGE_NAMES: Final = {"en": "English", "cy": "Welsh", "cy+en": "Welsh then English", UNKNOWN: "Not recorded"}
_NOT_SENT: Final = (MessageStatus.FAILED.value, MessageStatus.CANCELED.value)


@dataclass(frozen=True)
class TextsSent:
    """The SMS sent in one language: how many, and the segments they took (what the provider charges)."""

    language: str
    messages: int
    segments: int

    @property
    def name(self) -> str:
        return LANGUAGE_NAMES.get(self.language, self.language)


def texts_sent(
    start: datetime, end: datetime, *, service_code: str | None = None, area_code: str | None = None
) -> list[TextsSent]:
    """The SMS written from `start` (inclusive) to `end` (exclusive), per language, in MESSAGE_LANGUAGES order;
    only languages with a message (an empty list: none sent)."""
    language = func.coalesce(OutboundMessage.language, UNKNOWN)
    query = (
        select(language, func.count(), func.coalesce(func.sum(OutboundMessage.segments), 0))
        .select_from(OutboundMessage)
        .where(
            OutboundMessage.channel == Channel.SMS.value,
            OutboundMessage.status.not_in(_NOT_SENT),
            OutboundMessage.created_at >= start,
            OutboundMessage.created_at < end,
        )
        .group_by(language)
    )
    if service_code or area_code:
        query = query.join(Client, Client.id == OutboundMessage.client_id).join(
            Service, Service.id == Client.service_id
        )
    if service_code:
        query = query.where(Service.code == service_code)
    if area_code:
        query = query.join(Area, Area.id == Service.area_id).where(Area.code == area_code)
    found = {str(row[0]): TextsSent(str(row[0]), int(row[1]), int(row[2])) for row in db.session.execute(query)}
    order = [*MESSAGE_LANGUAGES, UNKNOWN]
    return sorted(found.values(), key=lambda item: order.index(item.language) if item.language in order else len(order))


def texts_sent_in_month(
    first: date, *, service_code: str | None = None, area_code: str | None = None
) -> list[TextsSent]:
    """`texts_sent` over one calendar month in England (the month starting on `first`)."""
    start, end = day_start(first, LONDON), day_start(add_months(first, 1), LONDON)
    return texts_sent(start, end, service_code=service_code, area_code=area_code)
