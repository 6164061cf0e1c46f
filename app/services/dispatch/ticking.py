"""The dispatch tick: close, skip, withdraw, claim, send, remind. The database is the schedule and the lock.

`tick(now)` is all the scheduler calls. Several ticks may run at once, in several processes: a
check-in is claimed by one conditional UPDATE (with FOR UPDATE SKIP LOCKED on PostgreSQL), so no
check-in is claimed twice, and every message row is written before its provider call.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime

from app.extensions import db
from app.services.dispatch.claiming import claim_due, services_in_window
from app.services.dispatch.closing import close_expired, skip_late, withdraw_blocked
from app.services.dispatch.delivery_status import after_tick
from app.services.dispatch.first_sends import send_first_messages
from app.services.dispatch.reconciling import reconcile_stale
from app.services.dispatch.reminders import send_reminders
from app.services.dispatch.summary import Senders, TickSummary

log = logging.getLogger("stillwell.dispatch")


def tick(now: datetime, senders: Senders | None = None, batch_size: int = 1000) -> dict[str, int]:
    """Run one dispatch pass at instant `now` and say what it did."""
    senders = senders or Senders.from_config()
    summary = TickSummary()
    summary.closed += close_expired(now)
    summary.skipped += skip_late(now)
    summary.withdrawn += withdraw_blocked(now)
    reconcile_stale(now, senders)
    open_services = services_in_window(now)
    if open_services:
        while True:
            claimed = claim_due(now, open_services, batch_size)
            if not claimed:
                break
            summary.claimed += len(claimed)
            send_first_messages(claimed, now, senders, summary)
        send_reminders(now, open_services, senders, summary)
    db.session.commit()
    after_tick(now, senders.email)  # held status callbacks; safeguarding alert emails (at any hour)
    log.info("dispatch tick at %s: %s", now.isoformat(), json.dumps(summary.as_dict()))
    return summary.as_dict()
