"""Synthetic cohorts for the benchmarks (dispatch_tick.py, webhook_load.py, soak.py).

Clients with UK-mobile-looking numbers (never texted: the benchmarks talk to the fake Twilio or the console)
and one consenting episode each, written with Core executemany in batches of 5,000 (no ORM objects per row),
inside the caller's app context. Each benchmark then adds the check-ins it needs.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

from sqlalchemy import insert, select

from app.extensions import db
from app.models import Client, Episode
from app.security.fields import field_security

BATCH = 5000


def batches(count: int, size: int = BATCH) -> Iterator[range]:
    """Client numbers 0..count-1 in runs of `size`."""
    for start in range(0, count, size):
        yield range(start, min(count, start + size))


def add_clients(
    service_id: int,
    numbers: range,
    *,
    ref_prefix: str,
    phone_prefix: str,
    referral: date,
    discharge: date,
    plan: str,
    now: datetime,
    descriptor: str = "F41.1",
) -> list[tuple[int, int, int]]:
    """Client n gets reference `{ref_prefix}{n:07d}` and number `{phone_prefix}{n:08d}` (encrypted, hashed), and
    one consenting episode; returns (episode id, client id, n) for each."""
    security = field_security()
    clients = []
    for n in numbers:
        phone = f"{phone_prefix}{n:08d}"
        clients.append(
            {
                "service_id": service_id,
                "client_ref": f"{ref_prefix}{n:07d}",
                "phone_enc": security.encrypt(phone),
                "phone_hash": security.contact_hash(phone),
                "phone_is_uk_mobile": True,
                "preferred_channel": "sms",
                "created_at": now,
                "updated_at": now,
            }
        )
    db.session.execute(insert(Client.__table__), clients)
    refs = [client["client_ref"] for client in clients]
    ids = dict(db.session.execute(select(Client.client_ref, Client.id).where(Client.client_ref.in_(refs))).all())
    db.session.execute(
        insert(Episode.__table__),
        [
            {
                "client_id": ids[ref],
                "service_id": service_id,
                "consent": True,
                "referral_date": referral,
                "discharge_date": discharge,
                "treatment_sessions": 6,
                "problem_descriptor": descriptor,
                "plan": plan,
                "row_fingerprint": "bench",
                "created_at": now,
                "updated_at": now,
            }
            for ref in refs
        ],
    )
    number = {ids[ref]: int(ref[len(ref_prefix) :]) for ref in refs}
    rows = db.session.execute(
        select(Episode.id, Episode.client_id).where(Episode.client_id.in_(list(ids.values())))
    ).all()
    return [(episode_id, client_id, number[client_id]) for episode_id, client_id in rows]
