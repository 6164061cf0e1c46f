"""The inbound webhook's statements (app/services/inbound.py), built once so SQLAlchemy caches their compiled form
and the PostgreSQL pipelines compile each once (app/services/pg_pipeline.py).

The common path is four of them: PostgreSQL's advisory lock on the sender (`LOCK`), one read that locks the
open check-in and brings its episode, client and service with every fact the conversation needs
(`WITH_CHECK_IN`; `WITHOUT_CHECK_IN` when nothing is open), the INSERT of the message and the UPDATE of the
check-in. The facts are scalar subqueries: the stored reply of a redelivery, opt-out, the next planned
contact, the last "closed" reply.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import bindparam, exists, func, literal, literal_column, or_, select, text

from app.models import CheckIn, CheckInStatus, Client, ContactPoint, Episode, InboundMessage
from app.models.organisation import Service

_client, _check_in, _episode = Client.__table__, CheckIn.__table__, Episode.__table__
_service, _inbound, _contact = Service.__table__, InboundMessage.__table__, ContactPoint.__table__

LOCK: Final = text("SELECT pg_advisory_xact_lock(:key)")
# The subqueries read aliases, so that none is correlated with the tables of the statement around it.
_sender_client, _sender_check_in = _client.alias("sender_client"), _check_in.alias("sender_check_in")
_earlier, _point = _inbound.alias("earlier_message"), _contact.alias("sender_point")
_sender_episode = _episode.alias("sender_episode")
#: A check-in's status, for filters that must not drive the search: it makes no use of ix_check_in_status_due,
#: which SQLite without statistics would otherwise walk (every open or scheduled check-in) instead of the
#: sender's few check-ins by client_id. The same value: the status is never NULL.
_SENDER_STATUS: Final = _sender_check_in.c.status.concat(literal_column("''"))
#: Every client sharing the sender's number (one per service the number was submitted to).
_SENDER_CLIENTS: Final = select(_sender_client.c.id).where(_sender_client.c.phone_hash == bindparam("sender_hash"))
#: A redelivery: the replies stored for this MessageSid ("" when stored without any), NULL when new.
_STORED: Final = (
    select(func.coalesce(_earlier.c.reply_text, ""))
    .where(_earlier.c.provider_id == bindparam("message_sid"))
    .scalar_subquery()
    .label("stored")
)
#: Whether the number, or the email of any client sharing it, is opted out.
_OPTED_OUT: Final = or_(
    exists().where(_point.c.contact_hash == bindparam("sender_hash"), _point.c.opted_out_at.is_not(None)),
    exists().where(
        _point.c.contact_hash == _sender_client.c.email_hash,
        _sender_client.c.phone_hash == bindparam("sender_hash"),
        _sender_client.c.email_hash != "",
        _point.c.opted_out_at.is_not(None),
    ),
).label("opted_out")
#: When the next planned check-in of the sender's clients falls due: none for an episode whose contact stopped
#: (a wrong number, a death, withdrawn by the service), whose check-ins stay planned but will never be sent.
_NEXT_DUE: Final = (
    select(func.min(_sender_check_in.c.due_at))
    .select_from(_sender_check_in.join(_sender_episode, _sender_episode.c.id == _sender_check_in.c.episode_id))
    .where(
        _sender_check_in.c.client_id.in_(_SENDER_CLIENTS),
        _SENDER_STATUS == CheckInStatus.SCHEDULED.value,
        _sender_check_in.c.due_at > bindparam("now", type_=CheckIn.due_at.type),
        _sender_episode.c.contact_stopped_at.is_(None),
    )
    .scalar_subquery()
    .label("next_due")
)
#: When this sender last got the "closed" reply (at most once a day) or the unknown-number reply (only once).
_LAST_CLOSED_REPLY: Final = (
    select(_earlier.c.received_at)
    .where(
        _earlier.c.sender_hash == bindparam("sender_hash"),
        or_(_earlier.c.events.like("%closed_reply%"), _earlier.c.events.like("%generic_reply%")),
    )
    .order_by(_earlier.c.received_at.desc())
    .limit(1)
    .scalar_subquery()
    .label("last_closed")
)
_FACTS: Final = (_STORED, _OPTED_OUT, _NEXT_DUE, _LAST_CLOSED_REPLY)
_SERVICE_COLUMNS: Final = (
    _service.c.id.label("service_id"),
    _service.c.short_name,
    _service.c.timezone,
    _service.c.sms_links,
    _service.c.bilingual,
)
#: The sender's open check-in: the latest sent, over every client sharing the number.
_OPEN_CHECK_IN_ID: Final = (
    select(_sender_check_in.c.id)
    .where(
        _sender_check_in.c.client_id.in_(_SENDER_CLIENTS),
        _SENDER_STATUS == CheckInStatus.OPEN.value,
    )
    .order_by(_sender_check_in.c.first_sent_at.desc(), _sender_check_in.c.id.desc())
    .limit(1)
    .scalar_subquery()
)
#: That check-in, locked until commit, with its episode's dates, its client's service and the facts.
WITH_CHECK_IN: Final = (
    select(
        _check_in.c.id.label("check_in_id"),
        _check_in.c.client_id,
        _check_in.c.conversation,
        _check_in.c.change,
        _check_in.c.duration_start,
        _check_in.c.usual_self,
        _episode.c.discharge_date,
        _episode.c.referral_date,
        _episode.c.language,
        *_SERVICE_COLUMNS,
        *_FACTS,
    )
    .select_from(
        _check_in.join(_episode, _episode.c.id == _check_in.c.episode_id)
        .join(_client, _client.c.id == _check_in.c.client_id)
        .join(_service, _service.c.id == _client.c.service_id)
    )
    .where(_check_in.c.id == _OPEN_CHECK_IN_ID, _check_in.c.status == CheckInStatus.OPEN.value)
    .with_for_update(of=_check_in)
)
#: Nothing open: the latest client sharing the number (if any) and its service, and the facts, on one row.
_LATEST_CLIENT_ID: Final = (
    select(func.max(_sender_client.c.id)).where(_sender_client.c.phone_hash == bindparam("sender_hash"))
).scalar_subquery()
#: That client's language: its latest episode's (each episode keeps the language of its discharge row).
_LATEST_LANGUAGE: Final = (
    select(_sender_episode.c.language)
    .where(_sender_episode.c.client_id == _client.c.id)
    .order_by(_sender_episode.c.discharge_date.desc(), _sender_episode.c.id.desc())
    .limit(1)
    .scalar_subquery()
    .label("language")
)
_ONE_ROW: Final = select(literal(1).label("one")).subquery("one_row")
WITHOUT_CHECK_IN: Final = select(
    _client.c.id.label("client_id"), _LATEST_LANGUAGE, *_SERVICE_COLUMNS, *_FACTS
).select_from(
    _ONE_ROW.outerjoin(_client, _client.c.id == _LATEST_CLIENT_ID).outerjoin(
        _service, _service.c.id == _client.c.service_id
    )
)
STORED_REPLIES: Final = select(_inbound.c.reply_text).where(_inbound.c.provider_id == bindparam("message_sid"))
INSERT_MESSAGE: Final = _inbound.insert()
INSERT_MESSAGE_RETURNING_ID: Final = _inbound.insert().returning(_inbound.c.id)
UPDATE_CHECK_IN: Final = _check_in.update().where(_check_in.c.id == bindparam("check_in_id"))
