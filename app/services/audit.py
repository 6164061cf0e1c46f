"""Writing the audit log."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from app.extensions import db
from app.models import AuditEvent


def record(actor: str, action: str, now: datetime, subject: str | None = None, **detail: Any) -> None:
    """Add an audit event to the current transaction (the caller commits). Never pass contact details."""
    db.session.add(
        AuditEvent(
            at=now,
            actor=actor,
            action=action,
            subject=subject,
            detail=json.dumps(detail, sort_keys=True, default=str) if detail else None,
        )
    )
